//! The checks every request passes before a handler sees it, in HighLevel's order: injected
//! latency, `Authorization: Bearer`, the endpoint's `Version` header, the rate limit, and
//! injected failures.
//!
//! Rate limit: HighLevel limits each app to 100 requests per 10 seconds per location. The
//! sandbox accepts any bearer token, and a location token stands for one location, so the
//! budget is kept per bearer token (hashed; tokens are never stored or echoed). The window
//! slides. Every response while the limit is on carries HighLevel's headers:
//! `X-RateLimit-Max`, `X-RateLimit-Remaining`, `X-RateLimit-Interval-Milliseconds`,
//! `X-RateLimit-Limit-Daily` and `X-RateLimit-Daily-Remaining`; a 429 also carries
//! `Retry-After` (whole seconds until a slot frees).

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::SandboxState;
use crate::error::ApiError;
use crate::extract::BodyLimit;

/// HighLevel's daily limit, reported in the daily headers.
const DAILY_LIMIT: u64 = 200_000;

/// The `Version` value each endpoint family requires (per the official files: calendars and
/// conversations are `2021-04-15`, the other apps served here `2021-07-28`).
pub(crate) fn expected_version(path: &str) -> &'static str {
    if path.starts_with("/calendars") || path.starts_with("/conversations") {
        "2021-04-15"
    } else {
        "2021-07-28"
    }
}

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let Some(raw) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "Invalid JWT: the Authorization header is missing; send `Authorization: Bearer <token>` (the sandbox accepts any token)",
        ));
    };
    let raw = raw.to_str().unwrap_or("");
    let token = raw
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .unwrap_or("");
    if token.is_empty() {
        return Err(ApiError::unauthorized(
            "Invalid JWT: the Authorization header must be `Bearer <token>` with a non-empty token",
        ));
    }
    Ok(token)
}

/// The middleware.
pub(crate) async fn guard(
    State(st): State<SandboxState>,
    mut req: Request,
    next: Next,
) -> Response {
    let shared = &st.inner;
    let n = shared.requests.fetch_add(1, Ordering::Relaxed);
    let latency = shared.latency(n);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    req.extensions_mut()
        .insert(BodyLimit(shared.config.max_body_bytes));

    let token = match bearer(req.headers()) {
        Ok(token) => token.to_owned(),
        Err(e) => return e.into_response(),
    };
    let token_key = {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        token.hash(&mut h);
        h.finish()
    };
    // Emulated marketplace OAuth (when configured): live tokens only, each in its own location.
    let req = match crate::oauth::admit(&st, &token, req).await {
        Ok(req) => req,
        Err(refused) => return refused,
    };

    let want = expected_version(req.uri().path());
    match req
        .headers()
        .get("version")
        .map(|v| v.to_str().unwrap_or(""))
    {
        None => {
            return ApiError::bad_request(format!(
                "Version header was not found: send `Version: {want}` with this endpoint"
            ))
            .into_response();
        }
        Some(v) if v.trim() != want => {
            return ApiError::bad_request(format!(
                "Version header {v:?} is not valid for this endpoint: send `Version: {want}`"
            ))
            .into_response();
        }
        Some(_) => {}
    }

    let mut limit_headers = None;
    if shared.rate_limited.load(Ordering::Relaxed) {
        let mut limiter = shared.limiter.lock();
        if let Some(limit) = limiter.limit {
            let now = Instant::now();
            let (window, total) = limiter
                .windows
                .entry(token_key)
                .or_insert_with(|| (VecDeque::new(), 0));
            while window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= limit.window)
            {
                window.pop_front();
            }
            if window.len() >= limit.max as usize {
                let wait = window
                    .front()
                    .map(|t| limit.window.saturating_sub(now.duration_since(*t)))
                    .unwrap_or(limit.window);
                let daily_left = DAILY_LIMIT.saturating_sub(*total);
                drop(limiter);
                let secs = wait.as_millis().div_ceil(1000).max(1) as u64;
                let mut resp = ApiError::too_many_requests(
                    format!(
                        "Too Many Requests: the limit is {} requests per {} ms for this location; retry in {} ms",
                        limit.max,
                        limit.window.as_millis(),
                        wait.as_millis()
                    ),
                    secs,
                )
                .into_response();
                add_limit_headers(resp.headers_mut(), limit, 0, daily_left);
                return resp;
            }
            window.push_back(now);
            *total += 1;
            limit_headers = Some((
                limit,
                limit.max as usize - window.len(),
                DAILY_LIMIT.saturating_sub(*total),
            ));
        }
    }

    let error_rate = shared.error_rate();
    let mut resp = if error_rate > 0.0 && shared.faults.lock().chance(error_rate) {
        let status = if shared.faults.lock().chance(0.5) {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        ApiError::injected(status).into_response()
    } else {
        next.run(req).await
    };
    if let Some((limit, left, daily_left)) = limit_headers {
        add_limit_headers(resp.headers_mut(), limit, left, daily_left);
    }
    resp
}

fn add_limit_headers(h: &mut HeaderMap, limit: crate::RateLimit, left: usize, daily_left: u64) {
    let mut put = |name: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(name, v);
        }
    };
    put("x-ratelimit-max", limit.max.to_string());
    put("x-ratelimit-remaining", left.to_string());
    put(
        "x-ratelimit-interval-milliseconds",
        limit.window.as_millis().to_string(),
    );
    put("x-ratelimit-limit-daily", DAILY_LIMIT.to_string());
    put("x-ratelimit-daily-remaining", daily_left.to_string());
}
