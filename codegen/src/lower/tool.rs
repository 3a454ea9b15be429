//! Lowered arguments plus tool metadata → a [`ToolDef`]: the inputSchema (lean for the model's
//! context), the parameter table the executor uses, and the location slot. Also the metadata
//! both entry points derive the same way: colliding argument names (Q14), the location mode an
//! operation suggests, scopes from `security`, and the official policy's annotations.

use std::borrow::Cow;
use std::collections::BTreeSet;

use runtime::{Annotations, HttpMethod, LocationSlot, ParamDef, ParamIn, ToolDef};
use serde_json::{Map, Value, json};

use super::canonical;
use super::operation::{Arg, Op};

/// Renames arguments whose names collide, deterministically: a later argument `x` in location
/// `loc` becomes `<loc>_x` (`body_type`, `query_campaignGroupId`), then `<loc>_x_2`, ...
pub(super) fn dedupe_names(args: &mut [Arg]) {
    let mut used: BTreeSet<String> = BTreeSet::new();
    for a in args.iter_mut() {
        if used.insert(a.name.clone()) {
            continue;
        }
        let prefix = match a.loc {
            ParamIn::Path => "path",
            ParamIn::Query => "query",
            ParamIn::Header => "header",
            ParamIn::Body | ParamIn::BodyRoot => "body",
        };
        let base = format!("{prefix}_{}", a.name);
        let mut candidate = base.clone();
        let mut n = 2;
        while used.contains(&candidate) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        used.insert(candidate.clone());
        a.name = candidate;
    }
}

/// The location modes of the overlay's `location` key.
pub(super) const LOCATION_MODES: [&str; 6] =
    ["none", "query", "path", "body", "location_id", "alt"];

/// Finds the argument for a location mode; `None` when the operation has no such parameter.
pub(super) fn location_for(mode: &str, args: &[Arg]) -> Option<LocationSlot> {
    let find = |loc: ParamIn, wire: &str| {
        args.iter()
            .find(|a| a.loc == loc && a.wire == wire)
            .map(|a| LocationSlot::Arg(Cow::Owned(a.name.clone())))
    };
    match mode {
        "none" => Some(LocationSlot::None),
        "query" => find(ParamIn::Query, "locationId"),
        "path" => find(ParamIn::Path, "locationId"),
        "body" => find(ParamIn::Body, "locationId"),
        "location_id" => find(ParamIn::Query, "location_id"),
        "alt" => {
            // `altType` is optional: some operations (payments `get-order-by-id`) take only altId.
            args.iter()
                .any(|a| a.wire == "altId" && a.name == "altId")
                .then_some(LocationSlot::AltId)
        }
        _ => None,
    }
}

/// The location mode the operation itself suggests (path, alt, query, body, location_id order).
pub(super) fn derive_location(args: &[Arg]) -> (&'static str, LocationSlot) {
    for mode in ["path", "alt", "query", "body", "location_id"] {
        if let Some(slot) = location_for(mode, args) {
            return (mode, slot);
        }
    }
    ("none", LocationSlot::None)
}

/// Metadata that turns an [`Op`] into a [`ToolDef`].
pub(super) struct Meta {
    pub name: String,
    pub app: String,
    pub title: String,
    pub description: String,
    pub annotations: Annotations,
    pub scopes: Vec<String>,
    pub location: LocationSlot,
    pub version: Option<String>,
}

const LOCATION_NOTE: &str = "Optional: defaults to the `locationId` request header.";

pub(super) fn build_tool(op: Op, meta: Meta) -> ToolDef {
    let location_args: Vec<&str> = match &meta.location {
        LocationSlot::None => vec![],
        LocationSlot::Arg(a) => vec![a.as_ref()],
        LocationSlot::AltId => vec!["altId", "altType"],
    };
    let mut props = Map::new();
    let mut required = Vec::new();
    for a in op.args.iter().filter(|a| !a.hidden) {
        let mut s = a.schema.clone();
        lean_arg_schema(&mut s, 0);
        let is_loc = location_args.contains(&a.name.as_str());
        if let Value::Object(o) = &mut s {
            if let Some(d) = &a.default {
                o.insert("default".into(), d.clone());
            }
            if is_loc {
                let note = if a.name == "altType" {
                    "Optional: defaults to `location`.".to_owned()
                } else {
                    LOCATION_NOTE.to_owned()
                };
                let d = match o.get("description").and_then(Value::as_str) {
                    Some(d) if !d.is_empty() => format!("{d} {note}"),
                    _ => note,
                };
                o.insert("description".into(), Value::String(d));
            }
        }
        props.insert(a.name.clone(), s);
        if a.required && a.default.is_none() && !is_loc {
            required.push(a.name.clone());
        }
    }
    required.sort();
    let mut input = Map::new();
    input.insert("type".into(), json!("object"));
    input.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        input.insert("required".into(), json!(required));
    }
    input.insert("additionalProperties".into(), Value::Bool(false));
    let input_schema = canonical(&Value::Object(input));

    let params: Vec<ParamDef> = op
        .args
        .iter()
        .filter(|a| !a.hidden || a.default.is_some() || location_args.contains(&a.name.as_str()))
        .map(|a| ParamDef {
            name: Cow::Owned(a.name.clone()),
            wire: Cow::Owned(a.wire.clone()),
            location: a.loc,
            required: a.required,
            default: a.default.as_ref().map(|d| Cow::Owned(canonical(d))),
        })
        .collect();
    let agency_only = !op.security.is_empty()
        && op
            .security
            .iter()
            .all(|alt| !alt.is_empty() && alt.iter().all(|(s, _)| s.starts_with("Agency-Access")));
    let (output_schema, wrap_result) = match op.output {
        Some((s, wrap)) => (Some(Cow::Owned(canonical(&s))), wrap),
        None => (None, false),
    };
    let risk = crate::risk::derive(op.method, &op.path, &op.operation_id);
    let body_encoding = op.body_encoding;
    ToolDef {
        name: Cow::Owned(meta.name),
        app: Cow::Owned(meta.app),
        operation_id: Cow::Owned(op.operation_id),
        title: Cow::Owned(meta.title),
        description: Cow::Owned(meta.description),
        annotations: meta.annotations,
        scopes: Cow::Owned(meta.scopes.into_iter().map(Cow::Owned).collect()),
        agency_only,
        deprecated: op.deprecated,
        method: op.method,
        path: Cow::Owned(op.path),
        version: meta.version.or(op.version).map(Cow::Owned),
        params: Cow::Owned(params),
        location: meta.location,
        input_schema: Cow::Owned(input_schema),
        output_schema,
        wrap_result,
        risk,
        body_encoding,
    }
}

