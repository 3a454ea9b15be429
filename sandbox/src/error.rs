//! HighLevel-style error responses.
//!
//! HighLevel's API is a NestJS application, and its error bodies have NestJS's shape, as declared
//! in the official `common-schemas.json`: `BadRequestDTO` `{statusCode, message}`,
//! `UnauthorizedDTO` `{statusCode, message, error}` and `UnprocessableDTO`
//! `{statusCode, message: [..], error}` (validation failures list every problem at once).
//! Every message written here says what was wrong and, where it helps, how to fix it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answered to the client with a JSON body.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    fn simple(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({
                "statusCode": status.as_u16(),
                "message": message.into(),
                "error": status.canonical_reason().unwrap_or("Error"),
            }),
            retry_after_secs: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::simple(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::simple(StatusCode::UNAUTHORIZED, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::simple(StatusCode::NOT_FOUND, message)
    }

    pub(crate) fn payload_too_large(limit: usize) -> Self {
        Self::simple(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request entity too large: the body limit is {limit} bytes"),
        )
    }

    pub(crate) fn too_many_requests(message: String, retry_after_secs: u64) -> Self {
        let mut e = Self::simple(StatusCode::TOO_MANY_REQUESTS, message);
        e.retry_after_secs = Some(retry_after_secs);
        e
    }

    pub(crate) fn injected(status: StatusCode) -> Self {
        Self::simple(
            status,
            "Injected failure: the sandbox is configured with an error rate",
        )
    }

    /// 422 with the class-validator style list of messages.
    pub(crate) fn unprocessable(messages: Vec<String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({
                "statusCode": 422,
                "message": messages,
                "error": "Unprocessable Entity",
            }),
            retry_after_secs: None,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::unprocessable(vec![message.into()])
    }

    /// An error with a body built by the caller (e.g. the duplicate-contact error, which carries
    /// a `meta` object).
    pub(crate) fn with_body(status: StatusCode, body: Value) -> Self {
        ApiError {
            status,
            body,
            retry_after_secs: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body)).into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// What handlers return.
pub(crate) type ApiResult = Result<Response, ApiError>;

/// 200 with a JSON body.
pub(crate) fn ok(v: Value) -> ApiResult {
    Ok((StatusCode::OK, axum::Json(v)).into_response())
}

/// 201 with a JSON body.
pub(crate) fn created(v: Value) -> ApiResult {
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}
