//! Comparing two JSON Schemas of one tool, keyword by keyword, with the direction in mind.
//!
//! The same edit means opposite things on the two sides of a tool: narrowing what an argument
//! accepts breaks callers (their old values are now rejected), while narrowing what a result holds
//! is harmless to readers; widening is the reverse. So every finding is judged by [`Side`]:
//! `Input` is what a client sends (the `inputSchema`), `Output` what it reads (`outputSchema`).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::Change;
use crate::Class;

/// Which way data flows through the schema being compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client sends it (arguments).
    Input,
    /// The client reads it (the result).
    Output,
}

/// Whether a keyword edit lets more values through, fewer, or a different set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Narrower,
    Wider,
    Different,
}

impl Side {
    /// The class of a change that accepts `scope` values relative to before.
    fn judge(self, scope: Scope) -> Class {
        match (self, scope) {
            (_, Scope::Different) => Class::Breaking,
            (Side::Input, Scope::Narrower) => Class::Breaking,
            (Side::Input, Scope::Wider) => Class::Safe,
            (Side::Output, Scope::Narrower) => Class::Safe,
            (Side::Output, Scope::Wider) => Class::NeedsAttention,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Side::Input => "field",
            Side::Output => "output field",
        }
    }
}

/// Keywords judged here; any other keyword that changes is reported as needing attention.
const KNOWN: [&str; 20] = [
    "type",
    "format",
    "enum",
    "description",
    "title",
    "default",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "examples",
];

/// Lower bounds: a larger value accepts fewer values.
const LOWER: [&str; 4] = ["minimum", "exclusiveMinimum", "minLength", "minItems"];
/// Upper bounds: a smaller value accepts fewer values.
const UPPER: [&str; 4] = ["maximum", "exclusiveMaximum", "maxLength", "maxItems"];

/// Compares the schema `old` with `new` found at `path` (`limit`, `contact.email`, `tags[]`) and
/// pushes one [`Change`] per difference. With `skip_properties` the object's `properties` and
/// `required` are left to the caller (the top level of an `inputSchema`, where arguments are
/// matched with rename detection).
pub fn compare(
    side: Side,
    path: &str,
    old: &Value,
    new: &Value,
    skip_properties: bool,
    out: &mut Vec<Change>,
) {
    let empty = Map::new();
    let o = old.as_object().unwrap_or(&empty);
    let n = new.as_object().unwrap_or(&empty);
    types(side, path, o, n, out);
    format(side, path, o, n, out);
    enums(side, path, o, n, out);
    bounds(side, path, o, n, out);
    text_and_defaults(side, path, o, n, out);
    if !skip_properties {
        properties(side, path, o, n, out);
    }
    additional(side, path, o, n, out);
    if let (Some(oi), Some(ni)) = (o.get("items"), n.get("items")) {
        compare(side, &format!("{path}[]"), oi, ni, false, out);
    }
    for key in o.keys().chain(n.keys()).collect::<BTreeSet<_>>() {
        if KNOWN.contains(&key.as_str()) || o.get(key) == n.get(key) {
            continue;
        }
        out.push(Change::new(
            Class::NeedsAttention,
            "schema-changed",
            path,
            format!(
                "keyword `{key}` changed from {} to {}; this diff does not judge it, read it",
                show(o.get(key)),
                show(n.get(key))
            ),
        ));
    }
}

/// Longest JSON text quoted in a reason.
const MAX_SHOWN: usize = 60;

/// The JSON of `v` for a message, `absent` when missing.
pub fn show(v: Option<&Value>) -> String {
    match v {
        None => "absent".to_owned(),
        Some(v) => {
            // Long schemas are cut: the reviewer has the file diff for the full text.
            let text = serde_json::to_string(v).unwrap_or_default();
            match text.char_indices().nth(MAX_SHOWN) {
                Some((cut, _)) => format!("`{}…`", &text[..cut]),
                None => format!("`{text}`"),
            }
        }
    }
}

