//! The store: clients, grants, authorization codes and tokens behind one trait, [`Store`], with
//! two backends: the embedded SQLite default ([`SqliteStore`]) and Postgres ([`PostgresStore`]),
//! which several replicas share. Both run the same queries (`sql.rs`); [`open`] picks one from
//! the `--store` value.
//!
//! What the store may hold is fixed here: our own tokens and codes only as SHA-256 hex
//! ([`crate::crypto::token_hash`]), HighLevel secrets only sealed with the store key. One-time
//! values (codes, refresh tokens) are consumed with a single conditional `UPDATE`, so two racing
//! requests can never both succeed, whichever backend runs it.

mod migrations;
mod postgres;
mod sql;
mod sqlite;

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// A store failure (the database is unreachable, full, or holds something unexpected).
#[derive(Debug, thiserror::Error)]
#[error("grant store: {0}")]
pub struct StoreError(pub String);

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self(e.to_string())
    }
}

/// Store result.
pub type StoreResult<T> = Result<T, StoreError>;

/// The `prev` of the first audit record: what [`Store::append_audit`] hands the maker when the
/// audit table is empty.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Makes the next audit record from the chain's end: given the previous record's hash (or
/// [`AUDIT_GENESIS`]) and the new record's seq, returns the record's line and its hash. The
/// caller owns the line format; the store only keeps the chain in order.
pub type AuditMaker<'a> = &'a (dyn Fn(&str, u64) -> (String, String) + Send + Sync);

/// A registered client (dynamic registration; metadata-document clients are not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// Our client id.
    pub client_id: String,
    /// Shown on the connect page.
    pub client_name: String,
    /// Exact redirect URIs (loopback ones match on any port).
    pub redirect_uris: Vec<String>,
    /// `none`, `client_secret_post` or `client_secret_basic`.
    pub auth_method: String,
    /// SHA-256 of the client secret, for confidential clients.
    pub secret_hash: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// A grant: one user's consent for one client, tied to HighLevel credentials and locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    /// Grant id (`g_...`).
    pub id: String,
    /// The client it was given to.
    pub client_id: String,
    /// The client's name at consent time.
    pub client_name: String,
    /// The protected resource (audience) its tokens are for.
    pub resource: String,
    /// Space-separated scopes.
    pub scope: String,
    /// Location ids the grant may use.
    pub locations: Vec<String>,
    /// The location used when a call names none.
    pub default_location: Option<String>,
    /// What the sealed secret is: `pit` (a pasted Private Integration Token), `hl-location` or
    /// `hl-company` (HighLevel marketplace OAuth tokens, see [`crate::highlevel`]).
    pub upstream_kind: String,
    /// The HighLevel credential, sealed with the store key (bound to the grant id).
    pub upstream_secret: Vec<u8>,
    /// Bumped by every [`Store::swap_upstream_secret`]; 0 for a grant never rotated.
    pub upstream_version: i64,
    /// When the sealed HighLevel access token expires (Unix seconds); `None` for PITs.
    pub upstream_expires_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    /// When revoked, Unix seconds.
    pub revoked_at: Option<i64>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
}

/// An authorization code (stored by hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    /// SHA-256 hex of the code.
    pub code_hash: String,
    /// The grant it was issued for.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI of the authorization request.
    pub redirect_uri: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// The resource of the authorization request.
    pub resource: String,
    /// Granted scopes.
    pub scope: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// Set when redeemed.
    pub used_at: Option<i64>,
}

/// Access or refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Sent on every MCP call.
    Access,
    /// Exchanged at /token for a new pair; single use.
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// One of our tokens (stored by hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// SHA-256 hex of the token.
    pub token_hash: String,
    /// Its grant.
    pub grant_id: String,
    /// Access or refresh.
    pub kind: TokenKind,
    /// The client it was issued to.
    pub client_id: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Refresh tokens: when exchanged.
    pub used_at: Option<i64>,
    /// When revoked.
    pub revoked_at: Option<i64>,
}

/// The outcome of consuming a one-time value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed<T> {
    /// It was unused and is now used: go on.
    Fresh(T),
    /// It had been used before: a replay (revoke what it issued).
    Replayed(T),
    /// No such value.
    Unknown,
}

/// A grant with the counts `grants list` shows.
#[derive(Debug, Clone)]
pub struct GrantSummary {
    /// The grant.
    pub grant: GrantRecord,
    /// Access tokens neither expired nor revoked.
    pub live_access_tokens: u64,
}

/// Where clients, grants, codes and tokens live. Every method is one short transaction.
#[async_trait]
pub trait Store: Send + Sync + Debug {
    /// A value of the store's own bookkeeping (e.g. the key check).
    async fn meta(&self, key: &str) -> StoreResult<Option<String>>;
    /// Sets a bookkeeping value unless one is already there.
    async fn put_meta_if_absent(&self, key: &str, value: &str) -> StoreResult<()>;

