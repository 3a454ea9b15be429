//! The upstream client: sends a prepared request to HighLevel (or the sandbox) and reports what
//! happened as an [`Exchange`]; [`outcome::render`] turns that into the tool result.
//!
//! One pooled `reqwest` client serves every call. The bearer token goes only to the configured
//! base URL: the request URL is always `base + path_and_query` (the executor percent-encodes every
//! path argument), redirects are never followed, and the header is marked sensitive. Each call has
//! one deadline (the retry budget, or the per-attempt timeout when that is longer): attempts,
//! backoff and `Retry-After` waits all fit inside it, attempts that time out included. Rate limits
//! (429) are waited out; 5xx answers, timeouts and connection errors are retried only for
//! idempotent methods, because a retried POST could create a second contact. The token is removed
//! from every body before anything reads it ([`redact`]).

pub mod outcome;
pub mod redact;

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use rmcp::model::CallToolResult;
use runtime::{ToolDef, UpstreamRequest};

use crate::credentials::Secret;
pub use outcome::{Exchange, Outcome, render};
use redact::Redactor;

/// How hard to try before giving up on one call.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Total attempts, the first included.
    pub max_attempts: u32,
    /// Wall-clock budget for all attempts and waits of one call; the per-attempt timeout, when
    /// longer, is the call's deadline instead (a first attempt always gets its full timeout).
    pub budget: Duration,
    /// First backoff; doubled after every retry that has no `Retry-After`.
    pub base_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            budget: Duration::from_secs(10),
            base_backoff: Duration::from_millis(250),
        }
    }
}

/// Settings of the upstream client.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// Base URL, e.g. `https://services.leadconnectorhq.com` (no trailing slash needed).
    pub base_url: String,
    /// Timeout of one attempt, connection included.
    pub timeout: Duration,
    /// Largest upstream response body accepted, in bytes.
    pub max_response_bytes: usize,
    /// Retry policy.
    pub retry: RetryPolicy,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            base_url: "https://services.leadconnectorhq.com".to_owned(),
            timeout: Duration::from_secs(30),
            max_response_bytes: 8 * 1024 * 1024,
            retry: RetryPolicy::default(),
        }
    }
}

/// The pooled client plus its settings.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: reqwest::Client,
    base: String,
    config: UpstreamConfig,
}

/// What one call ended with, for the log line.
#[derive(Debug, Clone, Copy)]
pub struct CallStats {
    /// Final upstream HTTP status (0 when no response came back).
    pub status: u16,
    /// Attempts made.
    pub attempts: u32,
}

impl Upstream {
    /// Builds the client; fails when the base URL is not an absolute http(s) URL.
    pub fn new(config: UpstreamConfig) -> Result<Self, String> {
        let shown = display_url(&config.base_url);
        let url = reqwest::Url::parse(&config.base_url).map_err(|e| {
            format!(
                "--upstream `{shown}` is not a URL ({e}); give e.g. https://services.leadconnectorhq.com"
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "--upstream `{shown}` must be an http:// or https:// URL with a host"
            ));
        }
        if url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(format!(
                "--upstream `{shown}` must not carry a query, a fragment or user info (the token travels as a header, never in the URL)"
            ));
        }
        let base = url.as_str().trim_end_matches('/').to_owned();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .user_agent(concat!("highlevel-mcp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            base,
            config,
        })
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Sends `req` for `tool` with `token`, retrying per policy, and builds the tool result
    /// (token redacted everywhere in it).
    pub async fn call(
        &self,
        tool: &ToolDef,
        req: &UpstreamRequest,
        token: &Secret,
    ) -> (CallToolResult, CallStats) {
        let redactor = Redactor::new(token.expose());
        let ex = self.exchange(tool, req, token, &redactor).await;
        let stats = CallStats {
            status: ex.status(),
            attempts: ex.attempts,
        };
        let mut result = render(tool, &ex);
        // Bodies were scrubbed before rendering; this catches fragments HighLevel itself cut.
        for c in &mut result.content {
            if let Some(t) = c.as_text() {
                let clean = redactor.scrub_text(&t.text);
                if clean != t.text {
                    *c = rmcp::model::ContentBlock::text(clean);
                }
            }
        }
        (result, stats)
    }

