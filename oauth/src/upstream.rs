//! The check a pasted HighLevel token passes before anything is stored: one cheap read of each
//! chosen location (`GET /locations/{id}`) with that token, against HighLevel or the sandbox.

use std::time::Duration;

/// Why a token was not accepted; each says what to do, none repeats the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenCheckError {
    /// HighLevel refused the token (401/403).
    #[error(
        "HighLevel did not accept this token for location {location} (HTTP {status}). Check that you copied the whole Private Integration Token, that it belongs to this sub-account, and that it has the locations.readonly scope."
    )]
    Refused {
        /// The location tried.
        location: String,
        /// HTTP status.
        status: u16,
    },
    /// The location does not exist (or the token cannot see it).
    #[error(
        "HighLevel has no location {location} that this token can read (HTTP {status}). Check the location id (Settings → Business Profile in HighLevel)."
    )]
    NoSuchLocation {
        /// The location tried.
        location: String,
        /// HTTP status.
        status: u16,
    },
    /// HighLevel could not be reached or answered oddly.
    #[error("could not check the token with HighLevel ({0}); try again in a minute")]
    Unavailable(String),
}

/// Checks `token` against each of `locations` at `base_url`.
pub async fn check_token(
    http: &reqwest::Client,
    base_url: &str,
    token: &str,
    locations: &[String],
    timeout: Duration,
) -> Result<(), TokenCheckError> {
    for location in locations {
        let url = format!("{}/locations/{location}", base_url.trim_end_matches('/'));
        let resp = http
            .get(&url)
            .bearer_auth(token)
            .header("Version", "2021-07-28")
            .header("Accept", "application/json")
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| {
                TokenCheckError::Unavailable(if e.is_timeout() {
                    "timed out".to_owned()
                } else {
                    "connection failed".to_owned()
                })
            })?;
        let status = resp.status().as_u16();
        match status {
            200..=299 => {}
            401 | 403 => {
                return Err(TokenCheckError::Refused {
                    location: location.clone(),
                    status,
                });
            }
            400 | 404 | 422 => {
                return Err(TokenCheckError::NoSuchLocation {
                    location: location.clone(),
                    status,
                });
            }
            _ => return Err(TokenCheckError::Unavailable(format!("HTTP {status}"))),
        }
    }
    Ok(())
}
