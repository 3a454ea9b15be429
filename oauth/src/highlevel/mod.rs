//! "Sign in with HighLevel": grants backed by HighLevel marketplace OAuth instead of a pasted
//! Private Integration Token.
//!
//! When the operator configures a marketplace app ([`HighLevelApp`]), the connect page offers a
//! button that sends the person to HighLevel's location chooser ([`connect`]); the callback
//! exchanges HighLevel's code at `/oauth/token` (form-encoded) and stores HighLevel's access and
//! refresh tokens sealed in the grant ([`HlSecret`], kinds `hl-location` and `hl-company`). Per
//! call, [`crate::AuthServer::highlevel_token`] answers a token for one location ([`lifecycle`]):
//! it refreshes ahead of expiry once per expiry (single-flight in the process, compare-and-swap
//! in the store across replicas) and, for agency grants, obtains and caches location tokens.

pub mod client;
pub mod connect;
pub mod lifecycle;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The grant kind of a sub-account (Location) token.
pub const KIND_LOCATION: &str = "hl-location";
/// The grant kind of an agency (Company) token.
pub const KIND_COMPANY: &str = "hl-company";

/// Which token a marketplace app asks HighLevel for: it follows the app's distribution type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserType {
    /// An agency token; location tokens are obtained from it per sub-account.
    Company,
    /// One sub-account's token.
    Location,
}

impl UserType {
    /// HighLevel's spelling (`user_type` form field).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Company => "Company",
            Self::Location => "Location",
        }
    }
}

/// The operator's HighLevel marketplace app.
#[derive(Clone)]
pub struct HighLevelApp {
    /// The app's client id (`<appId>-<suffix>`).
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// The app id, for `/oauth/installedLocations` (by default the client id before its `-`).
    pub app_id: String,
    /// Company (agency) or Location tokens.
    pub user_type: UserType,
    /// Scopes asked for on the chooser, space-separated (they must be enabled on the app).
    pub scope: String,
    /// Where the chooser lives: `https://marketplace.gohighlevel.com` (or the sandbox).
    pub pages_base: String,
    /// Where `/oauth/*` and the API live: `https://services.leadconnectorhq.com` (or the sandbox).
    pub api_base: String,
    /// Refresh a token this long before it expires.
    pub refresh_margin: Duration,
}

impl fmt::Debug for HighLevelApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HighLevelApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("app_id", &self.app_id)
            .field("user_type", &self.user_type)
            .field("pages_base", &self.pages_base)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// HighLevel's real hosts.
pub const DEFAULT_PAGES_BASE: &str = "https://marketplace.gohighlevel.com";
/// HighLevel's API host.
pub const DEFAULT_API_BASE: &str = "https://services.leadconnectorhq.com";
/// Scopes asked for by default: what the default tools read and write, plus the agency scopes
/// that turn a Company token into location tokens.
pub const DEFAULT_SCOPE: &str = "contacts.readonly contacts.write opportunities.readonly opportunities.write conversations.readonly conversations.write calendars.readonly calendars/events.readonly locations.readonly locations/customFields.readonly oauth.readonly oauth.write";

impl HighLevelApp {
    /// An app on HighLevel's real hosts; the app id is taken from the client id.
    pub fn new(client_id: &str, client_secret: &str, user_type: UserType) -> Result<Self, String> {
        let client_id = client_id.trim();
        let client_secret = client_secret.trim();
        if client_id.is_empty() || client_secret.is_empty() {
            return Err("a HighLevel marketplace app needs both a client id and a client secret (Marketplace → your app → Advanced settings → Auth)".into());
        }
        Ok(Self {
            app_id: client_id
                .split_once('-')
                .map_or(client_id, |(a, _)| a)
                .to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            user_type,
            scope: DEFAULT_SCOPE.to_owned(),
            pages_base: DEFAULT_PAGES_BASE.to_owned(),
            api_base: DEFAULT_API_BASE.to_owned(),
            refresh_margin: Duration::from_secs(300),
        })
    }
}

/// What a HighLevel grant seals: the current token pair and whose it is. Never logged.
#[derive(Clone, Serialize, Deserialize)]
pub struct HlSecret {
    /// The current access token (Company or Location).
    pub access_token: String,
    /// The current refresh token (single-use).
    pub refresh_token: String,
    /// When the access token expires, Unix milliseconds.
    pub expires_at_ms: i64,
    /// The agency.
    #[serde(default)]
    pub company_id: Option<String>,
    /// The sub-account, for Location grants.
    #[serde(default)]
    pub location_id: Option<String>,
    /// Set when HighLevel refused a refresh: the grant needs the user to connect again.
    #[serde(default)]
    pub broken: Option<String>,
}

impl fmt::Debug for HlSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HlSecret")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("company_id", &self.company_id)
            .field("location_id", &self.location_id)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

/// Why no HighLevel token could be had for a call; each says what to do and holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HlError {
    /// HighLevel refused the grant's refresh token (revoked, uninstalled, expired).
    #[error(
        "HighLevel no longer accepts this connection ({0}). Reconnect: in your MCP client, disconnect this server and connect it again, then choose \"Sign in with HighLevel\" on the connect page."
    )]
    NeedsReconnect(String),
    /// HighLevel's token endpoint could not be reached or failed; nothing was lost.
    #[error(
        "HighLevel's token service is unavailable ({0}); the connection is kept. Try again in a minute."
    )]
    Unavailable(String),
    /// HighLevel would not issue a token for this location.
    #[error("HighLevel refused a token for location `{location}`: {reason}")]
    Location {
        /// The location asked for.
        location: String,
        /// HighLevel's reason.
        reason: String,
    },
    /// The grant store failed.
    #[error("the grant store failed ({0}); try again shortly")]
    Store(String),
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
