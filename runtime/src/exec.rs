//! The one executor: checks a tool call's arguments and builds the upstream HTTP request.
//!
//! Compiled (generated) tools and tools lowered at run time both go through here, so the mapping
//! from arguments to method, path, query, headers and body is written and tested once.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

use crate::ir::{BodyEncoding, LocationSlot, ParamDef, ParamIn, ToolDef};

/// Characters escaped in a path segment: everything but RFC 3986 unreserved characters, so an
/// argument can never add a segment (`/`), a query (`?`), a fragment (`#`) or userinfo (`@`).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Characters escaped in a query key or value (form style, but spaces as `%20`).
const QUERY_COMPONENT: &AsciiSet = PATH_SEGMENT;

/// Per-call facts that do not come from the model's arguments.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallContext<'a> {
    /// Location id from the `locationId` request header or the server's default.
    pub location_id: Option<&'a str>,
}

/// The request to send upstream, relative to the upstream base URL.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamRequest {
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path plus query string, already percent-encoded, starting with `/`.
    pub path_and_query: String,
    /// Headers to add (the `Version` header and any header parameters); never `Authorization`.
    pub headers: Vec<(String, String)>,
    /// The body as JSON, when the operation takes one; sent as [`Self::encoding`] says.
    pub body: Option<Value>,
    /// How to put [`Self::body`] on the wire.
    pub encoding: BodyEncoding,
    /// The body split into form or multipart parts, checked and decoded, when
    /// [`Self::encoding`] is not JSON (see [`crate::parts`]).
    pub parts: Option<Vec<crate::parts::Part>>,
}

/// Why a tool call's arguments were refused; shown to the model as an `isError` tool result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArgError {
    /// The arguments do not match the tool's input schema; one line per problem.
    #[error("invalid arguments for `{tool}`:\n{}", .problems.iter().map(|p| format!("- {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// Tool name.
        tool: String,
        /// Each problem, naming the argument.
        problems: Vec<String>,
    },
    /// The tool needs a location id and none was given anywhere.
    #[error(
        "`{tool}` needs a location id: pass the `{arg}` argument, or send a `locationId` HTTP header (or start the server with --location-id)"
    )]
    MissingLocation {
        /// Tool name.
        tool: String,
        /// The argument that carries it.
        arg: String,
    },
}

/// A [`ToolDef`] with its input schema parsed and compiled once, ready to serve many calls.
#[derive(Debug)]
pub struct CompiledTool {
    /// The tool.
    pub def: ToolDef,
    /// Parsed `inputSchema`.
    pub input_schema: Map<String, Value>,
    /// Parsed `outputSchema`.
    pub output_schema: Option<Map<String, Value>>,
    validator: jsonschema::Validator,
}

impl CompiledTool {
    /// Parses and compiles the tool's schemas; fails with a message naming the tool.
    pub fn new(def: ToolDef) -> Result<Self, String> {
        let input: Value = serde_json::from_str(&def.input_schema)
            .map_err(|e| format!("{}: inputSchema is not JSON: {e}", def.name))?;
        let validator = jsonschema::draft202012::new(&input)
            .map_err(|e| format!("{}: inputSchema is not valid JSON Schema: {e}", def.name))?;
        let Value::Object(input_schema) = input else {
            return Err(format!("{}: inputSchema is not an object", def.name));
        };
        let output_schema = match &def.output_schema {
            None => None,
            Some(text) => match serde_json::from_str(text) {
                Ok(Value::Object(map)) => Some(map),
                Ok(_) => return Err(format!("{}: outputSchema is not an object", def.name)),
                Err(e) => return Err(format!("{}: outputSchema is not JSON: {e}", def.name)),
            },
        };
        Ok(Self {
            def,
            input_schema,
            output_schema,
            validator,
        })
    }

    /// Checks `args` against the input schema, then builds the upstream request.
    pub fn prepare(
        &self,
        args: &Map<String, Value>,
        ctx: CallContext<'_>,
    ) -> Result<UpstreamRequest, ArgError> {
        let instance = Value::Object(args.clone());
        let mut problems: Vec<String> = self
            .validator
            .iter_errors(&instance)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() {
                    e.to_string()
                } else {
                    format!("`{}`: {e}", at.trim_start_matches('/').replace('/', "."))
                }
            })
            .collect();
        if !problems.is_empty() {
            problems.sort();
            problems.dedup();
            return Err(ArgError::Invalid {
                tool: self.def.name.to_string(),
                problems,
            });
        }
        build_request(&self.def, args, ctx)
    }
}

