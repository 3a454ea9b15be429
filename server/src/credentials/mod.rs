//! The credentials seam: one answer to "which HighLevel token, which locations, and who" for a
//! request, whatever the mode.
//!
//! [`Credentials::resolve`] reads the request parts (or nothing, over stdio) and returns a
//! [`Grant`] or a [`Rejection`]. The HTTP guard calls it once per request and stores the grant in
//! the request's extensions; the handler reads it back from there (rmcp hands it the request
//! parts), so the rule for each mode lives here and nowhere else. Modes:
//!
//! * [`Credentials::Forward`] (header mode, what HighLevel's hosted server does): the client's own
//!   `Authorization: Bearer <PIT>` goes upstream, its `locationId` header picks the location;
//! * [`Credentials::ServerHeld`]: one token held by the server, optionally behind an API key;
//! * [`Credentials::External`]: any [`GrantSource`], such as OAuth grants in a store.
//!
//! Adding a mode means one new [`GrantSource`] implementation (or variant) and its CLI flag.

mod secret;

use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;
use http::StatusCode;
use http::request::Parts;

pub use secret::{Secret, bearer};

/// Which location ids a request may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locations {
    /// Used when a tool call names no location.
    pub default: Option<String>,
    /// The only location ids allowed; `None` allows any (header and server-held modes, where
    /// HighLevel itself decides what the token may reach).
    pub allowed: Option<Vec<String>>,
}

impl Locations {
    /// Whether a call naming `location` explicitly may go ahead; the error lists the allowed ids.
    pub fn admit(&self, location: &str) -> Result<(), String> {
        match &self.allowed {
            Some(allowed) if !allowed.iter().any(|a| a == location) => Err(format!(
                "location `{}` is not one this connection may use; allowed: {}",
                runtime::suggest::clip(location, 64),
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => Ok(()),
        }
    }
}

/// Per-location HighLevel tokens of a grant whose token depends on the location and changes
/// over time (HighLevel marketplace OAuth: refreshed, and for agencies one token per location).
pub trait LocationTokens: Send + Sync + fmt::Debug {
    /// The token for a call in `location` (`None`: a call outside any location); the error is a
    /// message for the tool result, saying what to do.
    fn token_for<'a>(&'a self, location: Option<&'a str>) -> BoxFuture<'a, Result<Secret, String>>;
}

/// What one request may use upstream.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The HighLevel bearer sent upstream (for grants with [`Grant::tokens`], the last one known;
    /// ask [`Grant::token_for`] instead).
    pub token: Secret,
    /// Where per-location tokens come from, for grants that have them.
    pub tokens: Option<Arc<dyn LocationTokens>>,
    /// The locations this request may use.
    pub locations: Locations,
    /// Who is calling, safe to log: `header:<fingerprint>`, `server`, `api-key`, `oauth:<id>`.
    pub principal: String,
}

impl Grant {
    /// The token to send for a call in `location`.
    pub async fn token_for(&self, location: Option<&str>) -> Result<Secret, String> {
        match &self.tokens {
            Some(source) => source.token_for(location).await,
            None => Ok(self.token.clone()),
        }
    }

    /// Narrows a grant that carries no location list of its own (header and server-held modes)
    /// to the server's list (`--location-id a,b,c`): the grant may then use only those, and its
    /// default (the `locationId` header, else the server's first id) must be one of them. A grant
    /// with its own list (OAuth) is left as it is.
    pub fn within(mut self, server: Option<&[String]>) -> Result<Grant, Rejection> {
        let Some(list) = server else {
            return Ok(self);
        };
        if self.locations.allowed.is_some() {
            return Ok(self);
        }
        self.locations.allowed = Some(list.to_vec());
        if let Some(default) = &self.locations.default
            && let Err(m) = self.locations.admit(default)
        {
            return Err(Rejection {
                status: StatusCode::FORBIDDEN,
                message: format!("Forbidden: the `locationId` header is refused: {m}"),
                www_authenticate: None,
            });
        }
        Ok(self)
    }
}

/// Why a request gets no grant: an HTTP status, a plain message saying what to send, and the
/// `WWW-Authenticate` challenge to go with a 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Usually 401.
    pub status: StatusCode,
    /// What was wrong and how to fix it; never contains a secret.
    pub message: String,
    /// The `WWW-Authenticate` header value, when there is one.
    pub www_authenticate: Option<String>,
}

