//! One OpenAPI operation → the arguments and schemas of a tool ([`Op`]), before any tool
//! metadata is attached.
//!
//! Owns the operation-level quirks: path-level parameters merged with the operation's own,
//! `Version`/`Authorization` headers dropped (Q1/Q3), undeclared path variables (Q4), path
//! parameters always required (Q5), the JSON body spread into arguments (Q12/Q14), the success
//! response's outputSchema (Q21, both in `payload`) and the security alternatives. The same code serves our curated
//! spec ([`Mode::Curated`]: problems are errors) and HighLevel's official files
//! ([`Mode::Official`]: problems are warnings).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use runtime::{HttpMethod, ParamIn};
use serde_json::{Value, json};

use super::payload::{request_body, success_output};
use super::{Mode, OpRef};
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::load::{SourceFile, escape};
use crate::schema::{Resolver, strip_html};

/// One argument while lowering.
#[derive(Debug, Clone)]
pub(super) struct Arg {
    pub name: String,
    pub wire: String,
    pub loc: ParamIn,
    pub required: bool,
    pub schema: Value,
    pub default: Option<Value>,
    pub hidden: bool,
}

/// An operation lowered to arguments and schemas, before the tool metadata is attached.
pub(super) struct Op {
    pub method: HttpMethod,
    pub path: String,
    pub operation_id: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub deprecated: bool,
    pub version: Option<String>,
    pub args: Vec<Arg>,
    /// The request body's media type when it is neither JSON, form-urlencoded nor multipart.
    pub non_json_body: Option<String>,
    pub body_encoding: runtime::BodyEncoding,
    pub output: Option<(Value, bool)>,
    pub security: Vec<Vec<(String, Vec<String>)>>,
}

