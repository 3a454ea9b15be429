//! Reading input: the only module that touches the file system.
//!
//! A spec folder holds `openapi/*.yaml`, `imported/*.yaml` and `tools/*.yaml`; an official folder holds HighLevel's
//! `*.json` files (with `../common/common-schemas.json` beside them). Every document is parsed into
//! a `serde_json::Value` (YAML via `yaml_serde`, JSON via `serde_json`) and kept with its text so
//! later stages can point at file:line:col.
//!
//! Positions: `yaml_serde` reports the location of a syntax error but exposes no spans for parsed
//! values (its libyaml event API is private). So for YAML we build a small index ourselves
//! ([`PosIndex`]): one pass over the text that follows block indentation and records, for every
//! key and sequence item, the JSON pointer of the node and the line/column of its key and value.
//! Our YAML is block style (the overlay and our OpenAPI files); flow collections (`[a, b]`) are
//! recorded as one leaf, which is as deep as a diagnostic needs to point. When a pointer is not in
//! the index the nearest indexed ancestor is used, so a lookup never fails.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, Span, key_path};

/// One parsed input document.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as shown in diagnostics and generated headers (`spec/tools/contacts.yaml`).
    pub display: String,
    /// Path on disk.
    pub path: PathBuf,
    /// The document.
    pub value: Value,
    /// Positions of keys (YAML only; empty for JSON).
    pub index: PosIndex,
}

impl SourceFile {
    /// A span pointing at `pointer` (a JSON pointer into [`Self::value`]).
    pub fn span(&self, pointer: &str) -> Span {
        let (line, col) = match self.index.find(pointer) {
            Some(p) => (Some(p.0), Some(p.1)),
            None => (None, None),
        };
        Span {
            file: self.display.clone(),
            line,
            col,
            key_path: if pointer.is_empty() {
                None
            } else {
                Some(key_path(&self.value, pointer))
            },
        }
    }

    /// A span pointing at the key of `pointer` rather than its value (for "unknown key").
    pub fn span_key(&self, pointer: &str) -> Span {
        let mut span = self.span(pointer);
        if let Some((l, c)) = self.index.key(pointer) {
            span.line = Some(l);
            span.col = Some(c);
        }
        span
    }

    /// The file name without its extension (`contacts`).
    pub fn basename(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// The raw inputs of a spec folder.
#[derive(Debug, Clone, Default)]
pub struct SpecSources {
    /// `openapi/<app>.yaml`, keyed by basename.
    pub openapi: BTreeMap<String, SourceFile>,
    /// `tools/<app>.yaml`, keyed by basename.
    pub tools: BTreeMap<String, SourceFile>,
    /// `imported/<app>.yaml` (facts written by `cargo xtask import`), keyed by basename.
    pub imported: BTreeMap<String, SourceFile>,
}

/// The raw inputs of a folder of official HighLevel JSON files.
#[derive(Debug, Clone, Default)]
pub struct OfficialSources {
    /// Every `*.json` file in the folder, keyed by basename.
    pub apps: BTreeMap<String, SourceFile>,
    /// Documents reachable through external `$ref`s, keyed by their canonical path on disk.
    pub external: HashMap<PathBuf, SourceFile>,
}

/// Reads `dir/openapi/*.yaml` and `dir/tools/*.yaml`. Files that fail to parse become errors;
/// the others are still returned so every problem of a run is reported.
pub fn load_spec_dir(dir: &Path, diags: &mut Diagnostics) -> SpecSources {
    let prefix = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "spec".to_owned());
    let mut out = SpecSources::default();
    for (sub, map) in [
        ("openapi", &mut out.openapi),
        ("tools", &mut out.tools),
        ("imported", &mut out.imported),
    ] {
        let folder = dir.join(sub);
        let files = match list_files(&folder, &["yaml", "yml"]) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                diags.push(Diagnostic::error(
                    format!("cannot read folder {}: {e}", folder.display()),
                    None,
                ));
                continue;
            }
        };
        for path in files {
            let display = format!(
                "{prefix}/{sub}/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            if let Some(file) = load_yaml(&path, display, diags) {
                map.insert(file.basename(), file);
            }
        }
    }
    if out.openapi.is_empty() && out.tools.is_empty() && !dir.is_dir() {
        diags.push(
            Diagnostic::error(
                format!("spec folder {} does not exist", dir.display()),
                None,
            )
            .with_help("pass the folder that holds openapi/ and tools/"),
        );
    }
    out
}

