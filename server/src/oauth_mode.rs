//! `serve --auth oauth` and its chores (`keygen`, `grants list|revoke`): the thin layer between
//! the command line, the credentials seam and the `oauth` crate.
//!
//! [`OAuthGrants`] is the seam's [`GrantSource`] for OAuth: it verifies the request's bearer with
//! the authorization server and answers the grant's HighLevel token and locations. [`enable`]
//! builds the authorization server from the flags, swaps it into the [`App`] and returns the
//! OAuth routes to serve beside `/mcp`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use futures::future::BoxFuture;
use http::request::Parts;
use oauth::{AuthServer, Gate, OAuthConfig, StoreKey};

use crate::credentials::{
    Credentials, Grant, GrantSource, LocationTokens, Locations, Rejection, Secret,
};
use crate::guard::Allowlists;
use crate::handler::App;

mod highlevel;

/// How `serve` authenticates MCP clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum AuthMode {
    /// Header mode, or server-held mode when HIGHLEVEL_TOKEN / --token-file is set.
    #[default]
    Token,
    /// The server is an OAuth authorization server; clients sign in on its connect page.
    Oauth,
}

/// OAuth mode flags of `serve`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "OAuth (--auth oauth)")]
pub struct OAuthArgs {
    /// `token`: header or server-held mode (as before); `oauth`: OAuth sign-in for claude.ai,
    /// ChatGPT and other OAuth MCP clients.
    #[arg(long, env = "HIGHLEVEL_MCP_AUTH", value_enum, default_value_t = AuthMode::Token)]
    pub auth: AuthMode,

    /// The public https origin clients reach this server at (behind your TLS proxy), e.g.
    /// https://mcp.example.com; the issuer and the resource `<url>/mcp`. Default:
    /// http://127.0.0.1:<port> (local use only).
    #[arg(long, env = "HIGHLEVEL_MCP_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// Where grants are kept: sqlite:PATH (created when absent), or
    /// postgres://USER:PASSWORD@HOST:PORT/DB, shared by several replicas (the database must
    /// exist; tables are created).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_STORE",
        default_value = "sqlite:highlevel-mcp.db",
        value_name = "SPEC",
        // A Postgres URL may carry a password: never print the variable's value in --help.
        hide_env_values = true
    )]
    pub store: String,

    /// File with the key that encrypts HighLevel tokens in the store (`highlevel-mcp keygen`);
    /// or put the key itself in HIGHLEVEL_MCP_STORE_KEY.
    #[arg(long, env = "HIGHLEVEL_MCP_STORE_KEY_FILE", value_name = "PATH")]
    pub store_key_file: Option<PathBuf>,

    /// File with the passphrase a person must enter on the connect page (or set
    /// HIGHLEVEL_MCP_AUTH_PASSPHRASE).
    #[arg(long, env = "HIGHLEVEL_MCP_AUTH_PASSPHRASE_FILE", value_name = "PATH")]
    pub auth_passphrase_file: Option<PathBuf>,

    /// File of invite codes, one per line; any of them admits on the connect page.
    #[arg(long, env = "HIGHLEVEL_MCP_INVITE_CODES_FILE", value_name = "PATH")]
    pub invite_codes_file: Option<PathBuf>,

    /// Accept http://127.0.0.1 client metadata document URLs as client ids. For tests and
    /// local development only; never on a public server.
    #[arg(long, env = "HIGHLEVEL_MCP_ALLOW_LOOPBACK_CLIENT_METADATA")]
    pub allow_loopback_client_metadata: bool,

    /// "Sign in with HighLevel": the operator's marketplace app.
    #[command(flatten)]
    pub highlevel: highlevel::HighLevelArgs,
}

/// `keygen` flags.
#[derive(Debug, Clone, Args)]
pub struct KeygenArgs {
    /// File to write the key to (created with mode 0600; an existing file is never overwritten).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

/// `grants` flags.
#[derive(Debug, Clone, Args)]
pub struct GrantsArgs {
    /// The store, as for `serve --store` (sqlite:PATH or postgres://...).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_STORE",
        default_value = "sqlite:highlevel-mcp.db",
        value_name = "SPEC",
        global = true,
        hide_env_values = true
    )]
    pub store: String,
    /// What to do.
    #[command(subcommand)]
    pub action: GrantsAction,
}

/// `grants` actions.
#[derive(Debug, Clone, Subcommand)]
pub enum GrantsAction {
    /// List every grant (newest first) with its client, locations and state.
    List,
    /// Revoke a grant: its tokens stop working on their next call.
    Revoke {
        /// The grant id (`g_...`, from `grants list`).
        id: String,
    },
}

