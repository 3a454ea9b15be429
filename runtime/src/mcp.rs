//! A [`ToolDef`] rendered as the MCP `Tool` object, in one place.
//!
//! The generator writes this JSON as the per-tool schema files (keys sorted, 2-space indent) and
//! the server deserializes the same JSON into the `Tool` it lists, so the served `tools/list` and
//! the committed files cannot drift apart.

use serde_json::{Map, Value, json};

use crate::ToolDef;

/// The `_meta` key carrying a tool's risk classes (`["destructive", "money"]`). `_meta` is MCP's
/// place for extensions, so rmcp's `Tool` keeps it and clients that do not know it ignore it.
pub const RISK_META_KEY: &str = "highlevel-mcp/risk";

/// The MCP tool JSON of `def`: `name`, `title`, `description`, `annotations` (the four hints),
/// `inputSchema`, when the tool has one `outputSchema`, and when it has a risk class
/// `_meta.{RISK_META_KEY}`; keys sorted recursively.
///
/// A schema text that is not JSON (impossible for lowered tools) is rendered as `{}`.
pub fn tool_json(def: &ToolDef) -> Value {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or_else(|_| json!({}));
    let mut m = Map::new();
    m.insert(
        "annotations".into(),
        json!({
            "destructiveHint": def.annotations.destructive,
            "idempotentHint": def.annotations.idempotent,
            "openWorldHint": def.annotations.open_world,
            "readOnlyHint": def.annotations.read_only,
        }),
    );
    m.insert("description".into(), json!(def.description));
    if !def.risk.is_empty() {
        m.insert("_meta".into(), json!({ RISK_META_KEY: def.risk.names() }));
    }
    m.insert("inputSchema".into(), parse(&def.input_schema));
    m.insert("name".into(), json!(def.name));
    if let Some(out) = &def.output_schema {
        m.insert("outputSchema".into(), parse(out));
    }
    m.insert("title".into(), json!(def.title));
    sorted(&Value::Object(m))
}

/// `value` as canonical pretty JSON: keys sorted, 2-space indent, final newline.
pub fn pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&sorted(value)).unwrap_or_default();
    s.push('\n');
    s
}

/// `v` with every object's keys in sorted order (recursively), for byte-stable output.
pub fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}
