//! The write-safety flags of `serve` and `stdio` (`--confirm`, `--confirm-ttl-secs`,
//! `--dry-run`, `--audit-log`) and how they become a [`SafetyConfig`].

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{SafetyConfig, parse_confirm};

/// Write-safety flags.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Write safety")]
pub struct SafetyArgs {
    /// Risk classes whose writes need a confirmation token (the first call returns a preview and
    /// a token; the same call plus `"confirm": "<token>"` performs it once): a comma-separated
    /// list of destructive, outbound, money, bulk; or `none`.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_CONFIRM",
        default_value = "destructive,outbound,money",
        value_name = "CLASSES"
    )]
    pub confirm: String,

    /// How long a confirmation token stays valid, in seconds.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_CONFIRM_TTL_SECS",
        default_value_t = 300,
        value_name = "SECS"
    )]
    pub confirm_ttl_secs: u64,

    /// Validate, preview and log every write without sending it; reads still work.
    #[arg(long, env = "HIGHLEVEL_MCP_DRY_RUN")]
    pub dry_run: bool,

    /// Append-only, hash-chained JSONL record of every write attempt; `none` keeps no record.
    /// Default: $XDG_STATE_HOME/highlevel-mcp/audit.jsonl (or ~/.local/state/...). A write is
    /// refused when this file cannot be written.
    #[arg(long, env = "HIGHLEVEL_MCP_AUDIT_LOG", value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
}

/// The default audit log path: `$XDG_STATE_HOME/highlevel-mcp/audit.jsonl`, else
/// `$HOME/.local/state/highlevel-mcp/audit.jsonl`, else `highlevel-mcp-audit.jsonl` here.
pub fn default_audit_path() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/state"))
        });
    match state {
        Some(dir) => dir.join("highlevel-mcp").join("audit.jsonl"),
        None => PathBuf::from("highlevel-mcp-audit.jsonl"),
    }
}

impl SafetyArgs {
    /// The configuration these flags ask for.
    pub fn config(&self) -> Result<SafetyConfig, String> {
        let audit_log = match &self.audit_log {
            Some(p) if p.as_os_str() == "none" => None,
            Some(p) => Some(p.clone()),
            None => Some(default_audit_path()),
        };
        Ok(SafetyConfig {
            confirm: parse_confirm(&self.confirm)?,
            token_ttl: Duration::from_secs(self.confirm_ttl_secs.max(1)),
            dry_run: self.dry_run,
            audit_log,
        })
    }
}