/// Enums longer than this are described, not enumerated, in an inputSchema: a 42-value enum
/// costs about 400 tokens of context in every tools/list, and HighLevel rejects a wrong value
/// with a 422 whose message the model sees anyway.
const MAX_ENUM_IN_SCHEMA: usize = 12;

/// Makes an argument's schema lean for the model's context: descriptions are kept on the
/// argument itself but dropped from nested properties (their names and types carry the meaning;
/// nested descriptions were a third of the curated tools' tokens), and long enums become a short
/// description with a few examples. Types, `required` and short enums stay, so argument checks
/// are unchanged in strength except for the long enums.
fn lean_arg_schema(schema: &mut Value, depth: usize) {
    let Value::Object(o) = schema else { return };
    if depth > 0 {
        o.remove("description");
    }
    // `oneOf` refuses a value that fits two alternatives, and HighLevel's alternatives overlap
    // (an account of type page matches both of attach-oauth-accounts' shapes); the argument check
    // must accept what any alternative accepts.
    if let Some(alts) = o.remove("oneOf") {
        o.insert("anyOf".into(), alts);
    }
    let long_enum = o
        .get("enum")
        .and_then(Value::as_array)
        .filter(|e| e.len() > MAX_ENUM_IN_SCHEMA)
        .cloned();
    if let Some(values) = long_enum {
        o.remove("enum");
        if depth == 0 {
            let examples: Vec<String> = values
                .iter()
                .take(3)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect();
            let note = format!(
                "One of {} values, e.g. {}.",
                values.len(),
                examples.join(", ")
            );
            let d = match o.get("description").and_then(Value::as_str) {
                Some(d) if !d.is_empty() => format!("{d} {note}"),
                _ => note,
            };
            o.insert("description".into(), Value::String(d));
        }
    }
    if let Some(Value::Object(props)) = o.get_mut("properties") {
        for v in props.values_mut() {
            lean_arg_schema(v, depth + 1);
        }
    }
    // Array items and map values describe the argument's elements: same depth rule as properties.
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = o.get_mut(key) {
            lean_arg_schema(inner, depth + 1);
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(alts)) = o.get_mut(key) {
            for v in alts {
                lean_arg_schema(v, depth + 1);
            }
        }
    }
}

/// Every scope any `security` alternative names, sorted and deduplicated.
pub(super) fn security_scopes(op: &Op) -> Vec<String> {
    let set: BTreeSet<String> = op
        .security
        .iter()
        .flatten()
        .flat_map(|(_, s)| s.iter().cloned())
        .collect();
    set.into_iter().collect()
}

/// The official policy's annotations: GET read-only and idempotent, DELETE destructive and
/// idempotent, PUT idempotent, POST/PATCH none; open-world for operations that send a message
/// to a person (an operationId containing `send`, or `POST /conversations/messages`).
pub(super) fn derived_annotations(op: &Op) -> Annotations {
    let sends = op.method == HttpMethod::Post
        && (op.operation_id.to_ascii_lowercase().contains("send")
            || op.path == "/conversations/messages");
    Annotations {
        read_only: op.method == HttpMethod::Get,
        destructive: op.method == HttpMethod::Delete,
        idempotent: matches!(
            op.method,
            HttpMethod::Get | HttpMethod::Delete | HttpMethod::Put
        ),
        open_world: sends,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collisions_get_location_prefixes() {
        let arg = |n: &str, loc| Arg {
            name: n.into(),
            wire: n.into(),
            loc,
            required: false,
            schema: json!({}),
            default: None,
            hidden: false,
        };
        let mut args = vec![
            arg("type", ParamIn::Query),
            arg("type", ParamIn::Body),
            arg("body_type", ParamIn::Body),
        ];
        dedupe_names(&mut args);
        let names: Vec<&str> = args.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["type", "body_type", "body_body_type"]);
    }
}
