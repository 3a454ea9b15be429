//! highlevel-mcp as an MCP authorization server (OAuth 2.1 with the MCP profile).
//!
//! One door: build an [`AuthServer`] from an [`OAuthConfig`], a [`store::Store`] and a
//! [`crypto::StoreKey`], mount [`AuthServer::router`] next to `/mcp`, and call
//! [`AuthServer::verify`] on every MCP request. What it serves:
//!
//! - RFC 9728 protected-resource metadata (`/.well-known/oauth-protected-resource` and the
//!   `/mcp`-suffixed form) and RFC 8414 authorization-server metadata;
//! - client registration by RFC 7591 (`/register`) and by Client ID Metadata Documents;
//! - `/authorize`: the connect page, where a person the operator admits (passphrase or invite
//!   code) pastes a HighLevel Private Integration Token and chooses locations; the token is
//!   checked with HighLevel, sealed, and tied to a grant;
//! - "Sign in with HighLevel" beside it when a marketplace app is configured ([`highlevel`]):
//!   HighLevel's location chooser, the callback, and refreshed per-location tokens per call;
//! - `/token`: authorization code with PKCE S256 (required), refresh with rotation and reuse
//!   detection, RFC 8707 resource checks; `/revoke` (RFC 7009).
//!
//! Our tokens never reach HighLevel and HighLevel's never reach the client: [`verify`] turns an
//! access token into the grant's sealed-at-rest HighLevel token inside the server only.
#![deny(missing_docs)]

pub mod authorize;
pub mod cimd;
pub mod clients;
pub mod crypto;
pub mod error;
pub mod highlevel;
pub mod limit;
pub mod metadata;
mod pages;
pub mod register;
pub mod store;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod token;
pub mod upstream;
pub mod verify;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use crypto::StoreKey;
pub use store::Store;
pub use verify::{Access, Challenge};

/// The scope that lets a client call the tools.
pub const SCOPE_TOOLS: &str = "highlevel";
/// Scopes a client may ask for (`offline_access` is accepted; refresh tokens are always issued).
pub const SCOPES_SUPPORTED: &[&str] = &[SCOPE_TOOLS, "offline_access"];
/// Largest form or JSON body the OAuth endpoints read.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Who may approve a connection on the connect page: at least one must be set.
#[derive(Clone, Default)]
pub struct Gate {
    /// The operator's passphrase.
    pub passphrase: Option<String>,
    /// Invite codes, any of which admits.
    pub invite_codes: Vec<String>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "[redacted]"),
            )
            .field("invite_codes", &self.invite_codes.len())
            .finish()
    }
}

/// Settings of the authorization server.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// The public origin clients reach (`https://mcp.example.com`): the issuer, and with `/mcp`
    /// the resource. No path, no trailing slash.
    pub public_url: String,
    /// HighLevel API base URL, where pasted tokens are checked.
    pub upstream_base: String,
    /// Timeout of that check.
    pub upstream_timeout: Duration,
    /// Who may approve.
    pub gate: Gate,
    /// Pre-filled on the connect page.
    pub default_location: Option<String>,
    /// Accept `http://127.0.0.1` metadata-document client ids (tests and local development only).
    pub allow_loopback_client_metadata: bool,
    /// Access token lifetime.
    pub access_ttl: Duration,
    /// Refresh token lifetime (each rotation starts a new one).
    pub refresh_ttl: Duration,
    /// Authorization code lifetime.
    pub code_ttl: Duration,
    /// Endpoint rate limits.
    pub limits: limit::Limits,
    /// Most dynamically registered clients kept.
    pub max_clients: u64,
    /// The HighLevel marketplace app behind "Sign in with HighLevel"; `None` offers pasting a
    /// Private Integration Token only.
    pub highlevel: Option<highlevel::HighLevelApp>,
}

impl OAuthConfig {
    /// Defaults for `public_url` and `upstream_base`.
    pub fn new(public_url: &str, upstream_base: &str, gate: Gate) -> Result<Self, String> {
        Ok(Self {
            public_url: normalize_public_url(public_url)?,
            upstream_base: upstream_base.trim_end_matches('/').to_owned(),
            upstream_timeout: Duration::from_secs(15),
            gate,
            default_location: None,
            allow_loopback_client_metadata: false,
            access_ttl: Duration::from_secs(3600),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            code_ttl: Duration::from_secs(300),
            limits: limit::Limits::default(),
            max_clients: 10_000,
            highlevel: None,
        })
    }
}

