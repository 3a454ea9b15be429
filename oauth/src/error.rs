//! OAuth error answers: the RFC 6749 / 7591 / 7009 JSON error body with a description a person
//! can act on, and the plain error page for what must never be redirected (an unknown client or a
//! redirect URI that is not registered).

use axum::Json;
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

/// An OAuth error (`error` code from the RFCs plus a helpful `error_description`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// HTTP status.
    pub status: StatusCode,
    /// The RFC error code (`invalid_request`, `invalid_grant`, ...).
    pub code: &'static str,
    /// What was wrong and how to fix it; never contains a secret.
    pub description: String,
}

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
        }
    }
    /// `invalid_request` (400).
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }
    /// `invalid_client` (401).
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", d)
    }
    /// `invalid_grant` (400).
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }
    /// `unauthorized_client` (400).
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", d)
    }
    /// `unsupported_grant_type` (400).
    pub fn unsupported_grant_type(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }
    /// `invalid_scope` (400).
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }
    /// `invalid_target` (400, RFC 8707).
    pub fn invalid_target(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_target", d)
    }
    /// `invalid_redirect_uri` (400, RFC 7591).
    pub fn invalid_redirect_uri(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_redirect_uri", d)
    }
    /// `invalid_client_metadata` (400, RFC 7591).
    pub fn invalid_client_metadata(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_client_metadata", d)
    }
    /// `unsupported_token_type` (400, RFC 7009).
    pub fn unsupported_token_type(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_token_type", d)
    }
    /// `slow_down` style throttling: 429 with `temporarily_unavailable` and `Retry-After`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            format!("too many requests to this endpoint; try again in {retry_after_secs} s"),
        )
    }
    /// `server_error` (500); the detail goes to the log, not to the client.
    pub fn server_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the server could not complete the request (see its log); try again later",
        )
    }
}

impl From<crate::store::StoreError> for OAuthError {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "grant store failed");
        Self::server_error()
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(json!({ "error": self.code, "error_description": self.description })),
        )
            .into_response();
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"highlevel-mcp\""),
            );
        }
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
        }
        resp
    }
}

/// A page shown instead of redirecting: the request cannot be trusted to name where to send the
/// browser, so the person reads what went wrong here.
#[derive(Debug, askama::Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Short heading.
    pub title: String,
    /// What happened and what to do.
    pub message: String,
}

impl ErrorPage {
    /// A 400 page.
    pub fn bad_request(title: impl Into<String>, message: impl Into<String>) -> Response {
        Self {
            title: title.into(),
            message: message.into(),
        }
        .respond(StatusCode::BAD_REQUEST)
    }

    /// Renders with `status`.
    pub fn respond(self, status: StatusCode) -> Response {
        use askama::Template;
        match self.render() {
            Ok(body) => crate::pages::html(status, body),
            Err(e) => {
                tracing::error!(error = %e, "cannot render the error page");
                (StatusCode::INTERNAL_SERVER_ERROR, Html("error")).into_response()
            }
        }
    }
}