impl Rejection {
    /// A 401 with the server's plain bearer challenge.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            message: message.into(),
            www_authenticate: Some("Bearer realm=\"highlevel-mcp\"".to_owned()),
        }
    }
}

/// A pluggable source of grants (OAuth and whatever comes next).
pub trait GrantSource: Send + Sync + fmt::Debug {
    /// The grant for a request, from its parts (`None` over stdio).
    fn resolve<'a>(
        &'a self,
        parts: Option<&'a Parts>,
        default_location: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Grant, Rejection>>;

    /// A few words for the start-up log line.
    fn label(&self) -> &'static str;
}

/// How the server obtains the HighLevel token for a call.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// Header mode: forward each HTTP client's own `Authorization: Bearer` token upstream.
    Forward,
    /// Server-held mode: one token for every call.
    ServerHeld {
        /// The HighLevel token sent upstream.
        token: Secret,
        /// When set, HTTP clients must present this key (`Authorization: Bearer` or `X-API-Key`).
        api_key: Option<Secret>,
    },
    /// Grants from elsewhere (OAuth).
    External(Arc<dyn GrantSource>),
}

/// The `locationId` header, when the call came over HTTP with one.
pub fn header_location(parts: Option<&Parts>) -> Option<&str> {
    parts?
        .headers
        .get("locationid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn client_bearer(parts: Option<&Parts>) -> Option<&str> {
    parts?
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
}

impl Credentials {
    /// The grant for a request (`parts` is `None` over stdio). `default_location` is the server's
    /// `--location-id`; a `locationId` header takes precedence over it.
    pub async fn resolve(
        &self,
        parts: Option<&Parts>,
        default_location: Option<&str>,
    ) -> Result<Grant, Rejection> {
        let default = header_location(parts)
            .or(default_location)
            .map(str::to_owned);
        match self {
            Credentials::Forward => {
                let Some(token) = client_bearer(parts).and_then(Secret::new) else {
                    return Err(Rejection::unauthorized(if parts.is_some() {
                        "Unauthorized: send your HighLevel Private Integration Token as `Authorization: Bearer <token>` (and optionally a `locationId` header). This server forwards it to HighLevel only."
                    } else {
                        "no HighLevel token for this call: this transport carries no headers, so start the server with HIGHLEVEL_TOKEN or --token-file"
                    }));
                };
                let principal = format!("header:{}", token.fingerprint());
                Ok(Grant {
                    token,
                    tokens: None,
                    locations: Locations {
                        default,
                        allowed: None,
                    },
                    principal,
                })
            }
            Credentials::ServerHeld { token, api_key } => {
                let principal = match (api_key, parts) {
                    (Some(key), Some(p)) => {
                        let presented = client_bearer(Some(p)).or_else(|| {
                            p.headers
                                .get("x-api-key")
                                .and_then(|v| v.to_str().ok())
                                .map(str::trim)
                        });
                        if !presented.is_some_and(|p| key.matches(p)) {
                            return Err(Rejection::unauthorized(
                                "Unauthorized: this server requires its API key: send `Authorization: Bearer <server API key>` or `X-API-Key: <server API key>` (the key in the server's --api-key-file, not a HighLevel token).",
                            ));
                        }
                        "api-key"
                    }
                    _ => "server",
                };
                Ok(Grant {
                    token: token.clone(),
                    tokens: None,
                    locations: Locations {
                        default,
                        allowed: None,
                    },
                    principal: principal.to_owned(),
                })
            }
            Credentials::External(source) => source.resolve(parts, default_location).await,
        }
    }

    /// What the start-up log says about the mode.
    pub fn label(&self) -> &'static str {
        match self {
            Credentials::Forward => "header (clients send their own bearer)",
            Credentials::ServerHeld { api_key: None, .. } => "server-held token",
            Credentials::ServerHeld {
                api_key: Some(_), ..
            } => "server-held token, clients need the API key",
            Credentials::External(source) => source.label(),
        }
    }

    /// Whether anyone who reaches the port acts with the server's own token.
    pub fn is_open_server_token(&self) -> bool {
        matches!(self, Credentials::ServerHeld { api_key: None, .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder().uri("/mcp");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).expect("request").into_parts().0
    }

    #[tokio::test]
    async fn header_mode_takes_the_clients_bearer_and_location() {
        let p = parts(&[("authorization", "Bearer pit-abc"), ("locationId", "loc-1")]);
        let g = Credentials::Forward
            .resolve(Some(&p), Some("loc-default"))
            .await
            .expect("grant");
        assert_eq!(g.token.expose(), "pit-abc");
        assert_eq!(g.locations.default.as_deref(), Some("loc-1"));
        assert!(g.principal.starts_with("header:"));
        assert!(!g.principal.contains("pit-abc"));
        let none = Credentials::Forward.resolve(Some(&parts(&[])), None).await;
        assert_eq!(
            none.expect_err("no bearer").status,
            StatusCode::UNAUTHORIZED
        );
        assert!(Credentials::Forward.resolve(None, None).await.is_err());
    }

    #[tokio::test]
    async fn server_held_mode_checks_the_api_key_only_when_set() {
        let token = Secret::new("pit-server").expect("token");
        let open = Credentials::ServerHeld {
            token: token.clone(),
            api_key: None,
        };
        let g = open
            .resolve(Some(&parts(&[])), Some("loc"))
            .await
            .expect("grant");
        assert_eq!(g.token.expose(), "pit-server");
        assert_eq!(g.locations.default.as_deref(), Some("loc"));
        let keyed = Credentials::ServerHeld {
            token,
            api_key: Secret::new("k-1"),
        };
        assert!(keyed.resolve(Some(&parts(&[])), None).await.is_err());
        assert!(
            keyed
                .resolve(Some(&parts(&[("x-api-key", "k-2")])), None)
                .await
                .is_err()
        );
        let g = keyed
            .resolve(Some(&parts(&[("x-api-key", "k-1")])), None)
            .await
            .expect("grant");
        assert_eq!(g.principal, "api-key");
        // stdio has no headers and no key to present: the server's own token serves it.
        assert!(keyed.resolve(None, None).await.is_ok());
    }

    #[tokio::test]
    async fn a_server_list_narrows_header_and_server_held_grants() {
        let list = vec!["a".to_owned(), "b".to_owned()];
        let held = server_held_open();
        let g = held
            .resolve(None, Some("a"))
            .await
            .and_then(|g| g.within(Some(&list)))
            .expect("grant");
        assert_eq!(g.locations.allowed.as_deref(), Some(&list[..]));
        assert_eq!(g.locations.default.as_deref(), Some("a"));
        let header_b = parts(&[("locationId", "b")]);
        let g = held
            .resolve(Some(&header_b), Some("a"))
            .await
            .and_then(|g| g.within(Some(&list)))
            .expect("b is listed");
        assert_eq!(g.locations.default.as_deref(), Some("b"));
        let header_c = parts(&[("locationId", "c"), ("authorization", "Bearer pit-x")]);
        for creds in [&held, &Credentials::Forward] {
            let refused = creds
                .resolve(Some(&header_c), Some("a"))
                .await
                .and_then(|g| g.within(Some(&list)))
                .expect_err("c is not listed");
            assert_eq!(refused.status, StatusCode::FORBIDDEN);
            assert!(refused.message.contains("`a`, `b`"), "{}", refused.message);
        }
        // Without a server list nothing changes; a grant with its own list keeps it.
        let g = held.resolve(Some(&header_c), None).await.expect("grant");
        assert!(
            g.clone()
                .within(None)
                .expect("open")
                .locations
                .allowed
                .is_none()
        );
        let own = Grant {
            locations: Locations {
                default: Some("x".into()),
                allowed: Some(vec!["x".into()]),
            },
            ..g
        };
        let kept = own.within(Some(&list)).expect("kept");
        assert_eq!(kept.locations.allowed, Some(vec!["x".to_owned()]));
    }

    fn server_held_open() -> Credentials {
        Credentials::ServerHeld {
            token: Secret::new("pit-server").expect("token"),
            api_key: None,
        }
    }

    #[test]
    fn locations_admit_only_allowed_ids() {
        let any = Locations::default();
        assert!(any.admit("x").is_ok());
        let some = Locations {
            default: Some("a".into()),
            allowed: Some(vec!["a".into(), "b".into()]),
        };
        assert!(some.admit("b").is_ok());
        let err = some.admit("c").expect_err("refused");
        assert!(err.contains("`a`, `b`"), "{err}");
    }
}
