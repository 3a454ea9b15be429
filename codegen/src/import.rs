//! Importing HighLevel's facts: the official v2 and v3 folders → one facts-only OpenAPI document
//! per app for `spec/imported/`, written by `cargo xtask import`.
//!
//! Only facts cross over: paths, methods, operationIds, parameters, types, enums, `required`,
//! `Version` values, security scopes, request bodies and success responses. Every `description`,
//! `summary`, `title`, `example(s)` and `x-*` key is dropped (a body property that happens to be
//! *named* `description` or `title` is kept), and so are error responses. The model-facing words
//! live in `spec/tools/<app>.yaml`.
//!
//! The rules, in one place:
//! - An operation is identified by method and path. When both folders have it, the v2 file wins
//!   (its operationId is the one HighLevel's hosted server names tools after); an operation only
//!   in v3 comes from v3, under the v2 app that file corresponds to ([`V3_APPS`]).
//! - A v3-only operation whose operationId its app already uses gets `-v3` appended.
//! - Operations already written by hand in `spec/openapi/` are skipped.
//! - Defects that would make a tool unusable are repaired and marked with an
//!   `x-highlevel-mcp-fix` key saying what HighLevel declares: undeclared path variables become
//!   required string parameters, optional path parameters become required, `type: any` loses its
//!   type, and a `$ref` that resolves nowhere becomes an unconstrained schema.
//! - Components are copied only when an imported operation reaches them; a v3 component whose
//!   name the app already uses with other content is renamed with a `V3` suffix.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::load::{OfficialSources, SourceFile};

/// v3 file basenames (without `-v3`) whose app has another name in the v2 folder.
pub const V3_APPS: [(&str, &str); 3] = [
    ("ad-publishing", "ad-manager"),
    ("social-planner", "social-media-posting"),
    ("saas", "saas-api"),
];

/// The extension key that marks a repaired fact.
pub const FIX_KEY: &str = "x-highlevel-mcp-fix";

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Keys that hold words, never facts.
const WORD_KEYS: [&str; 6] = [
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "externalDocs",
];

/// Keys whose value is a map from names to nodes (its keys are data, not keywords).
const NAME_MAPS: [&str; 8] = [
    "properties",
    "paths",
    "responses",
    "content",
    "schemas",
    "securitySchemes",
    "headers",
    "encoding",
];

/// The app a folder's file basename belongs to (`social-planner-v3` → `social-media-posting`).
pub fn app_of(basename: &str) -> String {
    let base = basename.strip_suffix("-v3").unwrap_or(basename);
    V3_APPS
        .iter()
        .find(|(v3, _)| *v3 == base)
        .map(|(_, v2)| (*v2).to_owned())
        .unwrap_or_else(|| base.to_owned())
}

/// One operation picked for import.
struct Picked<'a> {
    doc: &'a SourceFile,
    path: String,
    method: &'static str,
    op_id: String,
}

/// Imports `v2` and `v3`, skipping the `(METHOD, path)` pairs in `skip`. Returns the documents by
/// app and how many operations each holds.
pub fn import(
    v2: &OfficialSources,
    v3: &OfficialSources,
    skip: &BTreeSet<(String, String)>,
) -> BTreeMap<String, Value> {
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut by_app: BTreeMap<String, Vec<Picked<'_>>> = BTreeMap::new();
    let mut ids: BTreeSet<(String, String)> = BTreeSet::new();
    for sources in [v2, v3] {
        for (basename, doc) in &sources.apps {
            let app = app_of(basename);
            let Some(Value::Object(paths)) = doc.value.get("paths") else {
                continue;
            };
            for (path, item) in paths {
                for method in METHODS {
                    let Some(op) = item.get(method).filter(|o| o.is_object()) else {
                        continue;
                    };
                    let key = (method.to_ascii_uppercase(), path.clone());
                    if !seen.insert(key.clone()) || skip.contains(&key) {
                        continue;
                    }
                    let mut op_id = op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    if op_id.is_empty() {
                        continue;
                    }
                    if ids.contains(&(app.clone(), op_id.clone())) {
                        op_id.push_str("-v3");
                    }
                    ids.insert((app.clone(), op_id.clone()));
                    by_app.entry(app.clone()).or_default().push(Picked {
                        doc,
                        path: path.clone(),
                        method,
                        op_id,
                    });
                }
            }
        }
    }
    by_app
        .into_iter()
        .map(|(app, ops)| {
            let doc = build_doc(&app, &ops);
            (app, doc)
        })
        .collect()
}

