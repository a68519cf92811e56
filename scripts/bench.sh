#!/usr/bin/env bash
# Runs the S3 benchmarks of docs/benchmarks.md against a fresh one-node
# server: builds anode, starts it on a temporary data directory, runs the
# four workloads (the first one also measures the machine's limits), and
# stops it. Results (tables and JSON) go to $OUT (default ./bench-results).
# DURATION (default 20s) sets each workload's length.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench-results}
DURATION=${DURATION:-20s}
mkdir -p "$OUT" bin
go build -o bin/anode ./cmd/anode
data=$(mktemp -d)
bin/anode server --data-dir "$data" --s3-addr 127.0.0.1:19080 --admin-addr 127.0.0.1:19081 \
  --grpc-addr 127.0.0.1:19090 > "$OUT/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 150); do
  curl -sf http://127.0.0.1:19081/ready >/dev/null && break
  sleep 0.2
done
curl -sf http://127.0.0.1:19081/ready >/dev/null || { echo "server not ready" >&2; exit 1; }
run() { # name op size concurrency [extra flags]
  local name=$1; shift
  bin/anode bench --endpoint http://127.0.0.1:19080 --op "$1" --size "$2" --concurrency "$3" \
    --duration "$DURATION" --json "$OUT/$name.json" "${@:4}" | tee "$OUT/$name.txt"
}
run put-1MiB put 1MiB 8 --data-dir "$data"
run get-1MiB get 1MiB 8 --limits=false
run put-4KiB put 4KiB 16 --limits=false
run get-4KiB get 4KiB 16 --limits=false
