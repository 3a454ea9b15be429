//! OpenAPI 3.0 schema objects → JSON Schema 2020-12, with `$ref`s resolved lazily.
//!
//! Only the schemas a tool needs (its parameters, request body and success response) are ever
//! visited, so a dangling `$ref` in an error response costs nothing, and a quirk inside one
//! operation's schema costs at most that operation. Normalisations, each for a quirk of
//! HighLevel's files (see ../shared/notes/spec-quirks.md):
//!
//! - `$ref` inlined (internal `#/...` and external `file.json#/...` relative to the referencing
//!   file); a recursive reference becomes `{}` (no constraint) with a warning;
//! - single-element `allOf` merged into its parent (Q15), multi-element `allOf` of plain objects
//!   merged into one object;
//! - `nullable: true` → `type: [T, "null"]` (Q16);
//! - an unknown `type` (`any`, Q6) dropped, leaving the value unconstrained;
//! - `examples` given as an OpenAPI example map (Q26) → an array of the example values, and
//!   `example` → `examples: [..]`;
//! - boolean `exclusiveMinimum`/`exclusiveMaximum` (OAS 3.0) → the 2020-12 numeric form;
//! - `required` entries naming no property, and `default`s contradicting `type`, dropped;
//! - OpenAPI-only keywords (`discriminator`, `xml`, `externalDocs`, `x-*`) dropped;
//! - HTML stripped from descriptions (Q23).

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::load::{SourceFile, escape, normalize};

const JSON_TYPES: [&str; 7] = [
    "array", "boolean", "integer", "null", "number", "object", "string",
];

/// Resolves `$ref`s and normalises schemas for one operation, collecting diagnostics.
pub(crate) struct Resolver<'a> {
    /// Documents reachable through external refs, by canonical path.
    pub externals: &'a HashMap<PathBuf, SourceFile>,
    /// Severity of an unresolvable `$ref` (an error in our spec, a warning for official files).
    pub ref_severity: Severity,
    /// Names the operation in messages, e.g. "tool `contacts_get-contact`".
    pub context: String,
    /// Where problems go.
    pub diags: &'a mut Diagnostics,
    stack: Vec<String>,
}

/// A resolved node: the document it lives in, its pointer there, and its value.
pub(crate) type Resolved<'a> = (&'a SourceFile, String, &'a Value);

impl<'a> Resolver<'a> {
    pub fn new(
        externals: &'a HashMap<PathBuf, SourceFile>,
        ref_severity: Severity,
        context: String,
        diags: &'a mut Diagnostics,
    ) -> Self {
        Self {
            externals,
            ref_severity,
            context,
            diags,
            stack: Vec::new(),
        }
    }

    fn push(&mut self, severity: Severity, msg: String, doc: &SourceFile, ptr: &str) -> Diagnostic {
        let d = Diagnostic {
            severity,
            message: msg,
            span: Some(doc.span(ptr)),
            help: None,
        };
        self.diags.push(d.clone());
        d
    }

    /// Emits a warning about this operation at `ptr` in `doc`.
    pub fn warn(&mut self, doc: &SourceFile, ptr: &str, what: &str) {
        let msg = format!("{}: {what}", self.context);
        self.push(Severity::Warning, msg, doc, ptr);
    }

