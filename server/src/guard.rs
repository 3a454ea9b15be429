//! HTTP guards that run before rmcp: Host and Origin allowlists (DNS-rebinding and cross-site
//! protection, 403) and client credentials (401 with a plain message saying what to send).
//!
//! They run in axum middleware rather than inside rmcp so that a browser page on another origin
//! or a request without credentials never reaches the MCP layer, and so the answer is a plain HTTP
//! status a person can read in a client's error log, not a JSON-RPC error.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use std::sync::Arc;

use crate::handler::App;

/// The Host and Origin allowlists.
#[derive(Debug, Clone)]
pub struct Allowlists {
    /// Allowed `Host` values: `name` (any port) or `name:port`; `*` allows any host.
    pub hosts: Vec<String>,
    /// Allowed `Origin` values: `scheme://host`, `scheme://host:port` or `scheme://host:*`
    /// (`scheme://host` alone matches any port); `*` allows any origin. A request without an
    /// `Origin` header (every non-browser client) always passes.
    pub origins: Vec<String>,
}

impl Default for Allowlists {
    fn default() -> Self {
        Self {
            hosts: default_hosts(),
            origins: default_origins(),
        }
    }
}

/// Loopback host names: what a server bound to 127.0.0.1 is reached by.
pub fn default_hosts() -> Vec<String> {
    ["localhost", "127.0.0.1", "::1"]
        .map(str::to_owned)
        .to_vec()
}

/// Loopback origins on any port, http or https.
pub fn default_origins() -> Vec<String> {
    let mut v = Vec::new();
    for scheme in ["http", "https"] {
        for host in ["localhost", "127.0.0.1", "[::1]"] {
            v.push(format!("{scheme}://{host}:*"));
        }
    }
    v
}

fn plain(status: StatusCode, message: impl Into<String>) -> Response {
    let mut resp = (status, message.into()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// Splits `host[:port]`, handling `[v6]:port`; lower-cases the name and drops brackets.
fn split_authority(s: &str) -> Option<(String, Option<u16>)> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((h.to_ascii_lowercase(), port));
    }
    match s.rsplit_once(':') {
        // A bare IPv6 address has several colons and no port.
        Some((h, _)) if h.contains(':') => Some((s.to_ascii_lowercase(), None)),
        Some((h, p)) => Some((h.to_ascii_lowercase(), Some(p.parse().ok()?))),
        None => Some((s.to_ascii_lowercase(), None)),
    }
}

/// Whether the `Host` header value is allowed.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let Some((name, port)) = split_authority(host) else {
        return false;
    };
    allowed.iter().any(|entry| {
        if entry == "*" {
            return true;
        }
        match split_authority(entry) {
            Some((n, None)) => n == name,
            Some((n, Some(p))) => n == name && port == Some(p),
            None => false,
        }
    })
}

/// Whether the `Origin` header value is allowed.
pub fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    let origin = origin.trim();
    if allowed.iter().any(|a| a == "*") {
        return true;
    }
    if origin == "null" {
        return allowed.iter().any(|a| a == "null");
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let scheme = scheme.to_ascii_lowercase();
    let Some((name, port)) = split_authority(rest.trim_end_matches('/')) else {
        return false;
    };
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => 0,
    };
    let port = port.unwrap_or(default_port);
    allowed.iter().any(|entry| {
        let Some((s, r)) = entry.split_once("://") else {
            return false;
        };
        if !s.eq_ignore_ascii_case(&scheme) {
            return false;
        }
        let r = r.trim_end_matches('/');
        if let Some(h) = r.strip_suffix(":*") {
            return split_authority(h).is_some_and(|(n, _)| n == name);
        }
        match split_authority(r) {
            Some((n, None)) => n == name,
            Some((n, Some(p))) => n == name && p == port,
            None => false,
        }
    })
}

/// Middleware: 403 unless Host and Origin pass the allowlists.
pub async fn check_host_origin(
    State(lists): State<Arc<Allowlists>>,
    req: Request,
    next: Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    match host {
        Some(h) if host_allowed(&h, &lists.hosts) => {}
        Some(h) => {
            tracing::warn!(host = %h, "refused request: Host not in --allowed-hosts");
            return plain(
                StatusCode::FORBIDDEN,
                format!(
                    "Forbidden: Host `{h}` is not allowed. If this server is reached by that name, start it with --allowed-hosts {h} (HIGHLEVEL_MCP_ALLOWED_HOSTS)."
                ),
            );
        }
        None => {
            return plain(StatusCode::BAD_REQUEST, "Bad Request: missing Host header");
        }
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(o, &lists.origins));
        if !ok {
            let shown = origin.to_str().unwrap_or("(not text)").to_owned();
            tracing::warn!(origin = %shown, "refused request: Origin not in --allowed-origins");
            return plain(
                StatusCode::FORBIDDEN,
                format!(
                    "Forbidden: Origin `{shown}` is not allowed. To let a web page at that origin call this server, start it with --allowed-origins {shown} (HIGHLEVEL_MCP_ALLOWED_ORIGINS)."
                ),
            );
        }
    }
    next.run(req).await
}

/// Middleware: resolves the request's [`Grant`](crate::credentials::Grant) through the
/// credentials seam and stores it in the request's extensions for the handler; answers the
/// seam's rejection (usually 401 with a challenge) otherwise.
pub async fn check_credentials(
    State(app): State<Arc<App>>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    match app.resolve_grant(Some(&parts)).await {
        Ok(grant) => {
            parts.extensions.insert(grant);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(rejection) => {
            let mut resp = plain(rejection.status, rejection.message);
            if let Some(challenge) = rejection
                .www_authenticate
                .and_then(|c| http::HeaderValue::from_str(&c).ok())
            {
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, challenge);
            }
            resp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_by_name_and_optional_port() {
        let d = default_hosts();
        assert!(host_allowed("localhost:8080", &d));
        assert!(host_allowed("127.0.0.1", &d));
        assert!(host_allowed("[::1]:9000", &d));
        assert!(!host_allowed("evil.example:8080", &d));
        assert!(!host_allowed("localhost.evil.example", &d));
        let fixed = vec!["mcp.example.com:443".to_owned()];
        assert!(host_allowed("mcp.example.com:443", &fixed));
        assert!(!host_allowed("mcp.example.com:444", &fixed));
        assert!(host_allowed("anything", &["*".to_owned()]));
    }

    #[test]
    fn origins_match_scheme_host_and_port() {
        let d = default_origins();
        assert!(origin_allowed("http://localhost:3000", &d));
        assert!(origin_allowed("https://127.0.0.1", &d));
        assert!(origin_allowed("http://[::1]:5173", &d));
        assert!(!origin_allowed("https://evil.example", &d));
        assert!(!origin_allowed("http://localhost.evil.example", &d));
        assert!(!origin_allowed("null", &d));
        let app = vec!["https://app.example.com".to_owned()];
        assert!(origin_allowed("https://app.example.com", &app));
        assert!(origin_allowed("https://app.example.com:8443", &app));
        assert!(!origin_allowed("http://app.example.com", &app));
        let exact = vec!["https://app.example.com:443".to_owned()];
        assert!(origin_allowed("https://app.example.com", &exact));
        assert!(!origin_allowed("https://app.example.com:8443", &exact));
    }
}
