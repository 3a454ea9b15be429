//! Lowering: OpenAPI operations (plus the overlay, for our curated spec) → [`runtime::ToolDef`].
//!
//! Two entry points share one operation lowering ([`lower_operation`]):
//!
//! - [`lower_spec`]: our `spec/` folder. Only operations named by an overlay entry become tools;
//!   the overlay supplies title, description, annotations, scopes, location mode and parameter
//!   overrides, and every problem is an error.
//! - [`lower_official`]: a folder of HighLevel's official files with a [`Policy`] (by default
//!   every operation is a tool). Metadata is derived; a quirk costs at most that operation and is
//!   reported as a warning naming it.
//!
//! What lowering does to an operation (quirk numbers from ../shared/notes/spec-quirks.md):
//! `Version` and `Authorization` header parameters are dropped (the Version enum value becomes
//! [`ToolDef::version`], Q1/Q3); undeclared `{vars}` in the path become required string
//! parameters (Q4, an error in our own spec); path parameters are always required (Q5); a JSON
//! object body is spread into top-level arguments (a name already used by a path/query/header
//! parameter becomes `body_<name>`, Q14) while any other body becomes one `body` argument (Q12);
//! descriptions fall back to the summary (Q24) and lose their HTML (Q23); names are
//! `<app>_<operationId>` with every character outside `[A-Za-z0-9_.-]` replaced by `-`
//! (`payments_create-integration provider` → `payments_create-integration-provider`, Q9).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use runtime::{Annotations, HttpMethod, LocationSlot, ParamDef, ParamIn, ToolDef};
use serde_json::{Map, Value, json};

use crate::diagnostics::{Diagnostic, Diagnostics, Severity, closest, list};
use crate::load::{SourceFile, SpecSources, escape};
use crate::schema::{Resolver, strip_html};
use runtime::sorted;

/// Which official operations become tools, for [`lower_official`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Keep operations marked `deprecated: true`.
    pub include_deprecated: bool,
    /// Keep operations only an agency token can call (security lists only `Agency-Access*`).
    pub include_agency_only: bool,
    /// Keep operations whose request body is not JSON (multipart or form-urlencoded uploads).
    /// The executor sends JSON, so such tools reach the upstream in the wrong encoding.
    pub include_non_json_bodies: bool,
}

impl Policy {
    /// Every operation is a tool (the robustness-test policy).
    pub fn every_operation() -> Self {
        Self {
            include_deprecated: true,
            include_agency_only: true,
            include_non_json_bodies: true,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::every_operation()
    }
}

/// A lowered tool and the file it came from (named in generated headers).
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// The tool.
    pub def: ToolDef,
    /// The overlay file (curated) or official file it was lowered from, as displayed.
    pub source: String,
}

const METHODS: [(&str, HttpMethod); 5] = [
    ("get", HttpMethod::Get),
    ("post", HttpMethod::Post),
    ("put", HttpMethod::Put),
    ("patch", HttpMethod::Patch),
    ("delete", HttpMethod::Delete),
];

/// Replaces every character outside `[A-Za-z0-9_.-]` with `-` (Q9: HighLevel's one operationId
/// with a space, `create-integration provider`).
pub fn sanitize_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Longest tool name we emit; several MCP clients cap names at 64 characters.
pub const MAX_NAME_LEN: usize = 64;

/// One argument while lowering.
#[derive(Debug, Clone)]
struct Arg {
    name: String,
    wire: String,
    loc: ParamIn,
    required: bool,
    schema: Value,
    default: Option<Value>,
    hidden: bool,
}

/// An operation lowered to arguments and schemas, before the tool metadata is attached.
struct Op {
    method: HttpMethod,
    path: String,
    operation_id: String,
    summary: Option<String>,
    description: Option<String>,
    deprecated: bool,
    version: Option<String>,
    args: Vec<Arg>,
    non_json_body: Option<String>,
    output: Option<(Value, bool)>,
    security: Vec<Vec<(String, Vec<String>)>>,
}

/// How strict to be, and how to name things in messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Curated,
    Official,
}

/// Where an operation lives in its document.
struct OpRef<'a> {
    doc: &'a SourceFile,
    path: &'a str,
    method: HttpMethod,
    method_key: &'static str,
    op: &'a Value,
}

impl OpRef<'_> {
    fn ptr(&self) -> String {
        format!("/paths/{}/{}", escape(self.path), self.method_key)
    }
}

