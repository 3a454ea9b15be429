//! The browser side of "Sign in with HighLevel": [`start`] sends the person from the connect page
//! to HighLevel's location chooser, and [`callback`] (`GET /oauth/highlevel/callback`) takes
//! HighLevel's answer, exchanges the code, stores the grant and returns to the MCP client.
//!
//! HighLevel's `state` carries the connect page's sealed request (it opens only with the store
//! key and expires with the page), so any replica can take the callback. A cookie scoped to the
//! callback path, set when the person pressed the button, must come back with the same CSRF
//! value: a callback nobody started from this browser is refused.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use url::Url;

use super::client::{self, Refused};
use super::{HlSecret, KIND_COMPANY, KIND_LOCATION, UserType, now_ms};
use crate::AuthServer;
use crate::authorize::{Pending, cookie, finish, open_pending, redirect_error, requesting_client};
use crate::clients::shorten;
use crate::error::ErrorPage;

const COOKIE: &str = "hlmcp_hl";
/// The callback path on this server; the redirect URL to register with the marketplace app is
/// the public URL followed by it.
pub const CALLBACK_PATH: &str = "/oauth/highlevel/callback";
/// Most locations one agency grant keeps.
const MAX_LOCATIONS: usize = 20;

/// The redirect URL HighLevel sends the browser back to.
pub fn callback_url(s: &AuthServer) -> String {
    format!("{}{CALLBACK_PATH}", s.issuer())
}

