//! Prometheus counters and histograms of one server, in its own registry (not a global one, so
//! several servers in one test process keep separate counts), and the listener that serves them
//! as `GET /metrics` in the text exposition format.
//!
//! Labels stay bounded: `tool` only ever names a tool of the served catalog (unknown names are
//! refused before anything is counted), `outcome` and `reason` are fixed words, and `status` is
//! an HTTP status code. No label carries a location, a token or an argument.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How a tool call ended, as the `outcome` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// HighLevel answered 2xx.
    Ok,
    /// HighLevel answered with an error, or could not be reached.
    UpstreamError,
    /// The arguments failed the tool's schema; nothing was sent.
    InvalidArguments,
    /// The rate limiter refused the call (daily budget spent, or the queue too long).
    RateLimited,
    /// No HighLevel token came with the call.
    NoCredentials,
    /// The call named a location its grant does not cover.
    LocationRefused,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::UpstreamError => "upstream_error",
            Outcome::InvalidArguments => "invalid_arguments",
            Outcome::RateLimited => "rate_limited",
            Outcome::NoCredentials => "no_credentials",
            Outcome::LocationRefused => "location_refused",
        }
    }

    /// `Ok` or `UpstreamError`, from the result of a call that reached the upstream client.
    pub fn from_result(result: &rmcp::model::CallToolResult) -> Self {
        match result.is_error {
            Some(true) => Outcome::UpstreamError,
            _ => Outcome::Ok,
        }
    }
}

/// Every metric the server keeps.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    calls: IntCounterVec,
    duration: HistogramVec,
    upstream: IntCounterVec,
    waits: Histogram,
    refusals: IntCounterVec,
    unchecked: IntCounter,
    token_refreshes: IntCounter,
    active_grants: IntGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("highlevel_mcp".into()), None)
            .expect("a valid metric prefix");
        let calls = IntCounterVec::new(
            Opts::new("tool_calls_total", "Tool calls by tool and outcome."),
            &["tool", "outcome"],
        )
        .expect("valid metric");
        // Up to a minute: a call may wait for a rate-limit slot before HighLevel answers.
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "tool_call_duration_seconds",
                "Time from a tool call's arrival to its result, waits for rate-limit slots included.",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
            ]),
            &["tool"],
        )
        .expect("valid metric");
        let upstream = IntCounterVec::new(
            Opts::new(
                "upstream_responses_total",
                "Final HighLevel answers by HTTP status (`none`: no answer came back).",
            ),
            &["status"],
        )
        .expect("valid metric");
        let waits = Histogram::with_opts(
            HistogramOpts::new(
                "rate_limit_wait_seconds",
                "How long calls were held back to stay within HighLevel's per-location limits (0 for calls that went at once).",
            )
            .buckets(vec![0.0, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 60.0]),
        )
        .expect("valid metric");
        let refusals = IntCounterVec::new(
            Opts::new(
                "rate_limit_refusals_total",
                "Calls the rate limiter refused: `daily` (the day's budget is spent) or `busy` (the next slot is beyond the longest wait).",
            ),
            &["reason"],
        )
        .expect("valid metric");
        let unchecked = IntCounter::new(
            "rate_limit_unchecked_total",
            "Calls sent unpaced because the shared rate-limit backend (Redis) could not be asked.",
        )
        .expect("valid metric");
        // Fed by the OAuth store once it lands (issue 17 / the OAuth issue); registered now so
        // dashboards and alerts can be written against stable names, and read 0 until then.
        let token_refreshes = IntCounter::new(
            "token_refreshes_total",
            "HighLevel OAuth token refreshes performed (0 until OAuth grants are served).",
        )
        .expect("valid metric");
        let active_grants = IntGauge::new(
            "active_grants",
            "OAuth grants currently active (0 until OAuth grants are served).",
        )
        .expect("valid metric");
        for c in [
            Box::new(calls.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duration.clone()),
            Box::new(upstream.clone()),
            Box::new(waits.clone()),
            Box::new(refusals.clone()),
            Box::new(unchecked.clone()),
            Box::new(token_refreshes.clone()),
            Box::new(active_grants.clone()),
        ] {
            registry.register(c).expect("metric names are unique");
        }
        Self {
            registry,
            calls,
            duration,
            upstream,
            waits,
            refusals,
            unchecked,
            token_refreshes,
            active_grants,
        }
    }

    /// Counts one finished tool call.
    pub fn call(&self, tool: &str, outcome: Outcome, took: Duration) {
        self.calls.with_label_values(&[tool, outcome.label()]).inc();
        self.duration
            .with_label_values(&[tool])
            .observe(took.as_secs_f64());
    }

    /// Counts HighLevel's final answer to a call (`0`: none came).
    pub fn upstream_status(&self, status: u16) {
        let label = if status == 0 {
            "none".to_owned()
        } else {
            status.to_string()
        };
        self.upstream.with_label_values(&[&label]).inc();
    }

    /// Records a rate-limit admission: how long the call waited, and whether the backend could
    /// be asked at all.
    pub fn admitted(&self, waited: Duration, unchecked: bool) {
        self.waits.observe(waited.as_secs_f64());
        if unchecked {
            self.unchecked.inc();
        }
    }

    /// Counts a rate-limit refusal (`daily` or `busy`).
    pub fn refused(&self, reason: &'static str) {
        self.refusals.with_label_values(&[reason]).inc();
    }

    /// The counter of HighLevel token refreshes, for the OAuth store to feed.
    pub fn token_refreshes(&self) -> &IntCounter {
        &self.token_refreshes
    }

    /// The gauge of active grants, for the OAuth store to feed.
    pub fn active_grants(&self) -> &IntGauge {
        &self.active_grants
    }

    /// Everything in Prometheus's text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "cannot encode the metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// A running `/metrics` listener.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    task: JoinHandle<io::Result<()>>,
}

