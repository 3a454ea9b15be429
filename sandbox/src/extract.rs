//! Request extractors that turn every malformed input into a HighLevel-style error instead of
//! axum's plain-text rejections: query parameters ([`Params`]), JSON bodies ([`JsonBody`]), and a
//! small declarative body validator ([`check_body`]) that mimics NestJS's whitelist validation
//! (unknown properties and wrongly typed values are 422s listing every problem).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The query string as ordered key/value pairs.
pub(crate) struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<Vec<(String, String)>>::from_request_parts(parts, state).await {
            Ok(Query(pairs)) => Ok(Params(pairs)),
            Err(e) => Err(ApiError::bad_request(format!(
                "The query string could not be parsed ({e}); encode it as key=value pairs joined by &"
            ))),
        }
    }
}

impl Params {
    /// The first non-empty value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| {
            ApiError::invalid(format!(
                "{name} should not be empty: pass it as a query parameter"
            ))
        })
    }

    /// A numeric parameter, checked against inclusive bounds.
    pub(crate) fn number(&self, name: &str, min: f64, max: f64) -> Result<Option<f64>, ApiError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        match raw.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= min && n <= max => Ok(Some(n)),
            Ok(_) => Err(ApiError::invalid(format!(
                "{name} must be between {min} and {max}, got {raw}"
            ))),
            Err(_) => Err(ApiError::invalid(format!(
                "{name} must be a number, got {raw:?}"
            ))),
        }
    }

    /// A count-like parameter (`limit`, `offset`, `page`) with a default.
    pub(crate) fn count(
        &self,
        name: &str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, ApiError> {
        Ok(self
            .number(name, min as f64, max as f64)?
            .map(|n| n as usize)
            .unwrap_or(default))
    }

    /// One of a fixed set of values.
    pub(crate) fn one_of<'a>(
        &'a self,
        name: &str,
        allowed: &[&str],
    ) -> Result<Option<&'a str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v)),
            Some(v) => Err(ApiError::invalid(format!(
                "{name} must be one of the following values: {}; got {v:?}",
                allowed.join(", ")
            ))),
        }
    }
}

/// A JSON object body. Bad JSON and non-object bodies are 400s; a body over the configured limit
/// is a 413 (the limit itself is set with axum's `DefaultBodyLimit`).
pub(crate) struct JsonBody(pub(crate) Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map(|l| l.0)
            .unwrap_or(0);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large(limit)
            } else {
                ApiError::bad_request(format!("The request body could not be read: {e}"))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "The request body is empty; send a JSON object with Content-Type: application/json",
            ));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => Ok(JsonBody(m)),
            Ok(other) => Err(ApiError::bad_request(format!(
                "The request body must be a JSON object, got {}",
                kind_name(&other)
            ))),
            Err(e) => Err(ApiError::bad_request(format!(
                "The request body is not valid JSON: {e}"
            ))),
        }
    }
}

/// An optional JSON object body (`Option<JsonBody>`): a request without a body is `None`; any
/// body present is read as [`JsonBody`] reads it.
impl<S: Send + Sync> axum::extract::OptionalFromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        use axum::body::HttpBody;
        if req.body().size_hint().exact() == Some(0) {
            return Ok(None);
        }
        <JsonBody as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

/// The body limit, put into request extensions by the guard so 413 messages can state it.
#[derive(Clone, Copy)]
pub(crate) struct BodyLimit(pub(crate) usize);

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The accepted type of one body property.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    /// A string.
    Str,
    /// A string or null.
    NullStr,
    Bool,
    Num,
    /// An array of strings.
    StrArray,
    /// An array of objects.
    ObjArray,
    Obj,
    /// Anything (declared loosely in the official schema).
    Any,
}

/// Validates `body` against a whitelist of properties: unknown properties, wrong types and
/// missing `required` properties all become one 422 listing every problem.
pub(crate) fn check_body(
    body: &Map<String, Value>,
    fields: &[(&str, Kind)],
    required: &[&str],
) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    for (k, v) in body {
        let Some((_, kind)) = fields.iter().find(|(name, _)| name == k) else {
            problems.push(format!("property {k} should not exist"));
            continue;
        };
        let ok = match kind {
            Kind::Str => v.is_string(),
            Kind::NullStr => v.is_string() || v.is_null(),
            Kind::Bool => v.is_boolean(),
            Kind::Num => v.is_number(),
            Kind::StrArray => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            Kind::ObjArray => v.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
            Kind::Obj => v.is_object(),
            Kind::Any => true,
        };
        if !ok {
            let want = match kind {
                Kind::Str => "a string",
                Kind::NullStr => "a string or null",
                Kind::Bool => "a boolean value",
                Kind::Num => "a number",
                Kind::StrArray => "an array of strings",
                Kind::ObjArray => "an array of objects",
                Kind::Obj => "an object",
                Kind::Any => "any value",
            };
            problems.push(format!("{k} must be {want}, got {}", kind_name(v)));
        }
    }
    for r in required {
        let present = match body.get(*r) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        };
        if !present {
            problems.push(format!("{r} should not be empty"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::unprocessable(problems))
    }
}

/// The string value of `k`, if it is a non-empty string.
pub(crate) fn str_of<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}
