//! Command-line interface: `serve`, `stdio` and `sandbox`, with an environment variable behind
//! every flag so container deployments need no command line.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// An MCP server for the HighLevel CRM: HighLevel's API v2 as MCP tools, self-hosted.
#[derive(Debug, Parser)]
#[command(
    name = "highlevel-mcp",
    version,
    about,
    long_about = "An MCP server for the HighLevel CRM, a self-hostable drop-in for HighLevel's hosted server \
(https://services.leadconnectorhq.com/mcp/): same URL shape (/mcp), same headers (Authorization: Bearer \
<Private Integration Token>, locationId), same tool names (<app>_<operationId>).",
    after_help = "Credentials:\n  \
serve, by default, forwards each client's own `Authorization: Bearer <token>` to HighLevel (header mode).\n  \
Set HIGHLEVEL_TOKEN (or --token-file) to hold one token in the server instead (stdio needs this);\n  \
then --api-key-file makes HTTP clients present a server API key.\n  \
serve --auth oauth makes the server an OAuth authorization server: clients such as claude.ai and\n  \
ChatGPT sign in on its connect page, where a person pastes a Private Integration Token.\n\n\
Examples:\n  \
highlevel-mcp serve                                  # http://127.0.0.1:8080/mcp, header mode\n  \
highlevel-mcp serve --sandbox                        # against the built-in HighLevel emulator\n  \
HIGHLEVEL_TOKEN=pit-... highlevel-mcp stdio --location-id <id>\n  \
highlevel-mcp sandbox --port 9090                    # the emulator alone\n  \
highlevel-mcp keygen --out store.key                 # then: serve --auth oauth --store-key-file store.key"
)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once at start-up: the size of the largest variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over Streamable HTTP at /mcp (both 2025-11-25 and 2026-07-28 clients).
    Serve(ServeArgs),
    /// Serve MCP over stdin/stdout (for clients that start the server themselves).
    Stdio(StdioArgs),
    /// Run the HighLevel API emulator alone (for trying clients or other tools against it).
    Sandbox(SandboxArgs),
    /// Ask the server running on this host for /healthz (exit 0) or not (exit 1): a container
    /// health check that needs no shell or curl in the image.
    Health(crate::ops::flags::HealthArgs),
    /// Make a key for the OAuth grant store (`serve --auth oauth`) and write it to a file.
    Keygen(crate::oauth_mode::KeygenArgs),
    /// List or revoke the OAuth grants in a store (`serve --auth oauth`).
    Grants(crate::oauth_mode::GrantsArgs),
    /// Read the audit log of writes: list, export (JSONL or CSV), verify the hash chain.
    Audit(crate::audit::cli::AuditArgs),
}

/// Flags shared by `serve` and `stdio`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Upstream, credentials and logs")]
pub struct CommonArgs {
    /// Base URL of the HighLevel API (or of anything that speaks it).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_UPSTREAM",
        default_value = "https://services.leadconnectorhq.com",
        value_name = "URL"
    )]
    pub upstream: String,

    /// Location (sub-account) id used when a call gives none (no argument, no `locationId`
    /// header). Several ids, comma-separated (`a,b,c`): the first is the default and calls may
    /// use only these (a `locationId` header or argument naming another is refused).
    #[arg(long, env = "HIGHLEVEL_MCP_LOCATION_ID", value_name = "ID[,ID...]")]
    pub location_id: Option<String>,

    /// File holding the HighLevel token the server uses for every call (server-held mode).
    /// The HIGHLEVEL_TOKEN environment variable does the same.
    #[arg(long, env = "HIGHLEVEL_MCP_TOKEN_FILE", value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Timeout of one upstream request, in milliseconds.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_UPSTREAM_TIMEOUT_MS",
        default_value_t = 30_000,
        value_name = "MS"
    )]
    pub upstream_timeout_ms: u64,

    /// Largest upstream response body accepted, in bytes.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_MAX_UPSTREAM_BYTES",
        default_value_t = 8 * 1024 * 1024,
        value_name = "BYTES"
    )]
    pub max_upstream_bytes: usize,

    /// Log format (logs always go to stderr).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,

    /// Start the built-in HighLevel emulator on a loopback port and use it as the upstream;
    /// any (or no) bearer is accepted and the default location is the emulator's demo location.
    #[arg(long, env = "HIGHLEVEL_MCP_SANDBOX")]
    pub sandbox: bool,

    /// Which tools are served and how.
    #[command(flatten)]
    pub tools: ToolArgs,

    /// Pacing to HighLevel's rate limits.
    #[command(flatten)]
    pub rate_limit: crate::ops::flags::RateLimitArgs,
    /// Confirmation, dry run and audit of writes.
    #[command(flatten)]
    pub safety: crate::gate::cli::SafetyArgs,
}