/// Checks and normalizes a public URL: http(s), a host, no path/query/fragment.
pub fn normalize_public_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| {
        format!("--public-url `{text}` is not a URL ({e}); give e.g. https://mcp.example.com")
    })?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(format!(
            "--public-url `{text}` must be an http(s) URL with a host, e.g. https://mcp.example.com"
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "--public-url `{text}` must be an origin without a path (serve the server at the root of its host name), e.g. https://mcp.example.com"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Why the authorization server could not start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The key does not open what the store holds.
    #[error(
        "the store key does not match the key this grant store was created with; start with the original key (--store-key-file or HIGHLEVEL_MCP_STORE_KEY), or move the store aside to start afresh (every connection must then be made again)"
    )]
    WrongKey,
    /// Neither a passphrase nor invite codes.
    #[error(
        "OAuth mode needs someone to decide who may connect: set --auth-passphrase-file (or HIGHLEVEL_MCP_AUTH_PASSPHRASE) or --invite-codes-file"
    )]
    NoGate,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// The authorization server's state, shared by its endpoints and the per-call check.
#[derive(Debug)]
pub struct AuthServer {
    config: OAuthConfig,
    store: Arc<dyn Store>,
    key: StoreKey,
    http: reqwest::Client,
    limiter: limit::Limiter,
    cimd_cache: cimd::Cache,
    access_cache: verify::Cache,
    hl_tokens: highlevel::lifecycle::Tokens,
}

const KEY_CHECK: &str = "key_check";
const KEY_CHECK_PLAIN: &[u8] = b"highlevel-mcp store key check";

impl AuthServer {
    /// Checks the key against the store (sealing a marker on first use) and builds the server.
    pub async fn new(
        config: OAuthConfig,
        store: Arc<dyn Store>,
        key: StoreKey,
    ) -> Result<Arc<Self>, SetupError> {
        if config.gate.passphrase.is_none() && config.gate.invite_codes.is_empty() {
            return Err(SetupError::NoGate);
        }
        let marker = crypto::b64(&key.seal(KEY_CHECK_PLAIN, KEY_CHECK.as_bytes()));
        store.put_meta_if_absent(KEY_CHECK, &marker).await?;
        let stored = store.meta(KEY_CHECK).await?.unwrap_or_default();
        let opens = crypto::unb64(&stored)
            .and_then(|s| key.open(&s, KEY_CHECK.as_bytes()))
            .is_some_and(|p| p == KEY_CHECK_PLAIN);
        if !opens {
            return Err(SetupError::WrongKey);
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.upstream_timeout)
            .build()
            .map_err(|e| store::StoreError(format!("cannot build the HTTP client: {e}")))?;
        Ok(Arc::new(Self {
            config,
            store,
            key,
            http,
            limiter: limit::Limiter::default(),
            cimd_cache: cimd::Cache::default(),
            access_cache: verify::Cache::default(),
            hl_tokens: highlevel::lifecycle::Tokens::default(),
        }))
    }

    /// The settings.
    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The issuer (the public origin).
    pub fn issuer(&self) -> &str {
        &self.config.public_url
    }

    /// The protected resource: `<public url>/mcp`.
    pub fn resource(&self) -> String {
        format!("{}/mcp", self.config.public_url)
    }

    /// Where the resource's metadata is (what the 401 points to).
    pub fn resource_metadata_url(&self) -> String {
        format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            self.config.public_url
        )
    }

    /// The OAuth routes, to merge beside `/mcp` (bodies capped at [`MAX_BODY_BYTES`]).
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route(
                "/.well-known/oauth-protected-resource",
                get(metadata::protected_resource),
            )
            .route(
                "/.well-known/oauth-protected-resource/mcp",
                get(metadata::protected_resource),
            )
            .route(
                "/.well-known/oauth-authorization-server",
                get(metadata::authorization_server),
            )
            .route("/register", post(register::register))
            .route("/authorize", get(authorize::show).post(authorize::decide))
            .route("/token", post(token::token))
            .route("/revoke", post(token::revoke))
            .route(
                highlevel::connect::CALLBACK_PATH,
                get(highlevel::connect::callback),
            )
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(self.clone())
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
