//! Who a client is: a dynamically registered client from the store, or a Client ID Metadata
//! Document fetched from the https URL that is its client id; plus the two rules every request
//! of a client obeys: exact redirect-URI matching (loopback ports excepted, RFC 8252 §7.3) and
//! client authentication at the token and revocation endpoints.

use base64::Engine;
use url::Url;

use crate::AuthServer;
use crate::crypto::{same, token_hash};
use crate::error::OAuthError;

/// How a client was registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// RFC 7591 dynamic registration with this server: its name is self-asserted.
    Registered,
    /// A metadata document at its client id URL: its name is vouched for by that domain.
    MetadataDocument,
}

/// A client as the endpoints see it.
#[derive(Debug, Clone)]
pub struct Client {
    /// Its id.
    pub client_id: String,
    /// Its display name.
    pub name: String,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// `none`, `client_secret_post` or `client_secret_basic`.
    pub auth_method: String,
    /// Hash of the secret for confidential clients.
    pub secret_hash: Option<String>,
    /// Registration kind.
    pub kind: ClientKind,
}

/// Why a client could not be resolved (shown on the error page, never redirected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownClient(pub String);

impl AuthServer {
    /// Resolves a client id: an https URL is a metadata document, anything else a registration.
    pub async fn client(&self, client_id: &str) -> Result<Client, UnknownClient> {
        if client_id.starts_with("https://") || client_id.starts_with("http://") {
            return crate::cimd::resolve(self, client_id).await;
        }
        match self.store.client(client_id).await {
            Ok(Some(c)) => Ok(Client {
                client_id: c.client_id,
                name: c.client_name,
                redirect_uris: c.redirect_uris,
                auth_method: c.auth_method,
                secret_hash: c.secret_hash,
                kind: ClientKind::Registered,
            }),
            Ok(None) => Err(UnknownClient(format!(
                "This server does not know the client `{}`. Remove the connector in your app and add it again so it registers afresh.",
                shorten(client_id)
            ))),
            Err(e) => {
                tracing::error!(error = %e, "grant store failed while looking up a client");
                Err(UnknownClient(
                    "The server could not look up this client (see its log). Try again later."
                        .into(),
                ))
            }
        }
    }
}

/// Cuts long values shown on pages and in errors.
pub fn shorten(s: &str) -> String {
    if s.chars().count() <= 120 {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(120).collect::<String>())
    }
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether `given` is one of `registered`: exact string equality, except that an `http`
/// loopback redirect (127.0.0.1, [::1], localhost) matches on any port (RFC 8252 §7.3: native
/// apps take an ephemeral port at run time).
pub fn redirect_matches(registered: &[String], given: &str) -> bool {
    if registered.iter().any(|r| r == given) {
        return true;
    }
    let Ok(g) = Url::parse(given) else {
        return false;
    };
    if g.scheme() != "http" || !is_loopback_host(&g) {
        return false;
    }
    registered.iter().any(|r| {
        Url::parse(r).is_ok_and(|r| {
            r.scheme() == "http"
                && is_loopback_host(&r)
                && r.host() == g.host()
                && r.path() == g.path()
                && r.query() == g.query()
        })
    })
}

/// Checks one redirect URI offered at registration: an absolute URL without a fragment, https,
/// or http on a loopback host, or a private-use scheme of a native app (`com.example.app:/cb`).
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    if uri.len() > 2000 {
        return Err("a redirect URI is longer than 2000 characters".into());
    }
    let url =
        Url::parse(uri).map_err(|e| format!("`{}` is not an absolute URL ({e})", shorten(uri)))?;
    if url.fragment().is_some() {
        return Err(format!(
            "`{}` has a fragment (#...), which redirect URIs must not have",
            shorten(uri)
        ));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(&url) => Ok(()),
        "http" => Err(format!(
            "`{}` uses http on a non-loopback host; use https (http is allowed only for 127.0.0.1, [::1] and localhost)",
            shorten(uri)
        )),
        s if s.contains('.') => Ok(()),
        s => Err(format!(
            "`{}` uses the scheme `{s}`; use https, loopback http, or a reverse-domain private scheme such as com.example.app",
            shorten(uri)
        )),
    }
}

