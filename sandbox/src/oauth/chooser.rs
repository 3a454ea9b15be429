//! `GET /oauth/chooselocation`: the page where a person installs the marketplace app, either
//! for the agency (with the sub-accounts to install it in) or for one sub-account; and the form
//! it posts back, which redirects to the app's `redirect_uri` with a `code` and the `state`, or
//! with `error=access_denied` when the person cancels.
//!
//! Problems with the request itself (an unknown client, a redirect URI the app did not
//! register) are shown on the page and never redirected, as an authorization server must not
//! send a browser to an address it cannot vouch for.

use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::{Install, OAuthApp, Subject, field, form_escape};
use crate::SandboxState;

type Pairs = Vec<(String, String)>;

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>",
        title = html_escape(title)
    );
    (status, Html(html)).into_response()
}

fn problem(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "This app cannot be installed",
        &format!("<p id=\"error\">{}</p>", html_escape(message)),
    )
}

/// Text safe inside HTML elements and double-quoted attributes.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The checked request: the app and where it wants the browser sent back.
struct Checked<'a> {
    app: &'a OAuthApp,
    redirect_uri: String,
}

/// The request's checks; the error is the message the page shows.
fn check<'a>(st: &'a SandboxState, pairs: &[(String, String)]) -> Result<Checked<'a>, String> {
    let Some(app) = st.inner.config.oauth.as_ref() else {
        return Err("The sandbox has no marketplace app configured (SandboxConfig::oauth is None), so there is nothing to install.".into());
    };
    if field(pairs, "response_type") != Some("code") {
        return Err("response_type must be `code` (the authorization code flow is the only one HighLevel offers).".into());
    }
    match field(pairs, "client_id") {
        None => return Err("client_id is missing: add the app's client id.".into()),
        Some(id) if id != app.client_id => {
            return Err("No marketplace app has this client_id: copy the client id from the app's Auth settings.".into());
        }
        Some(_) => {}
    }
    let Some(redirect_uri) = field(pairs, "redirect_uri") else {
        return Err(
            "redirect_uri is missing: add the callback URL registered with the app.".into(),
        );
    };
    if !(redirect_uri.starts_with("http://") || redirect_uri.starts_with("https://")) {
        return Err("redirect_uri must be an http(s) URL.".into());
    }
    if !app.redirect_uris.is_empty() && !app.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err("This redirect_uri is not registered with the app: add it under the app's redirect URLs, exactly as sent.".into());
    }
    Ok(Checked {
        app,
        redirect_uri: redirect_uri.to_owned(),
    })
}

/// The agency's locations: (id, name), in seed order.
fn agency_locations(st: &SandboxState) -> Vec<(String, String)> {
    st.read()
        .locations
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap_or("").to_owned(),
                l["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// `GET /oauth/chooselocation`.
pub(crate) async fn show(State(st): State<SandboxState>, Query(pairs): Query<Pairs>) -> Response {
    let checked = match check(&st, &pairs) {
        Ok(c) => c,
        Err(message) => return problem(&message),
    };
    let hidden = [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
    ]
    .iter()
    .filter_map(|k| field(&pairs, k).map(|v| (*k, v)))
    .map(|(k, v)| {
        format!(
            "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
            html_escape(v)
        )
    })
    .collect::<String>();
    let locations = agency_locations(&st);
    let mut targets = String::from(
        "<p><label><input type=\"radio\" name=\"target\" value=\"agency\" id=\"target-agency\" checked> \
         The agency (choose its sub-accounts below)</label></p>",
    );
    let mut boxes = String::new();
    for (id, name) in &locations {
        let (id, name) = (html_escape(id), html_escape(name));
        targets.push_str(&format!(
            "<p><label><input type=\"radio\" name=\"target\" value=\"{id}\" id=\"target-{id}\"> \
             Only the sub-account {name}</label></p>"
        ));
        boxes.push_str(&format!(
            "<p><label><input type=\"checkbox\" name=\"locations\" value=\"{id}\" id=\"loc-{id}\" checked> \
             {name} <code>{id}</code></label></p>"
        ));
    }
    let body = format!(
        "<p>The app <code>{app}</code> asks to access <code>{scope}</code> and will return to \
         <code>{back}</code>.</p>\
         <form method=\"post\" action=\"/oauth/chooselocation\">{hidden}\
         <fieldset><legend>Install for</legend>{targets}</fieldset>\
         <fieldset><legend>Sub-accounts (agency installs)</legend>{boxes}</fieldset>\
         <button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Install</button> \
         <button type=\"submit\" name=\"decision\" value=\"cancel\" id=\"cancel\">Cancel</button>\
         </form>",
        app = html_escape(&checked.app.client_id),
        scope = html_escape(field(&pairs, "scope").unwrap_or(&checked.app.scope)),
        back = html_escape(&checked.redirect_uri),
    );
    page(StatusCode::OK, "Choose where to install", &body)
}

fn redirect(to: &str, params: &[(&str, &str)]) -> Response {
    let mut url = to.to_owned();
    for (i, (k, v)) in params.iter().enumerate() {
        let sep = if i == 0 && !to.contains('?') {
            '?'
        } else {
            '&'
        };
        url.push(sep);
        url.push_str(k);
        url.push('=');
        url.push_str(&form_escape(v));
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response()
}

/// `POST /oauth/chooselocation`: the person's decision.
pub(crate) async fn decide(State(st): State<SandboxState>, Form(pairs): Form<Pairs>) -> Response {
    let checked = match check(&st, &pairs) {
        Ok(c) => c,
        Err(message) => return problem(&message),
    };
    let state = field(&pairs, "state");
    let with_state = |mut params: Vec<(&'static str, String)>| {
        if let Some(s) = state {
            params.push(("state", s.to_owned()));
        }
        params
    };
    if field(&pairs, "decision") != Some("approve") {
        let params = with_state(vec![
            ("error", "access_denied".to_owned()),
            (
                "error_description",
                "The user cancelled the installation".to_owned(),
            ),
        ]);
        let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        return redirect(&checked.redirect_uri, &refs);
    }
    let known = agency_locations(&st);
    let company_id = st
        .read()
        .locations
        .first()
        .and_then(|l| l["companyId"].as_str())
        .unwrap_or("")
        .to_owned();
    let is_known = |id: &str| known.iter().any(|(k, _)| k == id);
    let install = match field(&pairs, "target") {
        Some("agency") | None => {
            let chosen: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| k == "locations")
                .map(|(_, v)| v.trim().to_owned())
                .collect();
            if chosen.is_empty() {
                return problem(
                    "Choose at least one sub-account to install the app in, or install it for one sub-account only.",
                );
            }
            if let Some(bad) = chosen.iter().find(|id| !is_known(id)) {
                return problem(&format!("{bad} is not a sub-account of this agency."));
            }
            Install {
                company_id,
                locations: chosen,
                subject: Subject::Company,
                revoked: false,
            }
        }
        Some(id) if is_known(id) => Install {
            company_id,
            locations: vec![id.to_owned()],
            subject: Subject::Location(id.to_owned()),
            revoked: false,
        },
        Some(other) => {
            return problem(&format!("{other} is not a sub-account of this agency."));
        }
    };
    let code =
        st.inner
            .oauth
            .lock()
            .new_code(install, &checked.app.client_id, &checked.redirect_uri);
    let params = with_state(vec![("code", code)]);
    let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    redirect(&checked.redirect_uri, &refs)
}
