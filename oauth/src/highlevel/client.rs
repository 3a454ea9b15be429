//! The four calls to HighLevel's OAuth service, each bounded in time (the server's upstream
//! timeout) and in size (answers over 64 KiB are refused): the code exchange and the refresh at
//! `/oauth/token` (form-encoded, as HighLevel's oauth.json declares), `/oauth/locationToken` and
//! `/oauth/installedLocations`. Tokens travel only in bodies and headers, never in messages.

use serde_json::Value;

use super::HighLevelApp;

const MAX_ANSWER: usize = 64 * 1024;
/// The `Version` the agency endpoints require.
const VERSION: &str = "2021-07-28";

/// Why a call got no token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// HighLevel answered and said no (a 4xx): the code, refresh token or request is bad.
    Said(String),
    /// HighLevel could not be reached, timed out, or failed (5xx, odd answer).
    Unavailable(String),
}

/// A token answer, in HighLevel's names.
#[derive(Debug, Clone)]
pub struct TokenAnswer {
    /// The access token.
    pub access_token: String,
    /// The refresh token (absent from location-token answers).
    pub refresh_token: Option<String>,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// `Company` or `Location`.
    pub user_type: Option<String>,
    /// The agency.
    pub company_id: Option<String>,
    /// The sub-account of a Location token.
    pub location_id: Option<String>,
}

async fn read(resp: reqwest::Response) -> Result<(u16, Value), Refused> {
    let status = resp.status().as_u16();
    let mut resp = resp;
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| {
        Refused::Unavailable(if e.is_timeout() {
            "timed out".into()
        } else {
            "the answer broke off".into()
        })
    })? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER {
            return Err(Refused::Unavailable("the answer is too large".into()));
        }
    }
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Ok((status, json))
}

fn sent(e: &reqwest::Error) -> Refused {
    Refused::Unavailable(if e.is_timeout() {
        "timed out".into()
    } else {
        "could not connect".into()
    })
}

/// HighLevel's reason in a 4xx body (`error_description`, `message` or `error`), clipped.
fn reason(status: u16, body: &Value) -> String {
    let text = ["error_description", "message", "error"]
        .iter()
        .find_map(|k| match &body[*k] {
            Value::String(s) => Some(s.clone()),
            Value::Array(a) => Some(
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            _ => None,
        })
        .unwrap_or_else(|| "no reason given".into());
    let clipped: String = text.chars().take(200).collect();
    format!("HTTP {status}: {clipped}")
}

fn judge(status: u16, body: &Value) -> Result<(), Refused> {
    match status {
        200..=299 => Ok(()),
        400..=499 if status != 408 && status != 429 => Err(Refused::Said(reason(status, body))),
        _ => Err(Refused::Unavailable(format!("HTTP {status}"))),
    }
}

fn answer(body: &Value) -> Result<TokenAnswer, Refused> {
    let text = |k: &str| {
        body[k]
            .as_str()
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
    };
    let access_token = text("access_token")
        .ok_or_else(|| Refused::Unavailable("the answer has no access_token".into()))?;
    Ok(TokenAnswer {
        access_token,
        refresh_token: text("refresh_token"),
        expires_in: body["expires_in"].as_f64().map_or(0, |n| n as i64),
        user_type: text("userType"),
        company_id: text("companyId"),
        location_id: text("locationId"),
    })
}

/// `POST /oauth/token` with `fields` after the client's id and secret.
pub async fn token(
    http: &reqwest::Client,
    app: &HighLevelApp,
    fields: &[(&str, &str)],
) -> Result<TokenAnswer, Refused> {
    let mut form = vec![
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.as_str()),
    ];
    form.extend_from_slice(fields);
    let resp = http
        .post(format!("{}/oauth/token", app.api_base))
        .header("Accept", "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| sent(&e))?;
    let (status, body) = read(resp).await?;
    judge(status, &body)?;
    answer(&body)
}

/// `POST /oauth/locationToken`: a Location token for `location` from a Company token.
pub async fn location_token(
    http: &reqwest::Client,
    app: &HighLevelApp,
    company_token: &str,
    company_id: &str,
    location: &str,
) -> Result<TokenAnswer, Refused> {
    let resp = http
        .post(format!("{}/oauth/locationToken", app.api_base))
        .bearer_auth(company_token)
        .header("Version", VERSION)
        .header("Accept", "application/json")
        .form(&[("companyId", company_id), ("locationId", location)])
        .send()
        .await
        .map_err(|e| sent(&e))?;
    let (status, body) = read(resp).await?;
    judge(status, &body)?;
    answer(&body)
}

/// `GET /oauth/installedLocations?isInstalled=true`: (id, name) of the agency's sub-accounts
/// where the app is installed (first 100).
pub async fn installed_locations(
    http: &reqwest::Client,
    app: &HighLevelApp,
    company_token: &str,
    company_id: &str,
) -> Result<Vec<(String, String)>, Refused> {
    let mut url = url::Url::parse(&format!("{}/oauth/installedLocations", app.api_base))
        .map_err(|_| Refused::Unavailable("the HighLevel API base is not a URL".into()))?;
    url.query_pairs_mut()
        .append_pair("companyId", company_id)
        .append_pair("appId", &app.app_id)
        .append_pair("isInstalled", "true")
        .append_pair("limit", "100");
    let resp = http
        .get(url)
        .bearer_auth(company_token)
        .header("Version", VERSION)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| sent(&e))?;
    let (status, body) = read(resp).await?;
    judge(status, &body)?;
    Ok(body["locations"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|l| l["isInstalled"].as_bool() != Some(false))
                .filter_map(|l| {
                    Some((
                        l["_id"].as_str()?.to_owned(),
                        l["name"].as_str().unwrap_or("").to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default())
}