/// Credentials a client presented at /token or /revoke.
#[derive(Debug, Default)]
pub struct Presented {
    /// From the form or the Basic header.
    pub client_id: Option<String>,
    /// From the form or the Basic header.
    pub secret: Option<String>,
}

impl Presented {
    /// Collects `client_id`/`client_secret` from the form and from `Authorization: Basic`.
    pub fn from_request(
        headers: &http::HeaderMap,
        form_id: Option<&str>,
        form_secret: Option<&str>,
    ) -> Result<Self, OAuthError> {
        let mut p = Presented {
            client_id: form_id.map(str::to_owned),
            secret: form_secret.map(str::to_owned),
        };
        if let Some(v) = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            && let Some((scheme, rest)) = v.trim().split_once(' ')
            && scheme.eq_ignore_ascii_case("basic")
        {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    OAuthError::invalid_client(
                        "the Basic Authorization header is not base64 of `client_id:client_secret`",
                    )
                })?;
            let (id, secret) = decoded.split_once(':').ok_or_else(|| {
                OAuthError::invalid_client(
                    "the Basic Authorization header must hold `client_id:client_secret`",
                )
            })?;
            let id = percent_decode(id);
            if p.client_id.as_deref().is_some_and(|f| f != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the form differs from the one in the Authorization header",
                ));
            }
            p.client_id = Some(id);
            p.secret = Some(percent_decode(secret));
        }
        Ok(p)
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

impl AuthServer {
    /// Authenticates the client of a token or revocation request.
    pub async fn authenticate_client(&self, presented: &Presented) -> Result<Client, OAuthError> {
        let id = presented.client_id.as_deref().ok_or_else(|| {
            OAuthError::invalid_client(
                "send client_id (in the form, or with HTTP Basic for confidential clients)",
            )
        })?;
        let client = self
            .client(id)
            .await
            .map_err(|UnknownClient(m)| OAuthError::invalid_client(m))?;
        if let Some(hash) = &client.secret_hash {
            let ok = presented
                .secret
                .as_deref()
                .is_some_and(|s| same(&token_hash(s), hash));
            if !ok {
                return Err(OAuthError::invalid_client(
                    "client authentication failed: send the client_secret this server issued at registration (HTTP Basic or client_secret in the form)",
                ));
            }
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_match_exactly_except_loopback_ports() {
        let reg = vec![
            "https://claude.ai/api/mcp/auth_callback".to_owned(),
            "http://127.0.0.1:33418/callback".to_owned(),
        ];
        assert!(redirect_matches(
            &reg,
            "https://claude.ai/api/mcp/auth_callback"
        ));
        assert!(!redirect_matches(
            &reg,
            "https://claude.ai/api/mcp/auth_callback/"
        ));
        assert!(!redirect_matches(
            &reg,
            "https://evil.example/api/mcp/auth_callback"
        ));
        assert!(redirect_matches(&reg, "http://127.0.0.1:50000/callback"));
        assert!(!redirect_matches(&reg, "http://127.0.0.1:50000/other"));
        assert!(!redirect_matches(&reg, "http://localhost:50000/callback"));
        assert!(!redirect_matches(&reg, "https://127.0.0.1:50000/callback"));
    }

    #[test]
    fn registration_refuses_unsafe_redirects() {
        assert!(
            check_redirect_uri("https://chatgpt.com/connector_platform_oauth_redirect").is_ok()
        );
        assert!(check_redirect_uri("http://localhost:8080/cb").is_ok());
        assert!(check_redirect_uri("com.example.app:/cb").is_ok());
        assert!(check_redirect_uri("http://evil.example/cb").is_err());
        assert!(check_redirect_uri("https://a.example/cb#frag").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert!(check_redirect_uri("/relative").is_err());
    }
}