/// The set of types a schema allows; `None` when it names none (any type).
fn type_set(o: &Map<String, Value>) -> Option<BTreeSet<String>> {
    match o.get("type")? {
        Value::String(s) => Some(BTreeSet::from([s.clone()])),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

/// Whether every type in `a` is allowed by `b` (`integer` is allowed by `number`).
fn types_within(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    a.iter()
        .all(|t| b.contains(t) || (t == "integer" && b.contains("number")))
}

fn list(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(" | ")
}

fn types(
    side: Side,
    path: &str,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    out: &mut Vec<Change>,
) {
    let (ot, nt) = (type_set(o), type_set(n));
    if ot == nt {
        return;
    }
    let (scope, kind, reason) = match (&ot, &nt) {
        (None, Some(t)) => (
            Scope::Narrower,
            "type-narrowed",
            format!("type now restricted to {}", list(t)),
        ),
        (Some(t), None) => (
            Scope::Wider,
            "type-widened",
            format!("type no longer restricted (was {})", list(t)),
        ),
        (Some(a), Some(b)) if types_within(b, a) => (
            Scope::Narrower,
            "type-narrowed",
            format!("type narrowed from {} to {}", list(a), list(b)),
        ),
        (Some(a), Some(b)) if types_within(a, b) => (
            Scope::Wider,
            "type-widened",
            format!("type widened from {} to {}", list(a), list(b)),
        ),
        (Some(a), Some(b)) => (
            Scope::Different,
            "type-changed",
            format!("type changed from {} to {}", list(a), list(b)),
        ),
        (None, None) => return,
    };
    out.push(Change::new(side.judge(scope), kind, path, reason));
}

fn format(
    side: Side,
    path: &str,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    out: &mut Vec<Change>,
) {
    let (of, nf) = (o.get("format"), n.get("format"));
    if of == nf {
        return;
    }
    // A format is an assertion only for some validators: adding or changing one may start
    // rejecting inputs, so it is never silently safe on the input side.
    let class = match (side, of, nf) {
        (Side::Input, Some(_), None) => Class::Safe,
        (Side::Input, _, _) => Class::NeedsAttention,
        (Side::Output, None, Some(_)) => Class::Safe,
        (Side::Output, _, _) => Class::NeedsAttention,
    };
    out.push(Change::new(
        class,
        "format-changed",
        path,
        format!("format changed from {} to {}", show(of), show(nf)),
    ));
}

fn value_set(v: Option<&Value>) -> Option<BTreeSet<String>> {
    v?.as_array().map(|a| {
        a.iter()
            .map(|x| serde_json::to_string(x).unwrap_or_default())
            .collect()
    })
}

fn enums(
    side: Side,
    path: &str,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    out: &mut Vec<Change>,
) {
    let (oe, ne) = (value_set(o.get("enum")), value_set(n.get("enum")));
    let (scope, reason) = match (&oe, &ne) {
        (None, None) => return,
        (Some(a), Some(b)) if a == b => return,
        (None, Some(b)) => (
            Scope::Narrower,
            format!("values now limited to {}", list(b)),
        ),
        (Some(a), None) => (Scope::Wider, format!("no longer limited to {}", list(a))),
        (Some(a), Some(b)) => {
            let removed: BTreeSet<String> = a.difference(b).cloned().collect();
            let added: BTreeSet<String> = b.difference(a).cloned().collect();
            let mut parts = Vec::new();
            if !removed.is_empty() {
                parts.push(format!("removed {}", list(&removed)));
            }
            if !added.is_empty() {
                parts.push(format!("added {}", list(&added)));
            }
            let scope = match (removed.is_empty(), added.is_empty()) {
                (false, true) => Scope::Narrower,
                (true, false) => Scope::Wider,
                _ => Scope::Different,
            };
            (scope, format!("enum values {}", parts.join(", ")))
        }
    };
    let kind = match scope {
        Scope::Narrower => "enum-narrowed",
        Scope::Wider => "enum-widened",
        Scope::Different => "enum-changed",
    };
    out.push(Change::new(side.judge(scope), kind, path, reason));
}

fn bounds(
    side: Side,
    path: &str,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    out: &mut Vec<Change>,
) {
    for key in LOWER.iter().chain(UPPER.iter()) {
        let (ob, nb) = (
            o.get(*key).and_then(Value::as_f64),
            n.get(*key).and_then(Value::as_f64),
        );
        if ob == nb {
            continue;
        }
        let lower = LOWER.contains(key);
        let scope = match (ob, nb) {
            (None, Some(_)) => Scope::Narrower,
            (Some(_), None) => Scope::Wider,
            (Some(a), Some(b)) if (b > a) == lower => Scope::Narrower,
            _ => Scope::Wider,
        };
        let kind = if scope == Scope::Narrower {
            "bounds-narrowed"
        } else {
            "bounds-widened"
        };
        out.push(Change::new(
            side.judge(scope),
            kind,
            path,
            format!(
                "`{key}` changed from {} to {}",
                show(o.get(*key)),
                show(n.get(*key))
            ),
        ));
    }
    if o.get("pattern") != n.get("pattern") {
        let class = match (side, n.get("pattern")) {
            (Side::Input, None) => Class::Safe,
            (Side::Input, Some(_)) => Class::NeedsAttention,
            (Side::Output, _) => Class::Safe,
        };
        out.push(Change::new(
            class,
            "pattern-changed",
            path,
            format!(
                "`pattern` changed from {} to {}",
                show(o.get("pattern")),
                show(n.get("pattern"))
            ),
        ));
    }
}

fn text_and_defaults(
    side: Side,
    path: &str,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    out: &mut Vec<Change>,
) {
    for key in ["description", "title", "examples"] {
        if o.get(key) != n.get(key) {
            out.push(Change::new(
                Class::Safe,
                "text-changed",
                path,
                format!("`{key}` edited (text only)"),
            ));
        }
    }
    if side == Side::Input && o.get("default") != n.get("default") {
        out.push(Change::new(
            Class::NeedsAttention,
            "default-changed",
            path,
            format!(
                "documented default changed from {} to {}; calls that leave it out may behave differently",
                show(o.get("default")),
                show(n.get("default"))
            ),
        ));
    }
}

/// The names in a schema's `required` list.
pub fn required(o: &Map<String, Value>) -> BTreeSet<String> {
    o.get("required")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A child path: `parent.name`, or `name` at the root.
pub fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn properties(
    side: Side,
    path: &str,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    out: &mut Vec<Change>,
) {
    let empty = Map::new();
    let op = o
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let np = n
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let (or, nr) = (required(o), required(n));
    let noun = side.noun();
    for (name, ov) in op {
        let at = child(path, name);
        match np.get(name) {
            None => removed_property(side, &at, ov, n.get("additionalProperties"), out),
            Some(nv) => {
                compare(side, &at, ov, nv, false, out);
                required_change(side, &at, or.contains(name), nr.contains(name), out);
            }
        }
    }
    for name in np.keys().filter(|k| !op.contains_key(*k)) {
        let at = child(path, name);
        let (class, reason) = match (side, nr.contains(name)) {
            (Side::Input, true) => (
                Class::Breaking,
                format!("required {noun} added; old calls lack it"),
            ),
            (Side::Input, false) => (Class::Safe, format!("optional {noun} added")),
            (Side::Output, _) => (Class::Safe, format!("{noun} added")),
        };
        out.push(Change::new(class, "field-added", &at, reason));
    }
}

/// A property of `old` that `new` no longer declares: what happens to it depends on what `new`
/// says about undeclared keys (`additional`).
fn removed_property(
    side: Side,
    at: &str,
    old: &Value,
    additional: Option<&Value>,
    out: &mut Vec<Change>,
) {
    let noun = side.noun();
    let (class, reason) = match (side, additional) {
        (_, Some(schema @ Value::Object(_))) => {
            // The key is still allowed through `additionalProperties`: judge it against that.
            out.push(Change::new(
                Class::Safe,
                "field-removed",
                at,
                format!("{noun} no longer declared; now covered by `additionalProperties`"),
            ));
            compare(side, at, old, schema, false, out);
            return;
        }
        (Side::Input, Some(Value::Bool(false))) => (
            Class::Breaking,
            format!("{noun} removed; calls that send it are now rejected"),
        ),
        (Side::Input, _) => (
            Class::NeedsAttention,
            format!("{noun} no longer declared; still accepted as an undeclared key"),
        ),
        (Side::Output, _) => (
            Class::Breaking,
            format!("{noun} removed; readers of it get nothing"),
        ),
    };
    out.push(Change::new(class, "field-removed", at, reason));
}

/// A property's `required` flag changed from `was` to `now`.
pub fn required_change(side: Side, path: &str, was: bool, now: bool, out: &mut Vec<Change>) {
    if was == now {
        return;
    }
    let (class, kind, reason) = match (side, now) {
        (Side::Input, true) => (
            Class::Breaking,
            "made-required",
            "now required; calls without it are rejected",
        ),
        (Side::Input, false) => (Class::Safe, "made-optional", "now optional"),
        (Side::Output, true) => (Class::Safe, "made-required", "now always present"),
        (Side::Output, false) => (
            Class::NeedsAttention,
            "made-optional",
            "no longer always present; readers must handle its absence",
        ),
    };
    out.push(Change::new(class, kind, path, reason.to_owned()));
}

fn additional(
    side: Side,
    path: &str,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    out: &mut Vec<Change>,
) {
    let (oa, na) = (o.get("additionalProperties"), n.get("additionalProperties"));
    if oa == na {
        return;
    }
    // Absent and `true` both allow any extra key; `false` allows none; a schema allows some.
    let openness = |v: Option<&Value>| match v {
        None | Some(Value::Bool(true)) => 2,
        Some(Value::Bool(false)) => 0,
        Some(_) => 1,
    };
    let (a, b) = (openness(oa), openness(na));
    if a == 1 && b == 1 {
        let (Some(oa), Some(na)) = (oa, na) else {
            return;
        };
        compare(side, &format!("{path}.*"), oa, na, false, out);
        return;
    }
    if a == b {
        return;
    }
    let scope = if b < a { Scope::Narrower } else { Scope::Wider };
    // Constraining undeclared keys with a schema (rather than refusing them) rarely breaks a
    // caller, who sends declared keys; a reviewer should still look.
    let class = match (side, scope, b) {
        (Side::Input, Scope::Narrower, 1) => Class::NeedsAttention,
        _ => side.judge(scope),
    };
    let effect = match (scope, b) {
        (Scope::Wider, _) => "undeclared keys are now allowed",
        (_, 0) => "undeclared keys are now refused",
        _ => "undeclared keys must now match a schema",
    };
    out.push(Change::new(
        class,
        "additional-properties",
        path,
        format!(
            "`additionalProperties` changed from {} to {}: {effect}",
            show(oa),
            show(na)
        ),
    ));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// (kind, class) of every change between `old` and `new` on `side`.
    fn judge(side: Side, old: Value, new: Value) -> Vec<(&'static str, Class)> {
        let mut out = Vec::new();
        compare(side, "x", &old, &new, false, &mut out);
        out.into_iter().map(|c| (c.kind, c.class)).collect()
    }

    #[test]
    fn one_edit_means_opposite_things_on_the_two_sides() {
        let two = json!({"type": "string", "enum": ["a", "b"]});
        let three = json!({"type": "string", "enum": ["a", "b", "c"]});
        assert_eq!(
            judge(Side::Input, two.clone(), three.clone()),
            [("enum-widened", Class::Safe)]
        );
        assert_eq!(
            judge(Side::Output, two.clone(), three.clone()),
            [("enum-widened", Class::NeedsAttention)]
        );
        assert_eq!(
            judge(Side::Input, three.clone(), two.clone()),
            [("enum-narrowed", Class::Breaking)]
        );
        assert_eq!(
            judge(Side::Output, three, two),
            [("enum-narrowed", Class::Safe)]
        );
        let small = json!({"type": "integer", "maximum": 10});
        let big = json!({"type": "number", "maximum": 20});
        assert_eq!(
            judge(Side::Input, small.clone(), big.clone()),
            [
                ("type-widened", Class::Safe),
                ("bounds-widened", Class::Safe)
            ]
        );
        assert_eq!(
            judge(Side::Output, big, small),
            [
                ("type-narrowed", Class::Safe),
                ("bounds-narrowed", Class::Safe)
            ]
        );
    }

    #[test]
    fn output_fields_that_may_go_missing_need_attention() {
        let old =
            json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]});
        let new = json!({"type": "object", "properties": {"id": {"type": "string"}}});
        assert_eq!(
            judge(Side::Output, old.clone(), new.clone()),
            [("made-optional", Class::NeedsAttention)]
        );
        assert_eq!(
            judge(Side::Input, old, new),
            [("made-optional", Class::Safe)]
        );
    }

    #[test]
    fn a_different_type_breaks_both_sides() {
        let s = json!({"type": "string"});
        let b = json!({"type": "boolean"});
        assert_eq!(
            judge(Side::Input, s.clone(), b.clone()),
            [("type-changed", Class::Breaking)]
        );
        assert_eq!(
            judge(Side::Output, s, b),
            [("type-changed", Class::Breaking)]
        );
    }
}
