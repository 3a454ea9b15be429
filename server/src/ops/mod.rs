//! Running the server in production: pacing calls to HighLevel's rate limits, Prometheus
//! metrics, and the readiness check. One door, [`Ops`], held by the [`App`](crate::App); the
//! handler calls [`Ops::pace`] before each upstream request and [`Ops::finished`] after it.
//!
//! The rules themselves live elsewhere: the pacing rule in the `limiter` crate, the counting in
//! [`metrics`]. This module decides which budget a call draws on ([`pacing`]), turns a refusal
//! into a tool result, and answers `/readyz` ([`ready`]).

pub mod flags;
pub mod health;
pub mod metrics;
mod pacing;
mod ready;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use limiter::{Limiter, Refusal};
use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use runtime::ToolDef;

pub use metrics::{Metrics, MetricsServer, Outcome, serve_metrics};
pub use ready::routes;

use crate::credentials::Secret;

/// The limiter, the metrics, and what the readiness check needs.
#[derive(Debug)]
pub struct Ops {
    /// Paces calls per location.
    pub limiter: Limiter,
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// A small client for the readiness probe of the upstream (short timeout, no redirects).
    probe: reqwest::Client,
    /// The OAuth grant store, in OAuth mode: `/readyz` checks it answers.
    pub store: Option<Arc<dyn oauth::Store>>,
    /// When a "Redis is unreachable" warning was last logged (ms since start), to log it at most
    /// every 30 s during an outage instead of once per call.
    last_unchecked_warning: AtomicU64,
    started: Instant,
}

impl Default for Ops {
    /// No pacing (library users and tests opt in), fresh metrics.
    fn default() -> Self {
        Self::new(Limiter::off())
    }
}

impl Ops {
    /// Ops with this limiter and fresh metrics.
    pub fn new(limiter: Limiter) -> Self {
        let probe = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(ready::PROBE_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            limiter,
            metrics: Arc::new(Metrics::new()),
            probe,
            store: None,
            last_unchecked_warning: AtomicU64::new(u64::MAX),
            started: Instant::now(),
        }
    }

    /// Waits for a rate-limit slot for this call, or returns the tool result that explains the
    /// refusal (already counted). `location` is the header's or the server's default location.
    pub async fn pace(
        &self,
        tool: &ToolDef,
        args: &JsonObject,
        location: Option<&str>,
        token: &Secret,
        started: Instant,
    ) -> Result<(), CallToolResult> {
        let key = pacing::budget_key(tool, args, location, token);
        match self.limiter.acquire(&key).await {
            Ok(admission) => {
                self.metrics
                    .admitted(admission.waited, admission.unchecked.is_some());
                if !admission.waited.is_zero() {
                    tracing::debug!(tool = %tool.name, wait_ms = admission.waited.as_millis() as u64, "paced to HighLevel's rate limit");
                }
                if let Some(reason) = admission.unchecked {
                    self.warn_unchecked(&reason);
                }
                Ok(())
            }
            Err(refusal) => {
                let reason = match refusal {
                    Refusal::Daily { .. } => "daily",
                    Refusal::Busy { .. } => "busy",
                };
                self.metrics.refused(reason);
                self.metrics
                    .call(&tool.name, Outcome::RateLimited, started.elapsed());
                tracing::info!(tool = %tool.name, reason, "tool call refused by the rate limiter");
                Err(CallToolResult::error(vec![ContentBlock::text(format!(
                    "`{}` was not sent: {refusal}.",
                    tool.name
                ))]))
            }
        }
    }

    /// Counts a call that ended before reaching HighLevel (`outcome`), or after it with
    /// HighLevel's final `status` (`Some`, 0 when no answer came).
    pub fn finished(
        &self,
        tool: &ToolDef,
        outcome: Outcome,
        status: Option<u16>,
        started: Instant,
    ) {
        if let Some(status) = status {
            self.metrics.upstream_status(status);
        }
        self.metrics.call(&tool.name, outcome, started.elapsed());
    }

    fn warn_unchecked(&self, reason: &str) {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.last_unchecked_warning.load(Ordering::Relaxed);
        let due = last == u64::MAX
            || now.saturating_sub(last) >= Duration::from_secs(30).as_millis() as u64;
        if due
            && self
                .last_unchecked_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                reason,
                "calls go to HighLevel unpaced until the rate limiter's backend answers again; /readyz reports it"
            );
        }
    }
}
