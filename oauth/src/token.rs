//! `/token` (authorization code with PKCE S256; refresh with rotation and reuse detection) and
//! `/revoke` (RFC 7009).
//!
//! Replays fail closed and cost the attacker everything the value ever issued: a second use of
//! an authorization code, or of a refresh token that was already rotated, revokes the whole
//! grant (RFC 9700 §4.14), so a stolen copy and the original can never both stay in use.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;

use crate::clients::{Client, Presented};
use crate::crypto::{new_token, pkce_s256_matches, pkce_verifier_well_formed, token_hash};
use crate::error::OAuthError;
use crate::store::{Consumed, GrantRecord, TokenKind, TokenRecord};
use crate::{AuthServer, now, secs};

type Form = Vec<(String, String)>;

fn parse_form(body: &[u8]) -> Result<Form, OAuthError> {
    let pairs: Form = serde_urlencoded::from_bytes(body).map_err(|_| {
        OAuthError::invalid_request("the body must be application/x-www-form-urlencoded")
    })?;
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(o, _)| o == k) {
            return Err(OAuthError::invalid_request(format!(
                "the parameter `{k}` appears more than once"
            )));
        }
    }
    Ok(pairs)
}

fn field<'a>(form: &'a Form, key: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn required<'a>(form: &'a Form, key: &str) -> Result<&'a str, OAuthError> {
    field(form, key).ok_or_else(|| OAuthError::invalid_request(format!("`{key}` is required")))
}

/// `POST /token`.
pub async fn token(State(s): State<Arc<AuthServer>>, headers: HeaderMap, body: Bytes) -> Response {
    match handle_token(&s, &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle_token(
    s: &AuthServer,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    if let Err(wait) = s.limiter.take("token", s.config.limits.token) {
        return Err(OAuthError::rate_limited(wait.as_secs()));
    }
    let form = parse_form(body)?;
    let grant_type = required(&form, "grant_type")?;
    let presented = Presented::from_request(
        headers,
        field(&form, "client_id"),
        field(&form, "client_secret"),
    )?;
    let client = s.authenticate_client(&presented).await?;
    match grant_type {
        "authorization_code" => authorization_code(s, &client, &form).await,
        "refresh_token" => refresh(s, &client, &form).await,
        other => Err(OAuthError::unsupported_grant_type(format!(
            "grant_type `{}` is not supported; use authorization_code or refresh_token",
            crate::clients::shorten(other)
        ))),
    }
}

fn check_resource(requested: Option<&str>, granted: &str) -> Result<(), OAuthError> {
    match requested {
        Some(r) if r.trim_end_matches('/') != granted => Err(OAuthError::invalid_target(format!(
            "resource `{}` is not the one this grant is for ({granted})",
            crate::clients::shorten(r)
        ))),
        _ => Ok(()),
    }
}

async fn authorization_code(
    s: &AuthServer,
    client: &Client,
    form: &Form,
) -> Result<Response, OAuthError> {
    let code = required(form, "code")?;
    let verifier = field(form, "code_verifier").ok_or_else(|| {
        OAuthError::invalid_request("`code_verifier` is required: this server requires PKCE (S256)")
    })?;
    let now = now();
    let record = match s.store.consume_code(&token_hash(code), now).await? {
        Consumed::Fresh(r) => r,
        Consumed::Replayed(r) => {
            s.store
                .revoke_grant(&r.grant_id, "authorization code used twice", now)
                .await?;
            tracing::warn!(grant_id = %r.grant_id, "authorization code replayed: grant revoked");
            return Err(OAuthError::invalid_grant(
                "this authorization code was already used; every token it issued is now revoked. Start the authorization again",
            ));
        }
        Consumed::Unknown => {
            return Err(OAuthError::invalid_grant("unknown authorization code"));
        }
    };
    if record.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "this code was issued to another client",
        ));
    }
    if record.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "this authorization code has expired (codes last a few minutes); start the authorization again",
        ));
    }
    if let Some(r) = field(form, "redirect_uri")
        && r != record.redirect_uri
    {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the one in the authorization request",
        ));
    }
    if !pkce_verifier_well_formed(verifier) || !pkce_s256_matches(verifier, &record.code_challenge)
    {
        return Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge of the authorization request",
        ));
    }
    check_resource(field(form, "resource"), &record.resource)?;
    let grant = live_grant(s, &record.grant_id).await?;
    issue(s, &grant, client, &record.scope).await
}

