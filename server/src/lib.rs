//! `highlevel-mcp`: an MCP server for the HighLevel CRM.
//!
//! The binary is a thin shell over this library so tests and benchmarks can start the server in
//! the same process: build a [`ServedTools`] from any list of tool definitions, wrap it with an
//! [`Upstream`] client and [`Credentials`] (the credentials seam) into an [`App`], then serve it with
//! [`http::serve`] (Streamable HTTP) or [`stdio::serve`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use server::{App, ServedTools, Credentials, UpstreamConfig, http};
//!
//! let app = App::new(
//!     ServedTools::generated()?,
//!     UpstreamConfig { base_url: "http://127.0.0.1:9090".into(), ..Default::default() },
//!     Credentials::Forward,
//!     None,
//! )?;
//! let config = http::HttpConfig { bind: "127.0.0.1:0".parse()?, ..Default::default() };
//! let server = http::serve(Arc::new(app), config, Default::default()).await?;
//! println!("MCP at {}", server.mcp_url());
//! server.shutdown().await?;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod agency;
pub mod audit;
pub mod cli;
pub mod compact;
pub mod credentials;
pub mod discovery;
pub mod gate;
pub mod guard;
pub mod handler;
pub mod http;
pub mod jsonrpc;
pub mod listener;
pub mod oauth_mode;
pub mod ops;
pub mod served;
pub mod sessions;
pub mod sources;
pub mod stdio;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use tokio_util::sync::CancellationToken;

pub use credentials::{Credentials, Grant, GrantSource, Locations, Rejection, Secret};
pub use handler::{App, HighLevelMcp};
pub use served::ServedTools;
pub use upstream::{RetryPolicy, Upstream, UpstreamConfig};

use cli::{Cli, Command, CommonArgs, LogFormat};

/// Installs the global tracing subscriber: stderr only (stdout belongs to the stdio transport),
/// text or JSON, filtered by `RUST_LOG` (default `info`, rmcp's chatter at `warn`).
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn,hyper=warn,reqwest=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: logs sent to a file or a collector stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Resolves the token and the credential mode from the environment and flags.
fn resolve_token(common: &CommonArgs) -> anyhow::Result<Option<Secret>> {
    let from_env = std::env::var("HIGHLEVEL_TOKEN").ok().and_then(Secret::new);
    let from_file = match &common.token_file {
        Some(path) => Some(Secret::from_file(path).map_err(anyhow::Error::msg)?),
        None => None,
    };
    match (from_env, from_file) {
        (Some(_), Some(_)) => bail!(
            "both HIGHLEVEL_TOKEN and --token-file are set; keep one so it is clear which token is used"
        ),
        (a, b) => Ok(a.or(b)),
    }
}

fn upstream_config(common: &CommonArgs, base_url: String) -> UpstreamConfig {
    UpstreamConfig {
        base_url,
        timeout: Duration::from_millis(common.upstream_timeout_ms.max(1)),
        max_response_bytes: common.max_upstream_bytes,
        retry: RetryPolicy::default(),
    }
}

/// A token the server sends to the sandbox, which accepts any bearer.
const SANDBOX_TOKEN: &str = "sandbox-token";

async fn start_sandbox(oauth: Option<sandbox::OAuthApp>) -> anyhow::Result<sandbox::Sandbox> {
    // Dated around this week, so "this week's appointments" finds some on a first run.
    let config = sandbox::SandboxConfig {
        oauth,
        ..sandbox::SandboxConfig::default().anchored_to_current_week()
    };
    let sb = sandbox::Sandbox::start(config)
        .await
        .map_err(|e| anyhow::anyhow!("cannot start the sandbox on a loopback port: {e}"))?;
    tracing::info!(
        upstream = %sb.base_url(),
        location_id = sandbox::DEMO_LOCATION_ID,
        "sandbox started: calls go to the built-in HighLevel emulator, not to HighLevel"
    );
    Ok(sb)
}

