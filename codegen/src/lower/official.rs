//! HighLevel's official OpenAPI files → tools: every operation the [`Policy`] admits becomes a
//! tool named `<file basename>_<operationId>`, with metadata derived from the operation. A quirk
//! costs at most that operation and is a warning naming it, so one odd operation never stops the
//! whole API from being served.

use std::collections::BTreeMap;
use std::path::Path;

use runtime::ToolDef;
use serde_json::Value;

use super::operation::lower_operation;
use super::tool::{
    Meta, build_tool, dedupe_names, derive_location, derived_annotations, security_scopes,
};
use super::{Lowered, MAX_NAME_LEN, Mode, Policy, operations, tool_name};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::load::{OfficialSources, load_official_dir};

/// Lowers a folder of official HighLevel files: every operation the policy admits is a tool,
/// named `<file basename>_<operationId>` (sanitized). Problems are warnings naming the operation;
/// only a file that cannot be read or parsed is an error (and costs that file).
pub fn lower_official(dir: &Path, policy: &Policy) -> (Vec<ToolDef>, Vec<Diagnostic>) {
    let mut diags = Diagnostics::default();
    let sources = load_official_dir(dir, &mut diags);
    let tools = lower_official_sources(&sources, policy, &mut diags)
        .into_iter()
        .map(|l| l.def)
        .collect();
    diags.sort();
    (tools, diags.0)
}

/// [`lower_official`] on already-loaded sources (lets benchmarks time lowering alone).
pub fn lower_official_sources(
    sources: &OfficialSources,
    policy: &Policy,
    diags: &mut Diagnostics,
) -> Vec<Lowered> {
    let mut tools: BTreeMap<String, Lowered> = BTreeMap::new();
    for (app, doc) in &sources.apps {
        for r in operations(doc) {
            let op_id =
                r.op.get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
            if op_id.is_empty() {
                diags.push(Diagnostic::warning(
                    format!(
                        "{} {} has no operationId; skipped",
                        r.method.as_str(),
                        r.path
                    ),
                    Some(doc.span(&r.ptr())),
                ));
                continue;
            }
            let name = tool_name(&crate::import::app_of(app), op_id);
            let context = format!("operation `{name}` ({} {})", r.method.as_str(), r.path);
            if name.len() > MAX_NAME_LEN {
                diags.push(Diagnostic::warning(
                    format!(
                        "{context}: tool name is longer than {MAX_NAME_LEN} characters; skipped"
                    ),
                    Some(doc.span(&r.ptr())),
                ));
                continue;
            }
            if tools.contains_key(&name) {
                diags.push(Diagnostic::warning(
                    format!("{context}: tool name is already taken; skipped"),
                    Some(doc.span(&r.ptr())),
                ));
                continue;
            }
            let Some(mut op) =
                lower_operation(&r, &sources.external, Mode::Official, &context, diags)
            else {
                continue;
            };
            if let Some(media) = &op.non_json_body {
                diags.push(Diagnostic::warning(
                    format!("{context}: request body `{media}` is not supported (JSON, form-urlencoded and multipart are); the tool sends JSON"),
                    Some(doc.span(&format!("{}/requestBody", r.ptr()))),
                ));
                if !policy.include_non_json_bodies {
                    continue;
                }
            }
            if op.deprecated && !policy.include_deprecated {
                continue;
            }
            dedupe_names(&mut op.args);
            let (_, location) = derive_location(&op.args);
            let annotations = derived_annotations(&op);
            let description = op
                .description
                .clone()
                .or_else(|| op.summary.clone())
                .unwrap_or_else(|| format!("{} {}", op.method.as_str(), op.path));
            let title = op.summary.clone().unwrap_or_else(|| op_id.to_owned());
            let scopes = security_scopes(&op);
            let def = build_tool(
                op,
                Meta {
                    name: name.clone(),
                    app: app.clone(),
                    title,
                    description,
                    annotations,
                    scopes,
                    location,
                    version: None,
                },
            );
            if def.agency_only && !policy.include_agency_only {
                continue;
            }
            tools.insert(
                name,
                Lowered {
                    def,
                    source: doc.display.clone(),
                    hosted: false,
                    keywords: Vec::new(),
                },
            );
        }
    }
    tools.into_values().collect()
}
