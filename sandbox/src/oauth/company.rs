//! The agency endpoints, which take a Company access token: `POST /oauth/locationToken`
//! (get-location-access-token: a Location token for one sub-account where the app is installed)
//! and `GET /oauth/installedLocations` (get-installed-location). Both need `Version: 2021-07-28`.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::token::INSTALLER_USER_ID;
use super::{Subject, field};
use crate::SandboxState;
use crate::error::ApiError;
use crate::extract::Params;

type Pairs = Vec<(String, String)>;

const VERSION: &str = "2021-07-28";

/// The Company token's install index and company, or HighLevel's 401/400.
fn company_bearer(st: &SandboxState, headers: &HeaderMap) -> Result<(usize, String), ApiError> {
    if st.inner.config.oauth.is_none() {
        return Err(ApiError::not_found(
            "the sandbox has no marketplace app configured (SandboxConfig::oauth is None)",
        ));
    }
    match headers.get("version").and_then(|v| v.to_str().ok()) {
        Some(v) if v.trim() == VERSION => {}
        _ => {
            return Err(ApiError::bad_request(format!(
                "Version header is missing or wrong: send `Version: {VERSION}` with this endpoint"
            )));
        }
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(s, _)| s.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .unwrap_or("");
    let book = st.inner.oauth.lock();
    let (install, subject) = book
        .live_access(token)
        .map_err(|why| ApiError::unauthorized(format!("Invalid JWT: {why}")))?;
    if *subject != Subject::Company {
        return Err(ApiError::unauthorized(
            "This route needs an agency (Company) access token; a Location token cannot use it",
        ));
    }
    let index = book.access[token].install;
    Ok((index, install.company_id.clone()))
}

/// `POST /oauth/locationToken`.
pub(crate) async fn location_token(
    State(st): State<SandboxState>,
    headers: HeaderMap,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let (install, company_id) = match company_bearer(&st, &headers) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let Ok(Form(pairs)) = form else {
        return ApiError::bad_request(
            "send companyId and locationId form-encoded (Content-Type: application/x-www-form-urlencoded)",
        )
        .into_response();
    };
    let mut missing = Vec::new();
    for name in ["companyId", "locationId"] {
        if field(&pairs, name).is_none() {
            missing.push(format!("{name} should not be empty"));
        }
    }
    if !missing.is_empty() {
        return ApiError::unprocessable(missing).into_response();
    }
    let (asked_company, location) = (
        field(&pairs, "companyId").unwrap_or(""),
        field(&pairs, "locationId").unwrap_or(""),
    );
    if asked_company != company_id {
        return ApiError::bad_request(
            "companyId does not match the agency of this token: send the companyId the token answer named",
        )
        .into_response();
    }
    let in_agency = st
        .read()
        .location(location)
        .is_some_and(|l| l["companyId"] == company_id.as_str());
    if !in_agency {
        return ApiError::bad_request(format!(
            "Location {location:?} is not a sub-account of this agency"
        ))
        .into_response();
    }
    let Some(app) = st.inner.config.oauth.as_ref() else {
        return ApiError::not_found("no marketplace app").into_response();
    };
    let mut book = st.inner.oauth.lock();
    if !book.installs[install]
        .locations
        .iter()
        .any(|l| l == location)
    {
        return ApiError::bad_request(format!(
            "The app is not installed in location {location:?}: the agency did not choose it on the chooser"
        ))
        .into_response();
    }
    let token = book.new_access(
        install,
        Subject::Location(location.to_owned()),
        app.access_ttl,
    );
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": app.access_ttl.as_secs(),
            "scope": app.scope,
            "locationId": location,
            "userId": INSTALLER_USER_ID,
            "appId": app.app_id(),
        })),
    )
        .into_response()
}

/// `GET /oauth/installedLocations`: the agency's locations with `isInstalled`; `companyId` and
/// `appId` are required; `isInstalled`, `query`, `skip` and `limit` filter and page.
pub(crate) async fn installed_locations(
    State(st): State<SandboxState>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    let (install, company_id) = match company_bearer(&st, &headers) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let run = || -> Result<Response, ApiError> {
        let asked_company = params.require("companyId")?;
        let app_id = params.require("appId")?;
        let app = st
            .inner
            .config
            .oauth
            .as_ref()
            .ok_or_else(|| ApiError::not_found("no marketplace app"))?;
        if asked_company != company_id {
            return Err(ApiError::bad_request(
                "companyId does not match the agency of this token",
            ));
        }
        if app_id != app.app_id() {
            return Err(ApiError::bad_request(
                "appId is not this app's id (the part of the client id before the first `-`)",
            ));
        }
        let only = params.one_of("isInstalled", &["true", "false"])?;
        let skip = params.count("skip", 0, 0, 10_000)?;
        let limit = params.count("limit", 20, 1, 500)?;
        let needle = params.get("query").map(str::to_lowercase);
        let installed = st.inner.oauth.lock().installs[install].locations.clone();
        let all: Vec<_> = st
            .read()
            .locations
            .iter()
            .filter(|l| l["companyId"] == company_id.as_str())
            .map(|l| {
                let id = l["id"].as_str().unwrap_or("");
                json!({
                    "_id": id,
                    "name": l["name"],
                    "address": l["address"],
                    "isInstalled": installed.iter().any(|i| i == id),
                })
            })
            .filter(|l| {
                only.is_none_or(|o| (o == "true") == l["isInstalled"].as_bool().unwrap_or(false))
            })
            .filter(|l| {
                needle
                    .as_ref()
                    .is_none_or(|n| l["name"].as_str().unwrap_or("").to_lowercase().contains(n))
            })
            .collect();
        let count = all.len();
        let page: Vec<_> = all.into_iter().skip(skip).take(limit).collect();
        Ok((
            StatusCode::OK,
            axum::Json(
                json!({ "locations": page, "count": count, "installToFutureLocations": false }),
            ),
        )
            .into_response())
    };
    run().unwrap_or_else(IntoResponse::into_response)
}
