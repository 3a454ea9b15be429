#!/usr/bin/env bash
# Installs what the OAuth client tests need beyond Rust: Debian's chromium and chromedriver (the
# consent page is driven through WebDriver) and the official MCP Python SDK, pinned, in a
# virtualenv outside the repository. Idempotent; prints the Python to use on its last line.
set -euo pipefail

MCP_PYTHON_SDK_VERSION="2.3.0"
VENV="${HIGHLEVEL_MCP_VENV:-$HOME/.cache/highlevel-mcp/venv}"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    python3 -m venv "$VENV"
  fi
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "mcp==${MCP_PYTHON_SDK_VERSION}"
echo "$VENV/bin/python"