fn lower_operation(
    r: &OpRef<'_>,
    externals: &HashMap<PathBuf, SourceFile>,
    mode: Mode,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Op> {
    let sev = match mode {
        Mode::Curated => Severity::Error,
        Mode::Official => Severity::Warning,
    };
    let errors_before = diags.errors().count();
    let op_ptr = r.ptr();
    let doc = r.doc;
    let mut res = Resolver::new(externals, sev, context.to_owned(), diags);

    let mut args: Vec<Arg> = Vec::new();
    let mut version = None;

    // Path-level parameters apply unless the operation redefines the same (name, in).
    let mut raw_params: Vec<(String, Value)> = Vec::new();
    let item_ptr = format!("/paths/{}", escape(r.path));
    for (base, holder) in [
        (&item_ptr, doc.value.pointer(&item_ptr)),
        (&op_ptr, Some(r.op)),
    ] {
        if let Some(Value::Array(ps)) = holder.and_then(|h| h.get("parameters")) {
            for (i, p) in ps.iter().enumerate() {
                raw_params.push((format!("{base}/parameters/{i}"), p.clone()));
            }
        }
    }
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut resolved_params = Vec::new();
    for (ptr, p) in &raw_params {
        let Some((pdoc, pptr, pval)) = res.deref(doc, ptr, p) else {
            continue;
        };
        let name = pval.get("name").and_then(Value::as_str).unwrap_or_default();
        let inn = pval.get("in").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() || inn.is_empty() {
            res.warn(pdoc, &pptr, "parameter without `name` or `in`; skipped");
            continue;
        }
        let key = (name.to_owned(), inn.to_owned());
        if let Some(&i) = seen.get(&key) {
            resolved_params[i] = (pdoc, pptr, pval.clone());
        } else {
            seen.insert(key, resolved_params.len());
            resolved_params.push((pdoc, pptr, pval.clone()));
        }
    }

    let template_vars = path_vars(r.path);
    for (pdoc, pptr, p) in resolved_params {
        let name = p["name"].as_str().unwrap_or_default().to_owned();
        let inn = p["in"].as_str().unwrap_or_default();
        let loc = match inn {
            "path" => ParamIn::Path,
            "query" => ParamIn::Query,
            "header" => {
                if name.eq_ignore_ascii_case("version") {
                    version = p
                        .get("schema")
                        .and_then(|s| {
                            s.get("enum")
                                .and_then(|e| e.get(0))
                                .or_else(|| s.get("default"))
                        })
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    continue;
                }
                if name.eq_ignore_ascii_case("authorization") {
                    continue;
                }
                ParamIn::Header
            }
            other => {
                res.warn(
                    pdoc,
                    &pptr,
                    &format!("`in: {other}` parameter `{name}` is not supported; skipped"),
                );
                continue;
            }
        };
        if loc == ParamIn::Path && !template_vars.contains(&name) {
            res.warn(
                pdoc,
                &pptr,
                &format!(
                    "path parameter `{name}` does not appear in `{}`; skipped",
                    r.path
                ),
            );
            continue;
        }
        let mut schema = match p.get("schema") {
            Some(s) => res.schema(pdoc, &format!("{pptr}/schema"), s),
            None => json!({"type": "string"}),
        };
        if let (Some(Value::String(d)), Value::Object(o)) = (p.get("description"), &mut schema) {
            o.insert("description".into(), Value::String(strip_html(d)));
        }
        // Q5: a path parameter cannot be left out, whatever the file says.
        let required = loc == ParamIn::Path || p.get("required") == Some(&Value::Bool(true));
        args.push(Arg {
            name: name.clone(),
            wire: name,
            loc,
            required,
            schema,
            default: None,
            hidden: false,
        });
    }

    // Q4: every `{var}` of the template needs an argument.
    for var in &template_vars {
        if !args
            .iter()
            .any(|a| a.loc == ParamIn::Path && &a.wire == var)
        {
            let msg = format!(
                "{context}: path variable `{{{var}}}` in `{}` is not declared as a parameter",
                r.path
            );
            let span = Some(doc.span(&format!("/paths/{}", escape(r.path))));
            match mode {
                Mode::Curated => res.diags.push(
                    Diagnostic::error(msg, span).with_help(format!(
                        "add `- {{name: {var}, in: path, required: true, schema: {{type: string}}}}` to the operation's parameters"
                    )),
                ),
                Mode::Official => {
                    res.diags.push(Diagnostic::warning(
                        format!("{msg}; added as a required string argument"),
                        span,
                    ));
                }
            }
            args.push(Arg {
                name: var.clone(),
                wire: var.clone(),
                loc: ParamIn::Path,
                required: true,
                schema: json!({"type": "string", "description": format!("Value of `{{{var}}}` in the path.")}),
                default: None,
                hidden: false,
            });
        }
    }
    // Path arguments in template order first, then the rest in declaration order.
    args.sort_by_key(|a| match a.loc {
        ParamIn::Path => template_vars.iter().position(|v| v == &a.wire).unwrap_or(0),
        _ => usize::MAX,
    });

    // Request body.
    let mut non_json_body = None;
    if let Some(body) = r.op.get("requestBody") {
        let bptr = format!("{op_ptr}/requestBody");
        if let Some((bdoc, bptr, bval)) = res.deref(doc, &bptr, body) {
            let body_required = bval.get("required") == Some(&Value::Bool(true));
            let content = bval.get("content").and_then(Value::as_object);
            let json_media = content.and_then(|c| {
                c.iter()
                    .find(|(k, _)| *k == "application/json")
                    .or_else(|| c.iter().find(|(k, _)| k.contains("json")))
            });
            let chosen = match json_media {
                Some(m) => Some(m),
                None => {
                    let first = content.and_then(|c| c.iter().next());
                    if let Some((media, _)) = first {
                        non_json_body = Some(media.clone());
                    }
                    first
                }
            };
            if let Some((media, m)) = chosen {
                let sptr = format!("{bptr}/content/{}/schema", escape(media));
                let schema = match m.get("schema") {
                    Some(s) => res.schema(bdoc, &sptr, s),
                    None => json!({}),
                };
                let desc = bval
                    .get("description")
                    .and_then(Value::as_str)
                    .map(strip_html);
                spread_body(&mut args, schema, body_required, desc);
            }
        }
    }

    // Success response: the lowest 2xx code with a JSON schema.
    let mut output = None;
    if let Some(Value::Object(responses)) = r.op.get("responses") {
        let mut codes: Vec<&String> = responses.keys().filter(|c| c.starts_with('2')).collect();
        codes.sort();
        for code in codes {
            let rptr = format!("{op_ptr}/responses/{}", escape(code));
            let Some((rdoc, rptr, rval)) = res.deref(doc, &rptr, &responses[code]) else {
                continue;
            };
            let Some(content) = rval.get("content").and_then(Value::as_object) else {
                continue;
            };
            let Some((media, m)) = content.iter().find(|(k, _)| k.contains("json")) else {
                continue;
            };
            let Some(s) = m.get("schema") else { continue };
            let sptr = format!("{rptr}/content/{}/schema", escape(media));
            let schema = res.schema(rdoc, &sptr, s);
            output = Some(output_schema(schema));
            break;
        }
    }

    let mut security = Vec::new();
    if let Some(Value::Array(alts)) = r.op.get("security") {
        for alt in alts {
            if let Value::Object(m) = alt {
                security.push(
                    m.iter()
                        .map(|(k, v)| {
                            let scopes = v
                                .as_array()
                                .map(|a| {
                                    a.iter()
                                        .filter_map(Value::as_str)
                                        .map(str::to_owned)
                                        .collect()
                                })
                                .unwrap_or_default();
                            (k.clone(), scopes)
                        })
                        .collect(),
                );
            }
        }
    }

    if res.diags.errors().count() > errors_before {
        return None;
    }
    let text = |k: &str| {
        r.op.get(k)
            .and_then(Value::as_str)
            .map(strip_html)
            .filter(|s| !s.is_empty())
    };
    Some(Op {
        method: r.method,
        path: r.path.to_owned(),
        operation_id: r
            .op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        summary: text("summary"),
        description: text("description"),
        deprecated: r.op.get("deprecated") == Some(&Value::Bool(true)),
        version,
        args,
        non_json_body,
        output,
        security,
    })
}

/// `{var}` names of a path template, in order.
fn path_vars(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let var = &rest[open + 1..open + close];
        if !var.is_empty() && !out.iter().any(|v| v == var) {
            out.push(var.to_owned());
        }
        rest = &rest[open + close + 1..];
    }
    out
}

