//! Comparing one schema of an operation (a parameter's, the request body's or the success
//! response's) between spec/ and HighLevel's file, field by field: types, enums, required lists,
//! deprecations, fields on one side only, recursing into properties and array items.

use std::collections::BTreeSet;

use super::compare::Cx;
use super::resolve::{Flat, Node};
use crate::Class;

/// Deepest schema nesting compared (HighLevel's bodies are shallower; cycles stop earlier).
const MAX_DEPTH: usize = 8;

/// Which way a schema's data flows: the request (our tools send it) or the response (we read it).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Dir {
    /// Our tools send it.
    Request,
    /// Our tools read it.
    Response,
}

/// Enum values for a message: `` `a`, `b` ``, or `unset`.
pub(super) fn set(v: &Option<BTreeSet<String>>) -> String {
    match v {
        None => "unset".to_owned(),
        Some(s) => s
            .iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Compares the schema `s` (spec/) with `o` (HighLevel) found at `at` (`body`, `query limit`).
pub(super) fn schema(
    cx: &mut Cx<'_, '_>,
    dir: Dir,
    at: &str,
    s: &Node<'_>,
    o: &Node<'_>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let (sr, or) = (cx.spec, cx.official);
    let a: Flat<'_> = sr.flatten(s.clone());
    let b: Flat<'_> = or.flatten(o.clone());
    if let (Some(ta), Some(tb)) = (&a.types, &b.types)
        && ta != tb
    {
        cx.push(
            Class::NeedsAttention,
            "type-changed",
            at.to_owned(),
            format!(
                "type is {} upstream (spec: {})",
                set(&b.types),
                set(&a.types)
            ),
            s,
        );
    }
    enums(cx, dir, at, &a, &b, s);
    if b.deprecated && !a.deprecated {
        cx.push(
            Class::NeedsAttention,
            "deprecated",
            at.to_owned(),
            "HighLevel marks it deprecated".to_owned(),
            s,
        );
    }
    let add_at = a.properties_at.clone().unwrap_or_else(|| a.at.clone());
    for (name, q) in &b.properties {
        let sub = format!("{at}.{name}");
        let Some(p) = a.properties.get(name) else {
            let (class, why) = match (dir, b.required.contains(name)) {
                (Dir::Request, true) => (
                    Class::Breaking,
                    "HighLevel requires it; calls without it fail",
                ),
                (Dir::Request, false) => (Class::Safe, "optional; add it to offer it"),
                (Dir::Response, _) => (Class::Safe, "HighLevel returns it; add it if useful"),
            };
            cx.push(
                class,
                "field-added",
                sub,
                format!("new field: {why}"),
                &add_at,
            );
            continue;
        };
        if dir == Dir::Request {
            match (a.required.contains(name), b.required.contains(name)) {
                (false, true) => cx.push(
                    Class::Breaking,
                    "required-changed",
                    sub.clone(),
                    "HighLevel requires it; spec/ does not".to_owned(),
                    p,
                ),
                (true, false) => cx.push(
                    Class::NeedsAttention,
                    "required-changed",
                    sub.clone(),
                    "spec/ requires it; HighLevel does not".to_owned(),
                    p,
                ),
                _ => {}
            }
        }
        schema(cx, dir, &sub, p, q, depth + 1);
    }
    // A field only spec/ has counts only when HighLevel lists fields here at all: an object it
    // leaves open (`type: object`, no properties) says nothing about the fields inside.
    for (name, p) in &a.properties {
        if !b.properties.contains_key(name) && !b.properties.is_empty() {
            cx.push(
                Class::NeedsAttention,
                "field-removed",
                format!("{at}.{name}"),
                "HighLevel's file does not have this field".to_owned(),
                p,
            );
        }
    }
    if let (Some(si), Some(oi)) = (&a.items, &b.items) {
        schema(cx, dir, &format!("{at}[]"), si, oi, depth + 1);
    }
}

fn enums(cx: &mut Cx<'_, '_>, dir: Dir, at: &str, a: &Flat<'_>, b: &Flat<'_>, s: &Node<'_>) {
    let (Some(ea), Some(eb)) = (&a.enums, &b.enums) else {
        // Our response schemas drop long enums on purpose; a request enum HighLevel added is news.
        if dir == Dir::Request && a.enums.is_none() && b.enums.is_some() {
            cx.push(
                Class::NeedsAttention,
                "enum-changed",
                at.to_owned(),
                format!("HighLevel limits it to {}", set(&b.enums)),
                s,
            );
        }
        return;
    };
    let gone: BTreeSet<String> = ea.difference(eb).cloned().collect();
    let new: BTreeSet<String> = eb.difference(ea).cloned().collect();
    if !gone.is_empty() {
        let class = if dir == Dir::Request {
            Class::Breaking
        } else {
            Class::NeedsAttention
        };
        cx.push(
            class,
            "enum-changed",
            at.to_owned(),
            format!("values no longer upstream: {}", set(&Some(gone))),
            s,
        );
    }
    if !new.is_empty() {
        let class = if dir == Dir::Request {
            Class::Safe
        } else {
            Class::NeedsAttention
        };
        cx.push(
            class,
            "enum-changed",
            at.to_owned(),
            format!("new values upstream: {}", set(&Some(new))),
            s,
        );
    }
}
