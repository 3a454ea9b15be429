//! What the sandbox emulates, in one table, and the answers to everything else.
//!
//! A request for an operation the sandbox does not emulate gets a 404 whose message says so and
//! names the emulated apps (and, when the request's first path segment is one of them, the
//! emulated paths under it), with the full list as `emulated: ["METHOD /path", ...]`.
//!
//! Why 404 and not 501: HighLevel (a NestJS application) answers a route it does not have with
//! 404 `Cannot GET /x`, so clients already treat 404 as "this call cannot work as sent"; and a
//! 5xx would be taken for a failure of HighLevel itself — the MCP server retries idempotent
//! calls on any 5xx and reports it as HighLevel failing, which is slow and wrong for a call that
//! will never succeed here. A known path with another method keeps its 405 (with `Allow`).

use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::ApiError;

/// Every emulated operation: (HighLevel app, method, path template), in router order.
pub(crate) const EMULATED: &[(&str, &str, &str)] = &[
    ("contacts", "GET", "/contacts/"),
    ("contacts", "POST", "/contacts/"),
    ("contacts", "POST", "/contacts/upsert"),
    ("contacts", "GET", "/contacts/{contactId}"),
    ("contacts", "PUT", "/contacts/{contactId}"),
    ("contacts", "POST", "/contacts/{contactId}/tags"),
    ("contacts", "DELETE", "/contacts/{contactId}/tags"),
    ("contacts", "GET", "/contacts/{contactId}/tasks"),
    ("conversations", "GET", "/conversations/search"),
    ("conversations", "POST", "/conversations/messages"),
    (
        "conversations",
        "GET",
        "/conversations/{conversationId}/messages",
    ),
    ("calendars", "GET", "/calendars/events"),
    (
        "calendars",
        "GET",
        "/calendars/appointments/{appointmentId}/notes",
    ),
    ("opportunities", "GET", "/opportunities/search"),
    ("opportunities", "GET", "/opportunities/pipelines"),
    ("opportunities", "GET", "/opportunities/{id}"),
    ("opportunities", "PUT", "/opportunities/{id}"),
    ("payments", "GET", "/payments/orders/{orderId}"),
    ("payments", "GET", "/payments/transactions"),
    ("locations", "GET", "/locations/{locationId}"),
    ("locations", "GET", "/locations/{locationId}/customFields"),
    ("blogs", "GET", "/blogs/site/all"),
    ("blogs", "GET", "/blogs/authors"),
    ("blogs", "GET", "/blogs/categories"),
    ("blogs", "GET", "/blogs/posts/all"),
    ("blogs", "GET", "/blogs/posts/url-slug-exists"),
    ("blogs", "POST", "/blogs/posts"),
    ("blogs", "PUT", "/blogs/posts/{postId}"),
    ("emails", "GET", "/emails/builder"),
    ("emails", "POST", "/emails/builder"),
    (
        "social-media-posting",
        "GET",
        "/social-media-posting/{locationId}/accounts",
    ),
    (
        "social-media-posting",
        "POST",
        "/social-media-posting/{locationId}/posts",
    ),
    (
        "social-media-posting",
        "POST",
        "/social-media-posting/{locationId}/posts/list",
    ),
    (
        "social-media-posting",
        "GET",
        "/social-media-posting/{locationId}/posts/{id}",
    ),
    (
        "social-media-posting",
        "PUT",
        "/social-media-posting/{locationId}/posts/{id}",
    ),
    (
        "social-media-posting",
        "POST",
        "/social-media-posting/statistics",
    ),
];

/// Whether a concrete path fits a template (`{name}` matches any one non-empty segment).
fn fits(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
}

/// `"contacts (8), conversations (3), ..."` in table order.
fn apps() -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for (app, _, _) in EMULATED {
        match counts.iter_mut().find(|(a, _)| a == app) {
            Some((_, n)) => *n += 1,
            None => counts.push((app, 1)),
        }
    }
    counts
        .iter()
        .map(|(a, n)| format!("{a} ({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn listed(
    entries: impl Iterator<Item = &'static (&'static str, &'static str, &'static str)>,
) -> Vec<String> {
    entries.map(|(_, m, p)| format!("{m} {p}")).collect()
}

/// The answer to a path no emulated operation has.
pub(crate) async fn not_emulated(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let first = path.split('/').nth(1).unwrap_or("");
    let near = listed(
        EMULATED
            .iter()
            .filter(|(_, _, p)| !first.is_empty() && p.split('/').nth(1) == Some(first)),
    );
    let hint = if near.is_empty() {
        String::new()
    } else {
        format!(
            " Under /{first} it emulates {} (paths match exactly, trailing slash included).",
            near.join(", ")
        )
    };
    let message = format!(
        "The sandbox does not emulate {method} {path}. It emulates {} HighLevel operations: {}; `emulated` lists them.{hint} Other operations need the real HighLevel API.",
        EMULATED.len(),
        apps()
    );
    ApiError::with_body(
        StatusCode::NOT_FOUND,
        json!({
            "statusCode": 404,
            "message": message,
            "error": "Not Found",
            "emulated": listed(EMULATED.iter()),
        }),
    )
    .into_response()
}

/// The answer to an emulated path with a method the sandbox does not emulate on it.
pub(crate) async fn method_not_emulated(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    // The router prefers literal segments to `{params}`, so only the most literal templates count.
    let literal = |t: &str| t.split('/').filter(|s| !s.starts_with('{')).count();
    let fitting: Vec<_> = EMULATED.iter().filter(|(_, _, p)| fits(p, path)).collect();
    let best = fitting
        .iter()
        .map(|(_, _, p)| literal(p))
        .max()
        .unwrap_or(0);
    let methods: Vec<&str> = fitting
        .iter()
        .filter(|(_, _, p)| literal(p) == best)
        .map(|(_, m, _)| *m)
        .collect();
    let allow = methods.join(", ");
    let mut resp = ApiError::with_body(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({
            "statusCode": 405,
            "message": format!(
                "Cannot {method} {path}: the sandbox emulates this path only with {allow}; other methods on it are not emulated"
            ),
            "error": "Method Not Allowed",
        }),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&allow) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fit_paths_segment_by_segment() {
        assert!(fits("/contacts/{contactId}", "/contacts/abc"));
        assert!(!fits("/contacts/{contactId}", "/contacts/"));
        assert!(fits("/contacts/", "/contacts/"));
        assert!(!fits("/contacts/", "/contacts"));
        assert!(fits(
            "/social-media-posting/{locationId}/posts/{id}",
            "/social-media-posting/L/posts/p"
        ));
    }

    #[test]
    fn the_table_has_36_unique_operations_in_nine_apps() {
        assert_eq!(EMULATED.len(), 36);
        let mut pairs: Vec<(&str, &str)> = EMULATED.iter().map(|(_, m, p)| (*m, *p)).collect();
        pairs.sort();
        pairs.dedup();
        assert_eq!(pairs.len(), 36);
        assert_eq!(
            apps(),
            "contacts (8), conversations (3), calendars (2), opportunities (4), payments (2), locations (2), blogs (7), emails (2), social-media-posting (6)"
        );
    }
}