fn has_composition(m: &Map<String, Value>) -> bool {
    m.contains_key("allOf") || m.contains_key("oneOf") || m.contains_key("anyOf")
}

/// Q12/Q14: an object body with properties becomes one argument per property; anything else one
/// `body` argument carrying the whole body.
fn spread_body(args: &mut Vec<Arg>, schema: Value, body_required: bool, desc: Option<String>) {
    if let Value::Object(m) = &schema
        && !has_composition(m)
        && m.get("type").is_none_or(|t| t == "object")
        && let Some(Value::Object(props)) = m.get("properties")
        && !props.is_empty()
    {
        let required: BTreeSet<&str> = m
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, s) in props {
            args.push(Arg {
                name: name.clone(),
                wire: name.clone(),
                loc: ParamIn::Body,
                required: required.contains(name.as_str()),
                schema: s.clone(),
                default: None,
                hidden: false,
            });
        }
        return;
    }
    let mut schema = schema;
    if let Value::Object(m) = &mut schema {
        let empty_object = m.get("type").is_none_or(|t| t == "object")
            && !has_composition(m)
            && m.get("properties")
                .is_none_or(|p| p.as_object().is_some_and(Map::is_empty));
        if empty_object && m.get("type").is_some() {
            // A property-less object body: the upstream takes free-form fields.
            m.insert("additionalProperties".into(), Value::Bool(true));
        }
        if !m.contains_key("description") {
            let d = desc.unwrap_or_else(|| "The JSON request body.".to_owned());
            m.insert("description".into(), Value::String(d));
        }
    }
    args.push(Arg {
        name: "body".into(),
        wire: "body".into(),
        loc: ParamIn::BodyRoot,
        required: body_required,
        schema,
        default: None,
        hidden: false,
    });
}

