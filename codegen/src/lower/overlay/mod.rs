//! Our curated spec → tools: each entry of an overlay file (`spec/tools/<app>.yaml`) names an
//! operation of `spec/openapi/<app>.yaml` and supplies what the OpenAPI file does not say well
//! enough for a model: name, title, description, annotations, scopes, location mode, Version and
//! parameter overrides. Every problem is an error at the overlay's file:line:col.
//!
//! This module joins overlay files to OpenAPI files (the operation index, each file's `app` and
//! `tools`, tool names unique across files); `entry` lowers one entry.

mod entry;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::fields::{Fields, Shape};
use super::{Lowered, OpRef, operations};
use crate::diagnostics::{Diagnostic, Diagnostics, Span, list};
use crate::load::{SourceFile, SpecSources};
use entry::lower_overlay_entry;

/// The top level of an overlay file.
const OVERLAY: Shape = Shape {
    what: "the overlay",
    keys: Some(&["app", "tools"]),
    label: "",
    hints: &[],
};

/// Lowers our `spec/` sources: the overlay decides which operations are tools. Every problem is
/// an error (undeclared path variables too); schema quirks are warnings.
pub fn lower_spec(sources: &SpecSources, diags: &mut Diagnostics) -> Vec<Lowered> {
    let no_externals = HashMap::new();
    let ops_by_app = index_operations(sources, diags);
    let mut out: Vec<Lowered> = Vec::new();
    let mut names: BTreeMap<String, Span> = BTreeMap::new();
    for (basename, file) in &sources.tools {
        let Some((app, entries)) = overlay_header(file, basename, &ops_by_app, diags) else {
            continue;
        };
        let ops = &ops_by_app[app];
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

/// The operations of each OpenAPI file by operationId; a file that is not valid OpenAPI 3.0 and
/// a duplicate operationId are errors.
fn index_operations<'s>(
    sources: &'s SpecSources,
    diags: &mut Diagnostics,
) -> BTreeMap<&'s str, BTreeMap<String, OpRef<'s>>> {
    let mut ops_by_app: BTreeMap<&'s str, BTreeMap<String, OpRef<'s>>> = BTreeMap::new();
    // Hand-written documents first, so a duplicate is reported in the imported one.
    for (app, doc) in sources.openapi.iter().chain(&sources.imported) {
        // openapiv3 panics on some malformed references; a bad input must be a diagnostic.
        let parsed = std::panic::catch_unwind(|| {
            serde_json::from_value::<openapiv3::OpenAPI>(doc.value.clone()).map(drop)
        })
        .unwrap_or_else(|_| {
            Err(serde::de::Error::custom(
                "a `$ref` has sibling keys or another malformed reference",
            ))
        });
        if let Err(e) = parsed {
            diags.push(
                Diagnostic::error(
                    format!("not a valid OpenAPI 3.0 document: {e}"),
                    Some(doc.span("")),
                )
                .with_help("compare with the OpenAPI 3.0 specification (openapi, info, paths)"),
            );
        }
        let map = ops_by_app.entry(app.as_str()).or_default();
        for r in operations(doc) {
            let Some(id) = r.op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            if let Some(prev) = map.get(id) {
                let at = prev.doc.span(&prev.ptr());
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
    }
    ops_by_app
}

/// An overlay file's `app` (which must match its file name and an OpenAPI file) and its `tools`
/// entries; `None` after reporting why the file cannot be used.
fn overlay_header<'f>(
    file: &'f SourceFile,
    basename: &str,
    ops_by_app: &BTreeMap<&str, BTreeMap<String, OpRef<'_>>>,
    diags: &mut Diagnostics,
) -> Option<(&'f str, &'f Vec<Value>)> {
    let Value::Object(top) = &file.value else {
        diags.push(
            Diagnostic::error(
                "overlay must be a mapping with `app` and `tools`",
                Some(file.span("")),
            )
            .with_help("see spec/README.md for the overlay format"),
        );
        return None;
    };
    let mut r = Fields::new(file, "", top, &OVERLAY, diags);
    let Some(app) = r.get_str("app") else {
        r.push(
            Diagnostic::error("overlay has no `app`", r.at(""))
                .with_help(format!("add `app: {basename}` at the top")),
        );
        return None;
    };
    if app != basename {
        r.push(
            Diagnostic::error(
                format!("`app: {app}` does not match the file name `{basename}.yaml`"),
                r.at("app"),
            )
            .with_help(format!("write `app: {basename}` or rename the file")),
        );
        return None;
    }
    if !ops_by_app.contains_key(app) {
        let have: Vec<&str> = ops_by_app.keys().copied().collect();
        r.push(
            Diagnostic::error(format!("no OpenAPI document for app `{app}`"), r.at("app"))
                .with_help(format!(
                    "add openapi/{app}.yaml; the spec has {}",
                    if have.is_empty() {
                        "no OpenAPI files".to_owned()
                    } else {
                        list(&have)
                    }
                )),
        );
        return None;
    }
    let Some(Value::Array(entries)) = r.get("tools") else {
        r.push(
            Diagnostic::error("overlay has no `tools` list", r.at(""))
                .with_help("add `tools:` followed by `- operation: <operationId>` entries"),
        );
        return None;
    };
    Some((app, entries))
}
