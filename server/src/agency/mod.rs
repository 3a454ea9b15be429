//! Serving an agency: several locations per connection, `list_locations`, and the connector
//! tools `search` and `fetch`.
//!
//! * `--location-id a,b,c` gives the server a list of locations: the first is the default, and
//!   with more than one, calls may use only those ([`crate::credentials::Grant::within`] applies
//!   it to header and server-held grants; OAuth grants carry their own list).
//! * `list_locations` answers the grant's locations with their names and which is the default.
//! * `search` and `fetch` ([`connector`]) find and read contacts, opportunities and conversations
//!   across the grant's locations, in the shape OpenAI's connectors (and others) expect.
//!
//! They are listed beside the meta-tools in discovery mode, alone in the connector profile
//! (`--profile connector`), and `list_locations` also in the full listing when a connection can
//! hold several locations. Each answers text (JSON) and the same value as `structuredContent`.

pub mod connector;
pub mod locations;
pub mod records;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool};
use runtime::{CallContext, CompiledTool};
use serde_json::{Value, json};

use crate::credentials::{Grant, Rejection};
use crate::handler::App;
use crate::ops::Outcome;

/// Name of the tool listing the grant's locations.
pub const LIST_LOCATIONS: &str = "list_locations";
/// Name of the connector search tool.
pub const SEARCH: &str = "search";
/// Name of the connector fetch tool.
pub const FETCH: &str = "fetch";
/// Most locations in a server's `--location-id` list (as on the OAuth connect page).
pub const MAX_LOCATIONS: usize = 20;
/// Default base of the links into HighLevel's web app.
pub const DEFAULT_APP_URL: &str = "https://app.gohighlevel.com";
/// Default deadline of one `search` across every source and location.
pub const DEFAULT_SEARCH_DEADLINE: Duration = Duration::from_secs(15);

/// Which tools `tools/list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Profile {
    /// The selected tools (or the meta-tools with --discovery), plus the agency tools where
    /// they apply.
    #[default]
    Default,
    /// Only `search`, `fetch` and `list_locations`, for connectors that want nothing else.
    Connector,
}

/// Reads `--location-id`: one id, or several separated by commas (the first is the default).
/// Each is 1 to 64 letters, digits, `-` or `_`; empty items, repeats and more than
/// [`MAX_LOCATIONS`] are refused with a message naming the problem.
pub fn parse_location_ids(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for (i, item) in text.split(',').map(str::trim).enumerate() {
        if item.is_empty() {
            return Err(format!(
                "--location-id `{}`: item {} is empty; give location ids separated by commas, e.g. --location-id abc123,def456",
                runtime::suggest::clip(text, 200),
                i + 1
            ));
        }
        if !records::valid_part(item) {
            return Err(format!(
                "--location-id: `{}` is not a location id (1 to 64 letters, digits, - and _; find it in HighLevel under Settings → Business Profile)",
                runtime::suggest::clip(item, 80)
            ));
        }
        if out.iter().any(|o| o == item) {
            return Err(format!(
                "--location-id: `{item}` is listed twice; give each location once (the first is the default)"
            ));
        }
        out.push(item.to_owned());
    }
    if out.len() > MAX_LOCATIONS {
        return Err(format!(
            "--location-id lists {} locations; at most {MAX_LOCATIONS} are allowed",
            out.len()
        ));
    }
    Ok(out)
}

/// The agency settings and state of an [`App`].
#[derive(Debug)]
pub struct Agency {
    /// `--profile`.
    pub profile: Profile,
    /// The server's location list when `--location-id` names several: the only ones header and
    /// server-held calls may use.
    pub allowed: Option<Vec<String>>,
    /// Whether a connection may hold several locations (a server list, or OAuth grants): then
    /// the full listing shows `list_locations` too.
    pub several: bool,
    /// Base of record links (`--app-url`), e.g. an agency's white-label app domain.
    pub app_url: String,
    /// Deadline of one `search`.
    pub search_deadline: Duration,
    names: locations::NameCache,
    listing: Vec<Tool>,
}

impl Default for Agency {
    fn default() -> Self {
        Self {
            profile: Profile::Default,
            allowed: None,
            several: false,
            app_url: DEFAULT_APP_URL.to_owned(),
            search_deadline: DEFAULT_SEARCH_DEADLINE,
            names: locations::NameCache::default(),
            listing: listing(),
        }
    }
}