    /// Follows `$ref` chains starting at `value` (found at `ptr` in `doc`) to a non-ref node.
    pub fn deref<'d>(
        &mut self,
        doc: &'d SourceFile,
        ptr: &str,
        value: &'d Value,
    ) -> Option<Resolved<'d>>
    where
        'a: 'd,
    {
        let mut doc = doc;
        let mut ptr = ptr.to_owned();
        let mut value = value;
        for _ in 0..32 {
            let Some(Value::String(r)) = value.get("$ref") else {
                return Some((doc, ptr, value));
            };
            let (file, frag) = r.split_once('#').unwrap_or((r.as_str(), ""));
            let target_doc: &'d SourceFile = if file.is_empty() {
                doc
            } else {
                let base = doc.path.parent().map(|p| p.join(file)).unwrap_or_default();
                match self.externals.get(&normalize(&base)) {
                    Some(d) => d,
                    None => {
                        let msg = format!(
                            "{}: `$ref` names a file that does not exist: `{r}`",
                            self.context
                        );
                        let sev = self.ref_severity;
                        let d = self.push(sev, msg, doc, &format!("{ptr}/$ref"));
                        let _ = d;
                        return None;
                    }
                }
            };
            match target_doc.value.pointer(frag) {
                Some(v) => {
                    ptr = frag.to_owned();
                    doc = target_doc;
                    value = v;
                }
                None => {
                    let msg = format!("{}: unresolvable `$ref` `{r}`", self.context);
                    let sev = self.ref_severity;
                    let mut d = Diagnostic {
                        severity: sev,
                        message: msg,
                        span: Some(doc.span(&format!("{ptr}/$ref"))),
                        help: None,
                    };
                    // Suggest the nearest names in the object the pointer was looking into.
                    let (parent, last) = frag.rsplit_once('/').unwrap_or(("", frag));
                    if let Some(Value::Object(siblings)) = target_doc.value.pointer(parent) {
                        let near =
                            crate::diagnostics::closest(last, siblings.keys().map(String::as_str));
                        if !near.is_empty() {
                            d.help = Some(format!(
                                "`{parent}` in {} has {}",
                                target_doc.display,
                                crate::diagnostics::list(&near)
                            ));
                        }
                    }
                    self.diags.push(d);
                    return None;
                }
            }
        }
        let msg = format!("{}: `$ref` chain longer than 32 links", self.context);
        let sev = self.ref_severity;
        self.push(sev, msg, doc, &ptr);
        None
    }

    /// Returns `value` (a schema found at `ptr` in `doc`) as self-contained JSON Schema 2020-12.
    pub fn schema(&mut self, doc: &SourceFile, ptr: &str, value: &Value) -> Value {
        let Value::Object(map) = value else {
            // `true`/`false` schemas are valid 2020-12; anything else means "no constraint".
            return match value {
                Value::Bool(_) => value.clone(),
                _ => Value::Object(Map::new()),
            };
        };
        if let Some(Value::String(r)) = map.get("$ref") {
            let key = format!("{}#{r}", doc.display);
            let Some((tdoc, tptr, tval)) = self.deref(doc, ptr, value) else {
                return Value::Object(Map::new());
            };
            let target_key = format!("{}#{tptr}", tdoc.display);
            if self.stack.contains(&target_key) {
                self.warn(
                    doc,
                    &format!("{ptr}/$ref"),
                    &format!("recursive `$ref` `{r}` replaced by an unconstrained schema"),
                );
                return Value::Object(Map::new());
            }
            self.stack.push(target_key);
            let _ = key;
            let mut out = self.schema(tdoc, &tptr, tval);
            self.stack.pop();
            // OAS 3.0 ignores siblings of `$ref`, but a description or nullable next to it is
            // what the author meant for this use of the type.
            if let Value::Object(o) = &mut out {
                for k in ["description", "title"] {
                    if let Some(Value::String(s)) = map.get(k) {
                        o.insert(k.to_owned(), Value::String(strip_html(s)));
                    }
                }
                if map.get("nullable") == Some(&Value::Bool(true)) {
                    make_nullable(o);
                }
            }
            return out;
        }

        let mut out = Map::new();
        for (k, v) in map {
            let child = format!("{ptr}/{}", escape(k));
            match k.as_str() {
                "properties" | "patternProperties" | "$defs" | "definitions" => {
                    if let Value::Object(props) = v {
                        let mut m = Map::new();
                        for (name, s) in props {
                            let p = format!("{child}/{}", escape(name));
                            m.insert(name.clone(), self.schema(doc, &p, s));
                        }
                        out.insert(k.clone(), Value::Object(m));
                    }
                }
                "items"
                | "additionalProperties"
                | "not"
                | "contains"
                | "propertyNames"
                | "additionalItems"
                | "unevaluatedProperties"
                | "unevaluatedItems" => match v {
                    Value::Array(items) if k == "items" => {
                        // OAS 3.0 has no tuple form; 2020-12 calls it prefixItems.
                        let list = items
                            .iter()
                            .enumerate()
                            .map(|(i, s)| self.schema(doc, &format!("{child}/{i}"), s))
                            .collect();
                        out.insert("prefixItems".to_owned(), Value::Array(list));
                    }
                    Value::Bool(_) => {
                        out.insert(k.clone(), v.clone());
                    }
                    _ => {
                        let s = self.schema(doc, &child, v);
                        out.insert(k.clone(), s);
                    }
                },
                "allOf" | "oneOf" | "anyOf" => {
                    if let Value::Array(items) = v {
                        let list = items
                            .iter()
                            .enumerate()
                            .map(|(i, s)| self.schema(doc, &format!("{child}/{i}"), s))
                            .collect();
                        out.insert(k.clone(), Value::Array(list));
                    }
                }
                "type" => match v {
                    Value::String(t) if JSON_TYPES.contains(&t.as_str()) => {
                        out.insert(k.clone(), v.clone());
                    }
                    Value::Array(ts)
                        if ts
                            .iter()
                            .all(|t| t.as_str().is_some_and(|t| JSON_TYPES.contains(&t))) =>
                    {
                        out.insert(k.clone(), v.clone());
                    }
                    other => self.warn(
                        doc,
                        &child,
                        &format!(
                            "schema type {other} is not a JSON Schema type; left unconstrained"
                        ),
                    ),
                },
                "description" | "title" => {
                    if let Value::String(s) = v {
                        out.insert(k.clone(), Value::String(strip_html(s)));
                    }
                }
                "examples" => match v {
                    Value::Array(_) => {
                        out.insert(k.clone(), v.clone());
                    }
                    Value::Object(named) => {
                        // An OAS Example map: keep the values.
                        let vals: Vec<Value> = named
                            .values()
                            .map(|e| e.get("value").cloned().unwrap_or_else(|| e.clone()))
                            .collect();
                        out.insert(k.clone(), Value::Array(vals));
                    }
                    _ => {}
                },
                "example" => {
                    if !map.contains_key("examples") {
                        out.insert("examples".to_owned(), Value::Array(vec![v.clone()]));
                    }
                }
                "exclusiveMinimum" | "exclusiveMaximum" => match v {
                    Value::Bool(true) => {
                        let bound = if k == "exclusiveMinimum" {
                            "minimum"
                        } else {
                            "maximum"
                        };
                        if let Some(b) = map.get(bound) {
                            out.insert(k.clone(), b.clone());
                        }
                    }
                    Value::Bool(false) => {}
                    _ => {
                        out.insert(k.clone(), v.clone());
                    }
                },
                "nullable" | "discriminator" | "xml" | "externalDocs" => {}
                "$ref" => {}
                _ if k.starts_with("x-") => {}
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        // A boolean exclusive bound replaced the plain bound.
        for (ex, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if map.get(ex) == Some(&Value::Bool(true)) {
                out.remove(bound);
            }
        }

        merge_all_of(&mut out);

        // Checked before `nullable` widens the type.
        if let (Some(def), Some(Value::String(t))) = (out.get("default"), out.get("type"))
            && !value_has_type(def, t)
        {
            let msg = format!("`default` {def} contradicts `type: {t}`; dropped");
            self.warn(doc, &format!("{ptr}/default"), &msg);
            out.remove("default");
        }

        if map.get("nullable") == Some(&Value::Bool(true)) {
            make_nullable(&mut out);
        }

        // `required` naming no declared property is unsatisfiable for a model; drop the names.
        if let (Some(Value::Array(req)), Some(Value::Object(props))) =
            (out.get("required"), out.get("properties"))
        {
            let (keep, drop): (Vec<Value>, Vec<Value>) = req
                .iter()
                .cloned()
                .partition(|r| r.as_str().is_some_and(|r| props.contains_key(r)));
            if !drop.is_empty() {
                let names: Vec<String> = drop.iter().map(|d| d.to_string()).collect();
                self.warn(
                    doc,
                    &format!("{ptr}/required"),
                    &format!(
                        "`required` names undeclared properties {}; dropped",
                        names.join(", ")
                    ),
                );
                out.insert("required".to_owned(), Value::Array(keep));
            }
        }

        Value::Object(out)
    }
}

fn value_has_type(v: &Value, t: &str) -> bool {
    match t {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => true,
    }
}

/// `nullable: true` in OAS 3.0 means "also null"; JSON Schema says it with the type (and enum).
fn make_nullable(o: &mut Map<String, Value>) {
    match o.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            if t != "null" {
                o.insert(
                    "type".to_owned(),
                    Value::Array(vec![Value::String(t), Value::String("null".into())]),
                );
            }
        }
        Some(Value::Array(ts)) if !ts.iter().any(|t| t == "null") => {
            ts.push(Value::String("null".into()));
        }
        _ => {}
    }
    if let Some(Value::Array(e)) = o.get_mut("enum")
        && !e.contains(&Value::Null)
    {
        e.push(Value::Null);
    }
}

