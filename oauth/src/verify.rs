//! The per-call check at `/mcp`: the bearer must be a live access token of ours, of a live grant,
//! for this resource (the audience, RFC 8707). It answers the grant's HighLevel token, unsealed,
//! and its locations, or the 401 challenge that sends a client to our metadata (RFC 9728 §5.1).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use http::StatusCode;

use crate::crypto::token_hash;
use crate::{AuthServer, SCOPE_TOOLS, now};

/// What a verified request may use.
#[derive(Clone)]
pub struct Access {
    /// The grant.
    pub grant_id: String,
    /// The client it was given to.
    pub client_id: String,
    /// The HighLevel token to send upstream (never to the client, never to logs). For HighLevel
    /// marketplace grants it is the token stored at the last refresh: ask
    /// [`AuthServer::highlevel_token`] for the one to use.
    pub upstream_token: String,
    /// What the grant holds: `pit`, `hl-location` or `hl-company`.
    pub upstream_kind: String,
    /// Location ids the grant may use.
    pub locations: Vec<String>,
    /// The location used when a call names none.
    pub default_location: Option<String>,
}

impl fmt::Debug for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Access")
            .field("grant_id", &self.grant_id)
            .field("client_id", &self.client_id)
            .field("upstream_token", &"[redacted]")
            .field("upstream_kind", &self.upstream_kind)
            .field("locations", &self.locations)
            .field("default_location", &self.default_location)
            .finish()
    }
}

/// Verified tokens by hash, so a call costs a hash and a stamp read (a `stat` with SQLite, an
/// atomic load with Postgres) rather than a query. An entry is
/// trusted only while the store's revocation stamp is the one it was filled under and the token
/// has not expired; revocations anywhere move the stamp, so the next call re-checks the store.
#[derive(Debug, Default)]
pub(crate) struct Cache(Mutex<HashMap<String, Cached>>);

#[derive(Debug, Clone)]
struct Cached {
    access: Access,
    stamp: u64,
    expires_at: i64,
}

/// Most tokens remembered; beyond it the cache starts again (a refill is one query each).
const CACHE_MAX: usize = 10_000;

impl Cache {
    fn get(&self, hash: &str, stamp: u64, now: i64) -> Option<Access> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash)
            .filter(|c| c.stamp == stamp && c.expires_at > now)
            .map(|c| c.access.clone())
    }

    fn put(&self, hash: String, access: Access, stamp: u64, expires_at: i64) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CACHE_MAX {
            map.clear();
        }
        map.insert(
            hash,
            Cached {
                access,
                stamp,
                expires_at,
            },
        );
    }
}

/// A refusal: status, `WWW-Authenticate` value and a plain message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// 401 (no or bad token) or 503 (store down).
    pub status: StatusCode,
    /// The `WWW-Authenticate` header value.
    pub www_authenticate: String,
    /// A message for the response body.
    pub message: String,
}

impl AuthServer {
    fn challenge(&self, error: Option<&str>, message: &str) -> Challenge {
        let mut value = String::from("Bearer ");
        if let Some(e) = error {
            // The description is ours and quote-free, so it can sit in a quoted string as is.
            value.push_str(&format!("error=\"{e}\", error_description=\"{message}\", "));
        }
        value.push_str(&format!(
            "resource_metadata=\"{}\", scope=\"{SCOPE_TOOLS}\"",
            self.resource_metadata_url()
        ));
        Challenge {
            status: StatusCode::UNAUTHORIZED,
            www_authenticate: value,
            message: format!("Unauthorized: {message}"),
        }
    }

    /// Verifies the `Authorization` header value of an MCP request.
    pub async fn verify(&self, authorization: Option<&str>) -> Result<Access, Challenge> {
        let token = authorization.and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim())
                .filter(|t| !t.is_empty())
        });
        let Some(token) = token else {
            return Err(self.challenge(
                None,
                "this server uses OAuth: connect through your MCP client's sign-in (it discovers how from the resource_metadata URL in WWW-Authenticate)",
            ));
        };
        let invalid = |m: &str| Err(self.challenge(Some("invalid_token"), m));
        if token.len() > 512 {
            return invalid("the access token is not one this server issued");
        }
        let hash = token_hash(token);
        let now = now();
        // Read before the query: a revocation racing this lookup moves the stamp past the one
        // stored with the entry, so the next call looks again.
        let stamp = self.store.revocation_stamp();
        if let Some(hit) = self.access_cache.get(&hash, stamp, now) {
            return Ok(hit);
        }
        let found = match self.store.access(&hash).await {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "grant store failed while checking an access token");
                return Err(Challenge {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    www_authenticate: String::new(),
                    message:
                        "Service Unavailable: the grant store could not be read; try again shortly"
                            .into(),
                });
            }
        };
        let Some((t, grant)) = found else {
            return invalid("the access token is not one this server issued");
        };
        if t.revoked_at.is_some() || grant.revoked_at.is_some() {
            return invalid("the access token was revoked; sign in again");
        }
        if t.expires_at <= now {
            return invalid("the access token has expired; refresh it or sign in again");
        }
        if grant.resource != self.resource() {
            return invalid("the access token was issued for another resource (audience)");
        }
        let Some(plain) = self.key.open(&grant.upstream_secret, grant.id.as_bytes()) else {
            tracing::error!(grant_id = %grant.id, "a grant's HighLevel token does not decrypt with the store key");
            return invalid("this connection's stored credentials cannot be read; connect again");
        };
        let upstream_token = if grant.upstream_kind.starts_with("hl-") {
            serde_json::from_slice::<crate::highlevel::HlSecret>(&plain)
                .ok()
                .map(|s| s.access_token)
        } else {
            String::from_utf8(plain).ok()
        };
        let Some(upstream_token) = upstream_token else {
            return invalid("this connection's stored credentials cannot be read; connect again");
        };
        let access = Access {
            grant_id: grant.id,
            client_id: t.client_id,
            upstream_token,
            upstream_kind: grant.upstream_kind,
            locations: grant.locations,
            default_location: grant.default_location,
        };
        self.access_cache
            .put(hash, access.clone(), stamp, t.expires_at);
        Ok(access)
    }
}
