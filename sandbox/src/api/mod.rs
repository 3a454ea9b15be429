//! The HTTP surface: one module per HighLevel app, and the router that mounts their handlers at
//! HighLevel's paths byte for byte (trailing slashes included: `GET /contacts/` and
//! `POST /contacts/` are HighLevel's paths, `/contacts` without the slash is not). `catalog`
//! lists what is emulated and answers everything else.

mod blogs;
mod calendars;
mod catalog;
mod contacts;
mod conversations;
mod emails;
mod locations;
mod opportunities;
mod payments;
mod social;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderMap;
use axum::middleware;
use axum::routing::{get, post, put};

use crate::SandboxState;

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
        // blogs
        .route("/blogs/site/all", get(blogs::sites))
        .route("/blogs/authors", get(blogs::authors))
        .route("/blogs/categories", get(blogs::categories))
        .route("/blogs/posts/all", get(blogs::posts))
        .route("/blogs/posts/url-slug-exists", get(blogs::slug_exists))
        .route("/blogs/posts", post(blogs::create))
        .route("/blogs/posts/{postId}", put(blogs::update))
        // emails
        .route("/emails/builder", get(emails::list).post(emails::create))
        // social-media-posting
        .route(
            "/social-media-posting/{locationId}/accounts",
            get(social::accounts),
        )
        .route(
            "/social-media-posting/{locationId}/posts",
            post(social::create),
        )
        .route(
            "/social-media-posting/{locationId}/posts/list",
            post(social::list),
        )
        .route(
            "/social-media-posting/{locationId}/posts/{id}",
            get(social::get_one).put(social::edit),
        )
        .route("/social-media-posting/statistics", post(social::statistics))
        .fallback(catalog::not_emulated)
        .method_not_allowed_fallback(catalog::method_not_emulated)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::guard::guard,
        ))
        .with_state(state)
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
