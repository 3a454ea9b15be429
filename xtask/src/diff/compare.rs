//! Comparing the tools of two revisions: which tools came and went, and for a tool on both sides
//! its arguments (with rename detection), result, annotations, upstream operation and any key of
//! the tool JSON this diff does not know yet (judged as needing attention, never ignored).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::schema::{self, Side, show};
use super::tools::ToolView;
use super::{Change, ToolDiff, ToolStatus};
use crate::Class;

/// Keys of the tool JSON compared by dedicated rules; the rest go through [`unknown_keys`].
const KNOWN_KEYS: [&str; 6] = [
    "annotations",
    "description",
    "inputSchema",
    "name",
    "outputSchema",
    "title",
];

/// Every tool that differs between `old` and `new`, sorted by (new) name.
pub fn compare_sets(
    old: &BTreeMap<String, ToolView>,
    new: &BTreeMap<String, ToolView>,
) -> Vec<ToolDiff> {
    let removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
    let added: Vec<&String> = new.keys().filter(|k| !old.contains_key(*k)).collect();
    // A tool renamed in the overlay keeps its upstream operation: pair a removed and an added tool
    // when exactly one of each has that operation.
    let mut renamed: BTreeMap<&String, &String> = BTreeMap::new();
    for r in &removed {
        let op = &old[*r].operation;
        let same: Vec<&&String> = added.iter().filter(|a| &new[**a].operation == op).collect();
        let back = removed.iter().filter(|x| &old[**x].operation == op).count();
        if let ([a], 1) = (same.as_slice(), back) {
            renamed.insert(**a, *r);
        }
    }
    let was_renamed: BTreeSet<&String> = renamed.values().copied().collect();
    let mut out = Vec::new();
    for name in &removed {
        if was_renamed.contains(*name) {
            continue;
        }
        out.push(ToolDiff {
            name: (*name).clone(),
            status: ToolStatus::Removed,
            changes: vec![Change::new(
                Class::Breaking,
                "tool-removed",
                "",
                format!("tool removed; clients and prompts that call `{name}` fail"),
            )],
        });
    }
    for name in &added {
        let view = &new[*name];
        if let Some(from) = renamed.get(name) {
            let mut changes = vec![Change::new(
                Class::Breaking,
                "tool-renamed",
                "",
                format!(
                    "renamed from `{from}` (same operation {}); calls to the old name fail",
                    view.operation
                ),
            )];
            changes.extend(compare_tool(&old[*from], view));
            out.push(ToolDiff {
                name: (*name).clone(),
                status: ToolStatus::Renamed((*from).clone()),
                changes,
            });
        } else {
            out.push(ToolDiff {
                name: (*name).clone(),
                status: ToolStatus::Added,
                changes: vec![Change::new(
                    Class::Safe,
                    "tool-added",
                    "",
                    format!("new tool for {}", view.operation),
                )],
            });
        }
    }
    for (name, o) in old {
        if let Some(n) = new.get(name) {
            let changes = compare_tool(o, n);
            if !changes.is_empty() {
                out.push(ToolDiff {
                    name: name.clone(),
                    status: ToolStatus::Changed,
                    changes,
                });
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Every change between two versions of one tool.
pub fn compare_tool(o: &ToolView, n: &ToolView) -> Vec<Change> {
    let mut out = Vec::new();
    for key in ["title", "description"] {
        if o.json.get(key) != n.json.get(key) {
            out.push(Change::new(
                Class::Safe,
                "text-changed",
                "",
                format!("tool `{key}` edited (text only)"),
            ));
        }
    }
    annotations(o, n, &mut out);
    arguments(o, n, &mut out);
    output(o, n, &mut out);
    upstream(o, n, &mut out);
    unknown_keys(&o.json, &n.json, &mut out);
    out
}

fn annotations(o: &ToolView, n: &ToolView, out: &mut Vec<Change>) {
    let empty = Map::new();
    let oa = o
        .json
        .get("annotations")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let na = n
        .json
        .get("annotations")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for key in oa.keys().chain(na.keys()).collect::<BTreeSet<_>>() {
        let (ov, nv) = (oa.get(key), na.get(key));
        if ov == nv {
            continue;
        }
        let now = nv.and_then(Value::as_bool);
        // Clients auto-approve read-only and non-destructive tools: a tool that starts writing or
        // destroying under an old approval is the dangerous direction.
        let (class, why) = match (key.as_str(), now) {
            ("readOnlyHint", Some(false)) => (
                Class::Breaking,
                "the tool now writes; clients that auto-approve read-only tools must ask again",
            ),
            ("destructiveHint", Some(true)) => (
                Class::Breaking,
                "the tool may now destroy data; approvals given before do not cover that",
            ),
            ("readOnlyHint" | "destructiveHint" | "idempotentHint" | "openWorldHint", _) => (
                Class::NeedsAttention,
                "check the hint matches what the operation does",
            ),
            _ => (
                Class::NeedsAttention,
                "an annotation this diff does not know; read it",
            ),
        };
        out.push(Change::new(
            class,
            "annotation-changed",
            key,
            format!("`{key}` changed from {} to {}: {why}", show(ov), show(nv)),
        ));
    }
}

fn props(schema: &Value) -> Map<String, Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Why `old_name` in `o` and `new_name` in `n` are one argument renamed, if the evidence says so:
/// the same wire name and place (an overlay `rename`), or the same schema with the same non-empty
/// description.
fn rename_evidence(o: &ToolView, n: &ToolView, old_name: &str, new_name: &str) -> Option<String> {
    if let (Some(ow), Some(nw)) = (o.wires.get(old_name), n.wires.get(new_name))
        && ow.name == nw.name
        && ow.location == nw.location
    {
        return Some(format!("same wire name `{}` in {}", nw.name, nw.location));
    }
    let (os, ns) = (&props(o.input())[old_name], &props(n.input())[new_name]);
    let described = os
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| !d.is_empty());
    if described && os == ns {
        return Some("same type and description".to_owned());
    }
    None
}

/// Pairs removed and added arguments that are one argument renamed; a pair counts only when
/// each side has exactly one candidate, so nothing is guessed.
fn renames(
    o: &ToolView,
    n: &ToolView,
    removed: &[String],
    added: &[String],
) -> Vec<(String, String, String)> {
    let mut pairs = Vec::new();
    for r in removed {
        let hits: Vec<(&String, String)> = added
            .iter()
            .filter_map(|a| rename_evidence(o, n, r, a).map(|e| (a, e)))
            .collect();
        let [(a, evidence)] = hits.as_slice() else {
            continue;
        };
        let back = removed
            .iter()
            .filter(|x| rename_evidence(o, n, x, a).is_some())
            .count();
        if back == 1 {
            pairs.push((r.clone(), (*a).clone(), evidence.clone()));
        }
    }
    pairs
}

fn arguments(o: &ToolView, n: &ToolView, out: &mut Vec<Change>) {
    let (oi, ni) = (o.input(), n.input());
    let (op, np) = (props(oi), props(ni));
    let empty = Map::new();
    let or = schema::required(oi.as_object().unwrap_or(&empty));
    let nr = schema::required(ni.as_object().unwrap_or(&empty));
    let removed: Vec<String> = op
        .keys()
        .filter(|k| !np.contains_key(*k))
        .cloned()
        .collect();
    let added: Vec<String> = np
        .keys()
        .filter(|k| !op.contains_key(*k))
        .cloned()
        .collect();
    let pairs = renames(o, n, &removed, &added);
    let renamed_old: BTreeSet<&String> = pairs.iter().map(|p| &p.0).collect();
    let renamed_new: BTreeSet<&String> = pairs.iter().map(|p| &p.1).collect();

    for name in removed.iter().filter(|r| !renamed_old.contains(r)) {
        out.push(Change::new(
            Class::Breaking,
            "argument-removed",
            name,
            "argument removed; calls that send it are now rejected".to_owned(),
        ));
    }
    for name in added.iter().filter(|a| !renamed_new.contains(a)) {
        let (class, reason) = if nr.contains(name) {
            (
                Class::Breaking,
                "required argument added; old calls lack it",
            )
        } else {
            (Class::Safe, "optional argument added")
        };
        out.push(Change::new(
            class,
            "argument-added",
            name,
            reason.to_owned(),
        ));
    }
    for (from, to, evidence) in &pairs {
        out.push(Change::new(
            Class::Breaking,
            "argument-renamed",
            to,
            format!("renamed from `{from}` ({evidence}); calls that send `{from}` are rejected"),
        ));
        schema::compare(Side::Input, to, &op[from], &np[to], false, out);
        schema::required_change(Side::Input, to, or.contains(from), nr.contains(to), out);
        wire(o, n, from, to, out);
    }
    for (name, ov) in &op {
        if let Some(nv) = np.get(name) {
            schema::compare(Side::Input, name, ov, nv, false, out);
            schema::required_change(Side::Input, name, or.contains(name), nr.contains(name), out);
            wire(o, n, name, name, out);
        }
    }
    // Root keywords of the input schema (additionalProperties, ...); arguments were done above.
    schema::compare(Side::Input, "", oi, ni, true, out);
}

/// The upstream mapping of one argument (invisible to the client, visible to HighLevel).
fn wire(o: &ToolView, n: &ToolView, from: &str, to: &str, out: &mut Vec<Change>) {
    let (Some(ow), Some(nw)) = (o.wires.get(from), n.wires.get(to)) else {
        return;
    };
    if ow.name != nw.name || ow.location != nw.location {
        out.push(Change::new(
            Class::NeedsAttention,
            "wire-changed",
            to,
            format!(
                "now sent as `{}` in {} (was `{}` in {}); check HighLevel expects it there",
                nw.name, nw.location, ow.name, ow.location
            ),
        ));
    }
    // The schema's documented default usually moves with the overlay default: report one.
    let documented = out
        .iter()
        .any(|c| c.kind == "default-changed" && c.subject == to);
    if ow.default != nw.default && !documented {
        let show_default =
            |d: &Option<String>| d.clone().map_or("none".to_owned(), |d| format!("`{d}`"));
        out.push(Change::new(
            Class::NeedsAttention,
            "default-changed",
            to,
            format!(
                "value sent when the argument is left out changed from {} to {}",
                show_default(&ow.default),
                show_default(&nw.default)
            ),
        ));
    }
}

fn output(o: &ToolView, n: &ToolView, out: &mut Vec<Change>) {
    match (o.json.get("outputSchema"), n.json.get("outputSchema")) {
        (None, None) => {}
        (Some(_), None) => out.push(Change::new(
            Class::Breaking,
            "output-removed",
            "output",
            "outputSchema removed; clients reading structuredContent by its schema lose it"
                .to_owned(),
        )),
        (None, Some(_)) => out.push(Change::new(
            Class::Safe,
            "output-added",
            "output",
            "outputSchema added".to_owned(),
        )),
        (Some(os), Some(ns)) => schema::compare(Side::Output, "output", os, ns, false, out),
    }
}

fn upstream(o: &ToolView, n: &ToolView, out: &mut Vec<Change>) {
    let attention = |out: &mut Vec<Change>, kind: &'static str, reason: String| {
        out.push(Change::new(Class::NeedsAttention, kind, "", reason));
    };
    if o.operation != n.operation {
        attention(
            out,
            "operation-changed",
            format!(
                "now calls {} (was {}); results and errors may differ",
                n.operation, o.operation
            ),
        );
    }
    if o.version != n.version {
        attention(
            out,
            "version-changed",
            format!(
                "`Version` header changed from {} to {}",
                o.version.as_deref().unwrap_or("none"),
                n.version.as_deref().unwrap_or("none")
            ),
        );
    }
    if o.scopes != n.scopes {
        attention(
            out,
            "scopes-changed",
            format!(
                "scopes changed from [{}] to [{}]; tokens without a new scope start failing",
                o.scopes.join(", "),
                n.scopes.join(", ")
            ),
        );
    }
    if o.deprecated != n.deprecated {
        attention(
            out,
            "deprecated",
            if n.deprecated {
                "HighLevel now marks the operation deprecated; plan a replacement".to_owned()
            } else {
                "no longer marked deprecated".to_owned()
            },
        );
    }
    if o.location != n.location {
        attention(
            out,
            "location-changed",
            format!(
                "the location id now goes to {} (was {})",
                n.location, o.location
            ),
        );
    }
}

/// Keys of the tool JSON without a dedicated rule (a `risk` class added later, say): any change
/// is reported for a reviewer to judge.
fn unknown_keys(o: &Map<String, Value>, n: &Map<String, Value>, out: &mut Vec<Change>) {
    for key in o.keys().chain(n.keys()).collect::<BTreeSet<_>>() {
        if KNOWN_KEYS.contains(&key.as_str()) || o.get(key) == n.get(key) {
            continue;
        }
        out.push(Change::new(
            Class::NeedsAttention,
            "key-changed",
            key,
            format!(
                "tool key `{key}` changed from {} to {}; this diff has no rule for it, read it",
                show(o.get(key)),
                show(n.get(key))
            ),
        ));
    }
}
