//! The embedded default store: one SQLite file (WAL journal, so calls read while consent writes).
//! The queries are shared with Postgres (`sql.rs`); what is SQLite's own is opening the file
//! privately and the revocation stamp, a file beside the database that grows by one byte per
//! revocation (one `stat` per call, seen by every process using the same file).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{StoreError, StoreResult};

/// SQLite-backed [`Store`](super::Store).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// `<db>.revocations`: one byte is appended after every revocation, so its length is the
    /// revocation stamp (one `stat`, shared by every process using the same file).
    stamp_path: std::path::PathBuf,
}

impl SqliteStore {
    /// Opens (creating when absent, readable by the owner only) and migrates the database file.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        create_private(path)?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL with NORMAL sync: a commit is not fsynced, so a power loss may roll back the
            // last few transactions but never corrupts the file; a process crash loses nothing.
            // That is the audit file's durability too, and it takes an audit record from about
            // 1 ms to tens of microseconds (BENCHMARKS.md, write safety).
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| StoreError(format!("cannot open {}: {e}", path.display())))?;
        let migrator = super::migrations::migrator(super::migrations::Dialect::Sqlite)
            .await
            .map_err(|e| StoreError(format!("cannot load migrations: {e}")))?;
        migrator.run(&pool).await.map_err(|e| {
            StoreError(format!(
                "cannot migrate {}: {e} (was it made by a newer highlevel-mcp?)",
                path.display()
            ))
        })?;
        let mut stamp_path = path.as_os_str().to_owned();
        stamp_path.push(".revocations");
        Ok(Self {
            pool,
            stamp_path: stamp_path.into(),
        })
    }

    /// `BEGIN IMMEDIATE` takes SQLite's write lock before the chain's end is read, so a second
    /// appender (this process or another) waits (up to the busy timeout) instead of reading the
    /// same end and failing on commit.
    async fn begin_audit(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Nothing to do inside the revoking transaction: the stamp file is written after it.
    async fn revoked_in(&self, _tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> StoreResult<()> {
        Ok(())
    }

    /// The stamp: the stamp file's length.
    fn stamp(&self) -> u64 {
        std::fs::metadata(&self.stamp_path)
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// Appends to the stamp file. A failure is an error for the revoker: the revocation is in
    /// the database, but running servers would keep trusting their cache until it is fixed.
    fn revoked(&self) -> StoreResult<()> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options
            .open(&self.stamp_path)
            .and_then(|mut f| f.write_all(b"."))
            .map_err(|e| {
                StoreError(format!(
                    "revoked, but cannot update {} so running servers notice: {e}",
                    self.stamp_path.display()
                ))
            })
    }
}

/// Creates the file with mode 0600 before SQLite does, so grants are not world-readable.
fn create_private(path: &Path) -> StoreResult<()> {
    if path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError(format!("cannot create {}: {e}", path.display()))),
    }
}

super::sql::sql_store!(super::SqliteStore, sqlx::sqlite::SqliteRow);