    /// Adds a registered client.
    async fn put_client(&self, client: &ClientRecord) -> StoreResult<()>;
    /// A registered client by id.
    async fn client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>>;
    /// How many clients are registered (registration is capped).
    async fn client_count(&self) -> StoreResult<u64>;

    /// Adds a grant.
    async fn put_grant(&self, grant: &GrantRecord) -> StoreResult<()>;
    /// A grant by id.
    async fn grant(&self, id: &str) -> StoreResult<Option<GrantRecord>>;
    /// Every grant, newest first, with live token counts.
    async fn grants(&self, now: i64) -> StoreResult<Vec<GrantSummary>>;
    /// Replaces a live grant's sealed HighLevel secret and its expiry, and bumps its version, if
    /// the version is still `expected_version` (compare-and-swap). False when another writer
    /// (another call, another replica) swapped first or the grant is revoked or gone: reread it.
    async fn swap_upstream_secret(
        &self,
        grant_id: &str,
        expected_version: i64,
        new_sealed: &[u8],
        new_expiry: Option<i64>,
    ) -> StoreResult<bool>;
    /// Revokes a grant and every token it issued; false when there is no such live grant.
    async fn revoke_grant(&self, id: &str, reason: &str, now: i64) -> StoreResult<bool>;

    /// Adds an authorization code.
    async fn put_code(&self, code: &CodeRecord) -> StoreResult<()>;
    /// Marks a code used, atomically.
    async fn consume_code(&self, code_hash: &str, now: i64) -> StoreResult<Consumed<CodeRecord>>;

    /// Adds a token.
    async fn put_token(&self, token: &TokenRecord) -> StoreResult<()>;
    /// A token by hash.
    async fn token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>>;
    /// An access token with its grant: the per-call lookup.
    async fn access(&self, token_hash: &str) -> StoreResult<Option<(TokenRecord, GrantRecord)>>;
    /// Marks a refresh token used, atomically (rotation).
    async fn consume_refresh(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Consumed<TokenRecord>>;
    /// Revokes one token.
    async fn revoke_token(&self, token_hash: &str, now: i64) -> StoreResult<()>;

    /// Appends one audit record, made by `make` from the chain's end, and returns its seq. One
    /// transaction that holds out every other appender (every process) from reading the end
    /// until it commits, so records sharing a store form one gapless chain.
    async fn append_audit(&self, time: &str, make: AuditMaker<'_>) -> StoreResult<u64>;
    /// Up to `limit` audit records with seq above `after_seq`, in seq order: `(seq, line)`.
    async fn audit_lines(&self, after_seq: u64, limit: u32) -> StoreResult<Vec<(u64, String)>>;

    /// A number that changes whenever a grant or token is revoked, by this process or another
    /// (`grants revoke` runs in its own process). Read on every MCP call, so it must cost no
    /// query: the per-call check caches what it looked up and trusts the cache only while this
    /// stays the same.
    fn revocation_stamp(&self) -> u64;
}

/// Opens a store from a `--store` value: `sqlite:PATH` (created when absent) or
/// `postgres://USER:PASSWORD@HOST:PORT/DB` (`postgresql://` too; the database must exist).
/// Migrations run either way.
pub async fn open(spec: &str) -> StoreResult<Arc<dyn Store>> {
    if let Some(path) = spec.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(StoreError(
                "--store sqlite: needs a file path, e.g. --store sqlite:./highlevel-mcp.db".into(),
            ));
        }
        return Ok(Arc::new(
            SqliteStore::open(std::path::Path::new(path)).await?,
        ));
    }
    if is_postgres(spec) {
        return Ok(Arc::new(PostgresStore::open(spec).await?));
    }
    Err(StoreError(format!(
        "unsupported --store `{}`: use sqlite:PATH (e.g. sqlite:./highlevel-mcp.db) or postgres://USER:PASSWORD@HOST:PORT/DATABASE",
        describe(spec)
    )))
}

fn is_postgres(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// A `--store` value fit for logs and messages: a Postgres URL without its password (and
/// without query parameters, which may carry one); anything else with everything after an
/// `@` hidden, in case it is a URL with credentials.
pub fn describe(spec: &str) -> String {
    if is_postgres(spec) {
        return match postgres::parse_url(spec) {
            Ok(options) => postgres::describe(&options),
            Err(_) => "postgres://<unparsable URL>".into(),
        };
    }
    if spec.starts_with("sqlite:") {
        return spec.to_owned();
    }
    match spec.split_once("://") {
        Some((scheme, _)) => format!("{scheme}://<hidden>"),
        None => spec.to_owned(),
    }
}
