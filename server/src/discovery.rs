//! Lazy discovery (`--discovery`): `tools/list` shows three meta-tools instead of every schema,
//! under the names HighLevel's own endpoint for Claude uses, so prompts written there work here.
//!
//! * `search_operations` {query, app, limit, offset} ranks the selected operations for a request
//!   in plain words ([`catalog::SearchIndex`], built once at start-up) and answers with a compact
//!   line per operation: name, title, the first sentence of its description, whether it is
//!   read-only. With `app` the search stays in that app; with `app` and no query it lists the
//!   app's operations (name and title); with neither it lists the apps. A search that finds
//!   nothing names the closest apps, so the model always has a next step.
//! * `describe_operation` {name} answers with the operation's full MCP JSON (`runtime::tool_json`:
//!   title, description, annotations, inputSchema, outputSchema), so the model sees the schema of
//!   only the operations it is about to call.
//! * `execute_operation` {name, arguments, fields, max_chars} calls any selected operation through
//!   the same argument checks and upstream path as a directly listed tool, then applies the
//!   optional field selection and size cap of [`crate::compact`].
//!
//! The earlier names `search_tools`, `describe_tool` and `call_tool` are still accepted (not
//! listed). An unknown operation name is an `isError` result naming the closest operations, so
//! the model can correct itself without another search.

use std::collections::BTreeMap;
use std::sync::Arc;

use catalog::SearchIndex;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use crate::served::{Entry, ServedTools};

/// Name of the search meta-tool (HighLevel's name for it).
pub const SEARCH: &str = "search_operations";
/// Name of the describe meta-tool (HighLevel's name for it).
pub const DESCRIBE: &str = "describe_operation";
/// Name of the call meta-tool (HighLevel's name for it).
pub const CALL: &str = "execute_operation";
/// Earlier names of the meta-tools, still accepted but not listed: (old, current).
pub const ALIASES: [(&str, &str); 3] = [
    ("search_tools", SEARCH),
    ("describe_tool", DESCRIBE),
    ("call_tool", CALL),
];

/// The current name of the meta-tool called `name` (itself or an alias), if it is one.
pub fn meta_name(name: &str) -> Option<&'static str> {
    [SEARCH, DESCRIBE, CALL]
        .into_iter()
        .find(|n| *n == name)
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(old, _)| *old == name)
                .map(|(_, n)| *n)
        })
}

/// Default `limit` of a search.
pub const DEFAULT_LIMIT: usize = 5;
/// Largest `limit` of a search.
pub const MAX_LIMIT: usize = 20;
/// Default and largest `limit` when listing an app's operations: a page of names and titles
/// stays under about 1,500 tokens even for the longest names.
pub const DEFAULT_LIST_LIMIT: usize = 50;
/// Largest `limit` when listing an app's operations.
pub const MAX_LIST_LIMIT: usize = 100;
/// Longest `query` of a search, in characters: ranking work grows with the query.
pub const MAX_QUERY_CHARS: usize = 1000;
/// How many apps a search that finds nothing suggests.
const SUGGESTED_APPS: usize = 5;

/// The search index, the operations of each app and the meta-tool listing.
#[derive(Debug)]
pub struct Discovery {
    index: SearchIndex,
    /// App name → indices of its operations in the served tools, in catalog order.
    apps: BTreeMap<String, Vec<usize>>,
    listing: Vec<Tool>,
}

/// What `search_operations` was asked.
#[derive(Debug, Clone, Copy)]
pub struct SearchRequest<'a> {
    /// The request in plain words (empty: list the app, or the apps).
    pub query: &'a str,
    /// Only this app's operations.
    pub app: Option<&'a str>,
    /// How many results at most.
    pub limit: usize,
    /// How many to skip when listing an app.
    pub offset: usize,
}

fn object(v: Value) -> Arc<JsonObject> {
    match v {
        Value::Object(m) => Arc::new(m),
        _ => Arc::new(JsonObject::new()),
    }
}

fn read_only() -> ToolAnnotations {
    ToolAnnotations::new()
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false)
}

/// What `execute_operation` may do: the combined hints of every tool it can reach (read-only only
/// when all are, destructive when any is), so a `--read-only` server's `execute_operation` is
/// read-only too.
pub fn combined_hints<'a>(
    tools: impl IntoIterator<Item = &'a runtime::ToolDef>,
) -> ToolAnnotations {
    let (mut read_only, mut destructive, mut idempotent, mut open_world) =
        (true, false, true, false);
    for t in tools {
        let a = t.annotations;
        read_only &= a.read_only;
        destructive |= a.destructive;
        idempotent &= a.idempotent;
        open_world |= a.open_world;
    }
    ToolAnnotations::new()
        .read_only(read_only)
        .destructive(destructive)
        .idempotent(idempotent)
        .open_world(open_world)
}