impl Agency {
    /// Settings from the flags: the `--location-id` list (first = default), the profile and the
    /// app URL (checked: an http(s) origin).
    pub fn new(ids: &[String], profile: Profile, app_url: Option<&str>) -> Result<Self, String> {
        let app_url = match app_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => DEFAULT_APP_URL.to_owned(),
            Some(u) => {
                let parsed = url::Url::parse(u).map_err(|e| {
                    format!(
                        "--app-url `{u}` is not a URL ({e}); give e.g. https://app.gohighlevel.com"
                    )
                })?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err(format!(
                        "--app-url `{u}` must be an http(s) URL with a host, e.g. https://app.youragency.com"
                    ));
                }
                u.trim_end_matches('/').to_owned()
            }
        };
        let several = ids.len() > 1;
        Ok(Self {
            profile,
            allowed: several.then(|| ids.to_vec()),
            several,
            app_url,
            ..Self::default()
        })
    }

    /// The agency tools `tools/list` shows (after the meta-tools in discovery mode, alone in the
    /// connector profile, only `list_locations` in the full listing of a multi-location server).
    pub fn offered(&self, discovery: bool) -> &[Tool] {
        if self.profile == Profile::Connector || discovery {
            &self.listing
        } else if self.several {
            &self.listing[2..]
        } else {
            &[]
        }
    }

    /// Whether `name` is an agency tool offered here.
    pub fn offers(&self, name: &str, discovery: bool) -> bool {
        self.offered(discovery).iter().any(|t| t.name == name)
    }

    /// Whether only the agency tools are served.
    pub fn connector_only(&self) -> bool {
        self.profile == Profile::Connector
    }
}

/// search, fetch, list_locations: read-only, reaching HighLevel (open world).
fn listing() -> Vec<Tool> {
    let tool = |v: Value| -> Tool {
        serde_json::from_value(v).unwrap_or_else(|e| unreachable!("agency tool listing: {e}"))
    };
    let annotations = json!({
        "readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": true
    });
    // Kept short: in discovery mode these sit beside the meta-tools in every model context.
    vec![
        tool(json!({
            "name": SEARCH,
            "title": "Search the CRM",
            "description": "Search contacts, opportunities and conversations in this connection's locations. Returns results [{id, title, url}]; pass an id to fetch.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "Name, email, phone or words."},
                    "location": {"type": "string", "description": "Only this location id (default: all)."}
                },
                "required": ["query"]
            },
            "annotations": annotations,
        })),
        tool(json!({
            "name": FETCH,
            "title": "Fetch a CRM record",
            "description": "Read one record found by search: a contact, an opportunity, or a conversation with its latest messages.",
            "inputSchema": {
                "type": "object",
                "properties": {"id": {"type": "string", "description": "An id from search."}},
                "required": ["id"]
            },
            "annotations": annotations,
        })),
        tool(json!({
            "name": LIST_LOCATIONS,
            "title": "List locations",
            "description": "The locations (sub-accounts) this connection may use: id, name, default. Pass one as locationId.",
            "inputSchema": {"type": "object", "properties": {}},
            "annotations": annotations,
        })),
    ]
}

/// Runs agency tool `name` (one [`Agency::offers`]).
pub async fn call(
    app: &App,
    name: &str,
    args: &JsonObject,
    parts: Option<&http::request::Parts>,
) -> CallToolResult {
    let grant = match grant_for(app, parts).await {
        Ok(g) => g,
        Err(r) => return error(r.message),
    };
    match name {
        SEARCH => connector::search(app, &grant, args).await,
        FETCH => connector::fetch(app, &grant, args).await,
        _ => locations::list(app, &grant).await,
    }
}

/// The request's grant: the one the HTTP guard resolved, or (stdio) one resolved now.
pub async fn grant_for(
    app: &App,
    parts: Option<&http::request::Parts>,
) -> Result<Grant, Rejection> {
    match parts.and_then(|p| p.extensions.get::<Grant>()) {
        Some(g) => Ok(g.clone()),
        None => app.resolve_grant(parts).await,
    }
}

/// A success with `value` as both the text (JSON) and `structuredContent`.
pub fn reply(value: Value) -> CallToolResult {
    let mut r = CallToolResult::success(vec![ContentBlock::text(value.to_string())]);
    r.structured_content = Some(value);
    r
}

/// An `isError` result saying `text`.
pub fn error(text: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text.into())])
}