fn is_plain_object(v: &Value) -> bool {
    let Value::Object(m) = v else { return false };
    let objecty = m.get("type").is_none_or(|t| t == "object") && m.contains_key("properties");
    objecty
        && !m.contains_key("allOf")
        && !m.contains_key("oneOf")
        && !m.contains_key("anyOf")
        && m.get("additionalProperties") != Some(&Value::Bool(false))
}

/// Merges a single-element `allOf` (or an `allOf` of plain objects) into its parent; the
/// parent's own keys (its description, say) win.
fn merge_all_of(out: &mut Map<String, Value>) {
    let Some(Value::Array(items)) = out.get("allOf") else {
        return;
    };
    let mergeable = items.len() == 1 && items[0].is_object()
        || (!items.is_empty() && items.iter().all(is_plain_object));
    if !mergeable {
        return;
    }
    let Some(Value::Array(items)) = out.remove("allOf") else {
        return;
    };
    let mut merged = Map::new();
    let mut props = Map::new();
    let mut required: Vec<Value> = Vec::new();
    let single = items.len() == 1;
    for item in items {
        let Value::Object(m) = item else { continue };
        for (k, v) in m {
            match (k.as_str(), v) {
                ("properties", Value::Object(p)) if !single => props.extend(p),
                ("required", Value::Array(r)) if !single => {
                    for x in r {
                        if !required.contains(&x) {
                            required.push(x);
                        }
                    }
                }
                (_, v) => {
                    merged.insert(k, v);
                }
            }
        }
    }
    if !single {
        merged.insert("type".into(), Value::String("object".into()));
        merged.insert("properties".into(), Value::Object(props));
        if !required.is_empty() {
            merged.insert("required".into(), Value::Array(required));
        }
    }
    for (k, v) in std::mem::take(out) {
        merged.insert(k, v);
    }
    *out = merged;
}

