//! `list_locations`: the locations a grant may use, each with its name and whether it is the
//! default; and the short-lived cache of location names behind it.
//!
//! Names come from `GET /locations/{id}` with the grant's own token. They are cached for a few
//! minutes per (token fingerprint, location), so one client's token never answers for another's,
//! and a renamed sub-account shows its new name soon. A name HighLevel will not give (a token
//! without `locations.readonly`, a deleted location) is listed as `null` with the reason, and is
//! not cached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rmcp::model::CallToolResult;
use serde_json::{Value, json};

use super::{reply, upstream_json};
use crate::credentials::Grant;
use crate::handler::App;

/// How long a location's name is reused before it is read again.
pub const NAME_TTL: Duration = Duration::from_secs(300);
/// Most names cached; when full, expired entries go first, then the whole cache.
const MAX_NAMES: usize = 1024;
/// Names read at once.
const CONCURRENCY: usize = 4;

/// Location names by (token fingerprint, location id), each with the time it was read.
#[derive(Debug, Default)]
pub struct NameCache {
    entries: Mutex<HashMap<(String, String), (Instant, String)>>,
}

impl NameCache {
    fn get(&self, key: &(String, String)) -> Option<String> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < NAME_TTL)
            .map(|(_, name)| name.clone())
    }

    fn put(&self, key: (String, String), name: String) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_NAMES {
            entries.retain(|_, (at, _)| at.elapsed() < NAME_TTL);
            if entries.len() >= MAX_NAMES {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), name));
    }
}

/// The name of `location`, from the cache or from HighLevel.
pub async fn name(app: &App, grant: &Grant, location: &str) -> Result<String, String> {
    let key = (grant.token.fingerprint(), location.to_owned());
    if let Some(n) = app.agency.names.get(&key) {
        return Ok(n);
    }
    let v = upstream_json(
        app,
        grant,
        "locations_get-location",
        json!({ "locationId": location }),
        location,
    )
    .await?;
    let name = v["location"]["name"]
        .as_str()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| "HighLevel's answer carries no location name".to_owned())?
        .to_owned();
    app.agency.names.put(key, name.clone());
    Ok(name)
}

/// The ids a grant may use: its list, or else its default alone.
pub fn granted(grant: &Grant) -> Vec<String> {
    match &grant.locations.allowed {
        Some(list) => list.clone(),
        None => grant.locations.default.iter().cloned().collect(),
    }
}

/// The `list_locations` answer.
pub async fn list(app: &App, grant: &Grant) -> CallToolResult {
    let ids = granted(grant);
    let default = grant.locations.default.as_deref();
    // One deadline for all names (the search's): a slow HighLevel delays the list, never hangs it.
    let budget = app.agency.search_deadline;
    let deadline = tokio::time::Instant::now() + budget;
    let named: Vec<(String, Result<String, String>)> = futures::stream::iter(ids)
        .map(|id| async move {
            let n = tokio::time::timeout_at(deadline, name(app, grant, &id))
                .await
                .unwrap_or_else(|_| {
                    Err(format!(
                        "no answer from HighLevel within {} s",
                        budget.as_secs_f64()
                    ))
                });
            (id, n)
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let locations: Vec<Value> = named
        .into_iter()
        .map(|(id, n)| {
            let mut entry = json!({ "id": id, "default": default == Some(id.as_str()) });
            match n {
                Ok(n) => entry["name"] = json!(n),
                Err(e) => {
                    entry["name"] = Value::Null;
                    entry["nameError"] = json!(e);
                }
            }
            entry
        })
        .collect();
    let restricted = grant.locations.allowed.is_some();
    let note = match (restricted, default) {
        (true, _) => {
            "These are the only locations this connection may use. Pass one as `locationId` (or as `location` to search) to work in that sub-account; calls that name none use the default."
        }
        (false, Some(_)) => {
            "This connection is not limited to a list: any location the HighLevel token can reach may be passed as `locationId`. Shown: the default, from the `locationId` header or the server's --location-id."
        }
        (false, None) => {
            "No default location: pass `locationId` to each call, send a `locationId` HTTP header, or start the server with --location-id. HighLevel decides which locations the token reaches."
        }
    };
    reply(json!({
        "locations": locations,
        "restricted": restricted,
        "note": note,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_names_per_token_and_forgets_when_full() {
        let c = NameCache::default();
        let k = |t: &str, l: &str| (t.to_owned(), l.to_owned());
        c.put(k("t1", "a"), "Alpha".into());
        assert_eq!(c.get(&k("t1", "a")).as_deref(), Some("Alpha"));
        assert_eq!(c.get(&k("t2", "a")), None);
        for i in 0..MAX_NAMES + 1 {
            c.put(k("t", &i.to_string()), "n".into());
        }
        let len = c.entries.lock().expect("lock").len();
        assert!(len <= MAX_NAMES, "{len}");
    }
}