/// How many operations a document built by [`import`] holds.
pub fn operation_count(doc: &Value) -> usize {
    doc.get("paths")
        .and_then(Value::as_object)
        .map(|p| {
            p.values()
                .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
                .sum()
        })
        .unwrap_or(0)
}

fn build_doc(app: &str, ops: &[Picked<'_>]) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    let mut components = Components::default();
    for p in ops {
        let raw = &p.doc.value["paths"][&p.path][p.method];
        let mut op = strip(raw, false);
        keep_success_responses(&mut op);
        op["operationId"] = Value::String(p.op_id.clone());
        fix_parameters(&mut op, &p.path, &p.doc.value);
        let renames = components.take_closure(&op, &p.doc.value);
        rewrite_refs(&mut op, &renames, &p.doc.value);
        let item = paths
            .entry(p.path.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        item[p.method] = op;
    }
    let mut comps = Map::new();
    for (kind, items) in components.out {
        comps.insert(kind, Value::Object(items.into_iter().collect()));
    }
    comps.insert(
        "securitySchemes".into(),
        json!({
            "Location-Access": {"type": "http", "scheme": "bearer"},
            "Location-Access-Only": {"type": "http", "scheme": "bearer"},
            "Agency-Access": {"type": "http", "scheme": "bearer"},
            "Agency-Access-Only": {"type": "http", "scheme": "bearer"},
            "bearer": {"type": "http", "scheme": "bearer"},
        }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {"title": format!("HighLevel {app} (facts)"), "version": "2.0.0"},
        "servers": [{"url": "https://services.leadconnectorhq.com"}],
        "paths": paths,
        "components": comps,
    })
}

/// Drops word keys and `x-*` extensions everywhere except where keys are names.
fn strip(v: &Value, names: bool) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            let scalar_example_type = (!names).then(|| object_with_scalar_example(m)).flatten();
            let enum_fix = (!names).then(|| enum_repair(m)).flatten();
            for (k, child) in m {
                if let Some((values, ty)) = &enum_fix
                    && (k == "enum" || k == "type")
                {
                    if k == "enum" {
                        out.insert("enum".into(), Value::Array(values.clone()));
                        out.insert("type".into(), json!(ty));
                        out.insert(
                            FIX_KEY.into(),
                            json!(
                                "HighLevel nests this enum in a list or types it unlike its values"
                            ),
                        );
                    }
                    continue;
                }
                if k == "type"
                    && let Some(t) = scalar_example_type
                {
                    out.insert(k.clone(), json!(t));
                    out.insert(
                        FIX_KEY.into(),
                        json!(format!("HighLevel declares `type: object` with no fields, but its example is a {t}")),
                    );
                    continue;
                }
                if !names && (WORD_KEYS.contains(&k.as_str()) || k.starts_with("x-")) {
                    continue;
                }
                if !names && k == "type" && child.as_str() == Some("any") {
                    out.insert(FIX_KEY.into(), json!("HighLevel declares `type: any`"));
                    continue;
                }
                out.insert(
                    k.clone(),
                    strip(child, !names && NAME_MAPS.contains(&k.as_str())),
                );
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| strip(x, false)).collect()),
        other => other.clone(),
    }
}

