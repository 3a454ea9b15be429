#!/usr/bin/env bash
# Builds the container image from a binary compiled on this host, for machines that reach no
# container registry (the Dockerfile's `builder` stage needs the Rust image): compiles a static
# binary, stages it with the host's CA bundle under target/image/, and runs the Dockerfile with
# BINARY_FROM=prebuilt. Uses buildah (or docker, if BUILDER=docker).
#
#   deploy/container/build-local.sh [TAG]        # default highlevel-mcp:dev
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tag="${1:-highlevel-mcp:dev}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cd "$root"

RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked -p server --target x86_64-unknown-linux-gnu
binary="$target_dir/x86_64-unknown-linux-gnu/release/highlevel-mcp"
if ldd "$binary" >/dev/null 2>&1; then
  echo "error: $binary is dynamically linked; it would not start in an empty image" >&2
  exit 1
fi

rm -rf target/image
mkdir -p target/image/etc/ssl/certs
cp "$binary" target/image/highlevel-mcp
cp /etc/ssl/certs/ca-certificates.crt target/image/etc/ssl/certs/ca-certificates.crt

case "${BUILDER:-buildah}" in
  # --format docker keeps the HEALTHCHECK (the OCI image format has no field for it).
  buildah) buildah bud --format docker --build-arg BINARY_FROM=prebuilt -t "$tag" . ;;
  docker) docker build --build-arg BINARY_FROM=prebuilt -t "$tag" . ;;
  *) echo "error: BUILDER must be buildah or docker" >&2; exit 1 ;;
esac
echo "built $tag"
