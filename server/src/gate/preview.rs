//! The before-read of a preview: which served read tool names a write's target, what it is
//! called, and which of its fields an update changes.
//!
//! The reader is found by rule, not by table: a served `GET` tool whose path parameters the write's
//! arguments all supply (by argument name), preferring one whose path the write's path extends
//! (`PUT /contacts/{contactId}` reads `GET /contacts/{contactId}`), then the longest path. A
//! write whose body names a `contactId` (sending a message) reads that contact the same way.

use rmcp::model::JsonObject;
use runtime::{CallContext, HttpMethod, ParamIn, ToolDef};
use serde_json::{Value, json};

use crate::credentials::Secret;
use crate::served::{Entry, ServedTools};
use crate::upstream::Upstream;

/// What a preview reads with.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    /// The served tools (the read tool must be served).
    pub tools: &'a ServedTools,
    /// The upstream client.
    pub upstream: &'a Upstream,
    /// The call's HighLevel token.
    pub token: &'a Secret,
    /// The call's location id.
    pub location: Option<&'a str>,
}

/// The target of a write as read just before the preview.
#[derive(Debug, Clone)]
pub struct Target {
    /// The read tool used.
    pub read_with: String,
    /// The record (unwrapped from `{"contact": {...}}`), when the read succeeded.
    pub record: Option<Value>,
    /// Why the read gave nothing, when it did not.
    pub problem: Option<String>,
}

fn reader_for<'a>(tools: &'a ServedTools, def: &ToolDef, args: &JsonObject) -> Option<&'a Entry> {
    let write_path = def.path.trim_end_matches('/');
    tools
        .entries()
        .iter()
        .filter(|e| e.compiled.def.method == HttpMethod::Get)
        .filter_map(|e| {
            let r = &e.compiled.def;
            let path_params: Vec<_> = r
                .params
                .iter()
                .filter(|p| p.location == ParamIn::Path)
                .collect();
            if path_params.is_empty() {
                return None;
            }
            let supplied = path_params.iter().all(|p| {
                args.get(p.name.as_ref())
                    .and_then(Value::as_str)
                    .is_some_and(|v| !v.is_empty())
            });
            let others_optional = r
                .params
                .iter()
                .all(|p| p.location == ParamIn::Path || !p.required || p.default.is_some());
            if !supplied || !others_optional {
                return None;
            }
            let rp = r.path.trim_end_matches('/');
            let prefix = write_path.starts_with(rp);
            Some(((prefix, rp.len()), e))
        })
        .max_by_key(|(k, _)| *k)
        .map(|(_, e)| e.as_ref())
}

/// Reads the target of a write of `def` with `args`, when a served read tool can.
pub async fn read_target(r: Reader<'_>, def: &ToolDef, args: &JsonObject) -> Option<Target> {
    let entry = reader_for(r.tools, def, args)?;
    let rdef = &entry.compiled.def;
    let mut rargs = JsonObject::new();
    for p in rdef.params.iter().filter(|p| p.location == ParamIn::Path) {
        if let Some(v) = args.get(p.name.as_ref()) {
            rargs.insert(p.name.to_string(), v.clone());
        }
    }
    let req = match entry.compiled.prepare(
        &rargs,
        CallContext {
            location_id: r.location,
        },
    ) {
        Ok(req) => req,
        Err(e) => {
            return Some(Target {
                read_with: rdef.name.to_string(),
                record: None,
                problem: Some(e.to_string()),
            });
        }
    };
    let (result, _) = r.upstream.call(rdef, &req, r.token).await;
    let value = result.structured_content.clone().or_else(|| {
        result
            .content
            .first()
            .and_then(|c| c.as_text())
            .and_then(|t| serde_json::from_str(&t.text).ok())
    });
    if result.is_error == Some(true) || value.is_none() {
        let text = result
            .content
            .first()
            .and_then(|c| c.as_text())
            .map(|t| runtime::suggest::clip(&t.text, 300).into_owned())
            .unwrap_or_default();
        return Some(Target {
            read_with: rdef.name.to_string(),
            record: None,
            problem: Some(format!("the read failed: {text}")),
        });
    }
    Some(Target {
        read_with: rdef.name.to_string(),
        record: value.map(unwrap_record),
        problem: None,
    })
}

/// `{"contact": {...}}` → `{...}`: HighLevel wraps single records in one key.
fn unwrap_record(v: Value) -> Value {
    match &v {
        Value::Object(m) if m.len() == 1 => match m.values().next() {
            Some(inner @ Value::Object(_)) => inner.clone(),
            _ => v,
        },
        _ => v,
    }
}

/// A human name for a record: `name`, `firstName lastName`, `contactName`, `title` or `email`.
pub fn name_of(record: &Value) -> Option<String> {
    let s = |k: &str| {
        record
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    };
    if let Some(n) = s("name").or(s("contactName")) {
        return Some(n.to_owned());
    }
    let full = [s("firstName"), s("lastName")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !full.is_empty() {
        return Some(full);
    }
    s("title").or(s("email")).map(str::to_owned)
}

/// The fields an update body changes: `[{"field", "before", "after"}]`, unchanged ones left out.
pub fn diff(record: &Value, body: &Value) -> Vec<Value> {
    let Value::Object(after) = body else {
        return vec![];
    };
    after
        .iter()
        .filter_map(|(k, new)| {
            let old = record.get(k).cloned().unwrap_or(Value::Null);
            (old != *new).then(|| json!({"field": k, "before": old, "after": new}))
        })
        .collect()
}

/// Ids a write created or changed: its path arguments, then `id`/`*Id` fields of the response
/// (top level and one level down).
pub fn ids(def: &ToolDef, args: &JsonObject, response: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = def
        .params
        .iter()
        .filter(|p| p.location == ParamIn::Path)
        .filter_map(|p| args.get(p.name.as_ref()).and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    let mut take = |m: &serde_json::Map<String, Value>| {
        for (k, v) in m {
            if (k == "id" || k == "_id" || k.ends_with("Id"))
                && k != "locationId"
                && let Some(s) = v.as_str()
                && !out.iter().any(|o| o == s)
            {
                out.push(s.to_owned());
            }
        }
    };
    if let Some(Value::Object(m)) = response {
        take(m);
        for v in m.values() {
            if let Value::Object(inner) = v {
                take(inner);
            }
        }
    }
    out.truncate(20);
    out
}
