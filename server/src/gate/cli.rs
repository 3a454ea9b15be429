//! The write-safety flags of `serve` and `stdio` (`--confirm`, `--confirm-ttl-secs`,
//! `--ask-user-secs`, `--dry-run`, `--preflight`, `--audit-log`, `--audit-retention-days`) and how they become a
//! [`SafetyConfig`].

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

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

    /// Ask the user directly (MCP elicitation) instead of returning a preview and token, when the
    /// client supports it and the transport carries server-to-client requests (stdio and
    /// `--sessions`); waits this many seconds for the answer, then falls back to the preview.
    /// 0 never asks.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_ASK_USER_SECS",
        default_value_t = 120,
        value_name = "SECS"
    )]
    pub ask_user_secs: u64,

    /// Validate, preview and log every write without sending it; reads still work.
    #[arg(long, env = "HIGHLEVEL_MCP_DRY_RUN")]
    pub dry_run: bool,

    /// Check the ids a write names with cheap reads before sending it (a stage of that pipeline,
    /// a contact of this location, custom fields of this location); a wrong id refuses the write.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_PREFLIGHT",
        value_enum,
        default_value_t = Switch::On,
        value_name = "on|off"
    )]
    pub preflight: Switch,

    /// Append-only, hash-chained JSONL record of every write attempt; `none` keeps no record.
    /// Default: $XDG_STATE_HOME/highlevel-mcp/audit.jsonl (or ~/.local/state/...); in OAuth
    /// mode the grant store (--store) unless this is given. A write is refused when its record
    /// cannot be written.
    #[arg(long, env = "HIGHLEVEL_MCP_AUDIT_LOG", value_name = "PATH")]
    pub audit_log: Option<PathBuf>,

    /// At start-up, remove audit records older than this many days, leaving a checkpoint line
    /// so `audit verify` still checks the rest. Default: keep every record.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_AUDIT_RETENTION_DAYS",
        value_name = "DAYS",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub audit_retention_days: Option<u32>,
}

/// An on/off flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// On.
    On,
    /// Off.
    Off,
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
    /// Whether and how to ask users before gated writes; `None` never asks (`--ask-user-secs 0`,
    /// or confirmation off). `live`: the transport carries server-to-client requests (stdio,
    /// `--sessions`), so 2025-era clients can be asked while the call waits.
    pub fn ask_user(&self, live: bool) -> Option<super::elicit::AskUser> {
        let off =
            self.ask_user_secs == 0 || parse_confirm(&self.confirm).is_ok_and(|r| r.is_empty());
        (!off).then(|| super::elicit::AskUser {
            timeout: Duration::from_secs(self.ask_user_secs),
            live,
        })
    }

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
            audit_retention: self
                .audit_retention_days
                .map(|d| Duration::from_secs(u64::from(d) * 86_400)),
            preflight: self.preflight == Switch::On,
            preflight_budget: super::preflight::DEFAULT_BUDGET,
        })
    }
}