/// Reads every `*.json` file in `dir` plus the external documents their `$ref`s name.
pub fn load_official_dir(dir: &Path, diags: &mut Diagnostics) -> OfficialSources {
    let mut out = OfficialSources::default();
    let files = match list_files(dir, &["json"]) {
        Ok(f) => f,
        Err(e) => {
            diags.push(Diagnostic::error(
                format!("cannot read folder {}: {e}", dir.display()),
                None,
            ));
            return out;
        }
    };
    for path in files {
        let display = display_official(dir, &path);
        if let Some(file) = load_json(&path, display, diags) {
            let mut refs = Vec::new();
            collect_external_refs(&file.value, &mut refs);
            for r in refs {
                let target = path.parent().unwrap_or(dir).join(&r);
                let key = normalize(&target);
                if out.external.contains_key(&key) {
                    continue;
                }
                // A missing external document is reported where a ref into it is resolved
                // (lazily, only for the parts a tool needs), not here.
                if key.is_file() {
                    let display = display_official(dir, &key);
                    if let Some(ext) = load_json(&key, display, diags) {
                        out.external.insert(key, ext);
                    }
                }
            }
            out.apps.insert(file.basename(), file);
        }
    }
    out
}

/// Canonical-enough form of a path (resolves `..` lexically, no symlink lookups).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            std::path::Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn display_official(dir: &Path, path: &Path) -> String {
    let base = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match path.strip_prefix(dir) {
        Ok(rel) => format!("{base}/{}", rel.to_string_lossy()),
        Err(_) => {
            let parent = normalize(&dir.join(".."));
            match path.strip_prefix(&parent) {
                Ok(rel) => rel.to_string_lossy().into_owned(),
                Err(_) => path.display().to_string(),
            }
        }
    }
}

fn collect_external_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref")
                && !r.starts_with('#')
            {
                let file = r.split('#').next().unwrap_or_default().to_owned();
                if !out.contains(&file) {
                    out.push(file);
                }
            }
            m.values().for_each(|v| collect_external_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_external_refs(v, out)),
        _ => {}
    }
}

fn list_files(dir: &Path, exts: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let ok = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e));
        if ok && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read(path: &Path, display: &str, diags: &mut Diagnostics) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.push(Diagnostic::error(
                format!("cannot read {display}: {e}"),
                None,
            ));
            None
        }
    }
}

/// Parses one YAML file (public for tests and tools that hold text in memory: see [`parse_yaml`]).
fn load_yaml(path: &Path, display: String, diags: &mut Diagnostics) -> Option<SourceFile> {
    let text = read(path, &display, diags)?;
    let (value, index) = parse_yaml(&text, &display, diags)?;
    Some(SourceFile {
        display,
        path: path.to_path_buf(),
        value,
        index,
    })
}

fn load_json(path: &Path, display: String, diags: &mut Diagnostics) -> Option<SourceFile> {
    let text = read(path, &display, diags)?;
    match serde_json::from_str::<Value>(&text) {
        Ok(value) => Some(SourceFile {
            display,
            path: path.to_path_buf(),
            value,
            index: PosIndex::default(),
        }),
        Err(e) => {
            diags.push(Diagnostic::error(
                format!("invalid JSON: {e}"),
                Some(Span {
                    file: display,
                    line: Some(e.line()),
                    col: Some(e.column()),
                    key_path: None,
                }),
            ));
            None
        }
    }
}

/// Parses YAML text into a JSON value plus its position index; a syntax error becomes a
/// diagnostic at the error's line and column.
pub fn parse_yaml(text: &str, display: &str, diags: &mut Diagnostics) -> Option<(Value, PosIndex)> {
    match yaml_serde::from_str::<yaml_serde::Value>(text) {
        Ok(y) => match yaml_to_json(y) {
            Ok(value) => Some((value, PosIndex::build(text))),
            Err(msg) => {
                diags.push(Diagnostic::error(
                    msg,
                    Some(Span {
                        file: display.to_owned(),
                        ..Span::default()
                    }),
                ));
                None
            }
        },
        Err(e) => {
            let (line, col) = e
                .location()
                .map(|l| (Some(l.line()), Some(l.column())))
                .unwrap_or((None, None));
            diags.push(
                Diagnostic::error(
                    format!("invalid YAML: {e}"),
                    Some(Span {
                        file: display.to_owned(),
                        line,
                        col,
                        key_path: None,
                    }),
                )
                .with_help("check indentation and quoting near this position"),
            );
            None
        }
    }
}

/// Converts YAML to JSON; non-string keys (`200:`) become their text, as OpenAPI means them.
fn yaml_to_json(y: yaml_serde::Value) -> Result<Value, String> {
    Ok(match y {
        yaml_serde::Value::Null => Value::Null,
        yaml_serde::Value::Bool(b) => Value::Bool(b),
        yaml_serde::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| format!("number {f} cannot be represented in JSON"))?
            }
        }
        yaml_serde::Value::String(s) => Value::String(s),
        yaml_serde::Value::Sequence(seq) => Value::Array(
            seq.into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        yaml_serde::Value::Mapping(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                let key = match k {
                    yaml_serde::Value::String(s) => s,
                    yaml_serde::Value::Number(n) => n.to_string(),
                    yaml_serde::Value::Bool(b) => b.to_string(),
                    yaml_serde::Value::Null => "null".to_owned(),
                    _ => return Err("a mapping key must be a scalar".to_owned()),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        yaml_serde::Value::Tagged(t) => yaml_to_json(t.value)?,
    })
}

