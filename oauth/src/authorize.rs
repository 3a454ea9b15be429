//! `/authorize`: the connect page (GET) and the decision (POST).
//!
//! GET checks the client and its redirect URI first: when either is wrong the person gets an
//! error page and no redirect (nothing here may send a browser to an unchecked URL). Every later
//! error goes back to the client's redirect URI with the RFC 6749 code. The validated request is
//! sealed with the store key into the form (so any replica can take the POST and nothing has to
//! be kept between the two), together with a CSRF value that must also come back in a
//! `SameSite=Strict`, `HttpOnly` cookie.
//!
//! POST checks the CSRF pair, the operator's gate (passphrase or invite code), the locations and
//! the pasted token (with HighLevel), then stores the grant with the token sealed and redirects
//! back with a one-time code.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::clients::{Client, ClientKind, UnknownClient, redirect_matches, shorten};
use crate::crypto::{b64, new_id, new_token, random_bytes, same, token_hash, unb64};
use crate::error::ErrorPage;
use crate::store::{CodeRecord, GrantRecord};
use crate::upstream::check_token;
use crate::{AuthServer, SCOPE_TOOLS, SCOPES_SUPPORTED, now, secs};

const CSRF_COOKIE: &str = "hlmcp_csrf";
const SEAL_CONTEXT: &[u8] = b"authorize-request";
/// How long a connect page stays valid.
const PAGE_TTL: i64 = 900;
const MAX_LOCATIONS: usize = 20;

/// The validated authorization request, sealed into the form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    code_challenge: String,
    scope: String,
    resource: String,
    pub(crate) csrf: String,
    exp: i64,
}

/// The pending request sealed into a connect page (or into HighLevel's `state`), if it opens
/// with the store key and has not expired.
pub(crate) fn open_pending(s: &AuthServer, sealed: &str) -> Option<Pending> {
    unb64(sealed)
        .and_then(|b| s.key.open(&b, SEAL_CONTEXT))
        .and_then(|b| serde_json::from_slice::<Pending>(&b).ok())
        .filter(|p| p.exp >= now())
}

/// The client a pending request came from, still registered with the same redirect URI; else
/// the page that says the app is no longer known (a sign-in can outlive a client's record).
pub(crate) async fn requesting_client(
    s: &AuthServer,
    pending: &Pending,
) -> Result<Client, Response> {
    match s.client(&pending.client_id).await {
        Ok(c) if redirect_matches(&c.redirect_uris, &pending.redirect_uri) => Ok(c),
        Ok(_) | Err(_) => Err(ErrorPage::bad_request(
            "Unknown app",
            "The app that asked for this connection is no longer known to this server.",
        )),
    }
}

#[derive(Template)]
#[template(path = "connect.html")]
struct ConnectPage<'a> {
    client_name: &'a str,
    client_note: &'a str,
    client_id: String,
    redirect_host: String,
    upstream_host: String,
    resource: &'a str,
    request: &'a str,
    error: Option<String>,
    gate_passphrase: bool,
    gate_invite: bool,
    locations: &'a str,
    highlevel_signin: bool,
}

fn params(raw: Option<&str>) -> Result<Vec<(String, String)>, String> {
    let raw = raw.unwrap_or("");
    if raw.len() > 8192 {
        return Err("the authorization request is longer than 8 KiB".into());
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(other, _)| other == k) {
            return Err(format!("the parameter `{k}` appears more than once"));
        }
    }
    Ok(pairs)
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The client's redirect URI with the given parameters appended (plus `state` and `iss`).
pub(crate) fn redirect_to(
    s: &AuthServer,
    redirect_uri: &str,
    state: Option<&str>,
    extra: &[(&str, &str)],
) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return ErrorPage::bad_request(
            "Cannot return to the app",
            "The app's redirect address is not a URL.",
        );
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        if let Some(st) = state {
            q.append_pair("state", st);
        }
        q.append_pair("iss", s.issuer());
    }
    let mut resp = Redirect::to(url.as_str()).into_response();
    // Redirect::to answers 303; that is what a POST needs and fine for a GET.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "hlmcp_csrf=; Path=/authorize; Max-Age=0; HttpOnly; SameSite=Strict",
        ),
    );
    resp
}

