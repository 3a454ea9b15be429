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
            // Reads a file and prints; no runtime, no logging.
            return match server::audit::cli::run(a) {
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
