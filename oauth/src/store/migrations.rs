//! The versioned schema migrations, embedded in the binary so a deployment needs no SQL files.
//! sqlx records what ran (with a checksum) and refuses a database whose applied migrations were
//! edited afterwards; on Postgres it also holds an advisory lock while migrating, so replicas
//! starting together migrate once.
//!
//! SQLite and PostgreSQL dialects differ, so each backend has its own list: `oauth/migrations/`
//! for SQLite and `oauth/migrations/postgres/` for Postgres. The two lists must keep the same
//! versions and descriptions and leave the same tables and columns behind (the queries in
//! `sql.rs` are shared); a test below checks the versions and descriptions. A schema change is
//! one new entry in each list, never an edit of a released one.

use std::borrow::Cow;

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// `(version, description, sql)`, ascending, for SQLite.
const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "grants",
        include_str!("../../migrations/0001_grants.sql"),
    ),
    (
        2,
        "upstream rotation",
        include_str!("../../migrations/0002_upstream_rotation.sql"),
    ),
    (3, "audit", include_str!("../../migrations/0003_audit.sql")),
];

/// The same versions for PostgreSQL.
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "grants",
        include_str!("../../migrations/postgres/0001_grants.sql"),
    ),
    (
        2,
        "upstream rotation",
        include_str!("../../migrations/postgres/0002_upstream_rotation.sql"),
    ),
    (
        3,
        "audit",
        include_str!("../../migrations/postgres/0003_audit.sql"),
    ),
];

/// Which list to run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dialect {
    /// `oauth/migrations/`.
    Sqlite,
    /// `oauth/migrations/postgres/`.
    Postgres,
}

#[derive(Debug)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The migrator over one dialect's embedded migrations.
pub(crate) async fn migrator(dialect: Dialect) -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded(match dialect {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_list_the_same_versions_in_ascending_order() {
        let names = |list: &[(i64, &'static str, &str)]| -> Vec<(i64, &'static str)> {
            list.iter().map(|(v, d, _)| (*v, *d)).collect()
        };
        assert_eq!(
            names(SQLITE),
            names(POSTGRES),
            "one entry per version in each list"
        );
        assert!(
            SQLITE.windows(2).all(|w| w[0].0 < w[1].0),
            "versions ascend"
        );
        for (v, _, sql) in SQLITE.iter().chain(POSTGRES) {
            assert!(!sql.trim().is_empty(), "migration {v} has SQL");
        }
    }
}
