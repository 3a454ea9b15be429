//! `serve`: MCP over Streamable HTTP at `/mcp` and `/mcp/`, plus `GET /healthz`.
//!
//! rmcp's `StreamableHttpService` speaks both protocol eras: a 2025-11-25 client sends
//! `initialize` and then its requests; a 2026-07-28 client sends self-contained requests
//! (`server/discover`, `Mcp-Method` headers). By default the service runs stateless with JSON
//! responses, the fastest shape measured (../shared/notes/rmcp-performance.md) and enough for a server
//! that never sends requests of its own; `--sessions` turns on 2025-11-25 sessions
//! (`Mcp-Session-Id`, SSE) for clients that insist on them. Every accepted socket gets
//! TCP_NODELAY, without which each SSE-framed answer waits about 44 ms for a delayed ACK.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::guard::{self, Allowlists};
use crate::handler::{App, HighLevelMcp};
use crate::jsonrpc;
use crate::listener::{self, ConnLimits};
use crate::sessions::BoundedSessions;

/// How long open requests and streams may run on after a shutdown signal.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// HTTP transport settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Connection bounds (header and body timeouts, open connections).
    pub limits: ConnLimits,
    /// Most `--sessions` sessions open at once.
    pub max_sessions: usize,
    /// A `--sessions` session without a request for this long is closed.
    pub session_idle: Duration,
    /// Address to listen on (port 0 picks a free one).
    pub bind: SocketAddr,
    /// Host and Origin allowlists.
    pub allowlists: Allowlists,
    /// Largest accepted request body, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// Keep 2025-11-25 sessions (`Mcp-Session-Id`, SSE answers) instead of stateless JSON.
    pub sessions: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            limits: ConnLimits::default(),
            max_sessions: 1000,
            session_idle: Duration::from_secs(600),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            allowlists: Allowlists::default(),
            max_body_bytes: 4 * 1024 * 1024,
            sessions: false,
        }
    }
}

/// A running HTTP server.
#[derive(Debug)]
pub struct HttpServer {
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<io::Result<()>>,
}

