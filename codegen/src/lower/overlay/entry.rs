//! One entry of an overlay's `tools:` list → a tool: each key read through a [`Fields`]
//! reader (so a wrong value is reported at its file:line:col), the named operation lowered, then
//! the entry's parameter overrides, location mode and checks applied. The [`Shape`] constants
//! below are the entry's format: which keys each of its mappings may hold.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use runtime::{Annotations, LocationSlot};
use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, closest, list};
use crate::load::SourceFile;
use crate::lower::fields::{Fields, Reported, Shape};
use crate::lower::operation::{Op, lower_operation};
use crate::lower::tool::{
    LOCATION_MODES, Meta, build_tool, dedupe_names, derive_location, derived_annotations,
    location_for, security_scopes,
};
use crate::lower::{Lowered, MAX_NAME_LEN, Mode, OpRef, tool_name};
use crate::schema::strip_html;

/// One entry of `tools:`.
const TOOL: Shape = Shape {
    what: "a tool entry",
    keys: Some(&[
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
        "asks",
        "aliases",
        "hosted",
    ]),
    label: "",
    hints: &[
        ("version", "quote it: version: \"2021-07-28\""),
        ("params", "key it by the parameter's wire name"),
    ],
};

/// The four annotation flags, all required.
const ANNOTATION_KEYS: [&str; 4] = ["readOnly", "destructive", "idempotent", "openWorld"];

/// A tool entry's `annotations:`.
const ANNOTATIONS: Shape = Shape {
    what: "annotations",
    keys: Some(&ANNOTATION_KEYS),
    label: "annotation ",
    hints: &[],
};

/// A tool entry's `params:`, keyed by the parameters' wire names.
const PARAMS: Shape = Shape {
    what: "params",
    keys: None,
    label: "override for ",
    hints: &[],
};

/// One parameter override under `params:`.
const PARAM: Shape = Shape {
    what: "a parameter override",
    keys: Some(&["description", "rename", "hide", "default"]),
    label: "",
    hints: &[],
};

/// One overlay entry → a tool; `None` after reporting every problem found in it.
pub(super) fn lower_overlay_entry(
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
    let mut r = Fields::new(file, tptr, e, &TOOL, diags);
    let Some(op_id) = r.get_str("operation") else {
        r.push(
            Diagnostic::error("tool entry has no `operation`", r.at("")).with_help(
                "add `operation: <operationId>` naming an operation of the OpenAPI file",
            ),
        );
        return None;
    };
    let name = match r.optional_str("name").ok()? {
        Some(n) => n.to_owned(),
        None => tool_name(app, op_id),
    };
    let Some(op_ref) = ops.get(op_id) else {
        let near = closest(op_id, ops.keys().map(String::as_str));
        r.push(
            Diagnostic::error(
                format!("tool `{name}` names unknown operation `{op_id}`"),
                r.at("operation"),
            )
            .with_help(format!("{app}.yaml has {}", list(&near))),
        );
        return None;
    };
    if !runtime::is_valid_tool_name(&name) || name.len() > MAX_NAME_LEN {
        r.push(
            Diagnostic::error(
                format!("tool name `{name}` is not a valid MCP tool name"),
                r.at("name"),
            )
            .with_help(format!(
                "use 1 to {MAX_NAME_LEN} characters from A-Z a-z 0-9 _ - ."
            )),
        );
    }
    let description = read_description(&mut r, &name);
    let title = r.optional_text("title");
    let annotations = read_annotations(&mut r, &name);
    let scopes = r.str_list("scopes").unwrap_or_default();
    let mut keywords = r.str_list("asks").unwrap_or_default().unwrap_or_default();
    keywords.extend(
        r.str_list("aliases")
            .unwrap_or_default()
            .unwrap_or_default(),
    );
    let hosted = r
        .optional_bool("hosted")
        .unwrap_or_default()
        .unwrap_or(false);
    let version = r.optional_str("version").unwrap_or_default();

    let context = format!("tool `{name}`");
    let mut op = lower_operation(op_ref, externals, Mode::Curated, &context, r.diags)?;
    if let Some(media) = &op.non_json_body {
        r.push(
            Diagnostic::error(
                format!(
                    "{context}: request body `{media}` is not supported (JSON, form-urlencoded and multipart are)"
                ),
                Some(op_ref.doc.span(&format!("{}/requestBody", op_ref.ptr()))),
            )
            .with_help("drop the tool or describe a JSON body"),
        );
    }
    apply_param_overrides(&mut r, &mut op, &context, op_id);
    report_rename_clashes(&mut r, &op, &context);
    dedupe_names(&mut op.args);
    let location = read_location(&mut r, &op, &context, op_id);
    report_hidden_without_default(&mut r, &op, &location, &context);
    if r.diags.errors().count() > errors_before {
        return None;
    }
    let scopes = scopes.unwrap_or_else(|| security_scopes(&op));
    let derived = derived_annotations(&op);
    let annotations = annotations?;
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
            annotations: annotations.unwrap_or(derived),
            scopes,
            location,
            version: version.map(str::to_owned),
        },
    );
    Some(Lowered {
        def,
        source: file.display.clone(),
        hosted,
        keywords,
    })
}

/// The required, non-empty `description`.
fn read_description(r: &mut Fields<'_, '_>, name: &str) -> Option<String> {
    let description = r.optional_text("description");
    if description.is_none() && !r.has("description") {
        r.push(
            Diagnostic::error(format!("tool `{name}` has no description"), r.at("")).with_help(
                "add `description:` saying what the tool does and when a model should pick it",
            ),
        );
    } else if description.is_none() {
        r.push(
            Diagnostic::error(
                format!("tool `{name}` has an empty description"),
                r.at("description"),
            )
            .with_help("say what the tool does and when a model should pick it"),
        );
    }
    description
}

