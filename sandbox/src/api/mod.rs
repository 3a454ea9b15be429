//! The HTTP surface: one module per HighLevel app, and the router that mounts their handlers at
//! HighLevel's paths byte for byte (trailing slashes included: `GET /contacts/` and
//! `POST /contacts/` are HighLevel's paths, `/contacts` without the slash is not).

mod calendars;
mod contacts;
mod conversations;
mod locations;
mod opportunities;
mod payments;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, Method, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::SandboxState;
use crate::error::ApiError;

pub(crate) fn routes(state: SandboxState) -> Router {
    let limit = state.inner.config.max_body_bytes;
    Router::new()
        // contacts
        .route("/contacts/", get(contacts::list).post(contacts::create))
        .route("/contacts/upsert", post(contacts::upsert))
        .route(
            "/contacts/{contactId}",
            get(contacts::get_one).put(contacts::update),
        )
        .route(
            "/contacts/{contactId}/tags",
            post(contacts::add_tags).delete(contacts::remove_tags),
        )
        .route("/contacts/{contactId}/tasks", get(contacts::tasks))
        // conversations
        .route("/conversations/search", get(conversations::search))
        .route("/conversations/messages", post(conversations::send))
        .route(
            "/conversations/{conversationId}/messages",
            get(conversations::messages),
        )
        // calendars
        .route("/calendars/events", get(calendars::events))
        .route(
            "/calendars/appointments/{appointmentId}/notes",
            get(calendars::notes),
        )
        // opportunities
        .route("/opportunities/search", get(opportunities::search))
        .route("/opportunities/pipelines", get(opportunities::pipelines))
        .route(
            "/opportunities/{id}",
            get(opportunities::get_one).put(opportunities::update),
        )
        // payments
        .route("/payments/orders/{orderId}", get(payments::order))
        .route("/payments/transactions", get(payments::transactions))
        // locations
        .route("/locations/{locationId}", get(locations::get_one))
        .route(
            "/locations/{locationId}/customFields",
            get(locations::custom_fields),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::guard::guard,
        ))
        .with_state(state)
}

/// NestJS's answer to an unknown route, with a hint.
async fn not_found(method: Method, uri: Uri) -> Response {
    ApiError::not_found(format!(
        "Cannot {method} {}: the sandbox serves only the endpoints behind the curated tools",
        uri.path()
    ))
    .into_response()
}

/// An existing path with another method.
async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    ApiError::with_body(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        serde_json::json!({
            "statusCode": 405,
            "message": format!("Cannot {method} {}: this path exists with other methods", uri.path()),
            "error": "Method Not Allowed",
        }),
    )
    .into_response()
}

/// Removes null members of a paging object. HighLevel sends `null` for an absent next page or
/// cursor, but its schemas (and ours) type those fields as numbers/strings, so a client that
/// validates answers would reject the nulls; an absent key means the same and validates.
pub(crate) fn without_nulls(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(m) = v.as_object_mut() {
        m.retain(|_, x| !x.is_null());
    }
    v
}

/// `http://host` of the request, for HighLevel's absolute `nextPageUrl` values.
pub(crate) fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}
