#!/usr/bin/env bash
# Cold start and idle memory of one or more highlevel-mcp binaries, measured the same way in
# one run: spawn `serve --sandbox`, poll /healthz every 2 ms until it answers (cold start), then
# read VmRSS after 2 s idle. Prints one line per binary: median, min, max of N spawns.
# usage: bench/scripts/startup.sh [-n RUNS] BINARY...
set -euo pipefail
runs=10
if [ "${1:-}" = "-n" ]; then runs=$2; shift 2; fi
[ $# -ge 1 ] || { echo "usage: $0 [-n RUNS] BINARY..." >&2; exit 2; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f (min %.1f, max %.1f)", m, a[1], a[NR]}'; }
for bin in "$@"; do
  starts=(); rss=()
  for i in $(seq "$runs"); do
    port=$((20000 + RANDOM % 20000))
    t0=$(date +%s%N)
    "$bin" serve --sandbox --port "$port" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 5000); do
      if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
      sleep 0.002
    done
    t1=$(date +%s%N)
    starts+=("$(( (t1 - t0) / 1000 ))")
    sleep 2
    rss+=("$(awk '/VmRSS/ {print $2}' /proc/$pid/status)")
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
  cold=$(printf '%s\n' "${starts[@]}" | awk '{print $1/1000}' | median)
  mem=$(printf '%s\n' "${rss[@]}" | awk '{print $1/1024}' | median)
  size=$(stat -c %s "$bin" | awk '{printf "%.1f", $1/1048576}')
  echo "$bin: binary ${size} MiB; cold start ${cold} ms; idle RSS ${mem} MiB (n=$runs)"
done
