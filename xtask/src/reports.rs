//! The command-line side of `cargo xtask diff` and `cargo xtask drift`: arguments, output and exit
//! status. The reports themselves live in the library (`xtask::diff`, `xtask::drift`).
//!
//! Exit status, as diff(1): 0 = nothing to block, 1 = a breaking tool change nobody acknowledged
//! (the report is still printed), 2 = the command could not run (the error on stderr, nothing on
//! stdout).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use xtask::{Format, diff, drift};

/// Arguments of `cargo xtask diff`.
#[derive(Args)]
pub struct DiffArgs {
    /// Git revision to compare the working tree with (default: the merge base with main).
    #[arg(long)]
    base: Option<String>,
    /// Output format: markdown or json.
    #[arg(long, default_value = "markdown")]
    format: Format,
    /// Changelog where a pull request acknowledges breaking changes (default: CHANGELOG.md).
    #[arg(long)]
    ack: Option<PathBuf>,
}

/// Arguments of `cargo xtask drift`.
#[derive(Args)]
pub struct DriftArgs {
    /// Folder of HighLevel's official OpenAPI files (the `apps` folder of highlevel-api-docs).
    #[arg(long)]
    openapi: PathBuf,
    /// Output format: markdown or json.
    #[arg(long, default_value = "markdown")]
    format: Format,
}

const TROUBLE: u8 = 2;

fn print(format: Format, markdown: String, json: serde_json::Value) {
    match format {
        Format::Markdown => print!("{markdown}"),
        Format::Json => print!("{}", codegen::pretty(&json)),
    }
}

/// Runs `cargo xtask diff`.
pub fn diff(root: &Path, args: &DiffArgs) -> ExitCode {
    let opts = diff::Options {
        base: args.base.clone(),
        ack_file: args.ack.clone(),
    };
    match diff::run(root, &opts) {
        Ok(report) => {
            print(
                args.format,
                diff::render::markdown(&report),
                diff::render::json(&report),
            );
            let missing = report.unacknowledged();
            if missing.is_empty() {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "error: breaking tool changes not acknowledged in {}: {}",
                    report.ack_file,
                    missing.join(", ")
                );
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(TROUBLE)
        }
    }
}

/// Runs `cargo xtask drift`.
pub fn drift(root: &Path, args: &DriftArgs) -> ExitCode {
    match drift::run(&root.join("spec"), &args.openapi) {
        Ok(report) => {
            print(
                args.format,
                drift::render::markdown(&report),
                drift::render::json(&report),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(TROUBLE)
        }
    }
}
