//! Comparing one app: the operations of `spec/openapi/<app>.yaml` with those of HighLevel's
//! `<app>.json`, fact by fact (operations, parameters, `Version`, required lists, enums, request and
//! response fields, deprecations). Each finding names the spec line to edit.
//!
//! Classes are judged from the side of our tools: breaking when a tool would now fail against the
//! API as HighLevel documents it (an operation gone or moved, a new required input, a changed
//! `Version`, enum values HighLevel no longer accepts); needs-attention when our description is
//! out of step but calls still work; safe when HighLevel only offers more.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use codegen::load::SourceFile;
use serde_json::Value;

use super::fields::{Dir, schema, set};
use super::resolve::{Node, Resolver};
use super::{AppDrift, Item};
use crate::Class;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// One operation of a document.
struct Op<'a> {
    method: &'static str,
    path: String,
    id: Option<String>,
    node: Node<'a>,
}

impl Op<'_> {
    fn label(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

fn operations<'a>(r: &Resolver<'a>, file: &'a SourceFile) -> Vec<Op<'a>> {
    let mut out = Vec::new();
    let Some(paths) = r.child(&Node::root(file), "paths") else {
        return out;
    };
    let Some(pm) = paths.value.as_object() else {
        return out;
    };
    for path in pm.keys() {
        let Some(item) = r.child(&paths, path) else {
            continue;
        };
        for method in METHODS {
            if let Some(node) = r.child(&item, method) {
                out.push(Op {
                    method,
                    path: path.clone(),
                    id: node
                        .value
                        .get("operationId")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    node,
                });
            }
        }
    }
    out
}

/// The findings of one app, with the resolvers of both sides.
pub(super) struct Cx<'a, 'o> {
    pub(super) spec: Resolver<'a>,
    pub(super) official: Resolver<'o>,
    /// The spec file's lines, to find the `#` comments that document a deliberate deviation.
    spec_lines: Vec<String>,
    op: String,
    items: Vec<Item>,
}

impl Cx<'_, '_> {
    pub(super) fn push(
        &mut self,
        class: Class,
        kind: &'static str,
        subject: String,
        detail: String,
        at: &Node<'_>,
    ) {
        let span = at.file.span(&at.pointer);
        let documented = self.documented(at, kind);
        self.items.push(Item {
            class,
            kind,
            operation: self.op.clone(),
            subject,
            detail,
            file: span.file,
            line: span.line,
            documented,
        });
    }

    /// The comment spec/ writes above the node (or above the property whose items it is, or, for
    /// a required-list finding, above the `required` list): spec/README.md asks for one wherever
    /// spec/ departs from HighLevel's file on purpose.
    fn documented(&self, at: &Node<'_>, kind: &str) -> Option<String> {
        let mut candidates = vec![at.pointer.clone()];
        if let Some(parent) = at.pointer.strip_suffix("/items") {
            candidates.push(parent.to_owned());
        }
        if kind == "required-changed"
            && let Some((schema, _)) = at.pointer.rsplit_once("/properties/")
        {
            candidates.push(format!("{schema}/required"));
        }
        candidates.iter().find_map(|ptr| {
            let line = at.file.index.key(ptr).or_else(|| at.file.index.get(ptr))?.0;
            comment_above(&self.spec_lines, line)
        })
    }
}

/// The `#` comment lines right above 1-based line `line`, joined; `None` when there are none.
fn comment_above(lines: &[String], line: usize) -> Option<String> {
    let mut parts = Vec::new();
    let mut i = line.checked_sub(1)?;
    while i > 0 {
        let text = lines.get(i - 1)?.trim();
        let Some(comment) = text.strip_prefix('#') else {
            break;
        };
        parts.push(comment.trim().to_owned());
        i -= 1;
    }
    parts.reverse();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Compares the spec document of one app with HighLevel's.
pub fn compare_app(
    app: &str,
    spec: &SourceFile,
    official: &SourceFile,
    external: &HashMap<PathBuf, SourceFile>,
) -> AppDrift {
    let none = HashMap::new();
    let mut cx = Cx {
        spec: Resolver::new(&none),
        official: Resolver::new(external),
        spec_lines: std::fs::read_to_string(&spec.path)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect(),
        op: String::new(),
        items: Vec::new(),
    };
    let spec_ops = operations(&cx.spec, spec);
    let off_ops = operations(&cx.official, official);
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_route: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, o) in off_ops.iter().enumerate() {
        if let Some(id) = &o.id {
            by_id.entry(id).or_default().push(i);
        }
        by_route.insert((o.method, &o.path), i);
    }
    let mut matched = BTreeSet::new();
    for s in &spec_ops {
        cx.op = s.label();
        let by_op_id =
            s.id.as_deref()
                .and_then(|id| by_id.get(id))
                .and_then(|v| (v.len() == 1).then(|| v[0]));
        let found = by_op_id.or_else(|| by_route.get(&(s.method, s.path.as_str())).copied());
        let Some(i) = found else {
            cx.push(
                Class::Breaking,
                "operation-removed",
                s.id.clone().unwrap_or_default(),
                "HighLevel's file has no such operation (by operationId, nor by method and path)"
                    .to_owned(),
                &s.node,
            );
            continue;
        };
        matched.insert(i);
        let o = &off_ops[i];
        if o.method != s.method || o.path != s.path {
            cx.push(
                Class::Breaking,
                "operation-moved",
                s.id.clone().unwrap_or_default(),
                format!("HighLevel serves this operationId at {}", o.label()),
                &s.node,
            );
        } else if o.id != s.id {
            cx.push(
                Class::Breaking,
                "operation-renamed",
                s.id.clone().unwrap_or_default(),
                format!(
                    "HighLevel's operationId here is `{}` (tool names follow it)",
                    o.id.as_deref().unwrap_or("")
                ),
                &s.node,
            );
        }
        compare_op(&mut cx, &s.node, &o.node);
    }
    let not_in_spec = off_ops
        .iter()
        .enumerate()
        .filter(|(i, _)| !matched.contains(i))
        .map(|(_, o)| {
            format!(
                "{} ({})",
                o.label(),
                o.id.as_deref().unwrap_or("no operationId")
            )
        })
        .collect();
    AppDrift {
        app: app.to_owned(),
        spec_file: spec.display.clone(),
        official_file: official.display.clone(),
        spec_operations: spec_ops.len(),
        official_operations: off_ops.len(),
        items: cx.items,
        not_in_spec,
    }
}

fn is_deprecated(v: &Value) -> bool {
    v.get("deprecated") == Some(&Value::Bool(true))
}

fn compare_op(cx: &mut Cx<'_, '_>, s: &Node<'_>, o: &Node<'_>) {
    if is_deprecated(o.value) != is_deprecated(s.value) {
        let detail = if is_deprecated(o.value) {
            "HighLevel marks the operation deprecated; write `deprecated: true` and plan a replacement"
        } else {
            "spec/ marks the operation deprecated; HighLevel does not"
        };
        cx.push(
            Class::NeedsAttention,
            "deprecated",
            String::new(),
            detail.to_owned(),
            s,
        );
    }
    parameters(cx, s, o);
    let (sr, or) = (cx.spec, cx.official);
    match (body(&sr, s), body(&or, o)) {
        (Some(sb), Some(ob)) => schema(cx, Dir::Request, "body", &sb, &ob, 0),
        (None, Some(_)) => cx.push(
            Class::NeedsAttention,
            "request-body-added",
            "body".to_owned(),
            "HighLevel documents a JSON request body; spec/ has none".to_owned(),
            s,
        ),
        (Some(sb), None) => cx.push(
            Class::NeedsAttention,
            "request-body-removed",
            "body".to_owned(),
            "HighLevel documents no JSON request body".to_owned(),
            &sb,
        ),
        (None, None) => {}
    }
    if let (Some(sr_), Some(or_)) = (success(&sr, s), success(&or, o)) {
        schema(cx, Dir::Response, "response", &sr_, &or_, 0);
    }
}

/// The JSON schema of an operation's request body.
fn body<'a>(r: &Resolver<'a>, op: &Node<'a>) -> Option<Node<'a>> {
    let rb = r.deref(r.child(op, "requestBody")?)?;
    json_schema(r, &rb)
}

/// The `application/json` schema under `content` of a request body or response.
fn json_schema<'a>(r: &Resolver<'a>, n: &Node<'a>) -> Option<Node<'a>> {
    let content = r.child(n, "content")?;
    let media = r.child(&content, "application/json")?;
    r.child(&media, "schema")
}

/// The JSON schema of the first 2xx response.
fn success<'a>(r: &Resolver<'a>, op: &Node<'a>) -> Option<Node<'a>> {
    let responses = r.child(op, "responses")?;
    let codes: BTreeSet<&String> = responses.value.as_object()?.keys().collect();
    let code = codes.into_iter().find(|c| c.starts_with('2'))?;
    let resp = r.deref(r.child(&responses, code)?)?;
    json_schema(r, &resp)
}

/// Parameters by (`in`, name); header names compared case-insensitively, as HTTP does.
fn params<'a>(r: &Resolver<'a>, op: &Node<'a>) -> BTreeMap<(String, String), Node<'a>> {
    let mut out = BTreeMap::new();
    let Some(list) = r.child(op, "parameters") else {
        return out;
    };
    let n = list.value.as_array().map_or(0, Vec::len);
    for i in 0..n {
        let Some(p) = r.child(&list, &i.to_string()).and_then(|p| r.deref(p)) else {
            continue;
        };
        let loc = p
            .value
            .get("in")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let mut name = p
            .value
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if loc == "header" {
            name = name.to_ascii_lowercase();
        }
        // The bearer token is the server's business, never a tool argument.
        if loc == "header" && name == "authorization" {
            continue;
        }
        out.insert((loc, name), p);
    }
    out
}

fn required(v: &Value) -> bool {
    v.get("required") == Some(&Value::Bool(true))
}

fn parameters(cx: &mut Cx<'_, '_>, s: &Node<'_>, o: &Node<'_>) {
    let (sr, or) = (cx.spec, cx.official);
    let sp = params(&sr, s);
    let op = params(&or, o);
    let list_at = sr.child(s, "parameters").unwrap_or_else(|| s.clone());
    for ((loc, name), p) in &op {
        if sp.contains_key(&(loc.clone(), name.clone())) {
            continue;
        }
        let (class, why) = if required(p.value) {
            (
                Class::Breaking,
                "HighLevel requires it; calls without it fail",
            )
        } else {
            (Class::Safe, "optional; add it to offer it")
        };
        cx.push(
            class,
            "parameter-added",
            format!("{loc} {name}"),
            format!("new parameter: {why}"),
            &list_at,
        );
    }
    for ((loc, name), p) in &sp {
        let subject = format!("{loc} {name}");
        let Some(q) = op.get(&(loc.clone(), name.clone())) else {
            cx.push(
                Class::NeedsAttention,
                "parameter-removed",
                subject,
                "HighLevel's file does not have this parameter".to_owned(),
                p,
            );
            continue;
        };
        if is_deprecated(q.value) && !is_deprecated(p.value) {
            cx.push(
                Class::NeedsAttention,
                "deprecated",
                subject.clone(),
                "HighLevel marks the parameter deprecated".to_owned(),
                p,
            );
        }
        match (required(p.value), required(q.value)) {
            (false, true) => cx.push(
                Class::Breaking,
                "required-changed",
                subject.clone(),
                "HighLevel requires it; spec/ does not".to_owned(),
                p,
            ),
            (true, false) => cx.push(
                Class::NeedsAttention,
                "required-changed",
                subject.clone(),
                "spec/ requires it; HighLevel does not".to_owned(),
                p,
            ),
            _ => {}
        }
        let (Some(ps), Some(qs)) = (sr.child(p, "schema"), or.child(q, "schema")) else {
            continue;
        };
        if loc == "header" && name == "version" {
            let (a, b) = (sr.flatten(ps), or.flatten(qs));
            if a.enums != b.enums {
                cx.push(
                    Class::Breaking,
                    "version-changed",
                    "header Version".to_owned(),
                    format!(
                        "Version is {} upstream (spec: {})",
                        set(&b.enums),
                        set(&a.enums)
                    ),
                    &a.at,
                );
            }
            continue;
        }
        schema(cx, Dir::Request, &subject, &ps, &qs, 0);
    }
}
