//! Typed reads of one mapping of an overlay file (the file's top level, a tool entry, its
//! `annotations`, its `params`, one parameter override), each reporting a located error.
//!
//! A [`Fields`] reader knows where its mapping is (file and JSON pointer) and which keys it may
//! hold (a [`Shape`]); it reports unknown keys when it is made, and each read reports a value of
//! the wrong type at that value's file:line:col. So reading a field is one line, and the
//! wording of "must be a string" and friends is written once, here.

use serde_json::{Map, Value};

use crate::diagnostics::{Diagnostic, Diagnostics, Span, closest, list};
use crate::load::{SourceFile, escape};

/// What a mapping of the overlay may hold and how its keys are named in messages.
pub(super) struct Shape {
    /// The mapping in "unknown key `x` in {what}" (e.g. "a tool entry").
    pub what: &'static str,
    /// The keys it may hold; `None` when any key is allowed (`params` is keyed by wire name).
    pub keys: Option<&'static [&'static str]>,
    /// Put before a key in type errors: "" gives "`hide` must be ...", "annotation " gives
    /// "annotation `readOnly` must be ...".
    pub label: &'static str,
    /// Help lines for a value of the wrong type, by key.
    pub hints: &'static [(&'static str, &'static str)],
}

/// A diagnostic about the value was pushed; the caller goes on without it (or stops).
#[derive(Debug)]
pub(super) struct Reported;

/// A read field: `Ok(None)` when the key is absent, `Err` when its value was wrong (reported).
pub(super) type Read<T> = Result<Option<T>, Reported>;

/// One mapping of an overlay file, read key by key.
pub(super) struct Fields<'a, 'd> {
    file: &'a SourceFile,
    ptr: String,
    map: &'a Map<String, Value>,
    shape: &'static Shape,
    /// Where problems go (also used by the caller for its own checks).
    pub diags: &'d mut Diagnostics,
}

impl<'a, 'd> Fields<'a, 'd> {
    /// A reader for `map`, found at `ptr` in `file`; reports every key `shape` does not allow.
    pub fn new(
        file: &'a SourceFile,
        ptr: &str,
        map: &'a Map<String, Value>,
        shape: &'static Shape,
        diags: &'d mut Diagnostics,
    ) -> Self {
        let fields = Self {
            file,
            ptr: ptr.to_owned(),
            map,
            shape,
            diags,
        };
        if let Some(allowed) = shape.keys {
            unknown_keys(fields.file, ptr, map, allowed, shape.what, fields.diags);
        }
        fields
    }

    /// The JSON pointer of `key`'s value, or of the mapping itself for `""`.
    pub fn ptr(&self, key: &str) -> String {
        if key.is_empty() {
            self.ptr.clone()
        } else {
            format!("{}/{}", self.ptr, escape(key))
        }
    }

    /// Where `key`'s value is (the mapping itself for `""`), for a diagnostic.
    pub fn at(&self, key: &str) -> Option<Span> {
        Some(self.file.span(&self.ptr(key)))
    }

    /// Where the value at a key path below this mapping is (`["params", "type", "hide"]`).
    pub fn at_path(&self, keys: &[&str]) -> Option<Span> {
        let mut ptr = self.ptr.clone();
        for k in keys {
            ptr.push('/');
            ptr.push_str(&escape(k));
        }
        Some(self.file.span(&ptr))
    }

    /// Records a diagnostic the caller made.
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Whether the key is present (whatever its value).
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// The raw value, when present.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// The keys present, in file order.
    pub fn keys(&self) -> serde_json::map::Keys<'a> {
        self.map.keys()
    }

    /// The value when it is a string; anything else counts as absent and is not reported (the
    /// caller reports a missing key in its own words).
    pub fn get_str(&self, key: &str) -> Option<&'a str> {
        self.map.get(key).and_then(Value::as_str)
    }

    /// An optional string.
    pub fn optional_str(&mut self, key: &str) -> Read<&'a str> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    /// An optional string that must not be blank.
    pub fn nonblank_str(&mut self, key: &str) -> Read<&'a str> {
        match self.optional_str(key)? {
            Some(s) if s.trim().is_empty() => {
                let msg = format!("{}`{key}` must not be empty", self.shape.label);
                let at = self.at(key);
                self.push(Diagnostic::error(msg, at));
                Err(Reported)
            }
            other => Ok(other),
        }
    }

    /// Prose (a title or description): a non-blank string with its HTML stripped; a blank string
    /// reads as absent.
    pub fn optional_text(&mut self, key: &str) -> Option<String> {
        self.optional_str(key)
            .ok()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .map(crate::schema::strip_html)
    }

    /// An optional `true`/`false`.
    pub fn optional_bool(&mut self, key: &str) -> Read<bool> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong(key, "true or false")),
        }
    }

    /// An optional list of strings.
    pub fn str_list(&mut self, key: &str) -> Read<Vec<String>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(Some(
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            )),
            Some(_) => Err(self.wrong(key, "a list of strings")),
        }
    }

    /// An optional string from a fixed set; anything else is "unknown {what} {value}".
    pub fn one_of(&mut self, key: &str, allowed: &[&str], what: &str) -> Read<&'a str> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s)),
            Some(other) => {
                let at = self.at(key);
                self.push(
                    Diagnostic::error(format!("unknown {what} {other}"), at)
                        .with_help(format!("use one of {}", list(allowed))),
                );
                Err(Reported)
            }
        }
    }

    /// An optional nested mapping, as a reader of its own (its unknown keys are reported now).
    pub fn mapping(&mut self, key: &str, shape: &'static Shape) -> Read<Fields<'a, '_>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => {
                let ptr = self.ptr(key);
                Ok(Some(Fields::new(self.file, &ptr, m, shape, self.diags)))
            }
            Some(_) => Err(self.wrong(key, "a mapping")),
        }
    }

    /// Reports `key`'s value as not being `expected`, with the shape's hint for it.
    fn wrong(&mut self, key: &str, expected: &str) -> Reported {
        let mut d = Diagnostic::error(
            format!("{}`{key}` must be {expected}", self.shape.label),
            self.at(key),
        );
        if let Some((_, hint)) = self.shape.hints.iter().find(|(k, _)| *k == key) {
            d = d.with_help(*hint);
        }
        self.push(d);
        Reported
    }
}

/// Reports each key of `map` (at `ptr` in `file`) that is not in `allowed`, nearest key first.
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
                    // At the key itself rather than at its value.
                    Some(file.span_key(&format!("{ptr}/{}", escape(k)))),
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