/// Removes HTML tags and decodes the common entities; `<br>` and block tags become line breaks.
pub fn strip_html(s: &str) -> String {
    if !s.contains('<') && !s.contains('&') {
        return s.trim().to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let is_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match (is_tag, after.find('>')) {
            (true, Some(close)) => {
                let tag = after[..close].trim_start_matches('/').to_ascii_lowercase();
                let name: String = tag
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                if matches!(
                    name.as_str(),
                    "br" | "p" | "li" | "div" | "ul" | "ol" | "tr"
                ) {
                    out.push('\n');
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    // Collapse the blank runs tags leave behind.
    let lines: Vec<String> = decoded
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut joined = String::new();
    let mut blank = false;
    for l in lines {
        if l.is_empty() {
            blank = !joined.is_empty();
            continue;
        }
        if !joined.is_empty() {
            joined.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        joined.push_str(&l);
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_stripped() {
        assert_eq!(
            strip_html("Update a contact.<br/>See <a href=\"x\">docs</a> &amp; more. a < b"),
            "Update a contact.\nSee docs & more. a < b"
        );
    }

    #[test]
    fn single_all_of_merges_with_parent_winning() {
        let mut m = serde_json::json!({"description": "outer", "allOf": [{"type": "object", "description": "inner", "properties": {"a": {}}}]});
        let Value::Object(o) = &mut m else {
            unreachable!()
        };
        merge_all_of(o);
        assert_eq!(
            m,
            serde_json::json!({"type": "object", "description": "outer", "properties": {"a": {}}})
        );
    }

    #[test]
    fn nullable_becomes_a_type_union() {
        let mut m = serde_json::json!({"type": "string", "enum": ["a"]});
        let Value::Object(o) = &mut m else {
            unreachable!()
        };
        make_nullable(o);
        assert_eq!(
            m,
            serde_json::json!({"type": ["string", "null"], "enum": ["a", null]})
        );
    }
}