/// The OAuth [`GrantSource`].
#[derive(Debug)]
pub struct OAuthGrants {
    server: Arc<AuthServer>,
}

impl OAuthGrants {
    /// Wraps an authorization server.
    pub fn new(server: Arc<AuthServer>) -> Self {
        Self { server }
    }
}

impl GrantSource for OAuthGrants {
    fn resolve<'a>(
        &'a self,
        parts: Option<&'a Parts>,
        _default_location: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Grant, Rejection>> {
        Box::pin(async move {
            let header = parts
                .and_then(|p| p.headers.get(http::header::AUTHORIZATION))
                .and_then(|v| v.to_str().ok());
            let access = self.server.verify(header).await.map_err(|c| Rejection {
                status: c.status,
                message: c.message,
                www_authenticate: (!c.www_authenticate.is_empty()).then_some(c.www_authenticate),
            })?;
            let locations = Locations {
                allowed: Some(access.locations.clone()),
                default: access.default_location.clone(),
            };
            // A `locationId` header picks among the grant's locations; any other is refused
            // before a tool runs.
            let default = match crate::credentials::header_location(parts) {
                Some(h) => {
                    locations.admit(h).map_err(|m| Rejection {
                        status: http::StatusCode::FORBIDDEN,
                        message: format!("Forbidden: {m}"),
                        www_authenticate: None,
                    })?;
                    Some(h.to_owned())
                }
                None => locations.default.clone(),
            };
            let token = Secret::new(&access.upstream_token).ok_or_else(|| {
                Rejection::unauthorized(
                    "Unauthorized: this connection holds no HighLevel token; connect again",
                )
            })?;
            let tokens: Option<Arc<dyn LocationTokens>> =
                access.upstream_kind.starts_with("hl-").then(|| {
                    Arc::new(highlevel::HlTokens::new(
                        self.server.clone(),
                        access.grant_id.clone(),
                    )) as Arc<dyn LocationTokens>
                });
            Ok(Grant {
                token,
                tokens,
                locations: Locations {
                    default,
                    ..locations
                },
                principal: format!("oauth:{}", access.grant_id),
            })
        })
    }

    fn label(&self) -> &'static str {
        "oauth (clients sign in on the connect page)"
    }
}

pub(crate) fn read_trimmed(path: &Path, what: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    Ok(text.trim().to_owned())
}

fn gate(args: &OAuthArgs) -> anyhow::Result<Gate> {
    let mut passphrase = match &args.auth_passphrase_file {
        Some(p) => Some(read_trimmed(p, "passphrase")?),
        None => None,
    };
    if passphrase.is_none() {
        passphrase = std::env::var("HIGHLEVEL_MCP_AUTH_PASSPHRASE").ok();
    }
    let passphrase = passphrase
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty());
    if passphrase.as_ref().is_some_and(|p| p.chars().count() < 8) {
        bail!("the connect-page passphrase must be at least 8 characters (a few words is best)");
    }
    let invite_codes = match &args.invite_codes_file {
        Some(p) => read_trimmed(p, "invite codes")?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    };
    if invite_codes.iter().any(|c: &String| c.chars().count() < 8) {
        bail!("every invite code must be at least 8 characters");
    }
    Ok(Gate {
        passphrase,
        invite_codes,
    })
}

