//! The token for one call of a HighLevel grant: refreshed ahead of expiry exactly once per
//! expiry, and for agency grants turned into a location token.
//!
//! Within a process, each grant has one async lock: the first call that finds the token close to
//! expiry refreshes while the others wait, then they all use the new token (single-flight).
//! Across replicas, the new pair is written with [`crate::Store::swap_upstream_secret`] under the
//! version read before refreshing; and since HighLevel's refresh tokens are single-use, a replica
//! that loses a race gets `invalid_grant` from HighLevel: it rereads the grant before believing
//! that, so a lost race reads the winner's tokens instead of breaking the grant. Only a refusal
//! with the version unchanged marks the grant as needing reconnection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::client::{self, Refused};
use super::{HighLevelApp, HlError, HlSecret, KIND_COMPANY, KIND_LOCATION, now_ms};
use crate::AuthServer;

/// Per-grant token state of this process. Its `Debug` shows only how many grants it holds:
/// the state holds tokens.
#[derive(Default)]
pub(crate) struct Tokens(Mutex<HashMap<String, Arc<tokio::sync::Mutex<State>>>>);

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("Tokens").field("grants", &n).finish()
    }
}

/// Most grants kept; beyond it the map starts again (entries reload from the store, and the
/// compare-and-swap keeps a double refresh during the restart harmless).
const MAX_GRANTS: usize = 10_000;

/// After HighLevel refuses a refresh, how often and how long to look for a pair another replica
/// stored before concluding the grant is dead (20 × 100 ms).
const RACE_POLLS: usize = 20;
const RACE_POLL_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

#[derive(Default)]
struct State {
    current: Option<Current>,
    /// Agency grants: location id → (token, expiry in Unix ms).
    locations: HashMap<String, (String, i64)>,
}

struct Current {
    secret: HlSecret,
    version: i64,
    kind: String,
}

impl Tokens {
    fn entry(&self, grant_id: &str) -> Arc<tokio::sync::Mutex<State>> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_GRANTS && !map.contains_key(grant_id) {
            map.clear();
        }
        map.entry(grant_id.to_owned()).or_default().clone()
    }
}

impl AuthServer {
    /// The HighLevel token to send for one call of grant `grant_id` in `location` (`None`: the
    /// grant's own token, for calls outside any location).
    pub async fn highlevel_token(
        &self,
        grant_id: &str,
        location: Option<&str>,
    ) -> Result<String, HlError> {
        let Some(app) = self.config.highlevel.as_ref() else {
            return Err(HlError::NeedsReconnect(
                "this server no longer has a HighLevel marketplace app configured".into(),
            ));
        };
        let margin = i64::try_from(app.refresh_margin.as_millis()).unwrap_or(i64::MAX);
        let entry = self.hl_tokens.entry(grant_id);
        let mut state = entry.lock().await;
        let stale = |c: &Current| c.secret.expires_at_ms.saturating_sub(margin) <= now_ms();
        if state.current.as_ref().is_none_or(stale) {
            // Another replica may have refreshed already: start from what the store holds.
            state.current = Some(self.load_hl(grant_id).await?);
        }
        let Some(current) = state.current.as_mut() else {
            return Err(HlError::Store("internal: no token state".into()));
        };
        if let Some(why) = &current.secret.broken {
            return Err(HlError::NeedsReconnect(why.clone()));
        }
        if stale(current) {
            self.refresh(app, grant_id, current).await?;
            state.locations.clear();
        }
        let Some(current) = state.current.as_ref() else {
            return Err(HlError::Store("internal: no token state".into()));
        };
        let access = current.secret.access_token.clone();
        let company_id = current.secret.company_id.clone();
        match (current.kind.as_str(), location) {
            (KIND_LOCATION, Some(loc)) if current.secret.location_id.as_deref() != Some(loc) => {
                Err(HlError::Location {
                    location: loc.to_owned(),
                    reason: "this connection holds a token of another sub-account only".into(),
                })
            }
            (KIND_COMPANY, Some(loc)) => {
                if let Some((token, expires)) = state.locations.get(loc)
                    && expires.saturating_sub(margin) > now_ms()
                {
                    return Ok(token.clone());
                }
                let company_id = company_id.unwrap_or_default();
                let answer =
                    client::location_token(&self.http, app, &access, &company_id, loc).await;
                match answer {
                    Ok(a) => {
                        let expires = now_ms().saturating_add(a.expires_in.saturating_mul(1000));
                        state
                            .locations
                            .insert(loc.to_owned(), (a.access_token.clone(), expires));
                        Ok(a.access_token)
                    }
                    Err(Refused::Said(reason)) if reason.starts_with("HTTP 401") => {
                        Err(HlError::NeedsReconnect(reason))
                    }
                    Err(Refused::Said(reason)) => Err(HlError::Location {
                        location: loc.to_owned(),
                        reason,
                    }),
                    Err(Refused::Unavailable(r)) => Err(HlError::Unavailable(r)),
                }
            }
            _ => Ok(access),
        }
    }