/// The optional `annotations`: all four flags, or none (then derived from the method).
/// `None` after reporting a problem; `Some(None)` when absent.
fn read_annotations(r: &mut Fields<'_, '_>, name: &str) -> Option<Option<Annotations>> {
    let mut a = match r.mapping("annotations", &ANNOTATIONS) {
        Ok(Some(a)) => a,
        Ok(None) => return Some(None),
        Err(Reported) => return None,
    };
    let mut flags = [false; 4];
    let mut missing = Vec::new();
    for (flag, k) in flags.iter_mut().zip(ANNOTATION_KEYS) {
        match a.optional_bool(k) {
            Ok(Some(b)) => *flag = b,
            Ok(None) => missing.push(k),
            Err(Reported) => {}
        }
    }
    if !missing.is_empty() {
        a.push(
            Diagnostic::error(
                format!("tool `{name}` annotations miss {}", list(&missing)),
                a.at(""),
            )
            .with_help(
                "give all four (readOnly, destructive, idempotent, openWorld) or leave `annotations` out to derive them from the method",
            ),
        );
    }
    Some(Some(Annotations {
        read_only: flags[0],
        destructive: flags[1],
        idempotent: flags[2],
        open_world: flags[3],
    }))
}

/// `params:` overrides, keyed by wire name: description, rename, hide and default.
fn apply_param_overrides(r: &mut Fields<'_, '_>, op: &mut Op, context: &str, op_id: &str) {
    let Ok(Some(mut params)) = r.mapping("params", &PARAMS) else {
        return;
    };
    for wire in params.keys() {
        let matching: Vec<usize> = op
            .args
            .iter()
            .enumerate()
            .filter(|(_, a)| &a.wire == wire)
            .map(|(i, _)| i)
            .collect();
        if matching.is_empty() {
            let wires: Vec<&str> = op.args.iter().map(|a| a.wire.as_str()).collect();
            params.push(
                Diagnostic::error(
                    format!("{context}: `params` names unknown parameter `{wire}`"),
                    params.at(wire),
                )
                .with_help(format!("`{op_id}` has {}", list(&closest(wire, wires)))),
            );
            continue;
        }
        let Ok(Some(mut ov)) = params.mapping(wire, &PARAM) else {
            continue;
        };
        let description = ov.get_str("description");
        let rename = ov.nonblank_str("rename").unwrap_or_default();
        let hide = ov.optional_bool("hide").unwrap_or_default();
        let default = ov.get("default");
        for i in matching {
            let a = &mut op.args[i];
            if let Some(d) = description
                && let Value::Object(o) = &mut a.schema
            {
                o.insert("description".into(), Value::String(strip_html(d)));
            }
            if let Some(n) = rename {
                a.name = n.to_owned();
            }
            if let Some(h) = hide {
                a.hidden = h;
            }
            if let Some(d) = default {
                a.default = Some(d.clone());
            }
        }
    }
}

/// A rename onto another argument's name is a mistake in the overlay, not a Q14 collision.
fn report_rename_clashes(r: &mut Fields<'_, '_>, op: &Op, context: &str) {
    for (i, a) in op.args.iter().enumerate() {
        if a.name != a.wire
            && let Some(other) = op
                .args
                .iter()
                .enumerate()
                .find(|(j, o)| *j != i && o.name == a.name)
        {
            r.push(
                Diagnostic::error(
                    format!(
                        "{context}: `rename: {}` of `{}` clashes with parameter `{}`",
                        a.name, a.wire, other.1.wire
                    ),
                    r.at_path(&["params", &a.wire, "rename"]),
                )
                .with_help("pick an argument name no other parameter uses"),
            );
        }
    }
}

/// The `location` mode, which must match a parameter of the operation; derived when absent.
fn read_location(r: &mut Fields<'_, '_>, op: &Op, context: &str, op_id: &str) -> LocationSlot {
    let mode = match r.one_of("location", &LOCATION_MODES, "location mode") {
        Ok(Some(mode)) => mode,
        Ok(None) => return derive_location(&op.args).1,
        Err(Reported) => return LocationSlot::None,
    };
    if let Some(slot) = location_for(mode, &op.args) {
        return slot;
    }
    let (derived, _) = derive_location(&op.args);
    r.push(
        Diagnostic::error(
            format!("{context}: `location: {mode}` does not match operation `{op_id}`"),
            r.at("location"),
        )
        .with_help(format!(
            "the operation has no {} parameter; its parameters suggest `location: {derived}`",
            match mode {
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

/// A hidden required argument needs a default, unless it carries the location id (then the
/// server always fills it from the request's locationId header).
fn report_hidden_without_default(
    r: &mut Fields<'_, '_>,
    op: &Op,
    location: &LocationSlot,
    context: &str,
) {
    for a in &op.args {
        let is_loc = match location {
            LocationSlot::Arg(n) => n.as_ref() == a.name,
            LocationSlot::AltId => a.name == "altId" || a.name == "altType",
            LocationSlot::None => false,
        };
        if a.hidden && a.required && a.default.is_none() && !is_loc {
            r.push(
                Diagnostic::error(
                    format!(
                        "{context}: required parameter `{}` is hidden without a default",
                        a.wire
                    ),
                    r.at_path(&["params", &a.wire, "hide"]),
                )
                .with_help("add `default:` or stop hiding it"),
            );
        }
    }
}
