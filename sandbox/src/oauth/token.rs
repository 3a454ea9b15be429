//! `POST /oauth/token` (get-access-token), form-encoded as HighLevel's oauth.json declares:
//! `client_id`, `client_secret`, `grant_type` (`authorization_code` or `refresh_token`), `code`
//! or `refresh_token`, `user_type` (`Company` or `Location`, default `Location`) and
//! `redirect_uri`.
//!
//! Errors have the OAuth shape `{error, error_description}`: `invalid_request` (400) for a
//! missing field, `invalid_client` (401) for a wrong client id or secret, `invalid_grant` (400)
//! for a code or refresh token that is unknown, used, expired or uninstalled, or asks for the
//! other user type, `unsupported_grant_type` (400) for anything else.

use std::time::Instant;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Book, OAuthApp, Subject, field};
use crate::SandboxState;

type Pairs = Vec<(String, String)>;

/// The sandbox's single staff user who "performed the installation".
pub(crate) const INSTALLER_USER_ID: &str = "sbxAgencyOwnerUser01";

pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// `POST /oauth/token`.
pub(crate) async fn token(
    State(st): State<SandboxState>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let Some(app) = st.inner.config.oauth.as_ref() else {
        return oauth_error(
            StatusCode::NOT_FOUND,
            "invalid_request",
            "the sandbox has no marketplace app configured (SandboxConfig::oauth is None)",
        );
    };
    let Ok(Form(pairs)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send the fields form-encoded (Content-Type: application/x-www-form-urlencoded)",
        );
    };
    let mut book = st.inner.oauth.lock();
    if book.token_endpoint_down {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "statusCode": 503, "message": "Service Unavailable" })),
        )
            .into_response();
    }
    for required in ["client_id", "client_secret", "grant_type"] {
        if field(&pairs, required).is_none() {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("{required} is required"),
            );
        }
    }
    if field(&pairs, "client_id") != Some(app.client_id.as_str())
        || field(&pairs, "client_secret") != Some(app.client_secret.as_str())
    {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "the client id or secret is wrong: copy both from the app's Auth settings",
        );
    }
    let user_type = match field(&pairs, "user_type") {
        None | Some("Location") => Subject::Location(String::new()),
        Some("Company") => Subject::Company,
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "user_type must be Company or Location",
            );
        }
    };
    match field(&pairs, "grant_type") {
        Some("authorization_code") => by_code(app, &mut book, &pairs, &user_type),
        Some("refresh_token") => by_refresh(app, &mut book, &pairs, &user_type),
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ),
    }
}

/// Whether the requested user type fits the install's subject.
fn same_kind(asked: &Subject, held: &Subject) -> bool {
    matches!(
        (asked, held),
        (Subject::Company, Subject::Company) | (Subject::Location(_), Subject::Location(_))
    )
}

fn kind_mismatch(held: &Subject) -> Response {
    invalid_grant(match held {
        Subject::Company => {
            "this grant is an agency install: ask with user_type=Company, then get location tokens at /oauth/locationToken"
        }
        Subject::Location(_) => "this grant is a sub-account install: ask with user_type=Location",
    })
}

fn by_code(app: &OAuthApp, book: &mut Book, pairs: &Pairs, asked: &Subject) -> Response {
    let Some(code) = field(pairs, "code") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code is required with grant_type=authorization_code",
        );
    };
    let redirect_uri = field(pairs, "redirect_uri");
    let Some(entry) = book.codes.get_mut(code) else {
        return invalid_grant("Invalid grant: the authorization code is invalid");
    };
    if entry.used {
        return invalid_grant("Invalid grant: the authorization code was already used");
    }
    if entry.expires <= Instant::now() {
        return invalid_grant("Invalid grant: the authorization code has expired");
    }
    if entry.client_id != app.client_id {
        return invalid_grant("Invalid grant: the code was issued to another client");
    }
    if redirect_uri.is_some_and(|r| r != entry.redirect_uri) {
        return invalid_grant(
            "Invalid grant: redirect_uri differs from the one the code was issued for",
        );
    }
    let install = entry.install;
    let held = book.installs[install].subject.clone();
    if !same_kind(asked, &held) {
        return kind_mismatch(&held);
    }
    if let Some(entry) = book.codes.get_mut(code) {
        entry.used = true;
    }
    issue_pair(app, book, install)
}

fn by_refresh(app: &OAuthApp, book: &mut Book, pairs: &Pairs, asked: &Subject) -> Response {
    let Some(token) = field(pairs, "refresh_token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token is required with grant_type=refresh_token",
        );
    };
    let Some(entry) = book.refresh.get(token) else {
        return invalid_grant("Invalid grant: refresh token is invalid");
    };
    if entry.used {
        return invalid_grant(
            "Invalid grant: refresh token was already used (refresh tokens are single-use)",
        );
    }
    if entry.expires <= Instant::now() {
        return invalid_grant("Invalid grant: refresh token has expired");
    }
    let install = entry.install;
    if book.installs[install].revoked {
        return invalid_grant("Invalid grant: the app was uninstalled from this account");
    }
    let held = book.installs[install].subject.clone();
    if field(pairs, "user_type").is_some() && !same_kind(asked, &held) {
        return kind_mismatch(&held);
    }
    if let Some(entry) = book.refresh.get_mut(token) {
        entry.used = true;
    }
    book.refreshes_served += 1;
    issue_pair(app, book, install)
}

fn issue_pair(app: &OAuthApp, book: &mut Book, install: usize) -> Response {
    let subject = book.installs[install].subject.clone();
    let access = book.new_access(install, subject.clone(), app.access_ttl);
    let refresh = book.new_refresh(install, subject.clone(), app.refresh_ttl);
    let inst = &book.installs[install];
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": app.access_ttl.as_secs(),
        "refresh_token": refresh,
        "scope": app.scope,
        "companyId": inst.company_id,
        "userId": INSTALLER_USER_ID,
    });
    match &subject {
        Subject::Company => {
            body["userType"] = json!("Company");
            body["approvedLocations"] = json!(inst.locations);
            body["isBulkInstallation"] = json!(inst.locations.len() > 1);
        }
        Subject::Location(id) => {
            body["userType"] = json!("Location");
            body["locationId"] = Value::String(id.clone());
        }
    }
    (StatusCode::OK, axum::Json(body)).into_response()
}
