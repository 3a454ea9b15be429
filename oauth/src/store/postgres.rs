//! The shared store for replicas: PostgreSQL (`--store postgres://…`). The queries are the ones
//! SQLite runs (`sql.rs`); what is Postgres's own is connecting (with errors that never show the
//! password), its migration list, and how replicas learn of a revocation.
//!
//! Revocations: every revoking transaction runs `pg_notify` on [`CHANNEL`], which Postgres
//! delivers to every listening session when (and only if) the transaction commits. Each store
//! keeps one listening connection in a background task and bumps an in-memory counter on each
//! notification, so reading the stamp on an MCP call costs no query. If the listening
//! connection drops, notifications sent meanwhile are lost, so the task bumps the counter on
//! every reconnect and error too: caches are then dropped, never trusted past a revocation.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};

use super::{StoreError, StoreResult};

/// The NOTIFY channel revocations are announced on.
pub const CHANNEL: &str = "highlevel_mcp_revocations";

/// How long connecting (and taking a pooled connection) may take before the store gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The advisory lock key appenders of the audit chain take (`pg_advisory_xact_lock`); any
/// constant works as long as every highlevel-mcp uses the same one ("HLMCPAUD" in ASCII).
const AUDIT_LOCK: i64 = 0x484C_4D43_5041_5544;

/// Pause before the listener tries again after an error, so an outage does not spin.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// PostgreSQL-backed [`Store`](super::Store).
#[derive(Debug)]
pub struct PostgresStore {
    pool: PgPool,
    /// Bumped by this process's revocations and by every notification (or reconnect) the
    /// listener sees.
    stamp: Arc<AtomicU64>,
    /// The listener task; stopped when the store is dropped.
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// `postgres://user@host:port/db` with the password left out, for messages and logs.
pub fn describe(options: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or(options.get_username())
    )
}

/// Parses a `postgres://` or `postgresql://` URL without ever echoing it (it may hold a
/// password).
pub fn parse_url(url: &str) -> StoreResult<PgConnectOptions> {
    PgConnectOptions::from_str(url).map_err(|e| {
        StoreError(format!(
            "--store: the Postgres URL is not valid ({}); expected postgres://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode special characters in the password)",
            without_url(&e.to_string(), url)
        ))
    })
}

/// Removes the URL from an error message, in case a parser quotes its input.
fn without_url(message: &str, url: &str) -> String {
    if url.is_empty() {
        message.to_owned()
    } else {
        message.replace(url, "<url>")
    }
}

impl PostgresStore {
    /// Connects, migrates and starts listening for revocations. `url` is a `postgres://` or
    /// `postgresql://` URL; errors name the server and user but never the password.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = parse_url(url)?;
        let place = describe(&options);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| StoreError(connect_error(&place, &e, url)))?;
        let migrator = super::migrations::migrator(super::migrations::Dialect::Postgres)
            .await
            .map_err(|e| StoreError(format!("cannot load migrations: {e}")))?;
        migrator.run(&pool).await.map_err(|e| {
            StoreError(format!(
                "cannot migrate {place}: {e} (was it made by a newer highlevel-mcp?)"
            ))
        })?;
        let mut listener = PgListener::connect_with(&pool)
            .await
            .map_err(|e| StoreError(connect_error(&place, &e, url)))?;
        listener
            .listen(CHANNEL)
            .await
            .map_err(|e| StoreError(format!("cannot LISTEN for revocations on {place}: {e}")))?;
        let stamp = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(listen(listener, stamp.clone(), place));
        Ok(Self {
            pool,
            stamp,
            listener: task,
        })
    }

    /// A transaction holding the audit advisory lock: taken before the chain's end is read and
    /// released by Postgres at commit or rollback, so appenders on every replica take turns.
    async fn begin_audit(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(AUDIT_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Queues the notification; Postgres sends it when the revoking transaction commits.
    async fn revoked_in(&self, tx: &mut sqlx::Transaction<'_, sqlx::Postgres>) -> StoreResult<()> {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(CHANNEL)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// This process need not wait for its own notification.
    fn revoked(&self) -> StoreResult<()> {
        self.stamp.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn stamp(&self) -> u64 {
        self.stamp.load(Ordering::SeqCst)
    }
}

/// Says what went wrong connecting, with a hint for the usual causes.
fn connect_error(place: &str, e: &sqlx::Error, url: &str) -> String {
    let detail = without_url(&e.to_string(), url);
    let hint = match e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("28P01") => {
            "the password is wrong for this user"
        }
        sqlx::Error::Database(d) if d.code().as_deref() == Some("28000") => {
            "the server refuses this user from here (check pg_hba.conf)"
        }
        sqlx::Error::Database(d) if d.code().as_deref() == Some("3D000") => {
            "the database does not exist; create it first (CREATE DATABASE ...)"
        }
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => {
            "is the server running and reachable at that host and port?"
        }
        sqlx::Error::Tls(_) => "TLS failed; check sslmode in the URL",
        _ => "check the URL, the server and the user's rights",
    };
    format!("cannot connect to {place}: {detail}; {hint}")
}

/// The listener loop: one bump per notification, and one per reconnect or error (anything
/// may have been revoked while it was not listening).
async fn listen(mut listener: PgListener, stamp: Arc<AtomicU64>, place: String) {
    loop {
        match listener.try_recv().await {
            Ok(Some(_)) => {
                stamp.fetch_add(1, Ordering::SeqCst);
            }
            Ok(None) => {
                // The connection dropped and was re-established (eager reconnect).
                stamp.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(store = %place, "revocation listener reconnected");
            }
            Err(e) => {
                stamp.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(store = %place, error = %e, "revocation listener failed; retrying");
                tokio::time::sleep(LISTEN_RETRY).await;
            }
        }
    }
}

super::sql::sql_store!(super::PostgresStore, sqlx::postgres::PgRow);
