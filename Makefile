# Anode. `make run` starts a one-node server with no configuration;
# `make test` runs every test (unit, integration, end-to-end, crash).

GO ?= go
BIN := bin/anode
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build run test test-short fault docker bench clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/anode

run:
	$(GO) run ./cmd/anode server

# Unit tests run in parallel; the suites under test/ start real servers,
# clusters and containers, so they run one package at a time (two cores).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./cmd/... ./internal/...
	$(GO) test -count=1 -timeout 40m -p 1 ./test/...

test-short:
	$(GO) test -count=1 -short ./internal/...

# The fault suite alone, with its summary line (needs root and iptables).
fault:
	$(GO) test -count=1 -v -run TestFaults ./test/fault/

# The S3 benchmarks of docs/benchmarks.md against a fresh one-node server.
bench:
	scripts/bench.sh

# A FROM scratch image around the static binary (deploy/docker).
docker:
	deploy/docker/build.sh

clean:
	rm -rf bin