pub(crate) fn redirect_error(
    s: &AuthServer,
    redirect_uri: &str,
    state: Option<&str>,
    code: &str,
    description: &str,
) -> Response {
    redirect_to(
        s,
        redirect_uri,
        state,
        &[("error", code), ("error_description", description)],
    )
}

/// Where the page's form may submit and be redirected to: this server and the client's
/// redirect origin (or private scheme).
fn form_action(redirect_uri: &str) -> String {
    match Url::parse(redirect_uri) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            format!("'self' {}", u.origin().ascii_serialization())
        }
        Ok(u) => format!("'self' {}:", u.scheme()),
        Err(_) => "'self'".into(),
    }
}

fn redirect_host(redirect_uri: &str) -> String {
    Url::parse(redirect_uri)
        .ok()
        .map(|u| match u.host_str() {
            Some(h) => match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            },
            None => format!("{}:", u.scheme()),
        })
        .unwrap_or_else(|| "(unknown)".into())
}

/// Checks a requested resource against ours (RFC 8707); absent means ours.
fn check_resource(s: &AuthServer, requested: Option<&str>) -> Result<String, String> {
    let ours = s.resource();
    match requested {
        None => Ok(ours),
        Some(r) if r.trim_end_matches('/') == ours => Ok(ours),
        Some(r) => Err(format!(
            "resource `{}` is not served here; this server's resource is {ours}",
            shorten(r)
        )),
    }
}

/// Checks requested scopes; absent means [`SCOPE_TOOLS`]. Returns the granted scope string.
pub fn check_scope(requested: Option<&str>) -> Result<String, String> {
    let mut granted = vec![SCOPE_TOOLS];
    for sc in requested.unwrap_or("").split_whitespace() {
        if !SCOPES_SUPPORTED.contains(&sc) {
            return Err(format!(
                "scope `{}` is not offered; this server offers {}",
                shorten(sc),
                SCOPES_SUPPORTED.join(" ")
            ));
        }
        if !granted.contains(&sc) {
            granted.push(sc);
        }
    }
    Ok(granted.join(" "))
}