/// Which tools are served, and how they are listed and answered.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Tools")]
pub struct ToolArgs {
    /// Serve every operation of a folder of HighLevel's official OpenAPI files (the `apps/`
    /// folder of HighLevel's highlevel-api-docs repository, CC0), lowered at start-up; the
    /// compiled-in tools replace their official twins. Without it the compiled-in tools (the
    /// whole API, described in our words) are served.
    #[arg(long, env = "HIGHLEVEL_MCP_OPENAPI", value_name = "DIR")]
    pub openapi: Option<PathBuf>,

    /// Only the tools of these apps, comma-separated (`contacts,calendars,social-media-posting`),
    /// or `all` for every tool. Without --toolsets, --tools or --discovery the server lists the
    /// 36 tools HighLevel's hosted server lists.
    #[arg(long, env = "HIGHLEVEL_MCP_TOOLSETS", value_name = "APPS")]
    pub toolsets: Option<String>,

    /// Only these tools, comma-separated (`contacts_get-contact,calendars_get-calendars`).
    #[arg(long, env = "HIGHLEVEL_MCP_TOOLS", value_name = "NAMES")]
    pub tools: Option<String>,

    /// Serve only read-only tools, whatever --toolsets or --tools say.
    #[arg(long, env = "HIGHLEVEL_MCP_READ_ONLY")]
    pub read_only: bool,

    /// Also serve tools that need an agency-level token (hidden by default).
    #[arg(long, env = "HIGHLEVEL_MCP_AGENCY")]
    pub agency: bool,

    /// List only three meta-tools (search_operations, describe_operation, execute_operation)
    /// instead of every tool schema; every selected tool stays callable through
    /// execute_operation. Keeps the model's context small when hundreds of tools are served.
    #[arg(long, env = "HIGHLEVEL_MCP_DISCOVERY")]
    pub discovery: bool,

    /// `default`: the selected tools (or the meta-tools with --discovery, then also
    /// list_locations, search and fetch); `connector`: only search, fetch and list_locations,
    /// for connectors (ChatGPT and the like) that want just those.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_PROFILE",
        value_enum,
        default_value_t = crate::agency::Profile::Default,
        conflicts_with = "discovery"
    )]
    pub profile: crate::agency::Profile,

    /// Base URL of HighLevel's web app, for the record links `search` and `fetch` return; set
    /// it to your white-label app domain (e.g. https://app.youragency.com).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_APP_URL",
        default_value = crate::agency::DEFAULT_APP_URL,
        value_name = "URL"
    )]
    pub app_url: String,

    /// Longest tool result text, in characters; longer results are cut and end with a
    /// `…[truncated: N of M chars; ...]` marker (and carry no structuredContent).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_MAX_RESULT_CHARS",
        default_value_t = 100_000,
        value_name = "CHARS",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub max_result_chars: u64,
}