/// Q21: an object schema is the outputSchema; anything else is wrapped as `{"result": ...}`.
///
/// The outputSchema is kept to its top level (each property's name and type, no descriptions):
/// clients put tools/list into the model's context, and the full response shapes of the curated
/// tools cost about 9,000 tokens there while the model reads the actual fields in every result.
/// A top-level schema still tells a client what structuredContent holds, and stays true when
/// HighLevel adds fields. The full shapes stay in spec/openapi for reviewers.
fn output_schema(schema: Value) -> (Value, bool) {
    if let Value::Object(m) = &schema
        && !has_composition(m)
        && (m.get("type") == Some(&Value::String("object".into()))
            || (m.get("type").is_none() && m.contains_key("properties")))
    {
        let mut out = Map::new();
        out.insert("type".into(), Value::String("object".into()));
        if let Some(Value::Object(props)) = m.get("properties") {
            let props: Map<String, Value> = props
                .iter()
                .map(|(k, v)| (k.clone(), type_only(v)))
                .collect();
            out.insert("properties".into(), Value::Object(props));
        }
        return (Value::Object(out), false);
    }
    (
        json!({"type": "object", "properties": {"result": type_only(&schema)}, "required": ["result"]}),
        true,
    )
}

/// `{"type": ...}` of a schema, or `{}` (any value) when it declares no type.
fn type_only(schema: &Value) -> Value {
    match schema.get("type") {
        Some(t) => json!({ "type": t }),
        None => json!({}),
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

/// Renames arguments whose names collide, deterministically: a later argument `x` in location
/// `loc` becomes `<loc>_x` (`body_type`, `query_campaignGroupId`), then `<loc>_x_2`, ...
fn dedupe_names(args: &mut [Arg]) {
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
const LOCATION_MODES: [&str; 6] = ["none", "query", "path", "body", "location_id", "alt"];

/// Finds the argument for a location mode; `None` when the operation has no such parameter.
fn location_for(mode: &str, args: &[Arg]) -> Option<LocationSlot> {
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
fn derive_location(args: &[Arg]) -> (&'static str, LocationSlot) {
    for mode in ["path", "alt", "query", "body", "location_id"] {
        if let Some(slot) = location_for(mode, args) {
            return (mode, slot);
        }
    }
    ("none", LocationSlot::None)
}

/// Metadata that turns an [`Op`] into a [`ToolDef`].
struct Meta {
    name: String,
    app: String,
    title: String,
    description: String,
    annotations: Annotations,
    scopes: Vec<String>,
    location: LocationSlot,
    version: Option<String>,
}

const LOCATION_NOTE: &str = "Optional: defaults to the `locationId` request header.";

fn build_tool(op: Op, meta: Meta) -> ToolDef {
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
    }
}

/// Compact JSON with keys sorted: the text stored in [`ToolDef::input_schema`].
pub fn canonical(v: &Value) -> String {
    sorted(v).to_string()
}

fn security_scopes(op: &Op) -> Vec<String> {
    let set: BTreeSet<String> = op
        .security
        .iter()
        .flatten()
        .flat_map(|(_, s)| s.iter().cloned())
        .collect();
    set.into_iter().collect()
}

/// Every (path, method, operation) of a document, in document order.
fn operations(doc: &SourceFile) -> Vec<OpRef<'_>> {
    let mut out = Vec::new();
    if let Some(Value::Object(paths)) = doc.value.get("paths") {
        for (path, item) in paths {
            for (key, method) in METHODS {
                if let Some(op) = item.get(key).filter(|o| o.is_object()) {
                    out.push(OpRef {
                        doc,
                        path,
                        method,
                        method_key: key,
                        op,
                    });
                }
            }
        }
    }
    out
}

/// Lowers a folder of official HighLevel files: every operation the policy admits is a tool,
/// named `<file basename>_<operationId>` (sanitized). Problems are warnings naming the operation;
/// only a file that cannot be read or parsed is an error (and costs that file).
pub fn lower_official(dir: &Path, policy: &Policy) -> (Vec<ToolDef>, Vec<Diagnostic>) {
    let mut diags = Diagnostics::default();
    let sources = crate::load::load_official_dir(dir, &mut diags);
    let tools = lower_official_sources(&sources, policy, &mut diags)
        .into_iter()
        .map(|l| l.def)
        .collect();
    diags.sort();
    (tools, diags.0)
}

/// [`lower_official`] on already-loaded sources (lets benchmarks time lowering alone).
pub fn lower_official_sources(
    sources: &crate::load::OfficialSources,
    policy: &Policy,
    diags: &mut Diagnostics,
) -> Vec<Lowered> {
    let mut tools: BTreeMap<String, Lowered> = BTreeMap::new();
    for (app, doc) in &sources.apps {
        for r in operations(doc) {
            let op_id =
                r.op.get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
            if op_id.is_empty() {
                diags.push(Diagnostic::warning(
                    format!(
                        "{} {} has no operationId; skipped",
                        r.method.as_str(),
                        r.path
                    ),
                    Some(doc.span(&r.ptr())),
                ));
                continue;
            }
            let name = sanitize_name(&format!("{app}_{op_id}"));
            let context = format!("operation `{name}` ({} {})", r.method.as_str(), r.path);
            if name.len() > MAX_NAME_LEN {
                diags.push(Diagnostic::warning(
                    format!(
                        "{context}: tool name is longer than {MAX_NAME_LEN} characters; skipped"
                    ),
                    Some(doc.span(&r.ptr())),
                ));
                continue;
            }
            if tools.contains_key(&name) {
                diags.push(Diagnostic::warning(
                    format!("{context}: tool name is already taken; skipped"),
                    Some(doc.span(&r.ptr())),
                ));
                continue;
            }
            let Some(mut op) =
                lower_operation(&r, &sources.external, Mode::Official, &context, diags)
            else {
                continue;
            };
            if let Some(media) = &op.non_json_body {
                diags.push(Diagnostic::warning(
                    format!("{context}: request body is `{media}`, not JSON; the tool sends JSON"),
                    Some(doc.span(&format!("{}/requestBody", r.ptr()))),
                ));
                if !policy.include_non_json_bodies {
                    continue;
                }
            }
            if op.deprecated && !policy.include_deprecated {
                continue;
            }
            dedupe_names(&mut op.args);
            let (_, location) = derive_location(&op.args);
            let annotations = derived_annotations(&op);
            let description = op
                .description
                .clone()
                .or_else(|| op.summary.clone())
                .unwrap_or_else(|| format!("{} {}", op.method.as_str(), op.path));
            let title = op.summary.clone().unwrap_or_else(|| op_id.to_owned());
            let scopes = security_scopes(&op);
            let def = build_tool(
                op,
                Meta {
                    name: name.clone(),
                    app: app.clone(),
                    title,
                    description,
                    annotations,
                    scopes,
                    location,
                    version: None,
                },
            );
            if def.agency_only && !policy.include_agency_only {
                continue;
            }
            tools.insert(
                name,
                Lowered {
                    def,
                    source: doc.display.clone(),
                },
            );
        }
    }
    tools.into_values().collect()
}

/// The official policy's annotations: GET read-only and idempotent, DELETE destructive and
/// idempotent, PUT idempotent, POST/PATCH none; open-world for operations that send a message
/// to a person (an operationId containing `send`, or `POST /conversations/messages`).
fn derived_annotations(op: &Op) -> Annotations {
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

// ---------------------------------------------------------------------------------------------
// The curated spec: overlay + our OpenAPI documents.

const TOP_KEYS: [&str; 2] = ["app", "tools"];
const TOOL_KEYS: [&str; 10] = [
    "operation",
    "name",
    "title",
    "description",
    "annotations",
    "scopes",
    "location",
    "version",
    "params",
    "risk",
];
const ANNOTATION_KEYS: [&str; 4] = ["readOnly", "destructive", "idempotent", "openWorld"];
const PARAM_KEYS: [&str; 4] = ["description", "rename", "hide", "default"];

fn unknown_keys(
    file: &SourceFile,
    ptr: &str,
    map: &Map<String, Value>,
    allowed: &[&str],
    what: &str,
    diags: &mut Diagnostics,
) {
    for k in map.keys() {
        if !allowed.contains(&k.as_str()) {
            let near = closest(k, allowed.iter().copied());
            diags.push(
                Diagnostic::error(
                    format!("unknown key `{k}` in {what}"),
                    Some(key_span(file, &format!("{ptr}/{}", escape(k)))),
                )
                .with_help(format!(
                    "allowed keys: {}",
                    list(&near_first(&near, allowed))
                )),
            );
        }
    }
}

/// The closest matches first, then the remaining allowed keys.
fn near_first<'a>(near: &[&'a str], allowed: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = near.to_vec();
    out.truncate(1);
    for a in allowed {
        if !out.contains(a) {
            out.push(a);
        }
    }
    out
}

/// A span at a key itself rather than at its value.
fn key_span(file: &SourceFile, ptr: &str) -> crate::diagnostics::Span {
    file.span_key(ptr)
}

/// Lowers our `spec/` sources: the overlay decides which operations are tools. Every problem is
/// an error (undeclared path variables too); schema quirks are warnings.
pub fn lower_spec(sources: &SpecSources, diags: &mut Diagnostics) -> Vec<Lowered> {
    let no_externals = HashMap::new();
    // Operation index per OpenAPI file; duplicate operationIds are errors.
    let mut ops_by_app: BTreeMap<&str, BTreeMap<String, OpRef<'_>>> = BTreeMap::new();
    for (app, doc) in &sources.openapi {
        if let Err(e) = serde_json::from_value::<openapiv3::OpenAPI>(doc.value.clone()) {
            diags.push(
                Diagnostic::error(
                    format!("not a valid OpenAPI 3.0 document: {e}"),
                    Some(doc.span("")),
                )
                .with_help("compare with the OpenAPI 3.0 specification (openapi, info, paths)"),
            );
        }
        let mut map = BTreeMap::new();
        for r in operations(doc) {
            let Some(id) = r.op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            if let Some(prev) = map.get(id) {
                let prev: &OpRef<'_> = prev;
                let at = doc.span(&prev.ptr());
                diags.push(
                    Diagnostic::error(
                        format!("duplicate operationId `{id}`"),
                        Some(doc.span(&format!("{}/operationId", r.ptr()))),
                    )
                    .with_help(format!(
                        "first used at {}:{}; operationIds must be unique in a file",
                        at.file,
                        at.line.unwrap_or(0)
                    )),
                );
                continue;
            }
            map.insert(id.to_owned(), r);
        }
        ops_by_app.insert(app.as_str(), map);
    }

    let mut out: Vec<Lowered> = Vec::new();
    let mut names: BTreeMap<String, crate::diagnostics::Span> = BTreeMap::new();
    for (basename, file) in &sources.tools {
        let Value::Object(top) = &file.value else {
            diags.push(
                Diagnostic::error(
                    "overlay must be a mapping with `app` and `tools`",
                    Some(file.span("")),
                )
                .with_help("see spec/README.md for the overlay format"),
            );
            continue;
        };
        unknown_keys(file, "", top, &TOP_KEYS, "the overlay", diags);
        let app = match top.get("app").and_then(Value::as_str) {
            Some(a) => a,
            None => {
                diags.push(
                    Diagnostic::error("overlay has no `app`", Some(file.span("")))
                        .with_help(format!("add `app: {basename}` at the top")),
                );
                continue;
            }
        };
        if app != basename {
            diags.push(
                Diagnostic::error(
                    format!("`app: {app}` does not match the file name `{basename}.yaml`"),
                    Some(file.span("/app")),
                )
                .with_help(format!("write `app: {basename}` or rename the file")),
            );
            continue;
        }
        let Some(ops) = ops_by_app.get(app) else {
            let have: Vec<&str> = ops_by_app.keys().copied().collect();
            diags.push(
                Diagnostic::error(
                    format!("no OpenAPI document for app `{app}`"),
                    Some(file.span("/app")),
                )
                .with_help(format!(
                    "add openapi/{app}.yaml; the spec has {}",
                    if have.is_empty() {
                        "no OpenAPI files".to_owned()
                    } else {
                        list(&have)
                    }
                )),
            );
            continue;
        };
        let Some(Value::Array(entries)) = top.get("tools") else {
            diags.push(
                Diagnostic::error("overlay has no `tools` list", Some(file.span("")))
                    .with_help("add `tools:` followed by `- operation: <operationId>` entries"),
            );
            continue;
        };
        for (i, entry) in entries.iter().enumerate() {
            let tptr = format!("/tools/{i}");
            if let Some(l) = lower_overlay_entry(file, app, &tptr, entry, ops, &no_externals, diags)
            {
                let span = file.span(&tptr);
                if let Some(first) = names.get(l.def.name.as_ref()) {
                    diags.push(
                        Diagnostic::error(
                            format!("duplicate tool name `{}`", l.def.name),
                            Some(span),
                        )
                        .with_help(format!(
                            "first defined at {}:{}; set a different `name:` on one of them",
                            first.file,
                            first.line.unwrap_or(0)
                        )),
                    );
                    continue;
                }
                names.insert(l.def.name.to_string(), span);
                out.push(l);
            }
        }
    }
    out.sort_by(|a, b| a.def.name.cmp(&b.def.name));
    out
}

fn lower_overlay_entry(
    file: &SourceFile,
    app: &str,
    tptr: &str,
    entry: &Value,
    ops: &BTreeMap<String, OpRef<'_>>,
    externals: &HashMap<PathBuf, SourceFile>,
    diags: &mut Diagnostics,
) -> Option<Lowered> {
    let Value::Object(e) = entry else {
        diags.push(
            Diagnostic::error("a tool entry must be a mapping", Some(file.span(tptr)))
                .with_help("write `- operation: <operationId>` followed by its keys"),
        );
        return None;
    };
    let errors_before = diags.errors().count();
    unknown_keys(file, tptr, e, &TOOL_KEYS, "a tool entry", diags);
    let Some(op_id) = e.get("operation").and_then(Value::as_str) else {
        diags.push(
            Diagnostic::error("tool entry has no `operation`", Some(file.span(tptr))).with_help(
                "add `operation: <operationId>` naming an operation of the OpenAPI file",
            ),
        );
        return None;
    };
    let name = match e.get("name") {
        Some(Value::String(n)) => n.clone(),
        Some(_) => {
            diags.push(Diagnostic::error(
                "`name` must be a string",
                Some(file.span(&format!("{tptr}/name"))),
            ));
            return None;
        }
        None => sanitize_name(&format!("{app}_{op_id}")),
    };
    let Some(r) = ops.get(op_id) else {
        let near = closest(op_id, ops.keys().map(String::as_str));
        diags.push(
            Diagnostic::error(
                format!("tool `{name}` names unknown operation `{op_id}`"),
                Some(file.span(&format!("{tptr}/operation"))),
            )
            .with_help(format!("{app}.yaml has {}", list(&near))),
        );
        return None;
    };
    if !runtime::is_valid_tool_name(&name) || name.len() > MAX_NAME_LEN {
        diags.push(
            Diagnostic::error(
                format!("tool name `{name}` is not a valid MCP tool name"),
                Some(file.span(&format!("{tptr}/name"))),
            )
            .with_help(format!(
                "use 1 to {MAX_NAME_LEN} characters from A-Z a-z 0-9 _ - ."
            )),
        );
    }
    let text = |k: &str, diags: &mut Diagnostics| -> Option<String> {
        match e.get(k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(strip_html(s)),
            Some(Value::String(_)) | None => None,
            Some(_) => {
                diags.push(Diagnostic::error(
                    format!("`{k}` must be a string"),
                    Some(file.span(&format!("{tptr}/{k}"))),
                ));
                None
            }
        }
    };
    let description = text("description", diags);
    if description.is_none() && !e.contains_key("description") {
        diags.push(
            Diagnostic::error(
                format!("tool `{name}` has no description"),
                Some(file.span(tptr)),
            )
            .with_help(
                "add `description:` saying what the tool does and when a model should pick it",
            ),
        );
    } else if description.is_none() {
        diags.push(
            Diagnostic::error(
                format!("tool `{name}` has an empty description"),
                Some(file.span(&format!("{tptr}/description"))),
            )
            .with_help("say what the tool does and when a model should pick it"),
        );
    }
    let title = text("title", diags);
    let annotations = match e.get("annotations") {
        None => {
            diags.push(
                Diagnostic::error(format!("tool `{name}` has no annotations"), Some(file.span(tptr)))
                    .with_help("add `annotations:` with readOnly, destructive, idempotent and openWorld (true/false)"),
            );
            None
        }
        Some(Value::Object(a)) => {
            let aptr = format!("{tptr}/annotations");
            unknown_keys(file, &aptr, a, &ANNOTATION_KEYS, "annotations", diags);
            let mut flags = [false; 4];
            let mut missing = Vec::new();
            for (i, k) in ANNOTATION_KEYS.iter().enumerate() {
                match a.get(*k) {
                    Some(Value::Bool(b)) => flags[i] = *b,
                    Some(_) => diags.push(Diagnostic::error(
                        format!("annotation `{k}` must be true or false"),
                        Some(file.span(&format!("{aptr}/{k}"))),
                    )),
                    None => missing.push(*k),
                }
            }
            if !missing.is_empty() {
                diags.push(
                    Diagnostic::error(
                        format!("tool `{name}` annotations miss {}", list(&missing)),
                        Some(file.span(&aptr)),
                    )
                    .with_help("all four annotations are required: readOnly, destructive, idempotent, openWorld"),
                );
            }
            Some(Annotations {
                read_only: flags[0],
                destructive: flags[1],
                idempotent: flags[2],
                open_world: flags[3],
            })
        }
        Some(_) => {
            diags.push(Diagnostic::error(
                "`annotations` must be a mapping",
                Some(file.span(&format!("{tptr}/annotations"))),
            ));
            None
        }
    };
    let scopes: Option<Vec<String>> = match e.get("scopes") {
        None => None,
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        Some(_) => {
            diags.push(Diagnostic::error(
                "`scopes` must be a list of strings",
                Some(file.span(&format!("{tptr}/scopes"))),
            ));
            None
        }
    };
    let version = match e.get("version") {
        None => None,
        Some(Value::String(v)) => Some(v.clone()),
        Some(_) => {
            diags.push(
                Diagnostic::error(
                    "`version` must be a string",
                    Some(file.span(&format!("{tptr}/version"))),
                )
                .with_help("quote it: version: \"2021-07-28\""),
            );
            None
        }
    };

    let context = format!("tool `{name}`");
    let mut op = lower_operation(r, externals, Mode::Curated, &context, diags)?;
    if let Some(media) = &op.non_json_body {
        diags.push(
            Diagnostic::error(
                format!("{context}: request body `{media}` is not supported (only JSON)"),
                Some(r.doc.span(&format!("{}/requestBody", r.ptr()))),
            )
            .with_help("drop the tool or describe a JSON body"),
        );
    }

    // Parameter overrides, keyed by wire name.
    if let Some(params) = e.get("params") {
        let pptr = format!("{tptr}/params");
        match params {
            Value::Object(pm) => {
                for (wire, ov) in pm {
                    let optr = format!("{pptr}/{}", escape(wire));
                    let matching: Vec<usize> = op
                        .args
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| &a.wire == wire)
                        .map(|(i, _)| i)
                        .collect();
                    if matching.is_empty() {
                        let wires: Vec<&str> = op.args.iter().map(|a| a.wire.as_str()).collect();
                        diags.push(
                            Diagnostic::error(
                                format!("{context}: `params` names unknown parameter `{wire}`"),
                                Some(file.span(&optr)),
                            )
                            .with_help(format!("`{op_id}` has {}", list(&closest(wire, wires)))),
                        );
                        continue;
                    }
                    let Value::Object(ov) = ov else {
                        diags.push(Diagnostic::error(
                            format!("override for `{wire}` must be a mapping"),
                            Some(file.span(&optr)),
                        ));
                        continue;
                    };
                    unknown_keys(file, &optr, ov, &PARAM_KEYS, "a parameter override", diags);
                    for i in matching {
                        let a = &mut op.args[i];
                        if let Some(d) = ov.get("description").and_then(Value::as_str)
                            && let Value::Object(o) = &mut a.schema
                        {
                            o.insert("description".into(), Value::String(strip_html(d)));
                        }
                        match ov.get("rename") {
                            Some(Value::String(n)) if n.trim().is_empty() => {
                                diags.push(Diagnostic::error(
                                    "`rename` must not be empty",
                                    Some(file.span(&format!("{optr}/rename"))),
                                ));
                            }
                            Some(Value::String(n)) => a.name = n.clone(),
                            Some(_) => diags.push(Diagnostic::error(
                                "`rename` must be a string",
                                Some(file.span(&format!("{optr}/rename"))),
                            )),
                            None => {}
                        }
                        match ov.get("hide") {
                            Some(Value::Bool(h)) => a.hidden = *h,
                            Some(_) => diags.push(Diagnostic::error(
                                "`hide` must be true or false",
                                Some(file.span(&format!("{optr}/hide"))),
                            )),
                            None => {}
                        }
                        if let Some(d) = ov.get("default") {
                            a.default = Some(d.clone());
                        }
                    }
                }
            }
            _ => diags.push(
                Diagnostic::error("`params` must be a mapping", Some(file.span(&pptr)))
                    .with_help("key it by the parameter's wire name"),
            ),
        }
    }
    // A rename onto another argument's name is a mistake in the overlay, not a Q14 collision.
    for (i, a) in op.args.iter().enumerate() {
        if a.name != a.wire
            && let Some(other) = op
                .args
                .iter()
                .enumerate()
                .find(|(j, o)| *j != i && o.name == a.name)
        {
            diags.push(
                Diagnostic::error(
                    format!(
                        "{context}: `rename: {}` of `{}` clashes with parameter `{}`",
                        a.name, a.wire, other.1.wire
                    ),
                    Some(file.span(&format!("{tptr}/params/{}/rename", escape(&a.wire)))),
                )
                .with_help("pick an argument name no other parameter uses"),
            );
        }
    }
    dedupe_names(&mut op.args);

    let location = match e.get("location") {
        None => derive_location(&op.args).1,
        Some(Value::String(mode)) if LOCATION_MODES.contains(&mode.as_str()) => {
            match location_for(mode, &op.args) {
                Some(slot) => slot,
                None => {
                    let (derived, _) = derive_location(&op.args);
                    diags.push(
                        Diagnostic::error(
                            format!("{context}: `location: {mode}` does not match operation `{op_id}`"),
                            Some(file.span(&format!("{tptr}/location"))),
                        )
                        .with_help(format!(
                            "the operation has no {} parameter; its parameters suggest `location: {derived}`",
                            match mode.as_str() {
                                "query" => "`locationId` query",
                                "path" => "`{locationId}` path",
                                "body" => "`locationId` body",
                                "location_id" => "`location_id` query",
                                _ => "`altId`",
                            }
                        )),
                    );
                    LocationSlot::None
                }
            }
        }
        Some(other) => {
            diags.push(
                Diagnostic::error(
                    format!("unknown location mode {other}"),
                    Some(file.span(&format!("{tptr}/location"))),
                )
                .with_help(format!("use one of {}", list(&LOCATION_MODES))),
            );
            LocationSlot::None
        }
    };

    // A hidden required argument needs a default, unless it carries the location id (then the
    // server always fills it from the request's locationId header).
    for a in &op.args {
        let is_loc = match &location {
            LocationSlot::Arg(n) => n.as_ref() == a.name,
            LocationSlot::AltId => a.name == "altId" || a.name == "altType",
            LocationSlot::None => false,
        };
        if a.hidden && a.required && a.default.is_none() && !is_loc {
            diags.push(
                Diagnostic::error(
                    format!(
                        "{context}: required parameter `{}` is hidden without a default",
                        a.wire
                    ),
                    Some(file.span(&format!("{tptr}/params/{}/hide", escape(&a.wire)))),
                )
                .with_help("add `default:` or stop hiding it"),
            );
        }
    }
    if diags.errors().count() > errors_before {
        return None;
    }
    let scopes = scopes.unwrap_or_else(|| security_scopes(&op));
    let title = title
        .or_else(|| op.summary.clone())
        .unwrap_or_else(|| op_id.to_owned());
    let def = build_tool(
        op,
        Meta {
            name,
            app: app.to_owned(),
            title,
            description: description?,
            annotations: annotations?,
            scopes,
            location,
            version,
        },
    );
    Some(Lowered {
        def,
        source: file.display.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitized() {
        assert_eq!(
            sanitize_name("payments_create-integration provider"),
            "payments_create-integration-provider"
        );
    }

    #[test]
    fn path_vars_in_order() {
        assert_eq!(path_vars("/a/{x}/b/{y}/{x}"), vec!["x", "y"]);
    }

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
