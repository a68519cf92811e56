#!/usr/bin/env bash
# build.sh builds the Anode image: it compiles the static binary on this
# machine and runs `docker build` on a context that holds only that binary
# and an empty data directory, so nothing is pulled and nothing is left in
# the work tree.
#
# Usage: deploy/docker/build.sh [IMAGE]     (default IMAGE: anode:latest)
# Environment: VERSION (default: git describe), GO (default: go).
set -euo pipefail

image="${1:-anode:latest}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
go="${GO:-go}"
version="${VERSION:-$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)}"

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir "$ctx/data"
cp "$here/Dockerfile" "$ctx/Dockerfile"

# The binary is for the Docker engine's platform, whatever this machine is.
arch="${GOARCH:-$(docker version --format '{{.Server.Arch}}')}"

echo "building anode $version for linux/$arch" >&2
(cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" "$go" build -trimpath \
	-ldflags "-s -w -X main.version=$version" -o "$ctx/anode" ./cmd/anode)

docker build --quiet -t "$image" "$ctx" >/dev/null
echo "built image $image" >&2