/// `GET /authorize`.
pub async fn show(State(s): State<Arc<AuthServer>>, RawQuery(raw): RawQuery) -> Response {
    if s.limiter
        .take("authorize", s.config.limits.authorize)
        .is_err()
    {
        return ErrorPage {
            title: "Too many requests".into(),
            message: "This server is receiving too many connection requests. Wait a minute and try again.".into(),
        }
        .respond(StatusCode::TOO_MANY_REQUESTS);
    }
    let pairs = match params(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return ErrorPage::bad_request("This connection request is malformed", e),
    };
    let Some(client_id) = get(&pairs, "client_id") else {
        return ErrorPage::bad_request(
            "This connection request names no app",
            "The request has no client_id. Start the connection from your app again.",
        );
    };
    let client = match s.client(client_id).await {
        Ok(c) => c,
        Err(UnknownClient(m)) => return ErrorPage::bad_request("Unknown app", m),
    };
    let redirect_uri = match get(&pairs, "redirect_uri") {
        Some(r) if redirect_matches(&client.redirect_uris, r) => r.to_owned(),
        Some(r) => {
            tracing::warn!(client_id = %shorten(client_id), "authorization refused: redirect_uri not registered");
            return ErrorPage::bad_request(
                "This app's return address is not registered",
                format!(
                    "The request asks to return to `{}`, which {} did not register. Remove and re-add the connector in your app.",
                    shorten(r),
                    client.name
                ),
            );
        }
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return ErrorPage::bad_request(
                "This connection request has no return address",
                "The app registered several redirect URIs, so the request must name one (redirect_uri).",
            );
        }
    };
    let state = get(&pairs, "state");
    if state.is_some_and(|st| st.len() > 2048) {
        return ErrorPage::bad_request(
            "This connection request is malformed",
            "state is longer than 2048 characters",
        );
    }
    // From here on the redirect URI is trusted: errors go back to the app.
    let fail = |code: &str, d: &str| redirect_error(&s, &redirect_uri, state, code, d);
    if get(&pairs, "response_type") != Some("code") {
        return fail("unsupported_response_type", "response_type must be `code`");
    }
    let Some(challenge) = get(&pairs, "code_challenge") else {
        return fail(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        );
    };
    if get(&pairs, "code_challenge_method") != Some("S256") {
        return fail(
            "invalid_request",
            "code_challenge_method must be S256 (plain is not accepted)",
        );
    }
    if challenge.len() != 43 || unb64(challenge).is_none() {
        return fail(
            "invalid_request",
            "code_challenge must be the 43-character base64url SHA-256 of the code verifier",
        );
    }
    let resource = match check_resource(&s, get(&pairs, "resource")) {
        Ok(r) => r,
        Err(e) => return fail("invalid_target", &e),
    };
    let scope = match check_scope(get(&pairs, "scope")) {
        Ok(sc) => sc,
        Err(e) => return fail("invalid_scope", &e),
    };
    let csrf = b64(&random_bytes::<24>());
    let pending = Pending {
        client_id: client.client_id.clone(),
        redirect_uri,
        state: state.map(str::to_owned),
        code_challenge: challenge.to_owned(),
        scope,
        resource,
        csrf: csrf.clone(),
        exp: now() + PAGE_TTL,
    };
    let default_locations = s.config.default_location.clone().unwrap_or_default();
    let mut resp = render(
        &s,
        &client,
        &pending,
        None,
        &default_locations,
        StatusCode::OK,
    );
    let secure = if s.issuer().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{CSRF_COOKIE}={csrf}; Path=/authorize; Max-Age={PAGE_TTL}; HttpOnly; SameSite=Strict{secure}"
    )) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

fn render(
    s: &AuthServer,
    client: &Client,
    pending: &Pending,
    error: Option<String>,
    locations: &str,
    status: StatusCode,
) -> Response {
    let sealed = s.key.seal(
        &serde_json::to_vec(pending).unwrap_or_default(),
        SEAL_CONTEXT,
    );
    let request = b64(&sealed);
    let client_note = match client.kind {
        ClientKind::MetadataDocument => {
            "Its identity is published at its own web address (shown at the bottom of this page)."
        }
        ClientKind::Registered => {
            "It registered itself with this server under this name; the name is not verified, so check the return address below."
        }
    };
    let upstream_host = match Url::parse(&s.config.upstream_base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
    {
        Some(h) if h == "127.0.0.1" || h == "localhost" => {
            "the HighLevel sandbox on this machine (any token works)".to_owned()
        }
        Some(h) if h != "services.leadconnectorhq.com" => h,
        _ => "HighLevel".to_owned(),
    };
    let page = ConnectPage {
        client_name: &client.name,
        client_note,
        client_id: shorten(&client.client_id),
        redirect_host: redirect_host(&pending.redirect_uri),
        upstream_host,
        resource: &pending.resource,
        request: &request,
        error,
        gate_passphrase: s.config.gate.passphrase.is_some(),
        gate_invite: !s.config.gate.invite_codes.is_empty(),
        locations,
        highlevel_signin: s.config.highlevel.is_some(),
    };
    let mut action = form_action(&pending.redirect_uri);
    // "Sign in with HighLevel" posts here and is redirected on to HighLevel's chooser, which
    // the browser checks against form-action too.
    if let Some(origin) = s
        .config
        .highlevel
        .as_ref()
        .and_then(|app| Url::parse(&app.pages_base).ok())
        .map(|u| u.origin().ascii_serialization())
    {
        action.push(' ');
        action.push_str(&origin);
    }
    match page.render() {
        Ok(body) => crate::pages::html_with_form_action(status, body, &action),
        Err(e) => {
            tracing::error!(error = %e, "cannot render the connect page");
            ErrorPage::bad_request(
                "Something went wrong",
                "The connect page could not be shown; see the server log.",
            )
        }
    }
}

/// The consent form.
#[derive(Deserialize)]
pub struct Decision {
    request: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    passphrase: String,
    #[serde(default)]
    pit: String,
    #[serde(default)]
    locations: String,
}

impl std::fmt::Debug for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decision")
            .field("action", &self.action)
            .finish_non_exhaustive()
    }
}

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Splits the locations field: commas or whitespace, duplicates dropped, order kept.
pub fn parse_locations(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for item in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        if item.len() > 64
            || !item
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(format!(
                "`{}` is not a location id (letters, digits, - and _ only)",
                shorten(item)
            ));
        }
        if !out.iter().any(|o| o == item) {
            out.push(item.to_owned());
        }
    }
    if out.is_empty() {
        return Err("Enter at least one location id.".into());
    }
    if out.len() > MAX_LOCATIONS {
        return Err(format!("At most {MAX_LOCATIONS} locations per connection."));
    }
    Ok(out)
}

