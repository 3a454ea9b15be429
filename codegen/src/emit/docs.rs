//! `TOOLS.md`: the catalog of generated tools (a table, then one section per tool), rendered
//! with askama from `codegen/templates/tools.md`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use askama::Template;
use runtime::{LocationSlot, ParamIn, ToolDef};
use serde_json::Value;

use super::header;
use crate::lower::Lowered;

struct ArgView {
    name: String,
    sent_as: String,
    ty: String,
    required: &'static str,
    description: String,
}

struct ToolView {
    name: String,
    anchor: String,
    title: String,
    method: &'static str,
    path: String,
    version: Option<String>,
    description: String,
    hints: String,
    risk: String,
    annotations: String,
    location: String,
    scopes: String,
    output: &'static str,
    args: Vec<ArgView>,
}

#[derive(Template)]
#[template(path = "tools.md", escape = "none")]
struct ToolsMd {
    header: String,
    tools: Vec<ToolView>,
}

/// Makes text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn type_of(schema: &Value) -> String {
    match schema.get("type") {
        Some(Value::String(t)) => {
            match (t.as_str(), schema.get("items").and_then(|i| i.get("type"))) {
                ("array", Some(Value::String(it))) => format!("array of {it}"),
                _ => t.clone(),
            }
        }
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    }
}

fn view(def: &ToolDef) -> ToolView {
    let input: Value = serde_json::from_str(&def.input_schema).unwrap_or(Value::Null);
    let required: Vec<&str> = input
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let props = input.get("properties").and_then(Value::as_object);
    let args = def
        .params
        .iter()
        .filter_map(|p| {
            let schema = props?.get(p.name.as_ref())?;
            let sent_as = match p.location {
                ParamIn::Path => format!("path `{{{}}}`", p.wire),
                ParamIn::Query => format!("query `{}`", p.wire),
                ParamIn::Header => format!("header `{}`", p.wire),
                ParamIn::Body => format!("body `{}`", p.wire),
                ParamIn::BodyRoot => "the whole body".to_owned(),
            };
            Some(ArgView {
                name: p.name.to_string(),
                sent_as,
                ty: type_of(schema),
                required: if required.contains(&p.name.as_ref()) {
                    "yes"
                } else {
                    "no"
                },
                description: cell(
                    schema
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                ),
            })
        })
        .collect();
    let a = def.annotations;
    let flags: Vec<&str> = [
        (a.read_only, "read-only"),
        (a.destructive, "destructive"),
        (a.idempotent, "idempotent"),
        (a.open_world, "open-world"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| *n)
    .collect();
    let hints = if flags.is_empty() {
        "none".to_owned()
    } else {
        flags.join(", ")
    };
    let location = match &def.location {
        LocationSlot::None => "not sent (scoped by a resource id)".to_owned(),
        LocationSlot::Arg(arg) => format!("argument `{arg}`, defaults to the `locationId` header"),
        LocationSlot::AltId => {
            "`altId` (with `altType: location`), defaults to the `locationId` header".to_owned()
        }
    };
    ToolView {
        name: def.name.to_string(),
        anchor: def.name.to_ascii_lowercase().replace(['.'], ""),
        title: cell(&def.title),
        method: def.method.as_str(),
        path: def.path.to_string(),
        version: def.version.as_ref().map(|v| v.to_string()),
        description: def.description.to_string(),
        hints,
        risk: if def.risk.is_empty() {
            "none".to_owned()
        } else {
            def.risk.names().join(", ")
        },
        annotations: format!(
            "readOnly {}, destructive {}, idempotent {}, openWorld {}",
            a.read_only, a.destructive, a.idempotent, a.open_world
        ),
        location,
        scopes: def
            .scopes
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", "),
        output: match (&def.output_schema, def.wrap_result) {
            (None, _) => "no outputSchema (the upstream declares no JSON object)",
            (Some(_), false) => "structured (outputSchema)",
            (Some(_), true) => "structured, wrapped as `{\"result\": ...}`",
        },
        args,
    }
}

/// `TOOLS.md` for `tools`.
pub fn emit(tools: &[Lowered]) -> Result<BTreeMap<PathBuf, String>, String> {
    let mut sources: Vec<String> = tools
        .iter()
        .map(|t| {
            std::path::Path::new(&t.source)
                .parent()
                .map(|p| format!("{}/", p.display()))
                .unwrap_or_default()
        })
        .collect();
    sources.sort();
    sources.dedup();
    let source = if sources.is_empty() {
        "spec/tools/".to_owned()
    } else {
        sources.join(", ")
    };
    let page = ToolsMd {
        header: header("<!--", &source).trim_end().to_owned() + " -->",
        tools: tools.iter().map(|t| view(&t.def)).collect(),
    };
    let mut text = page
        .render()
        .map_err(|e| format!("TOOLS.md template failed: {e}"))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(BTreeMap::from([(PathBuf::from("TOOLS.md"), text)]))
}