/// The JSON type of the example of a schema declared `type: object` with no structure at all
/// (192 such in HighLevel's files: `"type": "object", "example": "post"` for a post type that
/// is one of post, story, reel). Its values are scalars, so the declared type would refuse every
/// correct argument.
fn object_with_scalar_example(m: &Map<String, Value>) -> Option<&'static str> {
    if m.get("type").and_then(Value::as_str) != Some("object") {
        return None;
    }
    let structured = [
        "properties",
        "additionalProperties",
        "allOf",
        "oneOf",
        "anyOf",
        "items",
        "$ref",
    ];
    if structured.iter().any(|k| m.contains_key(*k)) {
        return None;
    }
    match m.get("example")? {
        Value::String(_) => Some("string"),
        Value::Bool(_) => Some("boolean"),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
        Value::Number(_) => Some("number"),
        _ => None,
    }
}

/// An enum no value can satisfy: its values wrapped in one list (`enum: [["US", "CA"]]`), or of
/// another JSON type than the declared `type` (string codes typed `number`). Returns the
/// flattened values and their type.
fn enum_repair(m: &Map<String, Value>) -> Option<(Vec<Value>, &'static str)> {
    let values = m.get("enum")?.as_array()?;
    let flat: Vec<Value> = match values.as_slice() {
        [Value::Array(inner)] => inner.clone(),
        _ => values.clone(),
    };
    let ty = |v: &Value| match v {
        Value::String(_) => Some("string"),
        Value::Bool(_) => Some("boolean"),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
        Value::Number(_) => Some("number"),
        _ => None,
    };
    let first = ty(flat.first()?)?;
    if !flat.iter().all(|v| ty(v) == Some(first)) {
        return None;
    }
    let declared = m.get("type").and_then(Value::as_str);
    let fits = match declared {
        None => true,
        Some("number") => first == "integer" || first == "number",
        Some(d) => d == first,
    };
    let nested = flat.len() != values.len() || matches!(values.as_slice(), [Value::Array(_)]);
    (nested || !fits).then_some((flat, first))
}

/// Keeps only 2xx responses (errors are HighLevel's generic shapes, rendered by the server).
fn keep_success_responses(op: &mut Value) {
    if let Some(Value::Object(r)) = op.get_mut("responses") {
        r.retain(|code, _| code.starts_with('2'));
        if r.is_empty() {
            r.insert("200".into(), json!({"description": "OK"}));
        }
        for resp in r.values_mut() {
            // OpenAPI requires a description on a response; ours carries no words. Response
            // headers and links say nothing a tool uses (and lose their schema with the words).
            resp["description"] = json!("");
            if let Value::Object(m) = resp {
                m.remove("headers");
                m.remove("links");
            }
        }
    }
}

/// Declares undeclared path variables and makes every path parameter required.
fn fix_parameters(op: &mut Value, path: &str, doc: &Value) {
    let mut params = match op.get("parameters") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let mut declared = BTreeSet::new();
    for p in &mut params {
        let resolved = resolve_param(p, doc);
        if resolved.get("in").and_then(Value::as_str) == Some("path") {
            if let Some(n) = resolved.get("name").and_then(Value::as_str) {
                declared.insert(n.to_owned());
            }
            if p.get("$ref").is_none() && p.get("required") != Some(&Value::Bool(true)) {
                p["required"] = json!(true);
                p[FIX_KEY] = json!("HighLevel declares this path parameter optional");
            }
        }
    }
    for var in path_variables(path) {
        if !declared.contains(&var) {
            params.push(json!({
                "name": var,
                "in": "path",
                "required": true,
                "schema": {"type": "string"},
                FIX_KEY: "HighLevel's path names this variable but declares no parameter for it",
            }));
        }
    }
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
}

fn resolve_param<'v>(p: &'v Value, doc: &'v Value) -> &'v Value {
    match p.get("$ref").and_then(Value::as_str) {
        Some(r) => pointer(doc, r).unwrap_or(p),
        None => p,
    }
}

fn path_variables(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(v, _)| v.to_owned()))
        .collect()
}