/// Lowers the operation at `r`; `None` when it produced an error (in curated mode a quirk is an
/// error, so the tool is dropped and the run fails).
pub(super) fn lower_operation(
    r: &OpRef<'_>,
    externals: &HashMap<PathBuf, SourceFile>,
    mode: Mode,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Op> {
    let sev = match mode {
        Mode::Curated => Severity::Error,
        Mode::Official => Severity::Warning,
    };
    let errors_before = diags.errors().count();
    let op_ptr = r.ptr();
    let doc = r.doc;
    let mut res = Resolver::new(externals, sev, context.to_owned(), diags);

    let mut args: Vec<Arg> = Vec::new();
    let mut version = None;

    // Path-level parameters apply unless the operation redefines the same (name, in).
    let mut raw_params: Vec<(String, Value)> = Vec::new();
    let item_ptr = format!("/paths/{}", escape(r.path));
    for (base, holder) in [
        (&item_ptr, doc.value.pointer(&item_ptr)),
        (&op_ptr, Some(r.op)),
    ] {
        if let Some(Value::Array(ps)) = holder.and_then(|h| h.get("parameters")) {
            for (i, p) in ps.iter().enumerate() {
                raw_params.push((format!("{base}/parameters/{i}"), p.clone()));
            }
        }
    }
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut resolved_params = Vec::new();
    for (ptr, p) in &raw_params {
        let Some((pdoc, pptr, pval)) = res.deref(doc, ptr, p) else {
            continue;
        };
        let name = pval.get("name").and_then(Value::as_str).unwrap_or_default();
        let inn = pval.get("in").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() || inn.is_empty() {
            res.warn(pdoc, &pptr, "parameter without `name` or `in`; skipped");
            continue;
        }
        let key = (name.to_owned(), inn.to_owned());
        if let Some(&i) = seen.get(&key) {
            resolved_params[i] = (pdoc, pptr, pval.clone());
        } else {
            seen.insert(key, resolved_params.len());
            resolved_params.push((pdoc, pptr, pval.clone()));
        }
    }

    let template_vars = path_vars(r.path);
    for (pdoc, pptr, p) in resolved_params {
        let name = p["name"].as_str().unwrap_or_default().to_owned();
        let inn = p["in"].as_str().unwrap_or_default();
        let loc = match inn {
            "path" => ParamIn::Path,
            "query" => ParamIn::Query,
            "header" => {
                if name.eq_ignore_ascii_case("version") {
                    version = p
                        .get("schema")
                        .and_then(|s| {
                            s.get("enum")
                                .and_then(|e| e.get(0))
                                .or_else(|| s.get("default"))
                        })
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    continue;
                }
                if name.eq_ignore_ascii_case("authorization") {
                    continue;
                }
                ParamIn::Header
            }
            other => {
                res.warn(
                    pdoc,
                    &pptr,
                    &format!("`in: {other}` parameter `{name}` is not supported; skipped"),
                );
                continue;
            }
        };
        if loc == ParamIn::Path && !template_vars.contains(&name) {
            res.warn(
                pdoc,
                &pptr,
                &format!(
                    "path parameter `{name}` does not appear in `{}`; skipped",
                    r.path
                ),
            );
            continue;
        }
        let mut schema = match p.get("schema") {
            Some(s) => res.schema(pdoc, &format!("{pptr}/schema"), s),
            None => json!({"type": "string"}),
        };
        if let (Some(Value::String(d)), Value::Object(o)) = (p.get("description"), &mut schema) {
            o.insert("description".into(), Value::String(strip_html(d)));
        }
        // Q5: a path parameter cannot be left out, whatever the file says.
        let required = loc == ParamIn::Path || p.get("required") == Some(&Value::Bool(true));
        args.push(Arg {
            name: name.clone(),
            wire: name,
            loc,
            required,
            schema,
            default: None,
            hidden: false,
        });
    }

    add_undeclared_path_vars(r, &template_vars, mode, context, res.diags, &mut args);
    // Path arguments in template order first, then the rest in declaration order.
    args.sort_by_key(|a| match a.loc {
        ParamIn::Path => template_vars.iter().position(|v| v == &a.wire).unwrap_or(0),
        _ => usize::MAX,
    });
    let (body_encoding, non_json_body) = request_body(r, &mut res, &mut args);
    let output = success_output(r, &mut res);
    let security = security_alternatives(r.op);

    if res.diags.errors().count() > errors_before {
        return None;
    }
    let text = |k: &str| {
        r.op.get(k)
            .and_then(Value::as_str)
            .map(strip_html)
            .filter(|s| !s.is_empty())
    };
    Some(Op {
        method: r.method,
        path: r.path.to_owned(),
        operation_id: r
            .op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        summary: text("summary"),
        description: text("description"),
        deprecated: r.op.get("deprecated") == Some(&Value::Bool(true)),
        version,
        args,
        non_json_body,
        body_encoding,
        output,
        security,
    })
}

/// Q4: every `{var}` of the template needs an argument; a missing one is an error in our spec
/// and a required string argument (with a warning) in an official file.
fn add_undeclared_path_vars(
    r: &OpRef<'_>,
    template_vars: &[String],
    mode: Mode,
    context: &str,
    diags: &mut Diagnostics,
    args: &mut Vec<Arg>,
) {
    for var in template_vars {
        if !args
            .iter()
            .any(|a| a.loc == ParamIn::Path && &a.wire == var)
        {
            let msg = format!(
                "{context}: path variable `{{{var}}}` in `{}` is not declared as a parameter",
                r.path
            );
            let span = Some(r.doc.span(&format!("/paths/{}", escape(r.path))));
            match mode {
                Mode::Curated => diags.push(
                    Diagnostic::error(msg, span).with_help(format!(
                        "add `- {{name: {var}, in: path, required: true, schema: {{type: string}}}}` to the operation's parameters"
                    )),
                ),
                Mode::Official => {
                    diags.push(Diagnostic::warning(
                        format!("{msg}; added as a required string argument"),
                        span,
                    ));
                }
            }
            args.push(Arg {
                name: var.clone(),
                wire: var.clone(),
                loc: ParamIn::Path,
                required: true,
                schema: json!({"type": "string", "description": format!("Value of `{{{var}}}` in the path.")}),
                default: None,
                hidden: false,
            });
        }
    }
}

/// The operation's `security` list: alternatives of (scheme, scopes) requirements.
fn security_alternatives(op: &Value) -> Vec<Vec<(String, Vec<String>)>> {
    let mut security = Vec::new();
    if let Some(Value::Array(alts)) = op.get("security") {
        for alt in alts {
            if let Value::Object(m) = alt {
                security.push(
                    m.iter()
                        .map(|(k, v)| {
                            let scopes = v
                                .as_array()
                                .map(|a| {
                                    a.iter()
                                        .filter_map(Value::as_str)
                                        .map(str::to_owned)
                                        .collect()
                                })
                                .unwrap_or_default();
                            (k.clone(), scopes)
                        })
                        .collect(),
                );
            }
        }
    }
    security
}

/// `{var}` names of a path template, in order.
fn path_vars(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let var = &rest[open + 1..open + close];
        if !var.is_empty() && !out.iter().any(|v| v == var) {
            out.push(var.to_owned());
        }
        rest = &rest[open + close + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_vars_in_order() {
        assert_eq!(path_vars("/a/{x}/b/{y}/{x}"), vec!["x", "y"]);
    }
}
