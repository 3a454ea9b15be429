//! The `highlevel-mcp` binary: parses the command line and hands over to the `server` library.

use clap::Parser;
use server::cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let format = match &cli.command {
        Command::Serve(a) => a.common.log_format,
        Command::Stdio(a) => a.common.log_format,
        Command::Sandbox(a) => a.log_format,
        Command::Audit(a) => {
            // Reads a file or the store and prints; a small runtime, no logging.
            let out = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))
                .and_then(|rt| rt.block_on(server::audit::cli::run(a)));
            return match out {
                Ok(out) => {
                    print!("{out}");
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::ExitCode::FAILURE
                }
            };
        }
        Command::Health(_) | Command::Keygen(_) | Command::Grants(_) => {
            server::cli::LogFormat::Text
        }
    };
    server::init_logging(format);
    let tokio_rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match tokio_rt.block_on(server::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
