#!/usr/bin/env bash
# Runs the image built by build-local.sh with podman and checks it from outside: the health
# check command, /healthz, /readyz, an MCP tools/list against the built-in sandbox, the user
# it runs as, and that it holds nothing but the binary and the CA bundle.
#
#   deploy/container/verify-local.sh [TAG]
#
# On this project's build machines podman's default runtime (crun) refuses to start containers
# (cgroup v1 and v2 mounted side by side, "hybrid" mode) and the sandbox forbids raising
# rlimits, so this uses runc, explicit ulimits and the host's network (loopback only).
set -euo pipefail
tag="${1:-highlevel-mcp:dev}"
port="${PORT:-18080}"
name="hlmcp-verify-$$"
run=(podman --runtime "${RUNTIME:-runc}" run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network host)

cleanup() { podman --runtime "${RUNTIME:-runc}" rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "== image"
podman image inspect "$tag" --format 'user={{.Config.User}} entrypoint={{.Config.Entrypoint}} cmd={{.Config.Cmd}} health={{.Config.Healthcheck.Test}} size={{.Size}}'
podman image inspect "$tag" --format '{{index .Config.Labels "io.modelcontextprotocol.server.name"}}'

echo "== serve --sandbox on 127.0.0.1:$port"
"${run[@]}" -d --name "$name" -e HIGHLEVEL_MCP_BIND=127.0.0.1 -e HIGHLEVEL_MCP_PORT="$port" \
  "$tag" serve --sandbox >/dev/null
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "healthz: $(curl -fsS "http://127.0.0.1:$port/healthz")"
echo "readyz:  $(curl -fsS "http://127.0.0.1:$port/readyz")"
echo "health check command: $(podman --runtime "${RUNTIME:-runc}" exec "$name" /highlevel-mcp health)"
echo "podman healthcheck run: $(podman --runtime "${RUNTIME:-runc}" healthcheck run "$name" && echo healthy)"
echo "process user: $(podman --runtime "${RUNTIME:-runc}" top "$name" user huser args | tail -n +2)"
tools=$(curl -fsS "http://127.0.0.1:$port/mcp" \
  -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
  -H 'mcp-protocol-version: 2025-11-25' \
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}' | grep -o '"name":"[a-z]*_[^"]*"' | wc -l)
echo "tools/list: $tools tools"
call=$(curl -fsS "http://127.0.0.1:$port/mcp" \
  -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
  -H 'mcp-protocol-version: 2025-11-25' \
  -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"locations_get-location","arguments":{}}}')
echo "tools/call locations_get-location: $(echo "$call" | grep -o '"isError":[a-z]*' || echo '"isError" absent (success)')"
# Name resolution in an image without libc's NSS modules: a second container reaches the first
# through the name `localhost` (resolved from /etc/hosts by the static binary).
second="$name-dns"
"${run[@]}" -d --name "$second" -e HIGHLEVEL_MCP_BIND=127.0.0.1 -e HIGHLEVEL_MCP_PORT="$((port + 1))" \
  "$tag" serve --upstream "http://localhost:$port" >/dev/null
trap 'cleanup; podman --runtime "${RUNTIME:-runc}" rm -f "$second" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$((port + 1))/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "readyz with --upstream http://localhost:$port: $(curl -sS "http://127.0.0.1:$((port + 1))/readyz")"
# podman adds etc/hosts, passwd, group, hostname, resolv.conf, mtab and run/.containerenv when it
# starts a container; the image itself holds only the binary and the CA bundle.
echo "== files in the running container"
podman export "$name" | tar -t | grep -v '/$' | sort
[ "$tools" -gt 0 ]
