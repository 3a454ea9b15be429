#!/usr/bin/env bash
# What the deployment tests (rate limiter, metrics, bundle, container) need beyond Rust:
# Debian's redis-server (tests start their own on a loopback port; none is left running).
# Idempotent: installs only what is missing. Called by .ci/run when CI=true.
set -euo pipefail

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== install-ship: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi
echo "== install-ship: redis-server $(redis-server --version | awk '{print $3}')"