impl AuthServer {
    fn gate_admits(&self, presented: &str) -> bool {
        let p = presented.trim();
        if p.is_empty() {
            return false;
        }
        // Every candidate is compared (no early exit), so timing says nothing about which one.
        let mut ok = self
            .config
            .gate
            .passphrase
            .as_deref()
            .is_some_and(|pass| same(pass, p));
        for code in &self.config.gate.invite_codes {
            ok |= same(code, p);
        }
        ok
    }
}

/// `POST /authorize`.
pub async fn decide(
    State(s): State<Arc<AuthServer>>,
    headers: HeaderMap,
    Form(form): Form<Decision>,
) -> Response {
    let expired = || {
        ErrorPage {
            title: "This connect page has expired".into(),
            message: "It was open too long or was not made by this server. Start the connection again from your app.".into(),
        }
        .respond(StatusCode::BAD_REQUEST)
    };
    let Some(pending) = open_pending(&s, &form.request) else {
        return expired();
    };
    if !cookie(&headers, CSRF_COOKIE).is_some_and(|c| same(&c, &pending.csrf)) {
        return ErrorPage {
            title: "Could not verify this form".into(),
            message: "The form did not come back with the cookie this page set, so it may not have been sent by you. Allow cookies for this site and start the connection again from your app.".into(),
        }
        .respond(StatusCode::FORBIDDEN);
    }
    let client = match requesting_client(&s, &pending).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let state = pending.state.as_deref();
    if form.action != "connect" && form.action != "highlevel" {
        tracing::info!(client_id = %shorten(&client.client_id), "authorization declined by the user");
        return redirect_error(
            &s,
            &pending.redirect_uri,
            state,
            "access_denied",
            "the user declined the connection",
        );
    }
    let again = |error: String, status: StatusCode| {
        render(&s, &client, &pending, Some(error), &form.locations, status)
    };
    if let Err(wait) = s.limiter.take("consent", s.config.limits.consent) {
        return again(
            format!(
                "Too many attempts. Wait {} seconds and try again.",
                wait.as_secs()
            ),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    if !s.gate_admits(&form.passphrase) {
        tracing::warn!(client_id = %shorten(&client.client_id), "connect page: wrong passphrase or invite code");
        return again(
            "That passphrase or invite code is not right.".into(),
            StatusCode::FORBIDDEN,
        );
    }
    if form.action == "highlevel" {
        return crate::highlevel::connect::start(&s, &form.request, &pending);
    }
    let locations = match parse_locations(&form.locations) {
        Ok(l) => l,
        Err(e) => return again(e, StatusCode::BAD_REQUEST),
    };
    let pit = form.pit.trim();
    if pit.is_empty() || pit.len() > 4096 || pit.chars().any(char::is_whitespace) {
        return again(
            "Paste the whole Private Integration Token (one line, no spaces).".into(),
            StatusCode::BAD_REQUEST,
        );
    }
    if let Err(e) = check_token(
        &s.http,
        &s.config.upstream_base,
        pit,
        &locations,
        s.config.upstream_timeout,
    )
    .await
    {
        tracing::warn!(client_id = %shorten(&client.client_id), reason = %e, "connect page: token check failed");
        return again(e.to_string(), StatusCode::BAD_REQUEST);
    }
    match finish(
        &s,
        &client,
        &pending,
        locations,
        "pit",
        pit.as_bytes(),
        None,
    )
    .await
    {
        Ok(resp) => resp,
        Err(message) => again(message, StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// Stores a grant of `kind` for `locations` (the first is the default) with the upstream
/// secret `plain` sealed to the new grant id, and sends the browser back to the client with a
/// one-time code; the error is the message to show.
pub(crate) async fn finish(
    s: &AuthServer,
    client: &Client,
    pending: &Pending,
    locations: Vec<String>,
    kind: &str,
    plain: &[u8],
    upstream_expires_at: Option<i64>,
) -> Result<Response, String> {
    let grant_id = new_id("g_");
    let grant = GrantRecord {
        id: grant_id.clone(),
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        resource: pending.resource.clone(),
        scope: pending.scope.clone(),
        default_location: locations.first().cloned(),
        locations,
        upstream_kind: kind.into(),
        upstream_secret: s.key.seal(plain, grant_id.as_bytes()),
        created_at: now(),
        revoked_at: None,
        revoked_reason: None,
        upstream_version: 0,
        upstream_expires_at,
    };
    let code = new_token("hlmcp_code_");
    let record = CodeRecord {
        code_hash: token_hash(&code),
        grant_id: grant_id.clone(),
        client_id: client.client_id.clone(),
        redirect_uri: pending.redirect_uri.clone(),
        code_challenge: pending.code_challenge.clone(),
        resource: pending.resource.clone(),
        scope: pending.scope.clone(),
        expires_at: now() + secs(s.config.code_ttl),
        used_at: None,
    };
    let stored = async {
        s.store.put_grant(&grant).await?;
        s.store.put_code(&record).await
    };
    if let Err(e) = stored.await {
        tracing::error!(error = %e, "cannot store the grant");
        return Err("The server could not save this connection (see its log). Try again.".into());
    }
    tracing::info!(grant_id = %grant_id, client_id = %shorten(&client.client_id), kind, locations = grant.locations.len(), "grant created");
    Ok(redirect_to(
        s,
        &pending.redirect_uri,
        pending.state.as_deref(),
        &[("code", &code)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_split_checked_and_deduplicated() {
        assert_eq!(
            parse_locations("a1, b2\nb2 c_3").expect("ok"),
            vec!["a1", "b2", "c_3"]
        );
        assert!(parse_locations("  ").is_err());
        assert!(parse_locations("ok, ../etc").is_err());
    }

    #[test]
    fn scopes_default_to_tools_and_refuse_unknown_ones() {
        assert_eq!(check_scope(None).expect("ok"), "highlevel");
        assert_eq!(
            check_scope(Some("offline_access highlevel")).expect("ok"),
            "highlevel offline_access"
        );
        assert!(check_scope(Some("admin")).is_err());
    }

    #[test]
    fn duplicate_parameters_are_refused() {
        assert!(params(Some("a=1&a=2")).is_err());
        assert_eq!(params(Some("a=1&b=%20")).expect("ok").len(), 2);
    }
}
