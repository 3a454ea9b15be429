//! `highlevel-mcp audit list|export|verify`: read the audit log without the server running,
//! from the file (`--audit-log`) or from the grant store (`--store`).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{Filter, Verified, filter, read, to_csv, verify_detail};

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
    /// Read the records kept in this grant store (the `--store` the server ran with in OAuth
    /// mode): sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE. As for the server,
    /// an explicit --audit-log wins.
    #[arg(long, env = "HIGHLEVEL_MCP_STORE", value_name = "URL", global = true)]
    pub store: Option<String>,
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

/// Where the records are read from.
enum Source {
    File(PathBuf),
    Store(std::sync::Arc<dyn oauth::store::Store>, String),
}

impl Source {
    async fn open(args: &AuditArgs) -> Result<Self, String> {
        match (&args.audit_log, &args.store) {
            (None, Some(spec)) => {
                let store = oauth::store::open(spec).await.map_err(|e| e.to_string())?;
                Ok(Self::Store(store, oauth::store::describe(spec)))
            }
            (path, _) => Ok(Self::File(
                path.clone()
                    .unwrap_or_else(crate::gate::cli::default_audit_path),
            )),
        }
    }

    fn name(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Store(_, place) => format!("the store {place}"),
        }
    }

    async fn verify(&self) -> Result<Verified, String> {
        match self {
            Self::File(path) => verify_detail(path),
            Self::Store(store, _) => super::store::verify(store.as_ref()).await,
        }
    }

    async fn read(&self) -> Result<Vec<serde_json::Value>, String> {
        match self {
            Self::File(path) => read(path),
            Self::Store(store, _) => super::store::read(store.as_ref()).await,
        }
    }
}

/// Runs an `audit` command; `Ok` text goes to stdout, `Err` to stderr with a failing exit.
pub async fn run(args: &AuditArgs) -> Result<String, String> {
    let source = Source::open(args).await?;
    match &args.command {
        AuditCommand::Verify => source.verify().await.map(|v| {
            let mut out = format!(
                "ok: {} record(s) in {}, hash chain intact\n",
                v.records,
                source.name()
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
            let records = filter(source.read().await?, &sel.filter());
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
            let records = filter(source.read().await?, &selection.filter());
            Ok(match format {
                Format::Jsonl => records.iter().map(|r| format!("{r}\n")).collect(),
                Format::Csv => to_csv(&records),
            })
        }
    }
}
