//! The bearer check API calls pass while OAuth emulation is on: a bearer shaped like one of the
//! emulator's tokens must be a live access token (unknown, expired or uninstalled: HighLevel's
//! 401 `Invalid JWT`), a Location token may touch only its own location, and a Company token
//! only reads the agency's location records (everything else needs a Location token from
//! `/oauth/locationToken`). Other bearers pass unchecked, as they always have.
//!
//! The location a request touches is read from where HighLevel's API names it: the path
//! (`/locations/{id}`, `/social-media-posting/{id}/…`), the `locationId`/`location_id`/`altId`
//! query parameters, the same members of a JSON body, and the records a path names by id
//! (contacts, opportunities, conversations, orders).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Subject, is_oauth_shaped};
use crate::SandboxState;
use crate::error::ApiError;

fn forbidden(location: &str) -> Response {
    ApiError::with_body(
        StatusCode::FORBIDDEN,
        json!({
            "statusCode": 403,
            "message": format!("The token does not have access to this location ({location}): a Location token serves only the location it was issued for"),
            "error": "Forbidden",
        }),
    )
    .into_response()
}

/// Lets `req` through, or answers the refusal.
pub(crate) async fn admit(
    st: &SandboxState,
    token: &str,
    req: Request,
) -> Result<Request, Response> {
    if st.inner.config.oauth.is_none() || !is_oauth_shaped(token) {
        return Ok(req);
    }
    let subject = {
        let book = st.inner.oauth.lock();
        let (_, subject) = book
            .live_access(token)
            .map_err(|why| ApiError::unauthorized(format!("Invalid JWT: {why}")).into_response())?;
        subject.clone()
    };
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let location = match subject {
        Subject::Location(id) => id,
        Subject::Company => {
            let company = st
                .read()
                .locations
                .first()
                .and_then(|l| l["companyId"].as_str())
                .unwrap_or("")
                .to_owned();
            return match segments.as_slice() {
                ["locations", id] if st.read().location(id).is_some_and(|l| l["companyId"] == company.as_str()) => Ok(req),
                _ => Err(ApiError::unauthorized(
                    "This route is not supported with an agency (Company) token: get a Location token at POST /oauth/locationToken",
                )
                .into_response()),
            };
        }
    };

    let mut named = Vec::new();
    named.extend(path_location(st, &segments));
    if let Some(query) = req.uri().query() {
        for pair in query.split('&') {
            if let Some((k, v)) = pair.split_once('=')
                && matches!(k, "locationId" | "location_id" | "altId")
                && !v.is_empty()
            {
                named.push(v.to_owned());
            }
        }
    }
    let req = if matches!(*req.method(), Method::POST | Method::PUT | Method::DELETE) {
        let limit = st.inner.config.max_body_bytes;
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| ApiError::payload_too_large(limit).into_response())?;
        if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&bytes) {
            for k in ["locationId", "altId"] {
                if let Some(v) = m.get(k).and_then(Value::as_str) {
                    named.push(v.to_owned());
                }
            }
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    match named.iter().find(|n| **n != location) {
        Some(other) => Err(forbidden(other)),
        None => Ok(req),
    }
}

/// The location of whatever the path names: a location itself, or a record by id.
fn path_location(st: &SandboxState, segments: &[&str]) -> Option<String> {
    let s = st.read();
    let of = |v: Option<&Value>, key: &str| v.and_then(|r| r[key].as_str()).map(str::to_owned);
    match segments {
        ["locations", id, ..] => Some((*id).to_owned()),
        ["social-media-posting", id, ..] if *id != "statistics" => Some((*id).to_owned()),
        ["contacts", id, ..] if !matches!(*id, "" | "upsert") => {
            of(s.contacts.get(*id), "locationId")
        }
        ["opportunities", id] if !matches!(*id, "search" | "pipelines") => {
            of(s.opportunities.get(*id), "locationId")
        }
        ["conversations", id, "messages"] => of(s.conversations.get(*id), "locationId"),
        ["payments", "orders", id] => of(s.orders.get(*id), "altId"),
        _ => None,
    }
}
