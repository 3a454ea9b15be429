//! `cargo xtask bench`: builds the server and the benchmark driver in release mode and runs it.
//!
//! The `xtask` alias builds this crate in debug, and a debug build would measure the wrong thing,
//! so this module only orchestrates: `cargo build --release -p server -p bench --bin
//! highlevel-mcp --bin bench`, then `<target>/release/bench run --server
//! <target>/release/highlevel-mcp [ARGS...]`. The driver (bench/src/main.rs) starts the
//! sandbox and the server as separate processes and prints a Markdown report (BENCHMARKS.md).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Builds the release binaries and runs the benchmark with `args` passed through.
pub fn run(root: &Path, args: &[String]) -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building release binaries (server, bench driver)...");
    let built = Command::new(&cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "-p",
            "server",
            "-p",
            "bench",
            "--bin",
            "highlevel-mcp",
            "--bin",
            "bench",
        ])
        .status();
    match built {
        Ok(s) if s.success() => {}
        Ok(s) => {
            eprintln!("release build failed ({s})");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("cannot run cargo: {e}");
            return ExitCode::FAILURE;
        }
    }
    let release = target_dir(root).join("release");
    let status = Command::new(release.join("bench"))
        .arg("run")
        .arg("--server")
        .arg(release.join("highlevel-mcp"))
        .args(args)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("benchmark failed ({s})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("cannot run {}: {e}", release.join("bench").display());
            ExitCode::FAILURE
        }
    }
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set, else `<workspace>/target`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() { d } else { root.join(d) }
        }
        None => root.join("target"),
    }
}
