#!/usr/bin/env bash
# What the deployment tests need beyond Rust: Debian's redis-server and postgresql (tests start
# their own servers on loopback ports from these binaries and leave none running; Debian keeps
# postgres off PATH, in /usr/lib/postgresql/<version>/bin) and the official MCP bundle CLI from
# npm, pinned, in target/tools/mcpb (never committed). Idempotent: installs only what is missing or of another
# version. Called by .ci/run when CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

MCPB_VERSION=2.1.2

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
[ -x "$(pg_bin)/initdb" ] && [ -x "$(pg_bin)/postgres" ] || need_apt+=(postgresql)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== install-ship: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi
echo "== install-ship: redis-server $(redis-server --version | awk '{print $3}')"
echo "== install-ship: $("$(pg_bin)/postgres" --version)"

mcpb_dir=target/tools/mcpb
mcpb_pkg="$mcpb_dir/node_modules/@anthropic-ai/mcpb/package.json"
if ! grep -q "\"version\": \"$MCPB_VERSION\"" "$mcpb_pkg" 2>/dev/null; then
  echo "== install-ship: npm install @anthropic-ai/mcpb@$MCPB_VERSION into $mcpb_dir"
  mkdir -p "$mcpb_dir"
  npm install --prefix "$mcpb_dir" --no-audit --no-fund --loglevel=error "@anthropic-ai/mcpb@$MCPB_VERSION"
fi
echo "== install-ship: mcpb $("$mcpb_dir/node_modules/.bin/mcpb" --version)"