/// The three meta-tools as `tools/list` shows them; `call_hints` are `execute_operation`'s
/// annotations (see [`combined_hints`]).
pub fn meta_tools(tool_count: usize, call_hints: ToolAnnotations) -> Vec<Tool> {
    vec![
        Tool::new(
            SEARCH,
            format!(
                "Find HighLevel CRM operations ({tool_count}) for a task in plain words, e.g. \"move Dana's appointment to Friday\". Returns name, title, summary, readOnly. With `app` and no query: that app's operations; with neither: the apps."
            ),
            object(json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What you want to do, in plain words."},
                    "app": {"type": "string", "description": "Only this app, e.g. contacts."},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIST_LIMIT},
                    "offset": {"type": "integer", "minimum": 0}
                }
            })),
        )
        .with_title("Search operations")
        .with_annotations(read_only()),
        Tool::new(
            DESCRIBE,
            "Show one operation's full definition (description, annotations, inputSchema) before executing it.",
            object(json!({
                "type": "object",
                "properties": {"name": {"type": "string", "description": "Operation name from search_operations."}},
                "required": ["name"]
            })),
        )
        .with_title("Describe operation")
        .with_annotations(read_only()),
        Tool::new(
            CALL,
            "Execute an operation by name with arguments matching its inputSchema. Optional: fields (dot paths to keep, e.g. [\"contact.email\", \"contacts.id\"]; arrays map over items) and max_chars (truncate longer results).",
            object(json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "arguments": {"type": "object"},
                    "fields": {"type": "array", "items": {"type": "string"}},
                    "max_chars": {"type": "integer", "minimum": 1}
                },
                "required": ["name"]
            })),
        )
        .with_title("Execute operation")
        .with_annotations(call_hints),
    ]
}

/// The first sentence of `text` (at most ~160 characters), for compact search answers.
pub fn first_sentence(text: &str) -> String {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            c == '\n' || (c == '.' && text[i + 1..].starts_with(|n: char| n.is_whitespace()))
        })
        .map(|(i, c)| if c == '.' { i + 1 } else { i })
        .unwrap_or(text.len());
    let s = text[..end].trim();
    if s.chars().count() > 160 {
        let cut: String = s.chars().take(157).collect();
        format!("{}...", cut.trim_end())
    } else {
        s.to_owned()
    }
}

