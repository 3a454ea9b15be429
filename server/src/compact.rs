//! Keeping tool results small: field selection and a size cap.
//!
//! Results are compact JSON text already (the upstream body re-serialized without whitespace).
//! Two further cuts are offered because a model pays for every character of a result:
//!
//! * **Field selection** (`fields`, discovery mode's `call_tool`): dot paths such as
//!   `contact.email` keep only those members; a path that meets an array maps over its items, so
//!   `contacts.id` on a list answer keeps the id of every contact.
//! * **A size cap** (`max_chars`, and the server-wide `--max-result-chars`): a longer text is cut
//!   at a character boundary and ends with a visible marker saying how much was cut and how to get
//!   less, e.g. `…[truncated: 48213 of 120400 chars; pass fields or a smaller limit]`.
//!
//! A cut text is no longer JSON, so `structuredContent` is dropped from a truncated result: a
//! client validating it against the tool's `outputSchema` would otherwise see an object the text
//! contradicts. A result cut down by `fields` keeps no `structuredContent` either (`call_tool` has
//! no output schema; the selected JSON is the text).

use serde_json::{Map, Value};

/// Most `fields` paths one call may pass; selection work grows with paths × result size.
pub const MAX_FIELDS: usize = 64;
/// Longest `fields` path, in characters.
pub const MAX_FIELD_CHARS: usize = 256;

/// Splits and checks `fields`; an empty path or empty segment is an error naming it, and the
/// number and length of paths are bounded.
pub fn parse_fields(fields: &[Value]) -> Result<Vec<Vec<String>>, String> {
    if fields.len() > MAX_FIELDS {
        return Err(format!(
            "`fields` has {} paths; pass at most {MAX_FIELDS}",
            fields.len()
        ));
    }
    let mut out = Vec::new();
    for f in fields {
        let Some(s) = f.as_str() else {
            return Err(format!(
                "`fields` must be a list of dot paths (strings such as \"contact.email\"); got {}",
                runtime::suggest::clip(&f.to_string(), 100)
            ));
        };
        if s.chars().count() > MAX_FIELD_CHARS {
            return Err(format!(
                "`fields` entry {:?} is longer than {MAX_FIELD_CHARS} characters; name a shorter path",
                runtime::suggest::clip(s, 60)
            ));
        }
        let segs: Vec<String> = s.split('.').map(str::trim).map(str::to_owned).collect();
        if segs.iter().any(String::is_empty) {
            return Err(format!(
                "`fields` entry {s:?} has an empty segment; write dot paths such as \"contact.email\" or \"contacts.id\""
            ));
        }
        out.push(segs);
    }
    Ok(out)
}

/// The parts of `value` named by `paths` (see the module docs), and the paths that matched nothing.
pub fn select(value: &Value, paths: &[Vec<String>]) -> (Value, Vec<String>) {
    let mut out: Option<Value> = None;
    let mut unmatched = Vec::new();
    for path in paths {
        match pick(value, path) {
            Some(v) if !is_hollow(&v) => {
                out = Some(match out {
                    Some(prev) => merge(prev, v),
                    None => v,
                })
            }
            _ => unmatched.push(path.join(".")),
        }
    }
    (out.unwrap_or_else(|| Value::Object(Map::new())), unmatched)
}

/// `value` reduced to `path`; arrays map over their items (an item without the path becomes `{}`
/// so positions still line up when several paths are merged).
fn pick(value: &Value, path: &[String]) -> Option<Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(value.clone());
    };
    match value {
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .map(|i| pick(i, path).unwrap_or_else(|| Value::Object(Map::new())))
                .collect(),
        )),
        Value::Object(map) => {
            let inner = pick(map.get(first)?, rest)?;
            let mut m = Map::new();
            m.insert(first.clone(), inner);
            Some(Value::Object(m))
        }
        _ => None,
    }
}

/// Whether a picked value holds nothing (only empty objects, possibly inside arrays).
fn is_hollow(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty() || m.values().all(is_hollow),
        Value::Array(a) => !a.is_empty() && a.iter().all(is_hollow),
        _ => false,
    }
}

fn merge(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Object(mut x), Value::Object(y)) => {
            for (k, v) in y {
                let merged = match x.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                x.insert(k, merged);
            }
            Value::Object(x)
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            Value::Array(x.into_iter().zip(y).map(|(a, b)| merge(a, b)).collect())
        }
        (_, b) => b,
    }
}

/// `text` cut to at most `max_chars` characters plus a marker, or `None` when it fits.
pub fn cap(text: &str, max_chars: usize, hint: &str) -> Option<String> {
    let total = text.chars().count();
    if total <= max_chars {
        return None;
    }
    let cut = text
        .char_indices()
        .nth(max_chars)
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    Some(format!(
        "{}…[truncated: {max_chars} of {total} chars; {hint}]",
        &text[..cut]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(p: &[&str]) -> Vec<Vec<String>> {
        parse_fields(&p.iter().map(|s| json!(s)).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn selects_nested_members_and_maps_over_arrays() {
        let v = json!({"contacts": [{"id": "a", "email": "x@y", "tags": []}, {"id": "b"}], "meta": {"total": 2, "next": null}});
        let (out, unmatched) = select(&v, &paths(&["contacts.id", "meta.total", "nope"]));
        assert_eq!(
            out,
            json!({"contacts": [{"id": "a"}, {"id": "b"}], "meta": {"total": 2}})
        );
        assert_eq!(unmatched, ["nope"]);
        let (out, _) = select(&v, &paths(&["contacts.id", "contacts.email"]));
        assert_eq!(
            out,
            json!({"contacts": [{"id": "a", "email": "x@y"}, {"id": "b"}]})
        );
    }

    #[test]
    fn bad_paths_are_refused() {
        assert!(parse_fields(&[json!("a..b")]).is_err());
        assert!(parse_fields(&[json!(3)]).is_err());
    }

    #[test]
    fn cap_cuts_at_char_boundaries_with_a_marker() {
        assert_eq!(cap("short", 10, "h"), None);
        let s = "é".repeat(20);
        let out = cap(&s, 5, "pass fields").unwrap();
        assert!(out.starts_with("ééééé…[truncated: 5 of 20 chars; pass fields]"));
    }
}
