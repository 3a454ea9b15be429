//! JSON-RPC errors for bodies rmcp refuses before its protocol layer.
//!
//! rmcp answers a POST whose body is not a JSON-RPC message (malformed JSON, or a batch array,
//! which MCP no longer allows) with HTTP 415 and a plain-text reason. A JSON-RPC client expects
//! an error object it can read: `-32700` (parse error) or `-32600` (invalid request). This layer
//! keeps the body bytes it passes on (a cheap reference-counted copy) and, only when rmcp has
//! refused them, looks at them to answer with the right JSON-RPC error instead. Successful
//! requests pay no parse here.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode};
use serde_json::{Value, json};

/// Largest body this layer reads; rmcp's own cap (`--max-body-bytes`) is checked after it, and a
/// larger body is passed through untouched to get rmcp's 413.
const MAX_INSPECT: usize = 16 * 1024 * 1024;

/// Middleware: replaces rmcp's plain 415 for an unreadable JSON-RPC body with a JSON-RPC error.
pub async fn errors_as_jsonrpc(req: Request, next: Next) -> Response {
    let is_json_post = req.method() == Method::POST
        && req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !is_json_post {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_INSPECT).await {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large: the request body is over the server's limit (--max-body-bytes)",
            )
                .into_response();
        }
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    if resp.status() != StatusCode::UNSUPPORTED_MEDIA_TYPE {
        return resp;
    }
    match classify(&bytes) {
        Some((code, message)) => {
            let body = json!({
                "jsonrpc": "2.0",
                "id": Value::Null,
                "error": { "code": code, "message": message },
            });
            (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
        }
        None => resp,
    }
}

/// The JSON-RPC error for a refused body, when it is one of the kinds this layer names.
fn classify(bytes: &Bytes) -> Option<(i64, &'static str)> {
    match serde_json::from_slice::<Value>(bytes) {
        Err(_) => Some((
            -32700,
            "Parse error: the request body is not valid JSON; send one JSON-RPC 2.0 message object",
        )),
        Ok(Value::Array(_)) => Some((
            -32600,
            "Invalid Request: JSON-RPC batches are not supported by MCP; send one message per request",
        )),
        Ok(Value::Object(_)) => Some((
            -32600,
            "Invalid Request: the body is not a JSON-RPC 2.0 request, notification or response (check `jsonrpc`, `method` and `id`)",
        )),
        Ok(_) => Some((
            -32600,
            "Invalid Request: a JSON-RPC message must be an object",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_map_to_the_jsonrpc_codes() {
        assert_eq!(
            classify(&Bytes::from_static(b"{not json")).map(|c| c.0),
            Some(-32700)
        );
        assert_eq!(
            classify(&Bytes::from_static(b"[{}]")).map(|c| c.0),
            Some(-32600)
        );
        assert_eq!(
            classify(&Bytes::from_static(b"42")).map(|c| c.0),
            Some(-32600)
        );
        assert_eq!(
            classify(&Bytes::from_static(b"{\"jsonrpc\":\"1.0\"}")).map(|c| c.0),
            Some(-32600)
        );
    }
}
