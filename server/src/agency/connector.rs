//! `search` and `fetch` in the shape connectors expect (OpenAI's: `search {query}` →
//! `{results: [{id, title, url}]}`, `fetch {id}` → `{id, title, text, url, metadata}`), over the
//! CRM records of the locations a grant may use.
//!
//! A search asks three sources in each location: contacts (`GET /contacts/?locationId&query`),
//! opportunities (`GET /opportunities/search?location_id&q`) and conversations
//! (`GET /conversations/search?locationId&query`), each for at most [`PER_SOURCE_LIMIT`] records,
//! a few at a time, all within one deadline. A source that fails or runs out of time is reported
//! in the answer's `metadata.sources` and the others' results still come back. Every call goes
//! through the same pacing, metrics and token redaction as a tool call.

use std::time::Instant;

use futures::StreamExt;
use rmcp::model::{CallToolResult, JsonObject};
use serde_json::{Value, json};

use super::locations::granted;
use super::records::{self, KINDS, Kind, RecordId};
use super::{error, reply, upstream_json};
use crate::credentials::Grant;
use crate::handler::App;

/// Most records each source returns per location.
pub const PER_SOURCE_LIMIT: usize = 5;
/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most locations one search covers (a grant holds at most this many).
pub const MAX_SEARCH_LOCATIONS: usize = super::MAX_LOCATIONS;
/// Source requests in flight at once.
const CONCURRENCY: usize = 6;
/// Newest messages a fetched conversation shows.
pub const MESSAGES_SHOWN: usize = 20;

/// How one kind of record is searched: the tool whose request is built, its arguments for a
/// location and query, and the list in its answer.
fn source(kind: Kind, location: &str, query: &str) -> (&'static str, Value, &'static str) {
    let limit = PER_SOURCE_LIMIT;
    match kind {
        Kind::Contact => (
            "contacts_get-contacts",
            json!({ "locationId": location, "query": query, "limit": limit }),
            "contacts",
        ),
        Kind::Opportunity => (
            "opportunities_search-opportunity",
            json!({ "location_id": location, "q": query, "limit": limit }),
            "opportunities",
        ),
        Kind::Conversation => (
            "conversations_search-conversation",
            json!({ "locationId": location, "query": query, "limit": limit }),
            "conversations",
        ),
    }
}

/// Where a search looks: the `location` argument (checked against the grant), else every
/// location the grant may use.
fn search_locations(grant: &Grant, arg: Option<&Value>) -> Result<Vec<String>, String> {
    match arg {
        None | Some(Value::Null) => {}
        Some(Value::String(l)) if l.trim().is_empty() => {}
        Some(Value::String(l)) => {
            grant.locations.admit(l.trim())?;
            return Ok(vec![l.trim().to_owned()]);
        }
        Some(other) => {
            return Err(format!(
                "`location` must be a location id from list_locations; got {}",
                runtime::suggest::clip(&other.to_string(), 100)
            ));
        }
    }
    let all = granted(grant);
    if all.is_empty() {
        return Err("no location to search: pass `location`, send a `locationId` HTTP header, or start the server with --location-id".to_owned());
    }
    Ok(all)
}