/// Turns `app` into an OAuth resource server: builds the authorization server from `args`,
/// swaps the credentials, lets the public host through the Host check, and returns the routes
/// to serve beside `/mcp`. `sandbox` says the upstream is the built-in emulator;
/// `audit_in_store` sends the audit records to the store.
pub async fn enable(
    args: &OAuthArgs,
    app: &mut App,
    port: u16,
    allowlists: &mut Allowlists,
    sandbox: bool,
    audit_in_store: bool,
) -> anyhow::Result<axum::Router> {
    if !sandbox && !matches!(app.credentials, Credentials::Forward) {
        bail!(
            "--auth oauth takes each connection's HighLevel token from the connect page: unset HIGHLEVEL_TOKEN, --token-file and --api-key-file"
        );
    }
    let public_url = match &args.public_url {
        Some(u) => u.clone(),
        None if port == 0 => bail!("--auth oauth with --port 0 needs --public-url"),
        None => format!("http://127.0.0.1:{port}"),
    };
    let key = StoreKey::load(args.store_key_file.as_deref())?;
    let mut config = OAuthConfig::new(&public_url, app.upstream.base_url(), gate(args)?)
        .map_err(anyhow::Error::msg)?;
    // The connect page starts with the server's location list (`--location-id a,b`), or its one
    // default; a grant may hold several, so list_locations is listed too.
    config.default_location = match &app.agency.allowed {
        Some(list) => Some(list.join(", ")),
        None => app.default_location_id.clone(),
    };
    app.agency.several = true;
    config.allow_loopback_client_metadata = args.allow_loopback_client_metadata;
    config.highlevel = args.highlevel.app(app.upstream.base_url(), sandbox)?;
    if args.allow_loopback_client_metadata {
        tracing::warn!(
            "--allow-loopback-client-metadata is on: for tests and local development only"
        );
    }
    if config.public_url.starts_with("http://") && !public_host_is_loopback(&config.public_url) {
        tracing::warn!(public_url = %config.public_url, "the public URL is plain http: tokens would cross the network unencrypted; put TLS in front and use https");
    }
    let store = oauth::store::open(&args.store).await?;
    app.ops.store = Some(store.clone());
    if audit_in_store {
        let log =
            crate::audit::AuditLog::in_store(store.clone(), oauth::store::describe(&args.store));
        tracing::info!(audit = %log.describe(), "audit records go to the grant store");
        app.safety.set_audit(log);
    }
    let server = AuthServer::new(config, store, key).await?;
    if let Ok(url) = url::Url::parse(server.issuer())
        && let Some(host) = url.host_str()
        && !allowlists.hosts.iter().any(|h| h == "*" || h == host)
    {
        allowlists.hosts.push(host.to_owned());
    }
    tracing::info!(
        issuer = %server.issuer(),
        resource = %server.resource(),
        store = %oauth::store::describe(&args.store),
        "OAuth mode: clients sign in at {}/authorize",
        server.issuer()
    );
    app.credentials = Credentials::External(Arc::new(OAuthGrants::new(server.clone())));
    Ok(server.router())
}

fn public_host_is_loopback(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .is_some_and(|u| matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
}

/// `highlevel-mcp keygen --out PATH`.
pub fn keygen(args: &KeygenArgs) -> anyhow::Result<()> {
    let (_, text) = StoreKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&args.out).with_context(|| {
        format!(
            "cannot create {} (an existing key is never overwritten: losing it makes every stored connection unreadable)",
            args.out.display()
        )
    })?;
    std::io::Write::write_all(&mut file, format!("{text}\n").as_bytes())?;
    eprintln!(
        "wrote a new store key to {} (readable by you only). Start the server with --store-key-file {} and keep a backup: without it the grants in the store cannot be used.",
        args.out.display(),
        args.out.display()
    );
    Ok(())
}

/// `highlevel-mcp grants list|revoke`.
pub async fn grants(args: &GrantsArgs) -> anyhow::Result<()> {
    let store = oauth::store::open(&args.store).await?;
    let now = oauth::now();
    match &args.action {
        GrantsAction::List => {
            let all = store.grants(now).await?;
            if all.is_empty() {
                println!("no grants in {}", oauth::store::describe(&args.store));
                return Ok(());
            }
            println!(
                "{:<26} {:<12} {:<20} {:<24} {:>6}  client",
                "grant", "state", "created (UTC)", "locations", "tokens"
            );
            for s in all {
                let g = &s.grant;
                let state = if g.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:<26} {:<12} {:<20} {:<24} {:>6}  {} ({})",
                    g.id,
                    state,
                    utc(g.created_at),
                    g.locations.join(","),
                    s.live_access_tokens,
                    g.client_name,
                    g.client_id
                );
                if let Some(reason) = &g.revoked_reason {
                    println!(
                        "{:<26} revoked {}: {reason}",
                        "",
                        g.revoked_at.map(utc).unwrap_or_default()
                    );
                }
            }
        }
        GrantsAction::Revoke { id } => {
            if store
                .revoke_grant(id, "revoked by the operator", now)
                .await?
            {
                println!("revoked {id}: its tokens stop working on their next call");
            } else {
                bail!(
                    "no active grant `{id}` in {} (see `highlevel-mcp grants list`)",
                    oauth::store::describe(&args.store)
                );
            }
        }
    }
    Ok(())
}

/// `YYYY-MM-DD HH:MM:SS` for Unix seconds (UTC): the audit log's date formatting, shortened.
fn utc(secs: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0).unsigned_abs());
    crate::audit::rfc3339(t)[..19].replacen('T', " ", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_795_392_000), "2026-11-23 00:00:00");
        assert_eq!(utc(951_825_599), "2000-02-29 11:59:59");
    }
}
