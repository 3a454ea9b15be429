//! The SQL both backends run, written once. SQLite and PostgreSQL accept the same statements
//! here (`$1` parameters, `INSERT ... ON CONFLICT DO NOTHING`, `UPDATE ... RETURNING`, TEXT and
//! BIGINT columns), so [`sql_store!`] expands one implementation of [`Store`](super::Store) for
//! each backend's pool and row types; the backends differ only in how they connect, migrate, and
//! tell other processes about a revocation.
//!
//! A backend using the macro provides a `pool` field and four methods:
//! - `async fn begin_audit(&self) -> StoreResult<Transaction<'_, DB>>`: a transaction in which
//!   no other appender, in any process, can read the audit chain's end until it ends;
//! - `async fn revoked_in(&self, tx: &mut Transaction<'_, DB>) -> StoreResult<()>`: runs inside
//!   the revoking transaction (Postgres queues its NOTIFY there, so it is sent only on commit);
//! - `fn revoked(&self) -> StoreResult<()>`: runs after the commit (moves this process's stamp);
//! - `fn stamp(&self) -> u64`: the revocation stamp, without a query.
//!
//! One-time values (codes, refresh tokens) are consumed with a single conditional
//! `UPDATE ... WHERE used_at IS NULL RETURNING`: whichever backend runs it, of two racing
//! requests exactly one gets the row back.