/// The `search` answer.
pub async fn search(app: &App, grant: &Grant, args: &JsonObject) -> CallToolResult {
    let query = match args.get("query") {
        Some(Value::String(q)) if !q.trim().is_empty() => q.trim(),
        _ => {
            return error(
                "search needs `query`: words to look for in contacts, opportunities and conversations, e.g. {\"query\": \"Ada Lovelace\"}",
            );
        }
    };
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return error(format!(
            "`query` is {chars} characters; keep it under {MAX_QUERY_CHARS} (a name, an email, a few words)"
        ));
    }
    let mut locations = match search_locations(grant, args.get("location")) {
        Ok(l) => l,
        Err(e) => return error(e),
    };
    let skipped = locations.len().saturating_sub(MAX_SEARCH_LOCATIONS);
    locations.truncate(MAX_SEARCH_LOCATIONS);
    let deadline = tokio::time::Instant::from_std(Instant::now() + app.agency.search_deadline);
    // Owned jobs: futures borrowing from the job list trip the compiler's `Send` check of
    // the handler's future (higher-ranked lifetimes through the stream).
    let jobs: Vec<(String, Kind)> = locations
        .iter()
        .flat_map(|l| KINDS.map(|k| (l.clone(), k)))
        .collect();
    let answers: Vec<_> = futures::stream::iter(jobs)
        .map(|(location, kind)| async move {
            let (tool, args, list) = source(kind, &location, query);
            let found =
                tokio::time::timeout_at(deadline, upstream_json(app, grant, tool, args, &location))
                    .await;
            (location, kind, list, found)
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut results = Vec::new();
    let mut sources = Vec::new();
    let mut failed = 0;
    for (location, kind, list, found) in answers {
        let location = location.as_str();
        let mut status = json!({ "source": list, "location": location });
        match found {
            Ok(Ok(v)) => {
                let items = v[list].as_array().map(Vec::as_slice).unwrap_or_default();
                let mut n = 0;
                for item in items.iter().take(PER_SOURCE_LIMIT) {
                    let Some(id) = item["id"].as_str().filter(|i| records::valid_part(i)) else {
                        continue;
                    };
                    let rid = RecordId {
                        kind,
                        location: location.to_owned(),
                        id: id.to_owned(),
                    };
                    results.push(json!({
                        "id": rid.to_string(),
                        "title": records::title(kind, item),
                        "url": kind.url(&app.agency.app_url, location, id),
                    }));
                    n += 1;
                }
                status["status"] = json!("ok");
                status["count"] = json!(n);
            }
            Ok(Err(e)) => {
                failed += 1;
                status["status"] = json!("failed");
                status["error"] = json!(e);
            }
            Err(_) => {
                failed += 1;
                status["status"] = json!("timed out");
                status["error"] = json!(format!(
                    "no answer within the search's {} s deadline",
                    app.agency.search_deadline.as_secs_f64()
                ));
            }
        }
        sources.push(status);
    }
    if failed == sources.len() {
        let why: Vec<String> = sources
            .iter()
            .map(|s| {
                format!(
                    "{} in {}: {}",
                    s["source"].as_str().unwrap_or_default(),
                    s["location"].as_str().unwrap_or_default(),
                    s["error"].as_str().unwrap_or_default()
                )
            })
            .collect();
        return error(format!(
            "search failed in every source:\n- {}",
            why.join("\n- ")
        ));
    }
    let mut metadata = json!({
        "query": query,
        "locations": locations,
        "sources": sources,
        "partial": failed > 0,
    });
    if skipped > 0 {
        metadata["locationsNotSearched"] = json!(skipped);
    }
    reply(json!({ "results": results, "metadata": metadata }))
}

/// The `fetch` answer.
pub async fn fetch(app: &App, grant: &Grant, args: &JsonObject) -> CallToolResult {
    let Some(text) = args.get("id").and_then(Value::as_str) else {
        return error(
            "fetch needs `id`: a record id from search, e.g. {\"id\": \"contact:<locationId>:<contactId>\"}",
        );
    };
    let id = match RecordId::parse(text) {
        Ok(id) => id,
        Err(e) => return error(e),
    };
    if let Err(e) = grant.locations.admit(&id.location) {
        return error(format!("cannot fetch `{id}`: {e}"));
    }
    match read(app, grant, &id).await {
        Ok((record, messages)) => reply(json!({
            "id": id.to_string(),
            "title": records::title(id.kind, &record),
            "text": records::body(id.kind, &record, &messages),
            "url": id.kind.url(&app.agency.app_url, &id.location, &id.id),
            "metadata": records::metadata(&id, &record, messages.len()),
        })),
        Err(e) => error(format!("cannot fetch `{id}`: {e}")),
    }
}

/// Reads a record (and a conversation's newest messages) and checks it lives in the location
/// its id names, so an id cannot reach a record of a location outside the grant.
async fn read(app: &App, grant: &Grant, id: &RecordId) -> Result<(Value, Vec<Value>), String> {
    let loc = id.location.as_str();
    let missing = || format!("no {} `{}` in location `{loc}`", id.kind.name(), id.id);
    let record = match id.kind {
        Kind::Contact => {
            let v = upstream_json(
                app,
                grant,
                "contacts_get-contact",
                json!({ "contactId": id.id }),
                loc,
            )
            .await?;
            v["contact"].clone()
        }
        Kind::Opportunity => {
            let v = upstream_json(
                app,
                grant,
                "opportunities_get-opportunity",
                json!({ "id": id.id }),
                loc,
            )
            .await?;
            v["opportunity"].clone()
        }
        Kind::Conversation => {
            // The search endpoint, filtered by id within the location, gives the conversation
            // with its contact's name and checks the location in one call.
            let v = upstream_json(
                app,
                grant,
                "conversations_search-conversation",
                json!({ "locationId": loc, "id": id.id, "limit": 1 }),
                loc,
            )
            .await?;
            v["conversations"]
                .as_array()
                .and_then(|a| a.iter().find(|c| c["id"] == id.id.as_str()))
                .cloned()
                .ok_or_else(missing)?
        }
    };
    if !record.is_object() || record["locationId"].as_str().is_some_and(|l| l != loc) {
        return Err(missing());
    }
    let messages = if id.kind == Kind::Conversation {
        let v = upstream_json(
            app,
            grant,
            "conversations_get-messages",
            json!({ "conversationId": id.id, "limit": MESSAGES_SHOWN }),
            loc,
        )
        .await?;
        // HighLevel nests the page (`{messages: {messages: [...]}}`); the declared schema does not.
        let list = match &v["messages"] {
            Value::Object(page) => page.get("messages").cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        list.as_array()
            .map(|a| a.iter().take(MESSAGES_SHOWN).cloned().collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok((record, messages))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Locations, Secret};

    fn grant(default: Option<&str>, allowed: Option<&[&str]>) -> Grant {
        Grant {
            token: Secret::new("t").expect("token"),
            tokens: None,
            locations: Locations {
                default: default.map(str::to_owned),
                allowed: allowed.map(|a| a.iter().map(|s| (*s).to_owned()).collect()),
            },
            principal: "test".into(),
        }
    }

    #[test]
    fn a_search_covers_the_grant_or_the_one_location_asked_for() {
        let g = grant(Some("a"), Some(&["a", "b"]));
        assert_eq!(search_locations(&g, None).expect("all"), ["a", "b"]);
        assert_eq!(search_locations(&g, Some(&json!("b"))).expect("b"), ["b"]);
        let e = search_locations(&g, Some(&json!("c"))).expect_err("c");
        assert!(e.contains("`a`, `b`"), "{e}");
        assert!(search_locations(&g, Some(&json!(3))).is_err());
        let open = grant(Some("h"), None);
        assert_eq!(search_locations(&open, None).expect("default"), ["h"]);
        assert!(search_locations(&grant(None, None), None).is_err());
    }
}