/// Runs the parsed command line until it finishes or a shutdown signal arrives.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    match cli.command {
        Command::Serve(mut args) => {
            let audit_in_store = audit_goes_to_store(&mut args)?;
            let sandbox_oauth = args.oauth.highlevel.sandbox_app(args.oauth.auth)?;
            let (mut app, sandbox) = build_app(
                &args.common,
                args.api_key_file.as_deref(),
                true,
                sandbox_oauth,
            )
            .await?;
            let mut allowlists = guard::Allowlists::default();
            if !args.allowed_hosts.is_empty() {
                allowlists.hosts = args.allowed_hosts.clone();
            }
            if !args.allowed_origins.is_empty() {
                allowlists.origins = args.allowed_origins.clone();
            }
            let oauth_routes = match args.oauth.auth {
                oauth_mode::AuthMode::Token => axum::Router::new(),
                oauth_mode::AuthMode::Oauth => {
                    oauth_mode::enable(
                        &args.oauth,
                        &mut app,
                        args.port,
                        &mut allowlists,
                        sandbox.is_some(),
                        audit_in_store,
                    )
                    .await?
                }
            };
            let config = http::HttpConfig {
                bind: SocketAddr::new(args.bind, args.port),
                allowlists,
                max_body_bytes: args.max_body_bytes,
                sessions: args.sessions,
                limits: listener::ConnLimits {
                    max_connections: args.max_connections.max(1),
                    header_timeout: Duration::from_secs(args.header_timeout_secs.max(1)),
                    body_timeout: Duration::from_secs(args.body_timeout_secs.max(1)),
                },
                max_sessions: args.max_sessions.max(1),
                session_idle: Duration::from_secs(args.session_idle_secs.max(1)),
            };
            if !args.bind.is_loopback() && app.credentials.is_open_server_token() {
                tracing::warn!(
                    bind = %args.bind,
                    "serving a server-held token beyond loopback without --api-key-file: anyone who reaches this port acts with that token"
                );
            }
            if !args.bind.is_loopback() && args.allowed_hosts.is_empty() {
                tracing::warn!(
                    bind = %args.bind,
                    "listening beyond loopback, but --allowed-hosts still allows only localhost, 127.0.0.1 and ::1: clients reaching this server by any other name or address get 403; set --allowed-hosts to the names they use"
                );
            }
            // Only sessions carry a live question's answer back to this request (gate::elicit).
            app.elicitation = args.common.safety.ask_user(args.sessions);
            let mode = app.credentials.label();
            let app = Arc::new(app);
            let upstream = app.upstream.base_url().to_owned();
            let tools = app.tools.len();
            let discovery = app.discovery.is_some();
            let rate_limit = app.ops.limiter.backend_name();
            let metrics = match args.metrics.metrics {
                Some(bind) => {
                    let m = ops::serve_metrics(app.ops.metrics.clone(), bind, shutdown.clone());
                    Some(m.await?)
                }
                None => None,
            };
            let server = http::serve_with_routes(app, config, oauth_routes, shutdown).await?;
            tracing::info!(
                url = %server.mcp_url(),
                upstream = %upstream,
                tools,
                discovery,
                credentials = mode,
                rate_limit,
                metrics = ?metrics.as_ref().map(|m| format!("http://{}/metrics", m.local_addr())),
                "highlevel-mcp listening"
            );
            server.wait().await?;
            if let Some(m) = metrics {
                m.wait().await?;
            }
            if let Some(sb) = sandbox {
                sb.shutdown().await;
            }
            tracing::info!("highlevel-mcp stopped");
            Ok(())
        }
        Command::Stdio(args) => {
            let (mut app, sandbox) = build_app(&args.common, None, false, None).await?;
            app.elicitation = args.common.safety.ask_user(true);
            tracing::info!(
                upstream = %app.upstream.base_url(),
                tools = app.tools.len(),
                discovery = app.discovery.is_some(),
                rate_limit = app.ops.limiter.backend_name(),
                "highlevel-mcp serving on stdio"
            );
            stdio::serve(Arc::new(app), shutdown).await?;
            if let Some(sb) = sandbox {
                sb.shutdown().await;
            }
            Ok(())
        }
        Command::Health(args) => ops::health::check(&args).await,
        Command::Keygen(args) => oauth_mode::keygen(&args),
        Command::Grants(args) => oauth_mode::grants(&args).await,
        Command::Audit(args) => {
            print!(
                "{}",
                audit::cli::run(&args).await.map_err(anyhow::Error::msg)?
            );
            Ok(())
        }
        Command::Sandbox(args) => {
            let addr = SocketAddr::new(args.bind, args.port);
            let config = sandbox::SandboxConfig {
                rate_limit: (args.rate_limit > 0).then(|| sandbox::RateLimit {
                    max: args.rate_limit,
                    window: std::time::Duration::from_secs(10),
                }),
                latency: std::time::Duration::from_millis(args.latency_ms),
                latency_jitter: std::time::Duration::from_millis(args.latency_jitter_ms),
                error_rate: args.error_rate,
                ..sandbox::SandboxConfig::default().anchored_to_current_week()
            };
            let sb = sandbox::Sandbox::start_on(addr, config)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("cannot listen on {addr}: {e} (choose another --port)")
                })?;
            tracing::info!(
                url = %sb.base_url(),
                location_id = sandbox::DEMO_LOCATION_ID,
                "HighLevel sandbox listening; any bearer token is accepted"
            );
            shutdown.cancelled().await;
            sb.shutdown().await;
            Ok(())
        }
    }
}

