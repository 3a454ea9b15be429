//! Link-time setting for the `highlevel-mcp` binary: pack its relative relocations (DT_RELR).
//!
//! The binary carries all 667 tool definitions as static data full of pointers, so a
//! position-independent build needs about 66,000 relative relocations (190,000 in a debug
//! build). In the classic format the dynamic loader reads 24 bytes per relocation at every start
//! (1.6 MB in release, resident from then on), which was most of the idle-memory growth when the
//! whole API was compiled in. The packed format encodes the same relocations in 22 KB and keeps
//! the binary position-independent (ASLR unchanged).
//!
//! The packed form needs glibc 2.36 or later at run time (Debian 12, Ubuntu 22.10, RHEL 10);
//! the linker records that as a `GLIBC_ABI_DT_RELR` version need, so an older loader refuses
//! the binary by name instead of misreading it. Set `HIGHLEVEL_MCP_NO_RELR=1` when building a
//! binary for older systems. Static builds (`+crt-static`, as the container image's) are left
//! as they are: they relocate themselves at start, and that path is not what was measured.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=HIGHLEVEL_MCP_NO_RELR");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let opted_out = std::env::var_os("HIGHLEVEL_MCP_NO_RELR").is_some_and(|v| v != "0");
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let static_build = features.split(',').any(|f| f == "crt-static");
    if os == "linux" && env == "gnu" && !opted_out && !static_build {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