/// Builds the upstream request for `tool` from already-validated `args`.
///
/// Arguments with no matching parameter are ignored (the schema decides what is allowed).
/// Path parameters are percent-encoded as a single segment; query arrays repeat the key.
pub fn build_request(
    tool: &ToolDef,
    args: &Map<String, Value>,
    ctx: CallContext<'_>,
) -> Result<UpstreamRequest, ArgError> {
    let mut args = std::borrow::Cow::Borrowed(args);
    fill_location(tool, &mut args, ctx)?;

    let mut path = String::with_capacity(tool.path.len() + 32);
    let mut query = String::new();
    let mut headers = Vec::new();
    let mut body: Option<Map<String, Value>> = None;
    let mut body_root: Option<Value> = None;

    if let Some(v) = &tool.version {
        headers.push(("Version".to_owned(), v.to_string()));
    }

    let mut missing = Vec::new();
    for p in tool.params.iter() {
        let value = match args.get(p.name.as_ref()) {
            Some(Value::Null) if p.location != ParamIn::Body && p.location != ParamIn::BodyRoot => {
                None
            }
            Some(v) => Some(v.clone()),
            None => default_value(p),
        };
        let Some(value) = value else {
            if p.required {
                missing.push(p.name.to_string());
            }
            continue;
        };
        match p.location {
            ParamIn::Path => {} // substituted below, in template order
            ParamIn::Query => push_query(&mut query, &p.wire, &value),
            ParamIn::Header => headers.push((p.wire.to_string(), scalar_text(&value))),
            ParamIn::Body => {
                body.get_or_insert_with(Map::new)
                    .insert(p.wire.to_string(), value);
            }
            ParamIn::BodyRoot => body_root = Some(value),
        }
    }

    // Substitute path variables in template order; every `{var}` must have a path parameter.
    let mut rest: &str = &tool.path;
    while let Some(open) = rest.find('{') {
        let Some(close_rel) = rest[open..].find('}') else {
            break;
        };
        path.push_str(&rest[..open]);
        let var = &rest[open + 1..open + close_rel];
        let param = tool
            .params
            .iter()
            .find(|p| p.location == ParamIn::Path && p.wire == var);
        let value = param.and_then(|p| {
            args.get(p.name.as_ref())
                .cloned()
                .or_else(|| default_value(p))
        });
        match value {
            Some(v) if !v.is_null() => {
                let text = scalar_text(&v);
                if text.is_empty() {
                    missing.push(
                        param
                            .map(|p| p.name.to_string())
                            .unwrap_or_else(|| var.to_owned()),
                    );
                }
                push_segment(&mut path, &text);
            }
            _ => {
                let name = param
                    .map(|p| p.name.to_string())
                    .unwrap_or_else(|| var.to_owned());
                if !missing.contains(&name) {
                    missing.push(name);
                }
            }
        }
        rest = &rest[open + close_rel + 1..];
    }
    path.push_str(rest);

    if !missing.is_empty() {
        missing.sort();
        missing.dedup();
        return Err(ArgError::Invalid {
            tool: tool.name.to_string(),
            problems: missing
                .into_iter()
                .map(|m| format!("`{m}` is required (and must not be empty)"))
                .collect(),
        });
    }

    if !query.is_empty() {
        path.push('?');
        path.push_str(&query);
    }
    let body = match (body_root, body) {
        (Some(root), None) => Some(root),
        (Some(Value::Object(mut root)), Some(fields)) => {
            root.extend(fields);
            Some(Value::Object(root))
        }
        (Some(root), Some(_)) => Some(root),
        (None, Some(fields)) => Some(Value::Object(fields)),
        (None, None) => None,
    };
    let parts = match (&body, tool.body_encoding) {
        (_, BodyEncoding::Json) => None,
        (Some(b), enc) => Some(crate::parts::parts(&tool.name, b, enc)?),
        (None, _) => Some(Vec::new()),
    };
    Ok(UpstreamRequest {
        method: tool.method.as_str(),
        path_and_query: path,
        headers,
        body,
        encoding: tool.body_encoding,
        parts,
    })
}

fn fill_location(
    tool: &ToolDef,
    args: &mut std::borrow::Cow<'_, Map<String, Value>>,
    ctx: CallContext<'_>,
) -> Result<(), ArgError> {
    let (arg, extra): (&str, Option<(&str, &str)>) = match &tool.location {
        LocationSlot::None => return Ok(()),
        LocationSlot::Arg(name) => (name, None),
        LocationSlot::AltId => ("altId", Some(("altType", "location"))),
    };
    let present = args.get(arg).is_some_and(|v| !v.is_null() && v != "");
    if !present {
        let Some(loc) = ctx.location_id.filter(|l| !l.is_empty()) else {
            return Err(ArgError::MissingLocation {
                tool: tool.name.to_string(),
                arg: arg.to_owned(),
            });
        };
        args.to_mut()
            .insert(arg.to_owned(), Value::String(loc.to_owned()));
    }
    if let Some((k, v)) = extra
        && args.get(k).is_none_or(Value::is_null)
    {
        args.to_mut()
            .insert(k.to_owned(), Value::String(v.to_owned()));
    }
    Ok(())
}

/// Appends one percent-encoded path segment. A segment that is exactly `.` or `..` is a dot
/// segment that URL parsers resolve away (`/contacts/..` becomes `/`), so its dots are encoded.
/// WHATWG URL parsers also resolve `%2E%2E`, so this alone does not keep such an id in place: the
/// server compares the parsed URL's path with the one built here and refuses the call when they
/// differ (server/src/upstream.rs, `url_for`).
fn push_segment(path: &mut String, text: &str) {
    if text == "." || text == ".." {
        path.push_str(&"%2E".repeat(text.len()));
    } else {
        path.extend(utf8_percent_encode(text, PATH_SEGMENT));
    }
}

fn default_value(p: &ParamDef) -> Option<Value> {
    p.default
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
}

/// Text of a scalar for a path segment, query value or header: strings raw, others as JSON.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn push_query(query: &mut String, key: &str, value: &Value) {
    let mut push_one = |v: &Value| {
        if !query.is_empty() {
            query.push('&');
        }
        let _ = write!(
            query,
            "{}={}",
            utf8_percent_encode(key, QUERY_COMPONENT),
            utf8_percent_encode(&scalar_text(v), QUERY_COMPONENT)
        );
    };
    match value {
        Value::Array(items) => items.iter().filter(|v| !v.is_null()).for_each(push_one),
        v => push_one(v),
    }
}