impl Discovery {
    /// Indexes `catalog` (call once, at start-up).
    pub fn new(catalog: &ServedTools) -> Self {
        let mut apps: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, e) in catalog.entries().iter().enumerate() {
            apps.entry(e.compiled.def.app.to_string())
                .or_default()
                .push(i);
        }
        Self {
            index: SearchIndex::with_keywords(
                catalog.entries().iter().map(|e| &e.compiled.def),
                &generated::keywords,
            ),
            apps,
            listing: meta_tools(
                catalog.len(),
                combined_hints(catalog.entries().iter().map(|e| &e.compiled.def)),
            ),
        }
    }

    /// The meta-tools.
    pub fn listing(&self) -> &[Tool] {
        &self.listing
    }

    /// The meta-tool named `name` (or by an earlier name of it).
    pub fn get(&self, name: &str) -> Option<&Tool> {
        let name = meta_name(name)?;
        self.listing.iter().find(|t| t.name == name)
    }

    /// The app named `app`, written with or without hyphens (`social-media-posting`,
    /// `socialmediaposting`), or the closest app names when there is none.
    pub fn app(&self, app: &str) -> Result<&str, Vec<&str>> {
        let squash = |s: &str| s.replace('-', "").to_lowercase();
        let wanted = squash(app.trim());
        match self.apps.keys().find(|a| squash(a) == wanted) {
            Some(a) => Ok(a),
            None => Err(runtime::suggest::closest(
                &wanted,
                self.apps.keys().map(String::as_str),
            )),
        }
    }

    /// The `search_operations` answer. `req.app` must be an app of [`Self::app`].
    pub fn search(&self, tools: &ServedTools, req: SearchRequest<'_>) -> Value {
        let entries = tools.entries();
        let query = req.query.trim();
        if query.is_empty() {
            return match req.app {
                Some(app) => self.list_app(tools, app, req.limit, req.offset),
                None => json!({
                    "apps": self.apps.iter().map(|(a, ops)| json!([a, ops.len()])).collect::<Vec<_>>(),
                    "next": "search_operations {\"query\": \"what you want to do\"}, or {\"app\": \"<app>\"} to list one app's operations",
                }),
            };
        }
        let in_app = req.app.and_then(|a| self.apps.get(a));
        let hits = self.index.search_where(query, req.limit, |i| {
            in_app.is_none_or(|ops| ops.binary_search(&i).is_ok())
        });
        let results: Vec<Value> = hits
            .iter()
            .map(|h| {
                let def = &entries[h.index].compiled.def;
                json!({
                    "name": def.name,
                    "title": def.title,
                    "summary": first_sentence(&def.description),
                    "readOnly": def.annotations.read_only,
                })
            })
            .collect();
        if results.is_empty() {
            return json!({
                "operations": [],
                "closest_apps": self.closest_apps(query),
                "next": "list an app's operations with search_operations {\"app\": \"<app>\"}, or try other words",
            });
        }
        json!({ "operations": results })
    }

    /// One page of an app's operations: name and title each.
    fn list_app(&self, tools: &ServedTools, app: &str, limit: usize, offset: usize) -> Value {
        let entries = tools.entries();
        let ops = self.apps.get(app).map(Vec::as_slice).unwrap_or_default();
        let page: Vec<Value> = ops
            .iter()
            .skip(offset)
            .take(limit)
            .map(|&i| {
                let def = &entries[i].compiled.def;
                json!([def.name, def.title])
            })
            .collect();
        let mut answer = json!({ "app": app, "total": ops.len(), "operations": page });
        if offset + limit < ops.len() {
            answer["next_offset"] = json!(offset + limit);
        }
        answer
    }

    /// Apps nearest to the words of `query`: apps named like one of its words first, then the
    /// largest apps, so the list is never empty. Each as [name, number of operations].
    fn closest_apps(&self, query: &str) -> Vec<Value> {
        let mut out: Vec<&str> = Vec::new();
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect();
        for w in &words {
            for a in runtime::suggest::within(
                w,
                self.apps.keys().map(String::as_str),
                (w.chars().count() / 3).max(1),
                SUGGESTED_APPS,
            ) {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        let mut by_size: Vec<(&String, &Vec<usize>)> = self.apps.iter().collect();
        by_size.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        for (a, _) in by_size {
            if out.len() >= SUGGESTED_APPS {
                break;
            }
            if !out.contains(&a.as_str()) {
                out.push(a);
            }
        }
        out.truncate(SUGGESTED_APPS);
        out.into_iter()
            .map(|a| json!([a, self.apps.get(a).map_or(0, Vec::len)]))
            .collect()
    }

    /// Up to five tool names close to a wrong `name`: near spellings first, then search hits.
    pub fn closest(&self, tools: &ServedTools, name: &str) -> Vec<String> {
        let entries = tools.entries();
        let mut out: Vec<String> = Vec::new();
        // No valid tool name is longer than MAX_NAME_CHARS: a longer one gets no fuzzy match, and
        // only its first characters are searched, so the work stays bounded whatever is sent.
        let name = match name.char_indices().nth(runtime::suggest::MAX_NAME_CHARS) {
            Some((cut, _)) => &name[..cut],
            None => name,
        };
        let near = runtime::suggest::closest(
            name,
            entries
                .iter()
                .map(|e: &Arc<Entry>| e.compiled.def.name.as_ref()),
        );
        // `closest` falls back to alphabetical names when nothing is near; keep same-app ones.
        for n in near {
            if same_app(name, n) {
                out.push(n.to_owned());
            }
        }
        for h in self.index.search(name, 5) {
            let n = entries[h.index].compiled.def.name.to_string();
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out.truncate(5);
        out
    }
}

/// Whether `a` and `b` start with the same app prefix (`contacts_`).
fn same_app(a: &str, b: &str) -> bool {
    let prefix = |s: &str| s.split('_').next().unwrap_or("").to_owned();
    prefix(a) == prefix(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sentence_stops_at_a_period_or_line_break() {
        assert_eq!(
            first_sentence("Get one contact. Needs contacts.readonly scope."),
            "Get one contact."
        );
        assert_eq!(first_sentence("Line one\nline two"), "Line one");
        assert_eq!(first_sentence("v1.2 is fine"), "v1.2 is fine");
        assert!(first_sentence(&"x".repeat(400)).ends_with("..."));
    }
}