/// Line/column (1-based) of every key and sequence item of a block-style YAML document, by JSON
/// pointer. For `key: value` the value's position is stored (that is what a message points at);
/// for `key:` followed by a nested block, the key's.
#[derive(Debug, Clone, Default)]
pub struct PosIndex {
    map: HashMap<String, (usize, usize)>,
    keys: HashMap<String, (usize, usize)>,
}

enum FrameKind {
    Map,
    Seq(usize),
}

struct Frame {
    indent: usize,
    pointer: String,
    kind: FrameKind,
}

impl PosIndex {
    /// The position of `pointer`, or of its nearest indexed ancestor.
    pub fn find(&self, pointer: &str) -> Option<(usize, usize)> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.map.get(p) {
                return Some(*pos);
            }
            let cut = p.rfind('/')?;
            p = &p[..cut];
        }
    }

    /// The position of the key itself (not its value) of `pointer`, if indexed.
    pub fn key(&self, pointer: &str) -> Option<(usize, usize)> {
        self.keys.get(pointer).copied()
    }

    /// The position of exactly `pointer`, if indexed.
    pub fn get(&self, pointer: &str) -> Option<(usize, usize)> {
        self.map.get(pointer).copied()
    }

    /// Builds the index from YAML text (see the module docs for what is understood).
    pub fn build(text: &str) -> Self {
        let mut idx = PosIndex::default();
        let mut stack: Vec<Frame> = Vec::new();
        // A key whose value is a nested block: (indent of the key, pointer of the key).
        let mut pending: Option<(usize, String)> = None;
        // Lines more indented than this belong to a multi-line scalar and are skipped.
        let mut skip_deeper_than: Option<usize> = None;

        for (lineno, raw) in text.lines().enumerate() {
            let line = lineno + 1;
            let indent = raw.len() - raw.trim_start_matches(' ').len();
            let content = raw[indent..].trim_end();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if content == "---" || content == "..." {
                stack.clear();
                pending = None;
                continue;
            }
            if let Some(limit) = skip_deeper_than {
                if indent > limit {
                    continue;
                }
                skip_deeper_than = None;
            }
            let mut col = indent;
            let mut rest = content;
            loop {
                let is_item = rest == "-" || rest.starts_with("- ");
                if let Some((pindent, pptr)) = pending.take()
                    && (col > pindent || (col == pindent && is_item))
                {
                    let kind = if is_item {
                        FrameKind::Seq(0)
                    } else {
                        FrameKind::Map
                    };
                    stack.push(Frame {
                        indent: col,
                        pointer: pptr,
                        kind,
                    });
                }
                // Pop containers this node does not belong to.
                while let Some(f) = stack.last() {
                    let fits = f.indent == col
                        && match f.kind {
                            FrameKind::Seq(_) => is_item,
                            FrameKind::Map => !is_item,
                        };
                    if fits || f.indent < col {
                        break;
                    }
                    stack.pop();
                }
                let parent_ptr = stack.last().map(|f| f.pointer.clone()).unwrap_or_default();
                if is_item {
                    let n = match stack.last_mut() {
                        Some(Frame {
                            kind: FrameKind::Seq(n),
                            indent,
                            ..
                        }) if *indent == col => {
                            let cur = *n;
                            *n += 1;
                            cur
                        }
                        _ => {
                            stack.push(Frame {
                                indent: col,
                                pointer: parent_ptr.clone(),
                                kind: FrameKind::Seq(1),
                            });
                            0
                        }
                    };
                    let seq_ptr = stack.last().map(|f| f.pointer.clone()).unwrap_or_default();
                    let item_ptr = format!("{seq_ptr}/{n}");
                    idx.map.insert(item_ptr.clone(), (line, col + 1));
                    let after = rest[1..].trim_start_matches(' ');
                    if after.is_empty() {
                        pending = Some((col, item_ptr));
                        break;
                    }
                    let new_col = col + (rest.len() - after.len());
                    if split_key(after).is_some() {
                        // `- key: value` opens a mapping at the item's content column.
                        stack.push(Frame {
                            indent: new_col,
                            pointer: item_ptr,
                            kind: FrameKind::Map,
                        });
                        col = new_col;
                        rest = after;
                        continue;
                    }
                    if after.starts_with('-') && (after == "-" || after.starts_with("- ")) {
                        pending = Some((col, item_ptr));
                        col = new_col;
                        rest = after;
                        continue;
                    }
                    // A scalar item; continuation lines are deeper than the dash.
                    skip_deeper_than = Some(col);
                    break;
                }
                match split_key(rest) {
                    Some((key, value_off)) => {
                        if !matches!(stack.last(), Some(f) if f.indent == col) {
                            stack.push(Frame {
                                indent: col,
                                pointer: parent_ptr.clone(),
                                kind: FrameKind::Map,
                            });
                        }
                        let base = stack.last().map(|f| f.pointer.clone()).unwrap_or_default();
                        let ptr = format!("{base}/{}", escape(&key));
                        let value = rest[value_off..].trim_start_matches(' ');
                        let value_col = col + (rest.len() - value.len());
                        idx.keys.insert(ptr.clone(), (line, col + 1));
                        if value.is_empty() || value.starts_with('#') {
                            idx.map.insert(ptr.clone(), (line, col + 1));
                            pending = Some((col, ptr));
                        } else {
                            idx.map.insert(ptr, (line, value_col + 1));
                            // Block scalars and multi-line plain/quoted/flow values continue
                            // on deeper lines.
                            skip_deeper_than = Some(col);
                        }
                    }
                    None => {
                        skip_deeper_than = Some(col.saturating_sub(1));
                    }
                }
                break;
            }
        }
        idx
    }
}

