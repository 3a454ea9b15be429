//! The upstream client: sends a prepared request to HighLevel (or the sandbox) and turns whatever
//! comes back into a tool result.
//!
//! One pooled `reqwest` client serves every call. The bearer token goes only to the configured
//! base URL: the request URL is always `base + path_and_query` (the executor percent-encodes every
//! path argument), redirects are never followed, and the header is marked sensitive. Rate limits
//! (429) are waited out within a bounded budget; 5xx answers, timeouts and connection errors are
//! retried only for idempotent methods, because a retried POST could create a second contact.

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use rmcp::model::{CallToolResult, ContentBlock as Content};
use runtime::{ToolDef, UpstreamRequest};
use serde_json::Value;

use crate::credentials::Secret;

/// How hard to try before giving up on one call.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Total attempts, the first included.
    pub max_attempts: u32,
    /// Wall-clock budget for all attempts and waits of one call.
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
        let url = reqwest::Url::parse(&config.base_url).map_err(|e| {
            format!(
                "--upstream `{}` is not a URL ({e}); give e.g. https://services.leadconnectorhq.com",
                config.base_url
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "--upstream `{}` must be an http:// or https:// URL with a host",
                config.base_url
            ));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(format!(
                "--upstream `{}` must not carry a query, a fragment or user info",
                config.base_url
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

    /// Sends `req` for `tool` with `token`, retrying per policy, and builds the tool result.
    pub async fn call(
        &self,
        tool: &ToolDef,
        req: &UpstreamRequest,
        token: &Secret,
    ) -> (CallToolResult, CallStats) {
        let outcome = self.send_with_retries(tool, req, token).await;
        let (result, stats) = match outcome {
            Ok((status, body, attempts)) => (
                self.to_result(tool, status, &body, attempts),
                CallStats { status, attempts },
            ),
            Err((message, status, attempts)) => (
                CallToolResult::error(vec![Content::text(message)]),
                CallStats { status, attempts },
            ),
        };
        (scrub_result(result, token), stats)
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

    async fn send_with_retries(
        &self,
        tool: &ToolDef,
        req: &UpstreamRequest,
        token: &Secret,
    ) -> Result<(u16, Vec<u8>, u32), (String, u16, u32)> {
        let url = self.url_for(tool, req).map_err(|m| (m, 0, 0))?;
        let policy = self.config.retry;
        let started = Instant::now();
        let idempotent = tool.method.is_idempotent();
        let mut attempt = 0u32;
        let mut backoff = policy.base_backoff;
        loop {
            attempt += 1;
            let left = policy.max_attempts.saturating_sub(attempt);
            let remaining = policy.budget.saturating_sub(started.elapsed());
            match self.send_once(&url, req, token).await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if status == 429 {
                        // A 429 means HighLevel did not process the request, so waiting and
                        // resending is safe for every method.
                        let wait = retry_after(resp.headers()).unwrap_or(backoff);
                        let remaining = policy.budget.saturating_sub(started.elapsed());
                        if left > 0 && wait <= remaining {
                            tracing::debug!(tool = %tool.name, wait_ms = wait.as_millis() as u64, "upstream 429; waiting");
                            tokio::time::sleep(wait).await;
                            backoff = backoff.saturating_mul(2);
                            continue;
                        }
                        let body = self.read_body(resp).await.unwrap_or_default();
                        let hint = retry_after_text(&body, wait);
                        return Err((
                            format!(
                                "HighLevel rate limit hit (HTTP 429) for `{}`: gave up after {attempt} attempt(s) in {:.1} s. {hint}HighLevel allows about 100 requests per 10 seconds per location; slow down and try again.",
                                tool.name,
                                started.elapsed().as_secs_f64()
                            ),
                            status,
                            attempt,
                        ));
                    }
                    if resp.status().is_server_error() && idempotent && left > 0 {
                        let remaining = policy.budget.saturating_sub(started.elapsed());
                        if backoff <= remaining {
                            tracing::debug!(tool = %tool.name, status, "upstream 5xx; retrying");
                            tokio::time::sleep(backoff).await;
                            backoff = backoff.saturating_mul(2);
                            continue;
                        }
                    }
                    return match self.read_body(resp).await {
                        Ok(body) => Ok((status, body, attempt)),
                        Err(message) => Err((message, status, attempt)),
                    };
                }
                Err(e) => {
                    let what = describe_send_error(&e, self.config.timeout);
                    if idempotent && left > 0 && backoff <= remaining {
                        tracing::debug!(tool = %tool.name, error = %what, "upstream unreachable; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = backoff.saturating_mul(2);
                        continue;
                    }
                    let retry_note = if idempotent {
                        format!("gave up after {attempt} attempt(s)")
                    } else {
                        format!(
                            "not retried, because {} is not idempotent and HighLevel may have acted on it; check before calling again",
                            tool.method.as_str()
                        )
                    };
                    return Err((
                        format!(
                            "could not reach HighLevel for `{}`: {what} ({retry_note})",
                            tool.name
                        ),
                        0,
                        attempt,
                    ));
                }
            }
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
        if let Some(body) = &req.body {
            builder = builder.json(body);
        }
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
                    return Err(format!(
                        "HighLevel's response broke off: {}",
                        describe_send_error(&e, self.config.timeout)
                    ));
                }
            }
        }
    }

    fn to_result(&self, tool: &ToolDef, status: u16, body: &[u8], attempts: u32) -> CallToolResult {
        let blank = body.iter().all(u8::is_ascii_whitespace);
        let parsed: Option<Value> = if blank {
            None
        } else {
            serde_json::from_slice(body).ok()
        };
        if (200..300).contains(&status) {
            let value = match parsed {
                Some(v) => v,
                None if blank => Value::Object(Default::default()),
                // HighLevel answers JSON; a success body that does not parse is a broken or
                // truncated answer. A tool that promises structured output cannot honour it, so
                // the model is told rather than handed half a document as a success.
                None if tool.output_schema.is_some() => {
                    // A write may have happened: say so, or the model's retry could duplicate it.
                    let advice = if tool.method.is_idempotent() {
                        "Calling it again is safe."
                    } else {
                        "The call may have taken effect: check with a read tool before repeating it."
                    };
                    return CallToolResult::error(vec![Content::text(format!(
                        "HighLevel answered `{}` with HTTP {status} but the body is not valid JSON: {}. {advice}",
                        tool.name,
                        snippet(body)
                    ))]);
                }
                None => {
                    return CallToolResult::success(vec![Content::text(
                        String::from_utf8_lossy(body).into_owned(),
                    )]);
                }
            };
            // Compact text for the model; the parsed value moves into structuredContent (no copy).
            let text = value.to_string();
            let mut result = CallToolResult::success(vec![Content::text(text)]);
            if tool.output_schema.is_some() {
                result.structured_content = match value {
                    Value::Object(_) if !tool.wrap_result => Some(value),
                    other if tool.wrap_result => Some(serde_json::json!({ "result": other })),
                    // The schema promises an object; an off-schema answer stays text only.
                    _ => None,
                };
            }
            return result;
        }
        let message = upstream_message(parsed.as_ref(), body);
        let text = match status {
            401 | 403 => {
                let scopes = if tool.scopes.is_empty() {
                    "no particular scope is recorded for it".to_owned()
                } else {
                    format!(
                        "it needs the scope(s) {}",
                        tool.scopes
                            .iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                let agency = if tool.agency_only {
                    " This operation also needs an agency-level token."
                } else {
                    ""
                };
                format!(
                    "HighLevel refused the token for `{}` (HTTP {status}): {message}. {}; check that the Private Integration Token (or OAuth token) has them and belongs to this location.{agency}",
                    tool.name,
                    capitalize(&scopes)
                )
            }
            404 => format!(
                "HighLevel found nothing for `{}` (HTTP 404): {message}",
                tool.name
            ),
            400 | 422 => format!(
                "HighLevel rejected the arguments of `{}` (HTTP {status}): {message}",
                tool.name
            ),
            s if s >= 500 => {
                let note = if tool.method.is_idempotent() {
                    format!("after {attempts} attempt(s)")
                } else {
                    format!(
                        "not retried, because {} is not idempotent and HighLevel may have acted on it; check before calling again",
                        tool.method.as_str()
                    )
                };
                format!(
                    "HighLevel failed on `{}` (HTTP {status}, {note}): {message}",
                    tool.name
                )
            }
            _ => format!(
                "HighLevel answered `{}` with HTTP {status}: {message}",
                tool.name
            ),
        };
        CallToolResult::error(vec![Content::text(text)])
    }
}

/// The first 200 characters of a body, for error messages.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

/// HighLevel's own error text: its `message` field (a string or a list), else the body.
fn upstream_message(parsed: Option<&Value>, body: &[u8]) -> String {
    const MAX: usize = 2000;
    let text = match parsed.and_then(|v| v.get("message")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => match parsed {
            Some(v) => v.to_string(),
            None if body.is_empty() => "(empty response)".to_owned(),
            None => String::from_utf8_lossy(body).into_owned(),
        },
    };
    // HighLevel puts what the model needs to recover in `meta`: a duplicate-contact 400 names
    // the existing contact's id and the matching field, so the agent can update it instead.
    let text = match parsed.and_then(|v| v.get("meta")).filter(|m| !m.is_null()) {
        Some(meta) if parsed.and_then(|v| v.get("message")).is_some() => {
            format!("{text} (details: {meta})")
        }
        _ => text,
    };
    if text.len() > MAX {
        let mut cut = MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &text[..cut])
    } else {
        text
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `Retry-After` as a delay: delta-seconds only (HighLevel sends seconds); dates fall back to backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

fn retry_after_text(_body: &[u8], wait: Duration) -> String {
    format!("HighLevel asked to wait {:.1} s. ", wait.as_secs_f64())
}

fn describe_send_error(e: &reqwest::Error, timeout: Duration) -> String {
    // reqwest's Display includes the URL; that carries no secret (the token is a header) but the
    // plain categories read better for a model.
    if e.is_timeout() {
        format!(
            "no answer within {} ms (--upstream-timeout-ms)",
            timeout.as_millis()
        )
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else if e.is_body() || e.is_decode() {
        "the response body could not be read".to_owned()
    } else {
        "the request failed before an answer arrived".to_owned()
    }
}

/// Replaces any occurrence of the token in a result's text with `[redacted]`, in case an upstream
/// error echoes the credential back.
fn scrub_result(mut result: CallToolResult, token: &Secret) -> CallToolResult {
    let t = token.expose();
    if t.len() < 4 {
        return result;
    }
    for c in &mut result.content {
        if let Some(text) = c.as_text()
            && text.text.contains(t)
        {
            *c = Content::text(text.text.replace(t, "[redacted]"));
        }
    }
    if let Some(s) = &result.structured_content {
        let json = s.to_string();
        if json.contains(t)
            && let Ok(v) = serde_json::from_str(&json.replace(t, "[redacted]"))
        {
            result.structured_content = Some(v);
        }
    }
    result
}
