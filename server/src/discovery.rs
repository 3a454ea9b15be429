//! Lazy discovery (`--discovery`): `tools/list` shows three meta-tools instead of every schema.
//!
//! * `search_tools` {query, limit} ranks the selected tools for a natural-language query
//!   ([`catalog::SearchIndex`], built once at start-up) and answers with a compact line per tool:
//!   name, title, the first sentence of its description and whether it is read-only.
//! * `describe_tool` {name} answers with the tool's full MCP JSON (`runtime::tool_json`: title,
//!   description, annotations, inputSchema, outputSchema), so the model sees the schema of only
//!   the tools it is about to call.
//! * `call_tool` {name, arguments, fields, max_chars} calls any selected tool through the same
//!   argument checks and upstream path as a directly listed tool, then applies the optional field
//!   selection and size cap of [`crate::compact`].
//!
//! An unknown tool name is an `isError` result naming the closest tools, so the model can correct
//! itself without another search.

use std::sync::Arc;

use catalog::SearchIndex;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use crate::served::{Entry, ServedTools};

/// Name of the search meta-tool.
pub const SEARCH: &str = "search_tools";
/// Name of the describe meta-tool.
pub const DESCRIBE: &str = "describe_tool";
/// Name of the call meta-tool.
pub const CALL: &str = "call_tool";

/// Default and largest `limit` of `search_tools`.
pub const DEFAULT_LIMIT: usize = 5;
/// Largest `limit` of `search_tools`.
pub const MAX_LIMIT: usize = 20;
/// Longest `query` of `search_tools`, in characters: ranking work grows with the query.
pub const MAX_QUERY_CHARS: usize = 1000;

/// The search index and the meta-tool listing.
#[derive(Debug)]
pub struct Discovery {
    index: SearchIndex,
    listing: Vec<Tool>,
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

/// What `call_tool` may do: the combined hints of every tool it can reach (read-only only when
/// all are, destructive when any is), so a `--read-only` server's `call_tool` is read-only too.
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

/// The three meta-tools as `tools/list` shows them; `call_hints` are `call_tool`'s annotations
/// (see [`combined_hints`]).
pub fn meta_tools(tool_count: usize, call_hints: ToolAnnotations) -> Vec<Tool> {
    vec![
        Tool::new(
            SEARCH,
            format!(
                "Find HighLevel CRM tools ({tool_count} available) by what you want to do, e.g. \"get contact by id\" or \"book an appointment\". Returns the best matches: name, title, summary, readOnly."
            ),
            object(json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What you want to do, in plain words."},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
                },
                "required": ["query"]
            })),
        )
        .with_title("Search tools")
        .with_annotations(read_only()),
        Tool::new(
            DESCRIBE,
            "Show one tool's full definition (description, annotations, inputSchema) before calling it.",
            object(json!({
                "type": "object",
                "properties": {"name": {"type": "string", "description": "Tool name from search_tools."}},
                "required": ["name"]
            })),
        )
        .with_title("Describe tool")
        .with_annotations(read_only()),
        Tool::new(
            CALL,
            "Call a tool by name with arguments matching its inputSchema. Optional: fields (dot paths to keep, e.g. [\"contact.email\", \"contacts.id\"]; arrays map over items) and max_chars (truncate longer results).",
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
        .with_title("Call tool")
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
        Self {
            index: SearchIndex::new(catalog.entries().iter().map(|e| &e.compiled.def)),
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

    /// The meta-tool named `name`.
    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.listing.iter().find(|t| t.name == name)
    }

    /// The `search_tools` answer for `query`.
    pub fn search(&self, tools: &ServedTools, query: &str, limit: usize) -> Value {
        let entries = tools.entries();
        let results: Vec<Value> = self
            .index
            .search(query, limit)
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
        json!({ "tools": results })
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
