//! HTML responses: every page goes out with headers that keep it from being framed, cached,
//! scripted or leaking its URL (which may carry an OAuth `state`) in a Referer.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// An HTML response with the security headers; `form_action` lists where the page's form may
/// submit to and be redirected to (the browser checks the redirect after consent too).
pub(crate) fn html_with_form_action(
    status: StatusCode,
    body: String,
    form_action: &str,
) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp
}

/// An HTML response whose forms may only post to this server.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    html_with_form_action(status, body, "'self'")
}
