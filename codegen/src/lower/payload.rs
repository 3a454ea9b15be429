//! The payload side of an operation: the request body becomes arguments (Q12/Q14) and the
//! success response becomes the tool's outputSchema (Q21).

use std::collections::BTreeSet;

use runtime::{BodyEncoding, ParamIn};
use serde_json::{Map, Value, json};

use super::OpRef;
use super::operation::Arg;
use crate::load::escape;
use crate::schema::{Resolver, strip_html};

/// Adds the request body's arguments (JSON preferred, then form-urlencoded, then multipart);
/// returns the encoding, and the media type when the body is none of those (unsupported).
pub(super) fn request_body(
    r: &OpRef<'_>,
    res: &mut Resolver<'_>,
    args: &mut Vec<Arg>,
) -> (BodyEncoding, Option<String>) {
    let mut encoding = BodyEncoding::Json;
    let mut non_json_body = None;
    let Some(body) = r.op.get("requestBody") else {
        return (encoding, None);
    };
    let bptr = format!("{}/requestBody", r.ptr());
    let Some((bdoc, bptr, bval)) = res.deref(r.doc, &bptr, body) else {
        return (encoding, None);
    };
    let body_required = bval.get("required") == Some(&Value::Bool(true));
    let content = bval.get("content").and_then(Value::as_object);
    let json_media = content.and_then(|c| {
        c.iter()
            .find(|(k, _)| *k == "application/json")
            .or_else(|| c.iter().find(|(k, _)| k.contains("json")))
    });
    let chosen = match json_media {
        Some(m) => Some(m),
        None => {
            let first = content.and_then(|c| c.iter().next());
            if let Some((media, _)) = first {
                match media.as_str() {
                    "application/x-www-form-urlencoded" => encoding = BodyEncoding::Form,
                    "multipart/form-data" => encoding = BodyEncoding::Multipart,
                    _ => non_json_body = Some(media.clone()),
                }
            }
            first
        }
    };
    if let Some((media, m)) = chosen {
        let sptr = format!("{bptr}/content/{}/schema", escape(media));
        let schema = match (m.get("schema"), encoding) {
            (Some(s), BodyEncoding::Multipart) => files_for_binaries(res.schema(bdoc, &sptr, s)),
            (Some(s), _) => res.schema(bdoc, &sptr, s),
            // A multipart body with no schema: free fields, each text or a file.
            (None, BodyEncoding::Multipart) => json!({
                "type": "object",
                "description": "The form fields: each a text value or a file.",
                "additionalProperties": {"anyOf": [{"type": "string"}, runtime::parts::file_schema()]}
            }),
            (None, _) => json!({}),
        };
        let desc = bval
            .get("description")
            .and_then(Value::as_str)
            .map(strip_html);
        spread_body(args, schema, body_required, desc);
    }
    (encoding, non_json_body)
}

/// In a multipart body, a `format: binary` string (or an array of them) is a file the model
/// passes as base64; see [`runtime::parts`].
fn files_for_binaries(mut schema: Value) -> Value {
    let is_binary = |s: &Value| s.get("format").and_then(Value::as_str) == Some("binary");
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        for s in props.values_mut() {
            if is_binary(s) {
                *s = runtime::parts::file_schema();
            } else if s.get("type").and_then(Value::as_str) == Some("array")
                && s.get("items").is_some_and(is_binary)
            {
                s["items"] = runtime::parts::file_schema();
            }
        }
    }
    schema
}