/// The tool selection the flags ask for. With neither `--toolsets` nor `--tools` (nor
/// `--discovery`, which makes every tool reachable by search) the default is the tools
/// HighLevel's hosted server lists; `--toolsets all` serves every tool.
fn selection_from(tools: &cli::ToolArgs) -> ::catalog::Selection {
    let toolsets = ::catalog::Selection::parse_list(tools.toolsets.as_deref());
    let names = ::catalog::Selection::parse_list(tools.tools.as_deref());
    let everything = toolsets.as_ref().is_some_and(|s| s.contains("all"));
    let toolsets = if everything { None } else { toolsets };
    let names = match (&toolsets, names) {
        (None, None) if !everything && !tools.discovery => Some(
            generated::hosted()
                .iter()
                .map(|n| (*n).to_owned())
                .collect(),
        ),
        (_, names) => names,
    };
    ::catalog::Selection {
        toolsets,
        tools: names,
        read_only: tools.read_only,
        agency: tools.agency,
    }
}

/// Builds the [`App`] for `serve` (`http` true) or `stdio` from the flags.
async fn build_app(
    common: &CommonArgs,
    api_key_file: Option<&std::path::Path>,
    http: bool,
    sandbox_oauth: Option<sandbox::OAuthApp>,
) -> anyhow::Result<(App, Option<sandbox::Sandbox>)> {
    let tools = &common.tools;
    let selection = selection_from(tools);
    let defs = sources::load(tools.openapi.as_deref(), &selection).map_err(anyhow::Error::msg)?;
    let served = ServedTools::new(defs).map_err(anyhow::Error::msg)?;
    let api_key = match api_key_file {
        Some(p) => Some(Secret::from_file(p).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let mut token = resolve_token(common)?;
    let location_ids = match common
        .location_id
        .as_deref()
        .filter(|l| !l.trim().is_empty())
    {
        Some(text) => agency::parse_location_ids(text).map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };
    let mut location = location_ids.first().cloned();
    let mut base_url = common.upstream.clone();
    let sandbox = if common.sandbox {
        let sb = start_sandbox(sandbox_oauth).await?;
        base_url = sb.base_url();
        location = location.or_else(|| Some(sandbox::DEMO_LOCATION_ID.to_owned()));
        // The sandbox accepts any bearer; the server holds a dummy one so clients need none.
        token = Secret::new(SANDBOX_TOKEN);
        Some(sb)
    } else {
        None
    };
    let credentials = match (token, api_key) {
        (Some(token), api_key) => Credentials::ServerHeld { token, api_key },
        (None, Some(_)) => bail!(
            "--api-key-file needs a server-held HighLevel token: set HIGHLEVEL_TOKEN or --token-file (in header mode clients send their own token)"
        ),
        (None, None) if http => Credentials::Forward,
        (None, None) => bail!(
            "stdio needs a HighLevel token: set HIGHLEVEL_TOKEN or --token-file (a Private Integration Token), or use --sandbox"
        ),
    };
    let upstream = Upstream::new(upstream_config(common, base_url)).map_err(anyhow::Error::msg)?;
    let mut app = App {
        tools: served,
        upstream,
        credentials,
        default_location_id: location,
        discovery: None,
        max_result_chars: handler::DEFAULT_MAX_RESULT_CHARS,
        ops: ops::Ops::new(common.rate_limit.limiter().map_err(anyhow::Error::msg)?),
        safety: gate::Safety::default(),
        agency: agency::Agency::new(&location_ids, tools.profile, Some(&tools.app_url))
            .map_err(anyhow::Error::msg)?,
        elicitation: None,
    }
    .with_max_result_chars(usize::try_from(tools.max_result_chars).unwrap_or(usize::MAX))
    .with_safety(
        common
            .safety
            .config()
            .and_then(gate::Safety::new)
            .map_err(anyhow::Error::msg)?,
    );
    if tools.discovery {
        app = app.with_discovery();
    }
    Ok((app, sandbox))
}

/// Where `serve` keeps the audit: in OAuth mode the grant store, unless `--audit-log` names a
/// file (or `none`); true when it is the store. The file is then switched off here, so it is
/// not created, and the store is attached once open ([`oauth_mode::enable`]).
fn audit_goes_to_store(args: &mut cli::ServeArgs) -> anyhow::Result<bool> {
    let safety = &mut args.common.safety;
    if !matches!(args.oauth.auth, oauth_mode::AuthMode::Oauth) || safety.audit_log.is_some() {
        return Ok(false);
    }
    if safety.audit_retention_days.is_some() {
        anyhow::bail!(
            "--audit-retention-days prunes an audit file, and in OAuth mode the audit records go to the grant store, which keeps them all: drop --audit-retention-days, or add --audit-log PATH to keep the audit in a file"
        );
    }
    safety.audit_log = Some(std::path::PathBuf::from("none"));
    Ok(true)
}

fn spawn_signal_handler(shutdown: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for SIGTERM");
                        let _ = tokio::signal::ctrl_c().await;
                        shutdown.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown signal received; finishing open requests");
        shutdown.cancel();
    });
}
