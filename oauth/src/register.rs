//! RFC 7591 dynamic client registration (`POST /register`): open, as MCP clients expect, but
//! rate-limited, size-bounded and capped in number. Public clients (`none`) get no secret;
//! clients asking for `client_secret_post`/`client_secret_basic` (RFC 7591's default) get one,
//! shown once and stored only as a hash.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::clients::check_redirect_uri;
use crate::crypto::{new_id, new_token, token_hash};
use crate::error::OAuthError;
use crate::store::ClientRecord;
use crate::{AuthServer, now};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(default)]
    redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    grant_types: Option<Vec<String>>,
    #[serde(default)]
    response_types: Option<Vec<String>>,
    #[serde(default)]
    scope: Option<String>,
}

/// `POST /register`.
pub async fn register(State(s): State<Arc<AuthServer>>, body: Bytes) -> Response {
    match handle(&s, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(s: &AuthServer, body: &[u8]) -> Result<Response, OAuthError> {
    if let Err(wait) = s.limiter.take("register", s.config.limits.register) {
        return Err(OAuthError::rate_limited(wait.as_secs()));
    }
    let req: Request = serde_json::from_slice(body).map_err(|e| {
        OAuthError::invalid_client_metadata(format!(
            "the registration body must be a JSON object of client metadata (RFC 7591): {e}"
        ))
    })?;
    let uris = req.redirect_uris.unwrap_or_default();
    if uris.is_empty() {
        return Err(OAuthError::invalid_redirect_uri(
            "redirect_uris is required: list the exact URI(s) this client receives the authorization code at",
        ));
    }
    if uris.len() > 10 {
        return Err(OAuthError::invalid_redirect_uri("at most 10 redirect_uris"));
    }
    for uri in &uris {
        check_redirect_uri(uri).map_err(OAuthError::invalid_redirect_uri)?;
    }
    let method = req
        .token_endpoint_auth_method
        .unwrap_or_else(|| "client_secret_basic".to_owned());
    if !matches!(
        method.as_str(),
        "none" | "client_secret_post" | "client_secret_basic"
    ) {
        return Err(OAuthError::invalid_client_metadata(format!(
            "token_endpoint_auth_method `{method}` is not supported; use none, client_secret_post or client_secret_basic"
        )));
    }
    let grant_types = req
        .grant_types
        .unwrap_or_else(|| vec!["authorization_code".into(), "refresh_token".into()]);
    if let Some(g) = grant_types
        .iter()
        .find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
    {
        return Err(OAuthError::invalid_client_metadata(format!(
            "grant type `{g}` is not supported; this server issues authorization_code and refresh_token grants"
        )));
    }
    let response_types = req.response_types.unwrap_or_else(|| vec!["code".into()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(OAuthError::invalid_client_metadata(
            "only the `code` response type is supported",
        ));
    }
    if let Some(scope) = &req.scope
        && let Some(bad) = scope
            .split_whitespace()
            .find(|sc| !crate::SCOPES_SUPPORTED.contains(sc))
    {
        return Err(OAuthError::invalid_client_metadata(format!(
            "scope `{bad}` is not offered; this server offers {}",
            crate::SCOPES_SUPPORTED.join(", ")
        )));
    }
    let name: String = req
        .client_name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let name = if name.trim().is_empty() {
        "Unnamed MCP client".to_owned()
    } else {
        name.trim().to_owned()
    };
    if s.store.client_count().await? >= s.config.max_clients {
        tracing::warn!(
            max = s.config.max_clients,
            "client registration refused: the store holds the most clients allowed"
        );
        return Err(OAuthError::invalid_client_metadata(
            "this server has reached its limit of registered clients; ask its operator",
        ));
    }
    let secret = (method != "none").then(|| new_token("hlmcp_cs_"));
    let record = ClientRecord {
        client_id: new_id("c_"),
        client_name: name,
        redirect_uris: uris,
        auth_method: method,
        secret_hash: secret.as_deref().map(token_hash),
        created_at: now(),
    };
    s.store.put_client(&record).await?;
    tracing::info!(client_id = %record.client_id, client_name = %record.client_name, "client registered");
    let mut body = json!({
        "client_id": record.client_id,
        "client_id_issued_at": record.created_at,
        "client_name": record.client_name,
        "redirect_uris": record.redirect_uris,
        "token_endpoint_auth_method": record.auth_method,
        "grant_types": grant_types,
        "response_types": response_types,
    });
    if let Some(secret) = secret {
        body["client_secret"] = json!(secret);
        body["client_secret_expires_at"] = json!(0);
    }
    let mut resp = (StatusCode::CREATED, Json(body)).into_response();
    resp.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}