    async fn load_hl(&self, grant_id: &str) -> Result<Current, HlError> {
        let grant = self
            .store
            .grant(grant_id)
            .await
            .map_err(|e| HlError::Store(e.0))?
            .ok_or_else(|| HlError::NeedsReconnect("the connection no longer exists".into()))?;
        if grant.revoked_at.is_some() {
            return Err(HlError::NeedsReconnect("the connection was revoked".into()));
        }
        let secret = self
            .key
            .open(&grant.upstream_secret, grant.id.as_bytes())
            .and_then(|plain| serde_json::from_slice::<HlSecret>(&plain).ok())
            .ok_or_else(|| {
                HlError::NeedsReconnect("its stored HighLevel tokens cannot be read".into())
            })?;
        Ok(Current {
            secret,
            version: grant.upstream_version,
            kind: grant.upstream_kind,
        })
    }

    async fn refresh(
        &self,
        app: &HighLevelApp,
        grant_id: &str,
        current: &mut Current,
    ) -> Result<(), HlError> {
        let user_type = if current.kind == KIND_COMPANY {
            "Company"
        } else {
            "Location"
        };
        let answer = client::token(
            &self.http,
            app,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &current.secret.refresh_token),
                ("user_type", user_type),
            ],
        )
        .await;
        match answer {
            Ok(a) => {
                let fresh = HlSecret {
                    refresh_token: a
                        .refresh_token
                        .unwrap_or_else(|| current.secret.refresh_token.clone()),
                    access_token: a.access_token,
                    expires_at_ms: now_ms().saturating_add(a.expires_in.saturating_mul(1000)),
                    company_id: a.company_id.or_else(|| current.secret.company_id.clone()),
                    location_id: a.location_id.or_else(|| current.secret.location_id.clone()),
                    broken: None,
                };
                match self.swap(grant_id, current.version, &fresh).await {
                    Ok(true) => {
                        current.secret = fresh;
                        current.version += 1;
                        tracing::info!(grant_id, "HighLevel token refreshed");
                    }
                    Ok(false) => {
                        // Revoked meanwhile, or another writer moved it. If a replica marked
                        // it broken because it lost the refresh race to us, our fresh pair
                        // proves the grant is fine: put it back.
                        let stored = self.load_hl(grant_id).await?;
                        if stored.secret.broken.is_some()
                            && let Ok(true) = self.swap(grant_id, stored.version, &fresh).await
                        {
                            current.secret = fresh;
                            current.version = stored.version + 1;
                        } else {
                            *current = stored;
                        }
                    }
                    Err(e) => {
                        // The new pair lives on in this process; the store catches up on the
                        // next refresh (the old refresh token there is spent either way).
                        tracing::error!(grant_id, error = %e, "cannot store a refreshed HighLevel token");
                        current.secret = fresh;
                    }
                }
                Ok(())
            }
            Err(Refused::Said(reason)) => {
                // Another replica may have refreshed with the same single-use token a moment
                // earlier and be about to store its pair: give it a bounded while to appear.
                for _ in 0..RACE_POLLS {
                    let stored = self.load_hl(grant_id).await?;
                    if stored.version != current.version {
                        *current = stored;
                        return match &current.secret.broken {
                            Some(why) => Err(HlError::NeedsReconnect(why.clone())),
                            None => Ok(()),
                        };
                    }
                    tokio::time::sleep(RACE_POLL_EVERY).await;
                }
                tracing::warn!(grant_id, %reason, "HighLevel refused a refresh; the grant needs reconnection");
                let mut broken = current.secret.clone();
                broken.broken = Some(format!("HighLevel refused its refresh: {reason}"));
                if let Ok(true) = self.swap(grant_id, current.version, &broken).await {
                    current.version += 1;
                }
                current.secret = broken;
                Err(HlError::NeedsReconnect(format!(
                    "HighLevel refused its refresh: {reason}"
                )))
            }
            Err(Refused::Unavailable(r)) => Err(HlError::Unavailable(r)),
        }
    }

    async fn swap(&self, grant_id: &str, version: i64, secret: &HlSecret) -> Result<bool, HlError> {
        let plain =
            serde_json::to_vec(secret).map_err(|e| HlError::Store(format!("internal: {e}")))?;
        let sealed = self.key.seal(&plain, grant_id.as_bytes());
        self.store
            .swap_upstream_secret(
                grant_id,
                version,
                &sealed,
                Some(secret.expires_at_ms / 1000),
            )
            .await
            .map_err(|e| HlError::Store(e.0))
    }
}
