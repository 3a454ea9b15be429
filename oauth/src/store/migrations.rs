//! The versioned schema migrations, embedded in the binary so a deployment needs no SQL files.
//! Each file in `oauth/migrations/` is listed here once, in order; sqlx records what ran (with a
//! checksum) and refuses a database whose applied migrations were edited afterwards.

use std::borrow::Cow;

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// `(version, description, sql)`, ascending. Never edit a released entry: add a new one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
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
];

#[derive(Debug)]
struct Embedded;

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            Ok(MIGRATIONS
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

/// The migrator over the embedded migrations.
pub(crate) async fn migrator() -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded).await
}