/// The generated tools the agency tools build their requests with, compiled once.
fn helper(name: &str) -> Result<&'static CompiledTool, String> {
    static HELPERS: OnceLock<HashMap<&'static str, CompiledTool>> = OnceLock::new();
    let helpers = HELPERS.get_or_init(|| {
        const NAMES: [&str; 7] = [
            "contacts_get-contacts",
            "contacts_get-contact",
            "opportunities_search-opportunity",
            "opportunities_get-opportunity",
            "conversations_search-conversation",
            "conversations_get-messages",
            "locations_get-location",
        ];
        generated::tools()
            .iter()
            .filter(|t| NAMES.contains(&t.name.as_ref()))
            .filter_map(|t| {
                let name = NAMES.iter().find(|n| **n == t.name.as_ref())?;
                CompiledTool::new((*t).clone()).ok().map(|c| (*name, c))
            })
            .collect()
    });
    helpers
        .get(name)
        .ok_or_else(|| format!("internal: the operation `{name}` is not compiled in"))
}

/// Calls generated tool `name` with `args` for `location` with the grant's token, through the
/// rate limiter and the upstream client, and answers HighLevel's JSON or the message a tool
/// call would have shown.
pub async fn upstream_json(
    app: &App,
    grant: &Grant,
    name: &str,
    args: Value,
    location: &str,
) -> Result<Value, String> {
    let started = Instant::now();
    let tool = helper(name)?;
    let Value::Object(args) = args else {
        return Err(format!(
            "internal: arguments for `{name}` are not an object"
        ));
    };
    let req = tool
        .prepare(
            &args,
            CallContext {
                location_id: Some(location),
            },
        )
        .map_err(|e| e.to_string())?;
    let def = &tool.def;
    let token = grant.token_for(Some(location)).await?;
    app.ops
        .pace(def, &args, Some(location), &token, started)
        .await
        .map_err(|r| text_of(&r))?;
    let (result, stats) = app.upstream.call(def, &req, &token).await;
    app.ops.finished(
        def,
        Outcome::from_result(&result),
        Some(stats.status),
        started,
    );
    tracing::info!(
        tool = %def.name,
        via = "agency",
        status = stats.status,
        attempts = stats.attempts,
        duration_ms = started.elapsed().as_millis() as u64,
        "upstream call"
    );
    if result.is_error == Some(true) {
        return Err(text_of(&result));
    }
    match result.structured_content {
        Some(Value::Object(m)) if !def.wrap_result => Ok(Value::Object(m)),
        _ => serde_json::from_str(&text_of(&result))
            .map_err(|_| format!("HighLevel's answer to `{name}` is not JSON")),
    }
}

fn text_of(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_lists_are_checked() {
        assert_eq!(parse_location_ids("a").expect("one"), ["a"]);
        assert_eq!(
            parse_location_ids(" a , b_2,c-3 ").expect("three"),
            ["a", "b_2", "c-3"]
        );
        let e = parse_location_ids("a,,b").expect_err("empty");
        assert!(e.contains("item 2 is empty"), "{e}");
        let e = parse_location_ids("a,b/c").expect_err("bad");
        assert!(e.contains("`b/c` is not a location id"), "{e}");
        let e = parse_location_ids("a,b,a").expect_err("repeat");
        assert!(e.contains("`a` is listed twice"), "{e}");
        let many: Vec<String> = (0..=MAX_LOCATIONS).map(|i| format!("l{i}")).collect();
        assert!(parse_location_ids(&many.join(",")).is_err());
    }

    #[test]
    fn the_profile_and_the_list_decide_what_is_offered() {
        let names = |a: &Agency, d: bool| -> Vec<String> {
            a.offered(d).iter().map(|t| t.name.to_string()).collect()
        };
        let one = Agency::new(&["a".into()], Profile::Default, None).expect("ok");
        assert!(one.allowed.is_none() && names(&one, false).is_empty());
        assert_eq!(names(&one, true), [SEARCH, FETCH, LIST_LOCATIONS]);
        let two = Agency::new(&["a".into(), "b".into()], Profile::Default, None).expect("ok");
        assert_eq!(two.allowed.as_deref().map(<[String]>::len), Some(2));
        assert_eq!(names(&two, false), [LIST_LOCATIONS]);
        let c = Agency::new(&[], Profile::Connector, Some("https://app.example.com/")).expect("ok");
        assert_eq!(names(&c, false), [SEARCH, FETCH, LIST_LOCATIONS]);
        assert_eq!(c.app_url, "https://app.example.com");
        assert!(Agency::new(&[], Profile::Default, Some("ftp://x")).is_err());
        // Every helper the agency tools use is compiled in.
        for n in [
            "contacts_get-contacts",
            "contacts_get-contact",
            "opportunities_search-opportunity",
            "opportunities_get-opportunity",
            "conversations_search-conversation",
            "conversations_get-messages",
            "locations_get-location",
        ] {
            assert!(helper(n).is_ok(), "{n}");
        }
    }
}