    /// The absolute URL for `req`, refused when URL parsing would change the path the executor
    /// built: a `.` or `..` segment (also spelled `%2e`) is resolved by every URL parser, so an id
    /// of `..` could otherwise reach another endpoint.
    fn url_for(&self, tool: &ToolDef, req: &UpstreamRequest) -> Result<reqwest::Url, String> {
        let joined = format!("{}{}", self.base, req.path_and_query);
        let refused = || {
            format!(
                "refused to call `{}`: a path argument is `.` or `..` (or an encoding of them), which would change the endpoint; pass the real id",
                tool.name
            )
        };
        let url = reqwest::Url::parse(&joined).map_err(|_| refused())?;
        let built_path = joined[self.base.len()..]
            .split(['?', '#'])
            .next()
            .unwrap_or_default();
        let base_path = self
            .base
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("");
        if url.path() != format!("{base_path}{built_path}") {
            return Err(refused());
        }
        Ok(url)
    }

    /// Runs the attempts of one call inside its deadline and says how it ended.
    pub async fn exchange(
        &self,
        tool: &ToolDef,
        req: &UpstreamRequest,
        token: &Secret,
        redactor: &Redactor,
    ) -> Exchange {
        let started = Instant::now();
        let policy = self.config.retry;
        let deadline = started + policy.budget.max(self.config.timeout);
        let done = |outcome, attempts| Exchange {
            outcome,
            attempts,
            elapsed: started.elapsed(),
        };
        let url = match self.url_for(tool, req) {
            Ok(u) => u,
            Err(what) => return done(Outcome::Refused { what }, 0),
        };
        let idempotent = tool.method.is_idempotent();
        let mut attempt = 0u32;
        let mut backoff = policy.base_backoff;
        loop {
            attempt += 1;
            let more = attempt < policy.max_attempts;
            let left = deadline.saturating_duration_since(Instant::now());
            let per_attempt = self.config.timeout.min(left);
            // Whether a wait of `d` still leaves room for another attempt before the deadline.
            let fits = |d: Duration| Instant::now() + d < deadline;
            let sent = tokio::time::timeout(per_attempt, self.send_once(&url, req, token)).await;
            let resp = match sent {
                Ok(Ok(resp)) => resp,
                Ok(Err(e)) if !e.is_timeout() => {
                    if idempotent && more && fits(backoff) {
                        tracing::debug!(tool = %tool.name, error = %describe_send_error(&e), "upstream unreachable; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = backoff.saturating_mul(2);
                        continue;
                    }
                    let what = describe_send_error(&e);
                    return done(Outcome::Transport { what }, attempt);
                }
                // Timed out: reqwest's own timeout or the deadline's, whichever came first.
                _ => {
                    if idempotent && more && fits(backoff) {
                        tracing::debug!(tool = %tool.name, "upstream timed out; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = backoff.saturating_mul(2);
                        continue;
                    }
                    return done(Outcome::TimedOut { per_attempt }, attempt);
                }
            };
            let status = resp.status().as_u16();
            if status == 429 {
                // A 429 means HighLevel did not process the request, so waiting and resending is
                // safe for every method.
                let retry_after = retry_after(resp.headers());
                let wait = retry_after.unwrap_or(backoff);
                if more && fits(wait) {
                    tracing::debug!(tool = %tool.name, wait_ms = wait.as_millis() as u64, "upstream 429; waiting");
                    tokio::time::sleep(wait).await;
                    backoff = backoff.saturating_mul(2);
                    continue;
                }
                return done(Outcome::RateLimited { retry_after }, attempt);
            }
            if resp.status().is_server_error() && idempotent && more && fits(backoff) {
                tracing::debug!(tool = %tool.name, status, "upstream 5xx; retrying");
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let body = match tokio::time::timeout(left, self.read_body(resp)).await {
                Ok(Ok(body)) => redactor.scrub_bytes(&body).into_owned(),
                Ok(Err(what)) => return done(Outcome::BadBody { status, what }, attempt),
                Err(_) => {
                    let what = format!(
                        "HighLevel's response body did not arrive within the call's {:.1} s deadline",
                        (deadline - started).as_secs_f64()
                    );
                    return done(Outcome::BadBody { status, what }, attempt);
                }
            };
            let outcome = if (200..300).contains(&status) {
                Outcome::Success { status, body }
            } else {
                Outcome::HighLevelError { status, body }
            };
            return done(outcome, attempt);
        }
    }

    async fn send_once(
        &self,
        url: &reqwest::Url,
        req: &UpstreamRequest,
        token: &Secret,
    ) -> Result<reqwest::Response, reqwest::Error> {
        // `path_and_query` always starts with `/` and every argument in it is percent-encoded,
        // so the URL cannot leave the base host.
        let url = url.clone();
        let method =
            reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut headers = HeaderMap::with_capacity(req.headers.len() + 3);
        for (name, value) in &req.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.insert(n, v);
            }
        }
        if let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {}", token.expose())) {
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let mut builder = self.client.request(method, url).headers(headers);
        builder = match (&req.parts, req.encoding) {
            (Some(parts), runtime::BodyEncoding::Form) => builder.form(&form_pairs(parts)),
            (Some(parts), runtime::BodyEncoding::Multipart) => {
                builder.multipart(multipart_form(parts))
            }
            _ => match &req.body {
                Some(body) => builder.json(body),
                None => builder,
            },
        };
        builder.send().await
    }

    /// Reads the body up to the configured limit.
    async fn read_body(&self, mut resp: reqwest::Response) -> Result<Vec<u8>, String> {
        let limit = self.config.max_response_bytes;
        let too_big = || {
            format!(
                "HighLevel's response is larger than {limit} bytes, the server's limit (--max-upstream-bytes); narrow the request, e.g. with a smaller `limit` or more filters"
            )
        };
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_big());
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(too_big());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => {
                    let what = if e.is_timeout() {
                        format!(
                            "no answer within {} ms (--upstream-timeout-ms)",
                            self.config.timeout.as_millis()
                        )
                    } else {
                        describe_send_error(&e)
                    };
                    return Err(format!("HighLevel's response broke off: {what}"));
                }
            }
        }
    }
}

