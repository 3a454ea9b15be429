//! The "Sign in with HighLevel" part of `serve --auth oauth`: the marketplace app's flags, the
//! app the embedded sandbox emulates when they are given with `--sandbox`, and the per-location
//! token source a marketplace grant's calls use (the `oauth` crate does the HighLevel work).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;
use clap::{Args, ValueEnum};
use futures::future::BoxFuture;
use oauth::AuthServer;
use oauth::highlevel::{HighLevelApp, UserType};

use super::{AuthMode, read_trimmed};
use crate::credentials::{LocationTokens, Secret};

/// The marketplace app's flags (part of `serve`'s OAuth flags).
#[derive(Debug, Clone, Args)]
pub struct HighLevelArgs {
    /// Client id of your HighLevel marketplace app: the connect page then offers "Sign in with
    /// HighLevel" (register <public url>/oauth/highlevel/callback as the app's redirect URL).
    #[arg(long, env = "HIGHLEVEL_MCP_HL_CLIENT_ID", value_name = "ID")]
    pub highlevel_client_id: Option<String>,

    /// File with the marketplace app's client secret (or put the secret itself in
    /// HIGHLEVEL_MCP_HL_CLIENT_SECRET).
    #[arg(long, env = "HIGHLEVEL_MCP_HL_CLIENT_SECRET_FILE", value_name = "PATH")]
    pub highlevel_client_secret_file: Option<PathBuf>,

    /// Which token the app asks for: `company` (agency: the person picks sub-accounts, each
    /// call gets a location token) or `location` (one sub-account).
    #[arg(long, env = "HIGHLEVEL_MCP_HL_USER_TYPE", value_enum, default_value_t = HlUserType::Company)]
    pub highlevel_user_type: HlUserType,

    /// Where HighLevel's location chooser lives. With --sandbox the sandbox serves it.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_HL_PAGES_URL",
        default_value = oauth::highlevel::DEFAULT_PAGES_BASE,
        value_name = "URL"
    )]
    pub highlevel_pages_url: String,

    /// Refresh HighLevel's tokens this many seconds before they expire (they live about a day).
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_HL_REFRESH_MARGIN_SECS",
        default_value_t = 300,
        value_name = "SECS"
    )]
    pub highlevel_refresh_margin_secs: u64,

    /// Tests only: the lifetime of the access tokens the embedded sandbox's HighLevel OAuth
    /// issues (default: HighLevel's 86399 s), to force expiries.
    #[arg(
        long,
        env = "HIGHLEVEL_MCP_SANDBOX_OAUTH_ACCESS_TTL_SECS",
        hide = true,
        value_name = "SECS"
    )]
    pub sandbox_oauth_access_ttl_secs: Option<u64>,
}

/// `--highlevel-user-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum HlUserType {
    /// An agency (Company) token.
    #[default]
    Company,
    /// A sub-account (Location) token.
    Location,
}

impl HighLevelArgs {
    /// The marketplace app's client id and secret, when "Sign in with HighLevel" is configured.
    fn highlevel_credentials(&self) -> anyhow::Result<Option<(String, String)>> {
        let Some(id) = self
            .highlevel_client_id
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
        else {
            return Ok(None);
        };
        let secret = match &self.highlevel_client_secret_file {
            Some(p) => read_trimmed(p, "HighLevel client secret")?,
            None => std::env::var("HIGHLEVEL_MCP_HL_CLIENT_SECRET")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        };
        if secret.is_empty() {
            bail!(
                "--highlevel-client-id needs the app's client secret too: --highlevel-client-secret-file PATH or HIGHLEVEL_MCP_HL_CLIENT_SECRET (Marketplace → your app → Advanced settings → Auth)"
            );
        }
        Ok(Some((id.to_owned(), secret)))
    }

    /// The marketplace app the embedded sandbox should emulate (`serve --sandbox --auth oauth`
    /// with a client id): the same id and secret, so the sign-in works end to end offline.
    pub fn sandbox_app(&self, auth: AuthMode) -> anyhow::Result<Option<sandbox::OAuthApp>> {
        if auth != AuthMode::Oauth {
            return Ok(None);
        }
        Ok(self.highlevel_credentials()?.map(|(id, secret)| {
            let mut app = sandbox::OAuthApp::for_tests();
            app.client_id = id;
            app.client_secret = secret;
            if let Some(secs) = self.sandbox_oauth_access_ttl_secs {
                app.access_ttl = std::time::Duration::from_secs(secs.max(1));
            }
            app
        }))
    }
}

/// Per-location HighLevel tokens of one marketplace grant, from the authorization server.
#[derive(Debug)]
pub(super) struct HlTokens {
    server: Arc<AuthServer>,
    grant_id: String,
}

impl HlTokens {
    pub(super) fn new(server: Arc<AuthServer>, grant_id: String) -> Self {
        Self { server, grant_id }
    }
}

impl LocationTokens for HlTokens {
    fn token_for<'a>(&'a self, location: Option<&'a str>) -> BoxFuture<'a, Result<Secret, String>> {
        Box::pin(async move {
            let token = self
                .server
                .highlevel_token(&self.grant_id, location)
                .await
                .map_err(|e| e.to_string())?;
            Secret::new(&token)
                .ok_or_else(|| "HighLevel returned an empty token; try again".to_owned())
        })
    }
}

impl HighLevelArgs {
    /// The app for the authorization server, when configured: token calls go to `api_base`
    /// (the server's upstream), the chooser to `--highlevel-pages-url`, or with the sandbox to
    /// the sandbox, which serves both.
    pub fn app(&self, api_base: &str, sandbox: bool) -> anyhow::Result<Option<HighLevelApp>> {
        let Some((id, secret)) = self.highlevel_credentials()? else {
            return Ok(None);
        };
        let user_type = match self.highlevel_user_type {
            HlUserType::Company => UserType::Company,
            HlUserType::Location => UserType::Location,
        };
        let mut hl = HighLevelApp::new(&id, &secret, user_type).map_err(anyhow::Error::msg)?;
        hl.api_base = api_base.trim_end_matches('/').to_owned();
        hl.refresh_margin = std::time::Duration::from_secs(self.highlevel_refresh_margin_secs);
        hl.pages_base = if sandbox {
            hl.api_base.clone()
        } else {
            self.highlevel_pages_url.trim_end_matches('/').to_owned()
        };
        tracing::info!(
            client_id = %hl.client_id,
            user_type = user_type.as_str(),
            chooser = %hl.pages_base,
            "Sign in with HighLevel is on; the app's redirect URL must be <public url>/oauth/highlevel/callback"
        );
        Ok(Some(hl))
    }
}