/// Splits `key: rest` (plain, single- or double-quoted key); returns the key and the offset just
/// after the colon.
fn split_key(s: &str) -> Option<(String, usize)> {
    let bytes = s.as_bytes();
    if bytes.first().is_some_and(|b| *b == b'"' || *b == b'\'') {
        let q = bytes[0];
        let mut i = 1;
        let mut key = String::new();
        while i < bytes.len() {
            if bytes[i] == q {
                if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    key.push('\'');
                    i += 2;
                    continue;
                }
                break;
            }
            if q == b'"' && bytes[i] == b'\\' && i + 1 < bytes.len() {
                let ch = s[i + 1..].chars().next()?;
                key.push(ch);
                i += 1 + ch.len_utf8();
                continue;
            }
            let ch = s[i..].chars().next()?;
            key.push(ch);
            i += ch.len_utf8();
        }
        let after = &s[(i + 1).min(s.len())..];
        let trimmed = after.trim_start_matches(' ');
        if trimmed.starts_with(':') {
            let off = s.len() - trimmed.len() + 1;
            return Some((key, off));
        }
        return None;
    }
    if matches!(
        bytes.first(),
        Some(b'[' | b'{' | b'|' | b'>' | b'&' | b'*' | b'!')
    ) {
        return None;
    }
    // A plain key ends at the first `: ` (or a trailing `:`) outside of a `#` comment.
    let mut i = 0;
    while let Some(pos) = s[i..].find(':') {
        let at = i + pos;
        let next = bytes.get(at + 1);
        if next.is_none() || next == Some(&b' ') {
            let key = s[..at].trim_end();
            if key.contains(" #") {
                return None;
            }
            return Some((key.to_owned(), at + 1));
        }
        i = at + 1;
    }
    None
}

/// Escapes one JSON-pointer segment.
pub fn escape(seg: &str) -> String {
    seg.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_points_at_values_and_items() {
        let text = "app: contacts\ntools:\n  - operation: get-contact\n    title: >-\n      Get: one\n    annotations:\n      readOnly: true\n  - operation: x\n    params:\n      contactId: {description: y}\n";
        let idx = PosIndex::build(text);
        assert_eq!(idx.get("/app"), Some((1, 6)));
        assert_eq!(idx.get("/tools/0"), Some((3, 3)));
        assert_eq!(idx.get("/tools/0/operation"), Some((3, 16)));
        assert_eq!(idx.get("/tools/0/annotations/readOnly"), Some((7, 17)));
        assert_eq!(idx.get("/tools/0/Get"), None);
        assert_eq!(idx.get("/tools/1/operation"), Some((8, 16)));
        assert_eq!(idx.get("/tools/1/params/contactId"), Some((10, 18)));
        assert_eq!(
            idx.find("/tools/1/params/contactId/description"),
            Some((10, 18))
        );
    }

    #[test]
    fn index_handles_quoted_keys_and_unindented_sequences() {
        let text = "paths:\n  /contacts/{id}:\n    get:\n      responses:\n        '200':\n          description: ok\ntags:\n- a\n- b\n";
        let idx = PosIndex::build(text);
        assert_eq!(
            idx.get("/paths/~1contacts~1{id}/get/responses/200/description"),
            Some((6, 24))
        );
        assert_eq!(idx.get("/tags/1"), Some((9, 1)));
    }
}