/// `Retry-After` as a delay: delta-seconds only (HighLevel sends seconds); dates fall back to backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

fn describe_send_error(e: &reqwest::Error) -> String {
    // reqwest's Display includes the URL; that carries no secret (the token is a header) but the
    // plain categories read better for a model.
    if e.is_connect() {
        "connection failed".to_owned()
    } else if e.is_body() || e.is_decode() {
        "the response body could not be read".to_owned()
    } else {
        "the request failed before an answer arrived".to_owned()
    }
}

/// A URL for messages and logs, with any user info (`user:password@`) replaced.
pub fn display_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://[redacted]@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// The text fields of a form-urlencoded body ([`runtime::parts`] refuses files there).
fn form_pairs(parts: &[runtime::parts::Part]) -> Vec<(&str, &str)> {
    parts
        .iter()
        .filter_map(|p| match p {
            runtime::parts::Part::Text { name, value } => Some((name.as_str(), value.as_str())),
            runtime::parts::Part::File { .. } => None,
        })
        .collect()
}

/// A multipart body, built afresh for each attempt (a form is consumed by sending it).
fn multipart_form(parts: &[runtime::parts::Part]) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    for p in parts {
        form = match p {
            runtime::parts::Part::Text { name, value } => form.text(name.clone(), value.clone()),
            runtime::parts::Part::File {
                name,
                filename,
                content_type,
                bytes,
            } => {
                let part =
                    reqwest::multipart::Part::bytes(bytes.clone()).file_name(filename.clone());
                // An unparsable type falls back to reqwest's default (octet-stream).
                let part = match part.mime_str(content_type) {
                    Ok(p) => p,
                    Err(_) => {
                        reqwest::multipart::Part::bytes(bytes.clone()).file_name(filename.clone())
                    }
                };
                form.part(name.clone(), part)
            }
        };
    }
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_never_shows_in_printed_urls() {
        assert_eq!(
            display_url("http://user:pw@127.0.0.1:9/x"),
            "http://[redacted]@127.0.0.1:9/x"
        );
        assert_eq!(
            display_url("https://h.example/a@b"),
            "https://h.example/a@b"
        );
        let err = Upstream::new(UpstreamConfig {
            base_url: "http://user:s3cret@127.0.0.1:9".into(),
            ..Default::default()
        })
        .expect_err("refused");
        assert!(!err.contains("s3cret"), "{err}");
    }
}