impl HttpServer {
    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>/mcp`.
    pub fn mcp_url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// Starts a graceful shutdown and waits for open connections to finish.
    pub async fn shutdown(self) -> io::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }

    /// Waits until the server stops (after its shutdown token is cancelled).
    pub async fn wait(self) -> io::Result<()> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(io::Error::other(format!("server task failed: {e}"))),
        }
    }
}

/// The axum router: `/mcp`, `/mcp/` (guarded) and `/healthz`.
///
/// `mcp_stop` ends rmcp's open streams and in-flight handlers; cancel it only after the grace
/// period, since rmcp answers a cancelled in-flight request with an error instead of its result.
pub fn router(
    app: Arc<App>,
    config: &HttpConfig,
    sessions: Arc<BoundedSessions>,
    mcp_stop: &CancellationToken,
) -> Router {
    // Host and Origin are checked by our guard (before credentials, so a rebinding page gets a
    // 403 rather than a hint about tokens); rmcp's own copies of those checks are switched off
    // so there is one rule and one error message.
    let mcp_config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(config.sessions)
        // JSON answers wherever no stream is needed: stateless requests (every 2026-07-28 request,
        // and 2025-11-25 ones unless --sessions) never need one from this server.
        .with_json_response(true)
        .disable_allowed_hosts()
        .disable_allowed_origins()
        .with_max_request_body_bytes(config.max_body_bytes)
        .with_cancellation_token(mcp_stop.child_token());
    let handler_app = app.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(HighLevelMcp::new(handler_app.clone())),
        sessions.clone(),
        mcp_config,
    );
    let guarded = Router::new()
        .route_service("/mcp", mcp.clone())
        .route_service("/mcp/", mcp)
        .layer(axum::middleware::from_fn(jsonrpc::errors_as_jsonrpc))
        .layer(axum::middleware::from_fn_with_state(
            (sessions, config.sessions),
            refuse_when_full,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::check_credentials,
        ))
        // CORS sits outside the credential check: a browser's preflight carries no credentials.
        .layer(cors(&config.allowlists))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(config.allowlists.clone()),
            guard::check_host_origin,
        ));
    let tools = app.tools.len();
    Router::new()
        .route(
            "/healthz",
            get(move || async move {
                axum::Json(serde_json::json!({ "status": "ok", "tools": tools }))
            }),
        )
        .merge(crate::ops::routes(app.clone()))
        .merge(guarded)
        .layer(RequestBodyTimeoutLayer::new(config.limits.body_timeout))
}

/// 503 for a request that would open a session while the cap is reached, before rmcp (whose
/// own refusal would be a 500).
async fn refuse_when_full(
    State((sessions, on)): State<(Arc<BoundedSessions>, bool)>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let opens_session =
        on && req.method() == http::Method::POST && !req.headers().contains_key("mcp-session-id");
    if opens_session && sessions.is_full() {
        return (
            http::StatusCode::SERVICE_UNAVAILABLE,
            [(http::header::RETRY_AFTER, "5")],
            "Service Unavailable: the server holds its maximum number of sessions (--max-sessions); close an idle session (DELETE with its Mcp-Session-Id) or try again shortly",
        )
            .into_response();
    }
    next.run(req).await
}

/// CORS for browser-based clients on allowed origins: preflights are answered, and the MCP
/// headers a client sends or reads are listed.
fn cors(lists: &Allowlists) -> tower_http::cors::CorsLayer {
    use http::{HeaderName, Method};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins = lists.origins.clone();
    let header = |s: &'static str| HeaderName::from_static(s);
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origin
                .to_str()
                .is_ok_and(|o| guard::origin_allowed(o, &origins))
        }))
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            http::header::AUTHORIZATION,
            http::header::CONTENT_TYPE,
            http::header::ACCEPT,
            header("mcp-protocol-version"),
            header("mcp-session-id"),
            header("mcp-method"),
            header("mcp-name"),
            header("last-event-id"),
            header("locationid"),
            header("x-api-key"),
        ])
        .expose_headers([
            header("mcp-session-id"),
            header("mcp-protocol-version"),
            // OAuth mode: browser clients read the 401's resource_metadata pointer.
            http::header::WWW_AUTHENTICATE,
        ])
}

/// Binds and starts serving; returns once the socket is listening.
pub async fn serve(
    app: Arc<App>,
    config: HttpConfig,
    shutdown: CancellationToken,
) -> io::Result<HttpServer> {
    serve_with_routes(app, config, Router::new(), shutdown).await
}

/// [`serve`], plus `extra` routes beside `/mcp` (the OAuth endpoints in `--auth oauth`). They
/// pass the Host check (a rebinding page gets 403) and the body timeout, not the MCP credential
/// check: they are how a client gets credentials.
pub async fn serve_with_routes(
    app: Arc<App>,
    config: HttpConfig,
    extra: Router,
    shutdown: CancellationToken,
) -> io::Result<HttpServer> {
    let listener = TcpListener::bind(config.bind).await.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot listen on {}: {e} (choose another --port or --bind)",
                config.bind
            ),
        )
    })?;
    let addr = listener.local_addr()?;
    let mcp_stop = CancellationToken::new();
    let sessions = Arc::new(BoundedSessions::new(
        config.max_sessions,
        config.session_idle,
    ));
    let hosts_only = Arc::new(Allowlists {
        hosts: config.allowlists.hosts.clone(),
        origins: vec!["*".to_owned()],
    });
    let extra = extra
        .layer(axum::middleware::from_fn_with_state(
            hosts_only,
            guard::check_host_origin,
        ))
        .layer(RequestBodyTimeoutLayer::new(config.limits.body_timeout));
    let router = router(app, &config, sessions.clone(), &mcp_stop).merge(extra);
    // Idle sessions are closed a few times per expiry period.
    let reaper_stop = shutdown.clone();
    let every = (config.session_idle / 4).clamp(Duration::from_secs(1), Duration::from_secs(30));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = reaper_stop.cancelled() => break,
                _ = tokio::time::sleep(every) => {
                    let closed = sessions.reap().await;
                    if closed > 0 {
                        tracing::debug!(closed, "closed idle sessions");
                    }
                }
            }
        }
    });
    // On shutdown the accept loop stops and open requests may finish; after SHUTDOWN_GRACE the
    // rmcp side is cancelled too, which ends session streams (only `--sessions` keeps any) and
    // anything still stuck.
    let token = shutdown.clone();
    let stop = mcp_stop.clone();
    tokio::spawn(async move {
        token.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
        stop.cancel();
    });
    let token = shutdown.clone();
    let limits = config.limits;
    let task = tokio::spawn(async move {
        let result = listener::serve(listener, router, limits, token, SHUTDOWN_GRACE).await;
        mcp_stop.cancel();
        result
    });
    Ok(HttpServer {
        addr,
        shutdown,
        task,
    })
}
