//! HighLevel's marketplace OAuth, emulated: the location chooser, `/oauth/token`,
//! `/oauth/locationToken` and `/oauth/installedLocations`, and the bearer check API calls pass
//! when emulation is on ([`SandboxConfig::oauth`](crate::SandboxConfig::oauth)).
//!
//! What it keeps ([`Book`]): authorization codes (single use, ten minutes), installs (what a
//! person approved on the chooser: the agency with some of its locations, or one location),
//! access tokens with their expiry, and refresh tokens, which are single use and rotate as
//! HighLevel's do: each refresh answers a new pair and the old refresh token is refused with
//! `invalid_grant` from then on. Tokens are random strings with a recognisable prefix
//! (`sbxat-`, `sbxrt-`); bearers without that prefix keep the sandbox's any-token behaviour, so
//! Private Integration Token tests run unchanged beside OAuth ones.

mod bearer;
mod chooser;
mod company;
mod token;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};

use crate::SandboxState;
use crate::util::Rng;

pub(crate) use bearer::admit;

/// A marketplace app registered with the sandbox: what `/oauth/token` checks the client against.
#[derive(Debug, Clone)]
pub struct OAuthApp {
    /// The app's client id. HighLevel's client ids are `<appId>-<suffix>`; so is the default.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// Redirect URIs the chooser accepts; empty accepts any (as a development app would).
    pub redirect_uris: Vec<String>,
    /// How long an access token lives (HighLevel: about a day).
    pub access_ttl: Duration,
    /// How long an unused refresh token lives (HighLevel: about a year).
    pub refresh_ttl: Duration,
    /// The scopes granted, space-separated, echoed in token answers.
    pub scope: String,
}

impl OAuthApp {
    /// An app with HighLevel's lifetimes (access 86399 s, refresh 365 days), any redirect URI,
    /// client id [`OAuthApp::TEST_CLIENT_ID`] and secret [`OAuthApp::TEST_CLIENT_SECRET`].
    pub fn for_tests() -> Self {
        OAuthApp {
            client_id: Self::TEST_CLIENT_ID.to_owned(),
            client_secret: Self::TEST_CLIENT_SECRET.to_owned(),
            redirect_uris: Vec::new(),
            access_ttl: Duration::from_secs(86_399),
            refresh_ttl: Duration::from_secs(365 * 86_400),
            scope: "contacts.readonly contacts.write opportunities.readonly locations.readonly oauth.readonly oauth.write".to_owned(),
        }
    }

    /// The default test client id: app id `sbxMarketplaceApp001` and a suffix.
    pub const TEST_CLIENT_ID: &'static str = "sbxMarketplaceApp001-sbxclient";
    /// The default test client secret.
    pub const TEST_CLIENT_SECRET: &'static str = "sbx-marketplace-app-secret";

    /// The app id: the client id up to its first `-`.
    pub fn app_id(&self) -> &str {
        self.client_id
            .split_once('-')
            .map_or(self.client_id.as_str(), |(a, _)| a)
    }
}

/// Who a token or code speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    /// The agency (HighLevel's `Company` user type).
    Company,
    /// One sub-account.
    Location(String),
}

/// What a person approved on the chooser.
#[derive(Debug, Clone)]
pub(crate) struct Install {
    pub(crate) company_id: String,
    /// Agency installs: the locations chosen; location installs: that one location.
    pub(crate) locations: Vec<String>,
    pub(crate) subject: Subject,
    /// Set when the app is uninstalled ([`crate::SandboxState::revoke_oauth_installs`]).
    pub(crate) revoked: bool,
}

pub(crate) struct Code {
    pub(crate) install: usize,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) expires: Instant,
    pub(crate) used: bool,
}

pub(crate) struct Issued {
    pub(crate) install: usize,
    pub(crate) subject: Subject,
    pub(crate) expires: Instant,
    /// Refresh tokens only: set once exchanged.
    pub(crate) used: bool,
}

