# highlevel-mcp container image: one static binary on an empty base (no shell, no package
# manager, nothing to patch but the binary), run as a non-root user.
#
#   docker build -t highlevel-mcp .
#   docker run --rm -p 127.0.0.1:8080:8080 highlevel-mcp            # header mode, /mcp on :8080
#   docker run --rm -i -e HIGHLEVEL_TOKEN=pit-... highlevel-mcp stdio
#
# Stage `builder` compiles a statically linked binary (glibc with crt-static: no loader or
# shared library is needed at run time). With `--build-arg BINARY_FROM=prebuilt` the image is
# made from a binary built beforehand instead (deploy/container/build-local.sh does that, for
# machines that reach no container registry); the final stage is the same either way.

ARG BINARY_FROM=builder

FROM docker.io/library/rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
ENV RUSTFLAGS="-C target-feature=+crt-static" CARGO_TERM_COLOR=never
RUN cargo build --release --locked -p server --target x86_64-unknown-linux-gnu \
 && mkdir -p /out/etc/ssl/certs \
 && cp target/x86_64-unknown-linux-gnu/release/highlevel-mcp /out/highlevel-mcp \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ca-certificates.crt

# The binary and CA bundle staged by deploy/container/build-local.sh under target/image/.
FROM scratch AS prebuilt
COPY target/image/ /out/

FROM ${BINARY_FROM} AS binary

FROM scratch
COPY --from=binary /out/ /
# 65532: the conventional "nonroot" id of distroless images; no passwd entry is needed.
USER 65532:65532
# Inside a container the server must listen on all interfaces to be reachable through a
# published port; which hosts may reach it is decided by `-p`, and Host headers are still
# checked (--allowed-hosts). Rate limiting is on (in process) by default.
ENV HIGHLEVEL_MCP_BIND=0.0.0.0 \
    HIGHLEVEL_MCP_PORT=8080 \
    HIGHLEVEL_MCP_LOG_FORMAT=json
EXPOSE 8080
# `highlevel-mcp health` GETs http://127.0.0.1:$HIGHLEVEL_MCP_PORT/healthz (the image has no curl).
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/highlevel-mcp", "health"]
LABEL org.opencontainers.image.title="highlevel-mcp" \
      org.opencontainers.image.description="MCP server for the HighLevel CRM API v2" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.modelcontextprotocol.server.name="io.github.highlevel-mcp/highlevel-mcp"
ENTRYPOINT ["/highlevel-mcp"]
CMD ["serve"]