/// The success response: the lowest 2xx code with a JSON schema, as an outputSchema.
pub(super) fn success_output(r: &OpRef<'_>, res: &mut Resolver<'_>) -> Option<(Value, bool)> {
    let Some(Value::Object(responses)) = r.op.get("responses") else {
        return None;
    };
    let mut codes: Vec<&String> = responses.keys().filter(|c| c.starts_with('2')).collect();
    codes.sort();
    for code in codes {
        let rptr = format!("{}/responses/{}", r.ptr(), escape(code));
        let Some((rdoc, rptr, rval)) = res.deref(r.doc, &rptr, &responses[code]) else {
            continue;
        };
        let Some(content) = rval.get("content").and_then(Value::as_object) else {
            continue;
        };
        let Some((media, m)) = content.iter().find(|(k, _)| k.contains("json")) else {
            continue;
        };
        let Some(s) = m.get("schema") else { continue };
        let sptr = format!("{rptr}/content/{}/schema", escape(media));
        let schema = res.schema(rdoc, &sptr, s);
        return Some(output_schema(schema));
    }
    None
}

fn has_composition(m: &Map<String, Value>) -> bool {
    m.contains_key("allOf") || m.contains_key("oneOf") || m.contains_key("anyOf")
}

/// Q12/Q14: an object body with properties becomes one argument per property; anything else one
/// `body` argument carrying the whole body.
fn spread_body(args: &mut Vec<Arg>, schema: Value, body_required: bool, desc: Option<String>) {
    if let Value::Object(m) = &schema
        && !has_composition(m)
        && m.get("type").is_none_or(|t| t == "object")
        && let Some(Value::Object(props)) = m.get("properties")
        && !props.is_empty()
    {
        let required: BTreeSet<&str> = m
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, s) in props {
            args.push(Arg {
                name: name.clone(),
                wire: name.clone(),
                loc: ParamIn::Body,
                required: required.contains(name.as_str()),
                schema: s.clone(),
                default: None,
                hidden: false,
            });
        }
        return;
    }
    let mut schema = schema;
    if let Value::Object(m) = &mut schema {
        let empty_object = m.get("type").is_none_or(|t| t == "object")
            && !has_composition(m)
            && m.get("properties")
                .is_none_or(|p| p.as_object().is_some_and(Map::is_empty));
        if empty_object && m.get("type").is_some() {
            // A property-less object body: the upstream takes free-form fields.
            m.insert("additionalProperties".into(), Value::Bool(true));
        }
        if !m.contains_key("description") {
            let d = desc.unwrap_or_else(|| "The JSON request body.".to_owned());
            m.insert("description".into(), Value::String(d));
        }
    }
    args.push(Arg {
        name: "body".into(),
        wire: "body".into(),
        loc: ParamIn::BodyRoot,
        required: body_required,
        schema,
        default: None,
        hidden: false,
    });
}

/// Q21: an object schema is the outputSchema; anything else is wrapped as `{"result": ...}`.
///
/// The outputSchema is kept to its top level (each property's name and type, no descriptions):
/// clients put tools/list into the model's context, and the full response shapes of the curated
/// tools cost about 9,000 tokens there while the model reads the actual fields in every result.
/// A top-level schema still tells a client what structuredContent holds, and stays true when
/// HighLevel adds fields. The full shapes stay in spec/openapi for reviewers.
fn output_schema(schema: Value) -> (Value, bool) {
    if let Value::Object(m) = &schema
        && !has_composition(m)
        && (m.get("type") == Some(&Value::String("object".into()))
            || (m.get("type").is_none() && m.contains_key("properties")))
    {
        let mut out = Map::new();
        out.insert("type".into(), Value::String("object".into()));
        if let Some(Value::Object(props)) = m.get("properties") {
            let props: Map<String, Value> = props
                .iter()
                .map(|(k, v)| (k.clone(), type_only(v)))
                .collect();
            out.insert("properties".into(), Value::Object(props));
        }
        return (Value::Object(out), false);
    }
    (
        json!({"type": "object", "properties": {"result": type_only(&schema)}, "required": ["result"]}),
        true,
    )
}

/// `{"type": ...}` of a schema, or `{}` (any value) when it declares no type.
fn type_only(schema: &Value) -> Value {
    match schema.get("type") {
        Some(t) => json!({ "type": t }),
        None => json!({}),
    }
}