/// Every OAuth fact the sandbox holds (behind one lock in the shared state).
pub(crate) struct Book {
    rng: Rng,
    pub(crate) installs: Vec<Install>,
    pub(crate) codes: HashMap<String, Code>,
    pub(crate) access: HashMap<String, Issued>,
    pub(crate) refresh: HashMap<String, Issued>,
    /// Refresh grants answered with a new pair.
    pub(crate) refreshes_served: u64,
    /// While set, `/oauth/token` answers 503 (a test knob for "token endpoint down").
    pub(crate) token_endpoint_down: bool,
}

/// Authorization codes live this long.
const CODE_TTL: Duration = Duration::from_secs(600);

impl Book {
    pub(crate) fn new(seed: u64) -> Self {
        // Tokens need not be secret in an emulator, but they must differ between runs so a
        // token from one sandbox never works in another.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Book {
            rng: Rng::new(seed ^ nanos ^ 0x0A07_4B00),
            installs: Vec::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            refreshes_served: 0,
            token_endpoint_down: false,
        }
    }

    fn random(&mut self, prefix: &str) -> String {
        format!("{prefix}{}{}", self.rng.id20(), self.rng.id20())
    }

    /// Records an approval and returns its authorization code.
    pub(crate) fn new_code(
        &mut self,
        install: Install,
        client_id: &str,
        redirect_uri: &str,
    ) -> String {
        self.installs.push(install);
        let code = self.random("sbxcode-");
        self.codes.insert(
            code.clone(),
            Code {
                install: self.installs.len() - 1,
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                expires: Instant::now() + CODE_TTL,
                used: false,
            },
        );
        code
    }

    /// A new access token for `subject` of `install`, living `ttl`.
    pub(crate) fn new_access(&mut self, install: usize, subject: Subject, ttl: Duration) -> String {
        let token = self.random(ACCESS_PREFIX);
        self.access.insert(
            token.clone(),
            Issued {
                install,
                subject,
                expires: Instant::now() + ttl,
                used: false,
            },
        );
        token
    }

    /// A new refresh token for `subject` of `install`, living `ttl`.
    pub(crate) fn new_refresh(
        &mut self,
        install: usize,
        subject: Subject,
        ttl: Duration,
    ) -> String {
        let token = self.random(REFRESH_PREFIX);
        self.refresh.insert(
            token.clone(),
            Issued {
                install,
                subject,
                expires: Instant::now() + ttl,
                used: false,
            },
        );
        token
    }

    /// The live access token `token`: its install and subject, or why it is not live.
    pub(crate) fn live_access(&self, token: &str) -> Result<(&Install, &Subject), &'static str> {
        let issued = self
            .access
            .get(token)
            .ok_or("this access token was never issued by this sandbox")?;
        if issued.expires <= Instant::now() {
            return Err("the access token has expired; refresh it at POST /oauth/token");
        }
        let install = &self.installs[issued.install];
        if install.revoked {
            return Err("the app was uninstalled; the user must approve it again");
        }
        Ok((install, &issued.subject))
    }
}

pub(crate) const ACCESS_PREFIX: &str = "sbxat-";
pub(crate) const REFRESH_PREFIX: &str = "sbxrt-";

/// True for bearers shaped like the emulator's own OAuth tokens; only those are checked.
pub(crate) fn is_oauth_shaped(token: &str) -> bool {
    token.starts_with(ACCESS_PREFIX)
        || token.starts_with(REFRESH_PREFIX)
        || token.starts_with("sbxcode-")
}

/// The OAuth routes. They sit outside the API guard: the chooser is a browser page and
/// `/oauth/token` takes no bearer; the agency endpoints check their own bearer and `Version`.
pub(crate) fn routes(state: SandboxState) -> Router {
    Router::new()
        .route(
            "/oauth/chooselocation",
            get(chooser::show).post(chooser::decide),
        )
        .route("/oauth/token", post(token::token))
        .route("/oauth/locationToken", post(company::location_token))
        .route(
            "/oauth/installedLocations",
            get(company::installed_locations),
        )
        .with_state(state)
}

/// `application/x-www-form-urlencoded` escaping of one value.
pub(crate) fn form_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The first value of `name` in decoded form pairs, if not empty.
pub(crate) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}