/// Sends the browser to HighLevel's chooser (after the connect page's CSRF and gate checks).
pub(crate) fn start(s: &AuthServer, sealed_request: &str, pending: &Pending) -> Response {
    let Some(app) = s.config.highlevel.as_ref() else {
        return ErrorPage::bad_request(
            "Sign in with HighLevel is not set up",
            "This server has no HighLevel marketplace app configured; paste a Private Integration Token instead.",
        );
    };
    let Ok(mut url) = Url::parse(&format!("{}/oauth/chooselocation", app.pages_base)) else {
        return ErrorPage::bad_request(
            "Sign in with HighLevel is misconfigured",
            "The HighLevel pages address configured on this server is not a URL; tell its operator.",
        );
    };
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &callback_url(s))
        .append_pair("client_id", &app.client_id)
        .append_pair("scope", &app.scope)
        .append_pair("state", sealed_request);
    let mut resp = Redirect::to(url.as_str()).into_response();
    let secure = if s.issuer().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    // Lax, not Strict: the cookie must come back on the top-level navigation from HighLevel.
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={}; Path={CALLBACK_PATH}; Max-Age=900; HttpOnly; SameSite=Lax{secure}",
        pending.csrf
    )) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn query(raw: Option<&str>) -> Vec<(String, String)> {
    let raw = raw.unwrap_or("");
    if raw.len() > 16 * 1024 {
        return Vec::new();
    }
    url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect()
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// `GET /oauth/highlevel/callback`.
pub async fn callback(
    State(s): State<Arc<AuthServer>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query(raw.as_deref());
    let Some(pending) = get(&pairs, "state").and_then(|st| open_pending(&s, st)) else {
        return ErrorPage::bad_request(
            "This sign-in has expired",
            "HighLevel sent back a sign-in this server did not start, or it took longer than 15 minutes. Start the connection again from your app.",
        );
    };
    if !cookie(&headers, COOKIE).is_some_and(|c| crate::crypto::same(&c, &pending.csrf)) {
        return ErrorPage {
            title: "Could not verify this sign-in".into(),
            message: "The sign-in did not come back with the cookie this server set when you pressed \"Sign in with HighLevel\", so it may not have been started by you. Allow cookies for this site and start the connection again from your app.".into(),
        }
        .respond(StatusCode::FORBIDDEN);
    }
    let client = match requesting_client(&s, &pending).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let state = pending.state.as_deref();
    if let Some(error) = get(&pairs, "error") {
        let said = get(&pairs, "error_description").unwrap_or(error);
        tracing::info!(client_id = %shorten(&client.client_id), error = %shorten(error), "HighLevel sign-in ended without a code");
        let description = format!(
            "the sign-in with HighLevel ended without access ({})",
            shorten(said)
        );
        return redirect_error(
            &s,
            &pending.redirect_uri,
            state,
            "access_denied",
            &description,
        );
    }
    let Some(code) = get(&pairs, "code") else {
        return ErrorPage::bad_request(
            "HighLevel sent no code",
            "HighLevel returned without an authorization code or an error. Start the connection again from your app.",
        );
    };
    let Some(app) = s.config.highlevel.as_ref() else {
        return ErrorPage::bad_request(
            "Sign in with HighLevel is not set up",
            "This server has no HighLevel marketplace app configured.",
        );
    };
    let redirect_uri = callback_url(&s);
    let exchanged = client::token(
        &s.http,
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("user_type", app.user_type.as_str()),
            ("redirect_uri", &redirect_uri),
        ],
    )
    .await;
    let answer = match exchanged {
        Ok(a) => a,
        Err(Refused::Said(reason)) => {
            tracing::warn!(client_id = %shorten(&client.client_id), %reason, "HighLevel refused the code");
            return ErrorPage::bad_request(
                "HighLevel refused the sign-in",
                format!(
                    "HighLevel did not accept the sign-in ({reason}). Start the connection again from your app. If it keeps failing, the server's operator should check the marketplace app's client id, secret and redirect URL ({redirect_uri})."
                ),
            );
        }
        Err(Refused::Unavailable(reason)) => {
            return ErrorPage {
                title: "HighLevel could not be reached".into(),
                message: format!(
                    "HighLevel's sign-in service did not answer ({reason}). Wait a minute and start the connection again from your app."
                ),
            }
            .respond(StatusCode::BAD_GATEWAY);
        }
    };
    let Some(refresh_token) = answer.refresh_token.clone() else {
        return ErrorPage::bad_request(
            "HighLevel's answer is incomplete",
            "HighLevel returned no refresh token, so the connection could not outlive its first day. Start the connection again from your app.",
        );
    };
    let (kind, locations) = match app.user_type {
        UserType::Location => match &answer.location_id {
            Some(loc) => (KIND_LOCATION, vec![loc.clone()]),
            None => {
                return ErrorPage::bad_request(
                    "HighLevel's answer names no sub-account",
                    "The sign-in returned a token without a location. Choose one sub-account on HighLevel's page, then try again.",
                );
            }
        },
        UserType::Company => {
            let company = answer.company_id.clone().unwrap_or_default();
            match client::installed_locations(&s.http, app, &answer.access_token, &company).await {
                Ok(list) if !list.is_empty() => (
                    KIND_COMPANY,
                    list.into_iter()
                        .map(|(id, _)| id)
                        .take(MAX_LOCATIONS)
                        .collect(),
                ),
                Ok(_) => {
                    return ErrorPage::bad_request(
                        "The app is installed in no sub-account",
                        "HighLevel says this agency has not installed the app in any sub-account. Choose at least one sub-account on HighLevel's page, then try again.",
                    );
                }
                Err(Refused::Said(reason) | Refused::Unavailable(reason)) => {
                    return ErrorPage {
                        title: "Could not list the agency's sub-accounts".into(),
                        message: format!(
                            "HighLevel did not list where the app is installed ({reason}). Try again in a minute; the app needs the oauth.readonly and oauth.write scopes."
                        ),
                    }
                    .respond(StatusCode::BAD_GATEWAY);
                }
            }
        }
    };
    let secret = HlSecret {
        access_token: answer.access_token.clone(),
        refresh_token,
        expires_at_ms: now_ms().saturating_add(answer.expires_in.saturating_mul(1000)),
        company_id: answer.company_id.clone(),
        location_id: answer.location_id.clone(),
        broken: None,
    };
    let plain = serde_json::to_vec(&secret).unwrap_or_default();
    let expires = Some(secret.expires_at_ms / 1000);
    match finish(&s, &client, &pending, locations, kind, &plain, expires).await {
        Ok(resp) => {
            let mut resp = resp;
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{COOKIE}=; Path={CALLBACK_PATH}; Max-Age=0; HttpOnly; SameSite=Lax"
            )) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(message) => ErrorPage {
            title: "Could not save this connection".into(),
            message,
        }
        .respond(StatusCode::INTERNAL_SERVER_ERROR),
    }
}