/// Implements `Store` for `$store` (a path from the invoking module's parent, e.g.
/// `super::SqliteStore`) whose queries yield rows of type `$row`.
macro_rules! sql_store {
    ($store:ty, $row:ty) => {
        mod sql_impl {
            use sqlx::Row;

            use $crate::crypto::{b64, unb64};
            use $crate::store::{
                AUDIT_GENESIS, AuditMaker, ClientRecord, CodeRecord, Consumed, GrantRecord,
                GrantSummary, StoreError, StoreResult, TokenKind, TokenRecord,
            };

            fn json_list(v: &[String]) -> String {
                serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
            }

            fn parse_list(text: &str) -> Vec<String> {
                serde_json::from_str(text).unwrap_or_default()
            }

            fn client_from(row: &$row) -> StoreResult<ClientRecord> {
                Ok(ClientRecord {
                    client_id: row.try_get("client_id")?,
                    client_name: row.try_get("client_name")?,
                    redirect_uris: parse_list(&row.try_get::<String, _>("redirect_uris")?),
                    auth_method: row.try_get("auth_method")?,
                    secret_hash: row.try_get("secret_hash")?,
                    created_at: row.try_get("created_at")?,
                })
            }

            const GRANT_COLUMNS: &str = "g.id, g.client_id, g.client_name, g.resource, g.scope, g.locations, g.default_location, g.upstream_kind, g.upstream_secret, g.created_at, g.revoked_at, g.revoked_reason, g.upstream_version, g.upstream_expires_at";

            fn grant_from(row: &$row) -> StoreResult<GrantRecord> {
                let sealed: String = row.try_get("upstream_secret")?;
                Ok(GrantRecord {
                    id: row.try_get("id")?,
                    client_id: row.try_get("client_id")?,
                    client_name: row.try_get("client_name")?,
                    resource: row.try_get("resource")?,
                    scope: row.try_get("scope")?,
                    locations: parse_list(&row.try_get::<String, _>("locations")?),
                    default_location: row.try_get("default_location")?,
                    upstream_kind: row.try_get("upstream_kind")?,
                    upstream_secret: unb64(&sealed).unwrap_or_default(),
                    created_at: row.try_get("created_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                    revoked_reason: row.try_get("revoked_reason")?,
                    upstream_version: row.try_get("upstream_version")?,
                    upstream_expires_at: row.try_get("upstream_expires_at")?,
                })
            }

            fn code_from(row: &$row) -> StoreResult<CodeRecord> {
                Ok(CodeRecord {
                    code_hash: row.try_get("code_hash")?,
                    grant_id: row.try_get("grant_id")?,
                    client_id: row.try_get("client_id")?,
                    redirect_uri: row.try_get("redirect_uri")?,
                    code_challenge: row.try_get("code_challenge")?,
                    resource: row.try_get("resource")?,
                    scope: row.try_get("scope")?,
                    expires_at: row.try_get("expires_at")?,
                    used_at: row.try_get("used_at")?,
                })
            }

            const TOKEN_COLUMNS: &str = "t.token_hash, t.grant_id, t.kind, t.client_id, t.expires_at, t.created_at, t.used_at, t.revoked_at";

            fn token_from(row: &$row) -> StoreResult<TokenRecord> {
                let kind: String = row.try_get("kind")?;
                Ok(TokenRecord {
                    token_hash: row.try_get("token_hash")?,
                    grant_id: row.try_get("grant_id")?,
                    kind: if kind == "refresh" {
                        TokenKind::Refresh
                    } else {
                        TokenKind::Access
                    },
                    client_id: row.try_get("client_id")?,
                    expires_at: row.try_get("expires_at")?,
                    created_at: row.try_get("created_at")?,
                    used_at: row.try_get("used_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                })
            }

            #[async_trait::async_trait]
            impl $crate::store::Store for $store {
                async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
                    let row = sqlx::query("SELECT value FROM store_meta WHERE key = $1")
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await?;
                    Ok(row.map(|r| r.try_get("value")).transpose()?)
                }

                async fn put_meta_if_absent(&self, key: &str, value: &str) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO store_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                    )
                    .bind(key)
                    .bind(value)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn put_client(&self, c: &ClientRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO clients (client_id, client_name, redirect_uris, auth_method, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&c.client_id)
                    .bind(&c.client_name)
                    .bind(json_list(&c.redirect_uris))
                    .bind(&c.auth_method)
                    .bind(&c.secret_hash)
                    .bind(c.created_at)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>> {
                    let row = sqlx::query("SELECT * FROM clients WHERE client_id = $1")
                        .bind(client_id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(client_from).transpose()
                }

                async fn client_count(&self) -> StoreResult<u64> {
                    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM clients")
                        .fetch_one(&self.pool)
                        .await?
                        .try_get("n")?;
                    Ok(u64::try_from(n).unwrap_or(0))
                }

                async fn put_grant(&self, g: &GrantRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO grants (id, client_id, client_name, resource, scope, locations, default_location, upstream_kind, upstream_secret, created_at, revoked_at, revoked_reason, upstream_version, upstream_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                    )
                    .bind(&g.id)
                    .bind(&g.client_id)
                    .bind(&g.client_name)
                    .bind(&g.resource)
                    .bind(&g.scope)
                    .bind(json_list(&g.locations))
                    .bind(&g.default_location)
                    .bind(&g.upstream_kind)
                    .bind(b64(&g.upstream_secret))
                    .bind(g.created_at)
                    .bind(g.revoked_at)
                    .bind(&g.revoked_reason)
                    .bind(g.upstream_version)
                    .bind(g.upstream_expires_at)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn swap_upstream_secret(
                    &self,
                    grant_id: &str,
                    expected_version: i64,
                    new_sealed: &[u8],
                    new_expiry: Option<i64>,
                ) -> StoreResult<bool> {
                    // One conditional UPDATE: of two writers holding the same version, exactly one
                    // matches, on either backend and across replicas.
                    let done = sqlx::query(
                        "UPDATE grants SET upstream_secret = $1, upstream_expires_at = $2, upstream_version = upstream_version + 1 WHERE id = $3 AND upstream_version = $4 AND revoked_at IS NULL",
                    )
                    .bind(b64(new_sealed))
                    .bind(new_expiry)
                    .bind(grant_id)
                    .bind(expected_version)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                    Ok(done == 1)
                }

                async fn grant(&self, id: &str) -> StoreResult<Option<GrantRecord>> {
                    let row = sqlx::query(&format!(
                        "SELECT {GRANT_COLUMNS} FROM grants g WHERE g.id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.as_ref().map(grant_from).transpose()
                }

                async fn grants(&self, now: i64) -> StoreResult<Vec<GrantSummary>> {
                    let rows = sqlx::query(&format!(
                        "SELECT {GRANT_COLUMNS}, (SELECT COUNT(*) FROM tokens t WHERE t.grant_id = g.id AND t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > $1) AS live FROM grants g ORDER BY g.created_at DESC, g.id"
                    ))
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(GrantSummary {
                                grant: grant_from(r)?,
                                live_access_tokens: u64::try_from(r.try_get::<i64, _>("live")?).unwrap_or(0),
                            })
                        })
                        .collect()
                }

                async fn revoke_grant(&self, id: &str, reason: &str, now: i64) -> StoreResult<bool> {
                    let mut tx = self.pool.begin().await?;
                    let done = sqlx::query(
                        "UPDATE grants SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL",
                    )
                    .bind(now)
                    .bind(reason)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL")
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    self.revoked_in(&mut tx).await?;
                    tx.commit().await?;
                    self.revoked()?;
                    Ok(done > 0)
                }

                async fn put_code(&self, c: &CodeRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO auth_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, resource, scope, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&c.code_hash)
                    .bind(&c.grant_id)
                    .bind(&c.client_id)
                    .bind(&c.redirect_uri)
                    .bind(&c.code_challenge)
                    .bind(&c.resource)
                    .bind(&c.scope)
                    .bind(c.expires_at)
                    .bind(c.used_at)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn consume_code(&self, code_hash: &str, now: i64) -> StoreResult<Consumed<CodeRecord>> {
                    let fresh = sqlx::query(
                        "UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL RETURNING *",
                    )
                    .bind(now)
                    .bind(code_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                    if let Some(row) = fresh {
                        return Ok(Consumed::Fresh(code_from(&row)?));
                    }
                    let old = sqlx::query("SELECT * FROM auth_codes WHERE code_hash = $1")
                        .bind(code_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                    Ok(match old {
                        Some(row) => Consumed::Replayed(code_from(&row)?),
                        None => Consumed::Unknown,
                    })
                }

                async fn put_token(&self, t: &TokenRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO tokens (token_hash, grant_id, kind, client_id, expires_at, created_at, used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&t.token_hash)
                    .bind(&t.grant_id)
                    .bind(t.kind.as_str())
                    .bind(&t.client_id)
                    .bind(t.expires_at)
                    .bind(t.created_at)
                    .bind(t.used_at)
                    .bind(t.revoked_at)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
                    let row = sqlx::query(&format!(
                        "SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.token_hash = $1"
                    ))
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.as_ref().map(token_from).transpose()
                }

                async fn access(&self, token_hash: &str) -> StoreResult<Option<(TokenRecord, GrantRecord)>> {
                    let row = sqlx::query(&format!(
                        "SELECT {TOKEN_COLUMNS}, {GRANT_COLUMNS} FROM tokens t JOIN grants g ON g.id = t.grant_id WHERE t.token_hash = $1 AND t.kind = 'access'"
                    ))
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                    match row {
                        // The token's columns come first, so `revoked_at` and friends by name would be
                        // ambiguous for the grant: read the grant's by position instead.
                        Some(r) => Ok(Some((token_from(&r)?, grant_at(&r, 8)?))),
                        None => Ok(None),
                    }
                }

                async fn consume_refresh(
                    &self,
                    token_hash: &str,
                    now: i64,
                ) -> StoreResult<Consumed<TokenRecord>> {
                    let fresh = sqlx::query(
                        "UPDATE tokens SET used_at = $1 WHERE token_hash = $2 AND kind = 'refresh' AND used_at IS NULL RETURNING token_hash, grant_id, kind, client_id, expires_at, created_at, used_at, revoked_at",
                    )
                    .bind(now)
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                    if let Some(row) = fresh {
                        return Ok(Consumed::Fresh(token_from(&row)?));
                    }
                    Ok(match self.token(token_hash).await? {
                        Some(t) if t.kind == TokenKind::Refresh => Consumed::Replayed(t),
                        _ => Consumed::Unknown,
                    })
                }

                async fn revoke_token(&self, token_hash: &str, now: i64) -> StoreResult<()> {
                    let mut tx = self.pool.begin().await?;
                    sqlx::query(
                        "UPDATE tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
                    )
                    .bind(now)
                    .bind(token_hash)
                    .execute(&mut *tx)
                    .await?;
                    self.revoked_in(&mut tx).await?;
                    tx.commit().await?;
                    self.revoked()
                }

                async fn append_audit(&self, time: &str, make: AuditMaker<'_>) -> StoreResult<u64> {
                    let mut tx = self.begin_audit().await?;
                    let last = sqlx::query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut *tx)
                        .await?;
                    let (seq, prev) = match last {
                        Some(r) => (r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?),
                        None => (0, AUDIT_GENESIS.to_owned()),
                    };
                    let next = seq
                        .checked_add(1)
                        .ok_or_else(|| StoreError("the audit seq is exhausted".into()))?;
                    let (line, hash) = make(&prev, u64::try_from(next).unwrap_or(0));
                    sqlx::query("INSERT INTO audit (seq, time, hash, line) VALUES ($1, $2, $3, $4)")
                        .bind(next)
                        .bind(time)
                        .bind(&hash)
                        .bind(&line)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(u64::try_from(next).unwrap_or(0))
                }

                async fn audit_lines(&self, after_seq: u64, limit: u32) -> StoreResult<Vec<(u64, String)>> {
                    let rows = sqlx::query("SELECT seq, line FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2")
                        .bind(i64::try_from(after_seq).unwrap_or(i64::MAX))
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| {
                            Ok((
                                u64::try_from(r.try_get::<i64, _>("seq")?).unwrap_or(0),
                                r.try_get("line")?,
                            ))
                        })
                        .collect()
                }

                fn revocation_stamp(&self) -> u64 {
                    self.stamp()
                }
            }

            /// Reads the grant columns starting at column `at` (after the token's in a join).
            fn grant_at(row: &$row, at: usize) -> StoreResult<GrantRecord> {
                let sealed: String = row.try_get(at + 8)?;
                Ok(GrantRecord {
                    id: row.try_get(at)?,
                    client_id: row.try_get(at + 1)?,
                    client_name: row.try_get(at + 2)?,
                    resource: row.try_get(at + 3)?,
                    scope: row.try_get(at + 4)?,
                    locations: parse_list(&row.try_get::<String, _>(at + 5)?),
                    default_location: row.try_get(at + 6)?,
                    upstream_kind: row.try_get(at + 7)?,
                    upstream_secret: unb64(&sealed).unwrap_or_default(),
                    created_at: row.try_get(at + 9)?,
                    revoked_at: row.try_get(at + 10)?,
                    revoked_reason: row.try_get(at + 11)?,
                    upstream_version: row.try_get(at + 12)?,
                    upstream_expires_at: row.try_get(at + 13)?,
                })
            }

        }
    };
}

pub(crate) use sql_store;