fn pointer<'v>(doc: &'v Value, r: &str) -> Option<&'v Value> {
    r.strip_prefix('#').and_then(|p| doc.pointer(p))
}

/// `#/components/<kind>/<name>` → (kind, name).
fn component_of(r: &str) -> Option<(&str, &str)> {
    let rest = r.strip_prefix("#/components/")?;
    let (kind, name) = rest.split_once('/')?;
    (!name.contains('/')).then_some((kind, name))
}

#[derive(Default)]
struct Components {
    /// Kind → name → stripped component.
    out: BTreeMap<String, BTreeMap<String, Value>>,
}

impl Components {
    /// Copies every component `op` reaches in `doc`, returning renames for name clashes.
    fn take_closure(&mut self, op: &Value, doc: &Value) -> BTreeMap<String, String> {
        let mut todo = Vec::new();
        collect_refs(op, &mut todo);
        let mut reached: BTreeMap<String, Value> = BTreeMap::new();
        let mut steps = 0;
        while let Some(r) = todo.pop() {
            steps += 1;
            if steps > 100_000 || reached.contains_key(&r) {
                continue;
            }
            let Some(target) = component_of(&r).and_then(|_| pointer(doc, &r)) else {
                continue;
            };
            let stripped = strip(target, false);
            collect_refs(&stripped, &mut todo);
            reached.insert(r, stripped);
        }
        let mut renames = BTreeMap::new();
        for r in reached.keys() {
            let (kind, name) = component_of(r).unwrap_or_default();
            let existing = self.out.get(kind).and_then(|m| m.get(name));
            if existing.is_some_and(|e| *e != reached[r]) {
                renames.insert(r.clone(), format!("#/components/{kind}/{name}V3"));
            }
        }
        for (r, mut v) in reached {
            rewrite_refs(&mut v, &renames, doc);
            let target = renames.get(&r).cloned().unwrap_or(r);
            if let Some((kind, name)) = component_of(&target) {
                self.out
                    .entry(kind.to_owned())
                    .or_default()
                    .insert(name.to_owned(), v);
            }
        }
        renames
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|c| collect_refs(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| collect_refs(c, out)),
        _ => {}
    }
}

/// Applies renames; a `$ref` that resolves nowhere in `doc` becomes an unconstrained schema.
fn rewrite_refs(v: &mut Value, renames: &BTreeMap<String, String>, doc: &Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref").cloned() {
                if m.len() > 1 {
                    // OpenAPI 3.0 ignores a reference's siblings, and strict parsers reject them.
                    // A reference can carry no note of its own, so the repair goes unmarked.
                    m.retain(|k, _| k == "$ref");
                }
                if let Some(n) = renames.get(&r) {
                    m.insert("$ref".into(), Value::String(n.clone()));
                } else if component_of(&r).is_none() || pointer(doc, &r).is_none() {
                    m.remove("$ref");
                    m.insert(
                        FIX_KEY.into(),
                        Value::String(format!("HighLevel refers to `{r}`, which does not exist")),
                    );
                }
            }
            m.values_mut().for_each(|c| rewrite_refs(c, renames, doc));
        }
        Value::Array(a) => a.iter_mut().for_each(|c| rewrite_refs(c, renames, doc)),
        _ => {}
    }
}

/// The operations (METHOD, path) already written by hand in a spec folder's `openapi/`.
pub fn curated_operations(spec: &crate::load::SpecSources) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for doc in spec.openapi.values() {
        if let Some(Value::Object(paths)) = doc.value.get("paths") {
            for (path, item) in paths {
                for m in METHODS {
                    if item.get(m).is_some() {
                        out.insert((m.to_ascii_uppercase(), path.clone()));
                    }
                }
            }
        }
    }
    out
}