/// `serve` flags.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "HTTP")]
pub struct ServeArgs {
    /// Address to listen on. Keep 127.0.0.1 unless a reverse proxy or firewall guards the port.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_BIND",
        default_value = "127.0.0.1",
        value_name = "IP"
    )]
    pub bind: IpAddr,

    /// Port to listen on.
    #[arg(long, env = "HIGHLEVEL_MCP_PORT", default_value_t = 8080)]
    pub port: u16,

    /// File holding the API key HTTP clients must present (`Authorization: Bearer <key>` or
    /// `X-API-Key`); needs a server-held token.
    #[arg(long, env = "HIGHLEVEL_MCP_API_KEY_FILE", value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,

    /// Allowed `Host` header values, comma-separated: `name` or `name:port`; `*` allows any.
    /// Default: localhost, 127.0.0.1, ::1. Add your public host name when serving beyond loopback.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_ALLOWED_HOSTS",
        value_delimiter = ',',
        value_name = "HOSTS"
    )]
    pub allowed_hosts: Vec<String>,

    /// Allowed browser `Origin` values, comma-separated: `https://app.example.com[:port|:*]`;
    /// `*` allows any. Requests without an Origin (non-browser clients) always pass.
    /// Default: `http(s)://localhost`, `127.0.0.1` and `[::1]` on any port.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_ALLOWED_ORIGINS",
        value_delimiter = ',',
        value_name = "ORIGINS"
    )]
    pub allowed_origins: Vec<String>,

    /// Largest accepted MCP request body, in bytes (larger requests get 413).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_MAX_BODY_BYTES",
        default_value_t = 4 * 1024 * 1024,
        value_name = "BYTES"
    )]
    pub max_body_bytes: usize,

    /// Keep 2025-11-25 sessions (Mcp-Session-Id, SSE answers) instead of stateless JSON answers.
    /// Only for clients that require a session id; stateless is faster.
    #[arg(long, env = "HIGHLEVEL_MCP_SESSIONS")]
    pub sessions: bool,

    /// With --sessions: most sessions open at once (new ones get 503 beyond it).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_MAX_SESSIONS",
        default_value_t = 1000,
        value_name = "N"
    )]
    pub max_sessions: usize,

    /// With --sessions: close a session after this many seconds without a request.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_SESSION_IDLE_SECS",
        default_value_t = 600,
        value_name = "SECONDS"
    )]
    pub session_idle_secs: u64,

    /// Most client connections open at once; more wait in the accept queue.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_MAX_CONNECTIONS",
        default_value_t = 4096,
        value_name = "N"
    )]
    pub max_connections: usize,

    /// Seconds a client has to send a request's headers; also how long an idle keep-alive
    /// connection stays open.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_HEADER_TIMEOUT_SECS",
        default_value_t = 10,
        value_name = "SECONDS"
    )]
    pub header_timeout_secs: u64,

    /// Seconds a client has to send a request's body.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_BODY_TIMEOUT_SECS",
        default_value_t = 30,
        value_name = "SECONDS"
    )]
    pub body_timeout_secs: u64,

    /// Prometheus metrics.
    #[command(flatten)]
    pub metrics: crate::ops::flags::MetricsArgs,
    /// OAuth mode (`--auth oauth`) and its flags.
    #[command(flatten)]
    pub oauth: crate::oauth_mode::OAuthArgs,

    /// Flags shared with `stdio`.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `stdio` flags.
#[derive(Debug, Clone, Args)]
pub struct StdioArgs {
    /// Flags shared with `serve`.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `sandbox` flags.
#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_SANDBOX_BIND",
        default_value = "127.0.0.1",
        value_name = "IP"
    )]
    pub bind: IpAddr,
    /// Port to listen on.
    #[arg(long, env = "HIGHLEVEL_MCP_SANDBOX_PORT", default_value_t = 9090)]
    pub port: u16,
    /// Requests allowed per bearer token in each 10 s window, like HighLevel's burst limit; 0
    /// turns the limit off (e.g. for load tests).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_SANDBOX_RATE_LIMIT",
        default_value_t = 100,
        value_name = "N"
    )]
    pub rate_limit: u32,
    /// Delay added to every answer, in milliseconds, to rehearse a slow upstream.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_SANDBOX_LATENCY_MS",
        default_value_t = 0,
        value_name = "MS"
    )]
    pub latency_ms: u64,
    /// Up to this many milliseconds more, varying per answer, so answers take from
    /// --latency-ms to --latency-ms plus this (e.g. 50 and 100 for HighLevel-like 50-150 ms).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_SANDBOX_LATENCY_JITTER_MS",
        default_value_t = 0,
        value_name = "MS"
    )]
    pub latency_jitter_ms: u64,
    /// Fraction of requests (0.0 to 1.0) answered with an injected 500 or 503, to rehearse a
    /// failing upstream.
    #[arg(long, env = "HIGHLEVEL_MCP_SANDBOX_ERROR_RATE", default_value_t = 0.0, value_name = "FRACTION", value_parser = fraction)]
    pub error_rate: f64,
    /// Log format (logs go to stderr).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Parses a fraction from 0.0 to 1.0.
fn fraction(text: &str) -> Result<f64, String> {
    let f: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number; give a fraction such as 0.05"))?;
    if (0.0..=1.0).contains(&f) {
        Ok(f)
    } else {
        Err(format!(
            "{f} is outside 0.0 to 1.0; give a fraction such as 0.05"
        ))
    }
}