impl MetricsServer {
    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits until it stops (after the shutdown token given to [`serve_metrics`] is cancelled).
    pub async fn wait(self) -> io::Result<()> {
        self.task
            .await
            .map_err(|e| io::Error::other(format!("metrics task failed: {e}")))?
    }
}

/// Serves `GET /metrics` on its own address (kept off the MCP port, so a load balancer in front
/// of the MCP port never publishes it) until `shutdown` is cancelled.
pub async fn serve_metrics(
    metrics: std::sync::Arc<Metrics>,
    bind: SocketAddr,
    shutdown: CancellationToken,
) -> io::Result<MetricsServer> {
    let listener = TcpListener::bind(bind).await.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen for --metrics on {bind}: {e} (choose another address)"),
        )
    })?;
    let addr = listener.local_addr()?;
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                    metrics.render(),
                )
            }
        }),
    );
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    });
    Ok(MetricsServer { addr, task })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_exposed_from_the_start_with_the_prefix() {
        let m = Metrics::new();
        let text = m.render();
        // Unlabelled metrics show at zero straight away; labelled ones once they have a value.
        for name in [
            "highlevel_mcp_rate_limit_wait_seconds_count 0",
            "highlevel_mcp_rate_limit_unchecked_total 0",
            "highlevel_mcp_token_refreshes_total 0",
            "highlevel_mcp_active_grants 0",
        ] {
            assert!(text.contains(name), "missing `{name}` in:\n{text}");
        }
        m.call(
            "contacts_get-contact",
            Outcome::Ok,
            Duration::from_millis(3),
        );
        m.upstream_status(0);
        m.refused("busy");
        let text = m.render();
        assert!(
            text.contains(
                r#"highlevel_mcp_tool_calls_total{outcome="ok",tool="contacts_get-contact"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"highlevel_mcp_upstream_responses_total{status="none"} 1"#));
        assert!(text.contains(r#"highlevel_mcp_rate_limit_refusals_total{reason="busy"} 1"#));
    }
}