/// The files of `spec/imported/`, keyed by file name, as [`import`]'s documents rendered to YAML
/// under a header naming the command.
pub fn render(docs: &BTreeMap<String, Value>) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (app, doc) in docs {
        let yaml = yaml_serde::to_string(&Plain(doc)).map_err(|e| format!("{app}: {e}"))?;
        let text = format!(
            "# @generated by `cargo xtask import` from HighLevel's official OpenAPI files (v2 and v3).\n\
             # Facts only ({} operations): the words are ours, in spec/tools/{app}.yaml. Do not edit;\n\
             # a fact to correct by hand moves to spec/openapi/{app}.yaml, which this import then skips.\n{yaml}",
            operation_count(doc)
        );
        out.insert(format!("{app}.yaml"), text);
    }
    Ok(out)
}

/// Serializes a `Value` with its numbers as plain numbers: with serde_json's
/// `arbitrary_precision` (on in this workspace) a `Number` serializes as a private map that any
/// other format would write out verbatim.
struct Plain<'a>(&'a Value);

impl serde::Serialize for Plain<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    s.serialize_u64(u)
                } else if let Some(i) = n.as_i64() {
                    s.serialize_i64(i)
                } else {
                    s.serialize_f64(n.as_f64().unwrap_or(0.0))
                }
            }
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for x in a {
                    seq.serialize_element(&Plain(x))?;
                }
                seq.end()
            }
            Value::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, &Plain(v))?;
                }
                map.end()
            }
            other => other.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_as_numbers() {
        let v: Value = serde_json::from_str(r#"{"maxLength": 200, "minimum": 1.5}"#).unwrap();
        let y = yaml_serde::to_string(&Plain(&v)).unwrap();
        assert_eq!(y, "maxLength: 200\nminimum: 1.5\n");
    }

    #[test]
    fn v3_files_map_to_v2_apps() {
        assert_eq!(app_of("social-planner-v3"), "social-media-posting");
        assert_eq!(app_of("contacts-v3"), "contacts");
        assert_eq!(app_of("chat-widget-v3"), "chat-widget");
        assert_eq!(app_of("blogs"), "blogs");
    }

    #[test]
    fn words_go_and_property_names_stay() {
        let v = json!({
            "description": "words",
            "type": "object",
            "properties": {"description": {"type": "string", "description": "more words"},
                           "title": {"type": "any"}},
            "example": {"a": 1}
        });
        let s = strip(&v, false);
        assert_eq!(s.get("description"), None);
        assert_eq!(s.get("example"), None);
        assert_eq!(s["properties"]["description"], json!({"type": "string"}));
        assert_eq!(s["properties"]["title"].get("type"), None);
        assert!(s["properties"]["title"].get(FIX_KEY).is_some());
    }

    #[test]
    fn an_object_with_a_string_example_is_a_string() {
        let v = json!({"properties": {"type": {"type": "object", "example": "post"},
                                      "meta": {"type": "object", "example": {"a": 1}}}});
        let s = strip(&v, false);
        assert_eq!(s["properties"]["type"]["type"], json!("string"));
        assert!(s["properties"]["type"].get(FIX_KEY).is_some());
        assert_eq!(s["properties"]["meta"]["type"], json!("object"));
    }

    #[test]
    fn a_nested_or_mistyped_enum_is_repaired() {
        let v = json!({"properties": {"code": {"type": "number", "enum": [["US", "CA"]]},
                                      "n": {"type": "number", "enum": [1, 2]}}});
        let s = strip(&v, false);
        assert_eq!(s["properties"]["code"]["enum"], json!(["US", "CA"]));
        assert_eq!(s["properties"]["code"]["type"], json!("string"));
        assert_eq!(
            s["properties"]["n"],
            json!({"type": "number", "enum": [1, 2]})
        );
    }

    #[test]
    fn path_variables_are_declared_and_required() {
        let mut op = json!({"parameters": [{"name": "a", "in": "path", "required": false}]});
        fix_parameters(&mut op, "/x/{a}/{b}", &json!({}));
        let ps = op["parameters"].as_array().unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0]["required"], json!(true));
        assert_eq!(ps[1]["name"], json!("b"));
        assert_eq!(ps[1]["required"], json!(true));
    }
}