async fn live_grant(s: &AuthServer, id: &str) -> Result<GrantRecord, OAuthError> {
    match s.store.grant(id).await? {
        Some(g) if g.revoked_at.is_none() => Ok(g),
        Some(_) => Err(OAuthError::invalid_grant(
            "this connection was revoked; connect again",
        )),
        None => Err(OAuthError::invalid_grant(
            "this connection no longer exists; connect again",
        )),
    }
}

async fn refresh(s: &AuthServer, client: &Client, form: &Form) -> Result<Response, OAuthError> {
    let presented = required(form, "refresh_token")?;
    let now = now();
    let old = match s.store.consume_refresh(&token_hash(presented), now).await? {
        Consumed::Fresh(t) => t,
        Consumed::Replayed(t) => {
            s.store
                .revoke_grant(&t.grant_id, "refresh token used twice", now)
                .await?;
            tracing::warn!(grant_id = %t.grant_id, "refresh token replayed: grant revoked");
            return Err(OAuthError::invalid_grant(
                "this refresh token was already used; the connection is revoked for safety. Connect again",
            ));
        }
        Consumed::Unknown => return Err(OAuthError::invalid_grant("unknown refresh token")),
    };
    if old.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant(
            "this refresh token was revoked; connect again",
        ));
    }
    if old.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "this refresh token was issued to another client",
        ));
    }
    if old.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "this refresh token has expired; connect again",
        ));
    }
    let grant = live_grant(s, &old.grant_id).await?;
    check_resource(field(form, "resource"), &grant.resource)?;
    let scope = match field(form, "scope") {
        None => grant.scope.clone(),
        Some(asked) => {
            let granted: Vec<&str> = grant.scope.split_whitespace().collect();
            if let Some(extra) = asked.split_whitespace().find(|sc| !granted.contains(sc)) {
                return Err(OAuthError::invalid_scope(format!(
                    "scope `{}` was not granted; a refresh may only narrow the scope ({})",
                    crate::clients::shorten(extra),
                    grant.scope
                )));
            }
            asked.split_whitespace().collect::<Vec<_>>().join(" ")
        }
    };
    issue(s, &grant, client, &scope).await
}

async fn issue(
    s: &AuthServer,
    grant: &GrantRecord,
    client: &Client,
    scope: &str,
) -> Result<Response, OAuthError> {
    let now = now();
    let access = new_token("hlmcp_at_");
    let refresh = new_token("hlmcp_rt_");
    for (value, kind, ttl) in [
        (&access, TokenKind::Access, s.config.access_ttl),
        (&refresh, TokenKind::Refresh, s.config.refresh_ttl),
    ] {
        s.store
            .put_token(&TokenRecord {
                token_hash: token_hash(value),
                grant_id: grant.id.clone(),
                kind,
                client_id: client.client_id.clone(),
                expires_at: now + secs(ttl),
                created_at: now,
                used_at: None,
                revoked_at: None,
            })
            .await?;
    }
    let mut resp = (
        StatusCode::OK,
        Json(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": s.config.access_ttl.as_secs(),
            "refresh_token": refresh,
            "scope": scope,
        })),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

/// `POST /revoke`.
pub async fn revoke(State(s): State<Arc<AuthServer>>, headers: HeaderMap, body: Bytes) -> Response {
    match handle_revoke(&s, &headers, &body).await {
        Ok(()) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn handle_revoke(s: &AuthServer, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    if let Err(wait) = s.limiter.take("revoke", s.config.limits.revoke) {
        return Err(OAuthError::rate_limited(wait.as_secs()));
    }
    let form = parse_form(body)?;
    let value = required(&form, "token")?;
    let presented = Presented::from_request(
        headers,
        field(&form, "client_id"),
        field(&form, "client_secret"),
    )?;
    let client = s.authenticate_client(&presented).await?;
    let hash = token_hash(value);
    let now = now();
    // RFC 7009 §2.2: an unknown or foreign token is answered 200 like a revoked one, so the
    // endpoint tells a caller nothing about tokens it does not hold.
    match s.store.token(&hash).await? {
        Some(t) if t.client_id == client.client_id => match t.kind {
            TokenKind::Refresh => {
                s.store
                    .revoke_grant(&t.grant_id, "revoked by the client", now)
                    .await?;
                tracing::info!(grant_id = %t.grant_id, "grant revoked by its client");
            }
            TokenKind::Access => s.store.revoke_token(&hash, now).await?,
        },
        Some(_) => tracing::warn!("revocation of another client's token ignored"),
        None => {}
    }
    Ok(())
}
