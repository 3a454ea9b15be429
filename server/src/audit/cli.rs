//! `highlevel-mcp audit list|export|verify`: read the audit log without the server running.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{Filter, filter, read, to_csv, verify_detail};

/// `audit` and its subcommands.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The audit log (default: the server's default, see `serve --help`).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_AUDIT_LOG",
        value_name = "PATH",
        global = true
    )]
    pub audit_log: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// The audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Show records, one compact line each.
    List(Selection),
    /// Write records as JSONL or CSV to stdout.
    Export {
        /// Which records.
        #[command(flatten)]
        selection: Selection,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
    },
    /// Check the hash chain; fails naming the first bad record.
    Verify,
}

/// Record filters.
#[derive(Debug, Args)]
pub struct Selection {
    /// Only this tool.
    #[arg(long)]
    pub tool: Option<String>,
    /// Only this principal (as logged, e.g. `header:1a2b3c4d`).
    #[arg(long)]
    pub principal: Option<String>,
    /// Only records at or after this UTC time (RFC 3339 prefix, e.g. 2026-01-31 or 2026-01-31T12:00).
    #[arg(long)]
    pub since: Option<String>,
    /// Only records before this UTC time.
    #[arg(long)]
    pub until: Option<String>,
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One JSON record per line, as stored.
    Jsonl,
    /// Comma-separated values with a header line.
    Csv,
}

impl Selection {
    fn filter(&self) -> Filter {
        Filter {
            tool: self.tool.clone(),
            principal: self.principal.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
        }
    }
}

/// Runs an `audit` command; `Ok` text goes to stdout, `Err` to stderr with a failing exit.
pub fn run(args: &AuditArgs) -> Result<String, String> {
    let path = args
        .audit_log
        .clone()
        .unwrap_or_else(crate::gate::cli::default_audit_path);
    match &args.command {
        AuditCommand::Verify => verify_detail(&path).map(|v| {
            let mut out = format!(
                "ok: {} record(s) in {}, hash chain intact\n",
                v.records,
                path.display()
            );
            if let Some(cp) = v.checkpoint {
                out.push_str(&format!(
                    "{} older record(s) (seq {} to {}, the last at {}) were pruned by retention (cutoff {}); the chain continues from the last one's hash\n",
                    cp.pruned, cp.first_seq, cp.seq, cp.last_time, cp.cutoff
                ));
            }
            out
        }),
        AuditCommand::List(sel) => {
            let records = filter(read(&path)?, &sel.filter());
            let mut out = String::new();
            for r in &records {
                let f = |k: &str| {
                    r.get(k)
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .unwrap_or_default()
                };
                out.push_str(&format!(
                    "{} {} {} {} {} {} {} status={} ids={}\n",
                    f("seq"),
                    f("time"),
                    f("decision"),
                    f("tool"),
                    f("principal"),
                    f("method"),
                    f("path"),
                    f("status"),
                    f("ids")
                ));
            }
            Ok(out)
        }
        AuditCommand::Export { selection, format } => {
            let records = filter(read(&path)?, &selection.filter());
            Ok(match format {
                Format::Jsonl => records.iter().map(|r| format!("{r}\n")).collect(),
                Format::Csv => to_csv(&records),
            })
        }
    }
}
