//! `GET /readyz`: whether this replica can do useful work now, for a load balancer or a
//! Kubernetes readiness probe (`/healthz` only says the process is up).
//!
//! Checks run at once, each bounded by [`PROBE_TIMEOUT`]: the upstream base URL answers HTTP at
//! all (any status counts: it proves DNS, TCP and TLS work, and costs no rate-limit budget since
//! no token is sent), the rate limiter's backend answers (Redis `PING`; always true in process),
//! and in OAuth mode the grant store answers a one-row read (a replica that cannot reach
//! Postgres cannot check a single token). 200 with `"status": "ready"`, or 503 naming what
//! failed.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;

use crate::handler::App;

/// Longest a readiness check waits for one dependency.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The `/readyz` route, to merge into the server's router.
pub fn routes(app: Arc<App>) -> Router {
    Router::new().route(
        "/readyz",
        get(move || {
            let app = app.clone();
            async move { readyz(&app).await }
        }),
    )
}

async fn readyz(app: &App) -> (StatusCode, axum::Json<serde_json::Value>) {
    let upstream = async {
        let base = app.upstream.base_url();
        match app.ops.probe.get(base).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.is_timeout() => Err(format!(
                "no answer from the upstream within {} s",
                PROBE_TIMEOUT.as_secs()
            )),
            Err(_) => Err("cannot connect to the upstream".to_owned()),
        }
    };
    let limiter = async {
        tokio::time::timeout(PROBE_TIMEOUT, app.ops.limiter.ping())
            .await
            .unwrap_or_else(|_| Err("the rate limiter's backend did not answer in time".into()))
    };
    let store = async {
        let Some(store) = &app.ops.store else {
            return Ok(());
        };
        match tokio::time::timeout(PROBE_TIMEOUT, store.meta("key_check")).await {
            Ok(Ok(_)) => Ok(()),
            // The store's error names the server but never its password.
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "the grant store did not answer within {} s",
                PROBE_TIMEOUT.as_secs()
            )),
        }
    };
    let (upstream, limiter, store) = tokio::join!(upstream, limiter, store);
    let ready = upstream.is_ok() && limiter.is_ok() && store.is_ok();
    let word = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.clone(),
    };
    let body = json!({
        "status": if ready { "ready" } else { "not ready" },
        "checks": {
            "upstream": word(&upstream),
            "rate_limiter": word(&limiter),
            "store": if app.ops.store.is_some() { word(&store) } else { "not used".to_owned() },
        },
        "rate_limiter": app.ops.limiter.backend_name(),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body))
}
