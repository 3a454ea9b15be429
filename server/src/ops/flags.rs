//! Command-line flags for pacing and metrics, flattened into the `serve` and `stdio` flags.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use limiter::{Backend, Limiter, Limits};

/// How calls are paced to HighLevel's rate limits (`serve` and `stdio`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Rate limit")]
pub struct RateLimitArgs {
    /// Pace calls to HighLevel's per-location limits instead of running into 429s: `memory`
    /// (this process), `redis://host:port[/db]` (shared by replicas) or `off`.
    #[arg(
        long = "rate-limit",
        env = "HIGHLEVEL_MCP_RATE_LIMIT",
        default_value = "memory",
        value_name = "off|memory|redis://...",
        value_parser = clap::builder::ValueParser::new(|s: &str| s.parse::<Backend>()),
        // A Redis URL may carry a password: never print the variable's value in --help.
        hide_env_values = true
    )]
    pub rate_limit: Backend,

    /// Requests allowed per location in any 10 s window (HighLevel's burst limit).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_RATE_LIMIT_BURST",
        default_value_t = 100,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub rate_limit_burst: u32,

    /// Requests allowed per location per UTC day (HighLevel's daily limit).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_RATE_LIMIT_DAILY",
        default_value_t = 200_000,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub rate_limit_daily: u64,

    /// Longest a call waits for a slot, in milliseconds; a call that would wait longer is
    /// answered with an error saying so.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_RATE_LIMIT_MAX_WAIT_MS",
        default_value_t = 60_000,
        value_name = "MS"
    )]
    pub rate_limit_max_wait_ms: u64,
}

impl RateLimitArgs {
    /// The limiter these flags describe.
    pub fn limiter(&self) -> Result<Limiter, String> {
        let limits = Limits {
            burst: self.rate_limit_burst,
            daily: self.rate_limit_daily,
            max_wait: Duration::from_millis(self.rate_limit_max_wait_ms),
            ..Limits::HIGHLEVEL
        };
        Limiter::from_backend(&self.rate_limit, limits).map_err(|e| e.to_string())
    }
}

/// Metrics flags (`serve` only).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Metrics")]
pub struct MetricsArgs {
    /// Serve Prometheus metrics at http://ADDR/metrics, on a listener of its own so the MCP
    /// port (and a load balancer in front of it) never publishes them; e.g. 127.0.0.1:9464.
    /// Off by default.
    #[arg(long, env = "HIGHLEVEL_MCP_METRICS", value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
}

/// `health` flags: what to ask, for a container's health check.
#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// Port of the running server on this host (the same variable `serve` reads).
    #[arg(long, env = "HIGHLEVEL_MCP_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Which check: `/healthz` (the process answers) or `/readyz` (it can reach HighLevel, the
    /// rate limiter's backend and, in OAuth mode, the grant store).
    #[arg(long, default_value = "/healthz", value_parser = ["/healthz", "/readyz"])]
    pub path: String,
}
