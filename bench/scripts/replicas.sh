#!/usr/bin/env bash
# The replica figures of BENCHMARKS.md ("Replicas"): builds the release binaries once, then runs
# the `replicas` driver (bench/src/bin/replicas/), which starts its own Postgres and Redis
# (Debian packages postgresql and redis-server; .ci/install-ship.sh installs them), the sandbox
# with 50-150 ms latency and one to three `serve --auth oauth` replicas, and prints Markdown.
# usage: bench/scripts/replicas.sh [--seconds S] [--rounds R] [--concurrency C]
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -p server -p bench --bin highlevel-mcp --bin replicas
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)" >&2
exec "$target/release/replicas" --server "$target/release/highlevel-mcp" "$@"
