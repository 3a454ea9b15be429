#!/usr/bin/env bash
# Packs the desktop bundle (.mcpb) for the binary given, with the official bundle CLI.
#
#   deploy/mcpb/pack.sh BINARY OUT.mcpb
#
# BINARY is a highlevel-mcp built for the platform the bundle is for (the manifest lists
# `linux`; a bundle for macOS or Windows needs that platform's binary and its name in
# `compatibility.platforms`). The CLI is the pinned @anthropic-ai/mcpb that .ci/install-ship.sh
# puts under target/tools/mcpb (or give its path in MCPB).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
binary="${1:?usage: pack.sh BINARY OUT.mcpb}"
out="${2:?usage: pack.sh BINARY OUT.mcpb}"
mcpb="${MCPB:-$root/target/tools/mcpb/node_modules/.bin/mcpb}"
[ -x "$mcpb" ] || { echo "error: no mcpb CLI at $mcpb; run .ci/install-ship.sh (or set MCPB)" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/server"
cp "$root/deploy/mcpb/manifest.json" "$stage/manifest.json"
cp "$binary" "$stage/server/highlevel-mcp"
chmod 755 "$stage/server/highlevel-mcp"
"$mcpb" validate "$stage/manifest.json"
"$mcpb" pack "$stage" "$out"
