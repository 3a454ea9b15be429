//! An in-memory emulator of the HighLevel API v2, for first runs, tests and benchmarks.
//!
//! The sandbox serves the 36 operations behind the default tools (HighLevel's hosted "Top 36")
//! with HighLevel's request and response shapes (taken from HighLevel's official OpenAPI files, with the corrections listed in
//! `../shared/notes/spec-quirks.md` beside the project), keeps state in memory, and behaves like the real API at the edges:
//! bearer auth and the per-endpoint `Version` header are required, unknown ids are 404s, bad
//! input gets NestJS-style 400/422 bodies, and a per-location rate limit answers 429.
//!
//! It starts seeded with one realistic demo location ([`DEMO_LOCATION_ID`]), built
//! deterministically from [`SandboxConfig::seed`] around [`SandboxConfig::epoch_ms`] (by default
//! the fixed instant [`SEED_EPOCH_MS`]; [`SandboxConfig::anchored_to_current_week`] moves the
//! data to the current week for demos). Two more sub-accounts of the same agency
//! ([`AGENCY_LOCATION_IDS`]) hold their own few contacts and opportunities.
//!
//! With [`SandboxConfig::oauth`] set it also emulates HighLevel's marketplace OAuth (the
//! location chooser, `/oauth/token` with single-use rotating refresh tokens,
//! `/oauth/locationToken`, `/oauth/installedLocations`) and checks the tokens it issued.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig::for_tests()).await?;
//! println!("HighLevel emulator at {}", sandbox.base_url());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod api;
mod domain;
mod error;
mod extract;
mod guard;
mod latency;
mod marketing;
mod oauth;
mod seed;
mod state;
mod store;
mod util;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt;
use parking_lot::{Mutex, RwLock};

pub use oauth::OAuthApp;
pub use state::{Counts, SandboxState};

/// The id of the seeded demo location (20 alphanumeric characters, like HighLevel's ids).
pub const DEMO_LOCATION_ID: &str = "sbxDemoLoc4Q8hT2vW7k";

/// The agency's other two seeded sub-accounts (a physiotherapy practice and a veterinary
/// clinic), each with its own contacts, pipeline and opportunities. The demo location and these
/// share one company id, the agency an OAuth Company token speaks for.
pub const AGENCY_LOCATION_IDS: [&str; 3] = [
    DEMO_LOCATION_ID,
    seed::LAKESIDE_LOCATION_ID,
    seed::HILL_LOCATION_ID,
];

/// The fixed instant the seed data is built around: Monday 2026-11-23 00:00:00 UTC.
///
/// Seeded records are dated relative to it (contacts over the preceding six months, calendar
/// events on the weekdays from the Monday a week before to the Friday two weeks after, i.e.
/// 2026-11-16 to 2026-12-04, transactions over the preceding two months), so tests can name
/// time ranges without depending on the clock. Records created through the API are stamped
/// with the real current time.
pub const SEED_EPOCH_MS: i64 = 1_795_392_000_000;

/// The default seed of the demo data.
pub const DEFAULT_SEED: u64 = 20_261_123;

/// HighLevel's burst limit: requests per window, per location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in any window.
    pub max: u32,
    /// The window length (a sliding window).
    pub window: Duration,
}

impl Default for RateLimit {
    /// HighLevel's published burst limit: 100 requests per 10 seconds.
    fn default() -> Self {
        RateLimit {
            max: 100,
            window: Duration::from_secs(10),
        }
    }
}

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The per-location rate limit; `None` turns it off.
    pub rate_limit: Option<RateLimit>,
    /// Added to every request before it is handled.
    pub latency: Duration,
    /// Up to this much more is added, varying per request (uniform), so the delay spans
    /// `latency..=latency + latency_jitter`.
    pub latency_jitter: Duration,
    /// The fraction (0.0 to 1.0) of requests answered with an injected 500 or 503 instead of
    /// being handled. Injected failures change no state.
    pub error_rate: f64,
    /// Seeds the demo data, new record ids and the choice of injected failures.
    pub seed: u64,
    /// The instant the demo data is dated around, in Unix milliseconds; a Monday 00:00 UTC keeps
    /// calendar events on weekdays. Defaults to [`SEED_EPOCH_MS`].
    pub epoch_ms: i64,
    /// Request bodies larger than this are answered 413.
    pub max_body_bytes: usize,
    /// The marketplace app whose OAuth the sandbox emulates (the location chooser,
    /// `/oauth/token`, `/oauth/locationToken`, `/oauth/installedLocations`); `None` turns the
    /// emulation off and every bearer token is accepted.
    pub oauth: Option<OAuthApp>,
}

impl Default for SandboxConfig {
    /// Rate limit on (100 per 10 s), no latency, no injected errors, 1 MiB bodies.
    fn default() -> Self {
        SandboxConfig {
            rate_limit: Some(RateLimit::default()),
            latency: Duration::ZERO,
            latency_jitter: Duration::ZERO,
            error_rate: 0.0,
            seed: DEFAULT_SEED,
            epoch_ms: SEED_EPOCH_MS,
            max_body_bytes: 1024 * 1024,
            oauth: None,
        }
    }
}

impl SandboxConfig {
    /// The default configuration with the rate limit off, for tests that send many requests.
    pub fn for_tests() -> Self {
        SandboxConfig {
            rate_limit: None,
            ..SandboxConfig::default()
        }
    }

    /// Dates the demo data around Monday 00:00 UTC of the current week instead of the fixed
    /// [`SEED_EPOCH_MS`], so "this week's appointments" finds some on a first run. The data is
    /// still deterministic within a week; tests should keep the fixed epoch.
    pub fn anchored_to_current_week(self) -> Self {
        const DAY: i64 = 86_400_000;
        let days = util::now_ms().div_euclid(DAY);
        // 1970-01-01 was a Thursday: (days + 3) % 7 is the weekday counted from Monday.
        let monday = days - (days + 3).rem_euclid(7);
        SandboxConfig {
            epoch_ms: monday * DAY,
            ..self
        }
    }
}

/// Builds the emulator's router and the handle on its seeded state.
pub fn router(config: SandboxConfig) -> (Router, SandboxState) {
    let mut config = config;
    config.error_rate = state::clamp_rate(config.error_rate);
    let store = seed::seed(config.seed, config.epoch_ms);
    let state = SandboxState {
        inner: Arc::new(state::Shared {
            faults: Mutex::new(util::Rng::new(config.seed ^ 0xFA17)),
            store: RwLock::new(store),
            limiter: Mutex::new(state::Limiter {
                limit: config.rate_limit,
                windows: HashMap::new(),
            }),
            rate_limited: AtomicBool::new(config.rate_limit.is_some()),
            latency_us: AtomicU64::new(
                u64::try_from(config.latency.as_micros()).unwrap_or(u64::MAX),
            ),
            latency_jitter_us: AtomicU64::new(
                u64::try_from(config.latency_jitter.as_micros()).unwrap_or(u64::MAX),
            ),
            error_rate_bits: AtomicU64::new(config.error_rate.to_bits()),
            requests: AtomicU64::new(0),
            oauth: Mutex::new(oauth::Book::new(config.seed)),
            config,
        }),
    };
    let app = api::routes(state.clone()).merge(oauth::routes(state.clone()));
    (app, state)
}

/// A running emulator on a loopback port. Dropping it stops the server too (without waiting for
/// open requests; [`Sandbox::shutdown`] waits).
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    state: SandboxState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Starts the emulator on `127.0.0.1` on a free port.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Starts the emulator on `addr`.
    pub async fn start_on(addr: SocketAddr, config: SandboxConfig) -> std::io::Result<Sandbox> {
        let (app, state) = router(config);
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        // Without TCP_NODELAY small responses can wait ~40 ms for Nagle + delayed ACK.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Sandbox {
            addr,
            state,
            stop: Some(stop),
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the base URL to use in place of
    /// `https://services.leadconnectorhq.com`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The emulator's state, for inspection.
    pub fn state(&self) -> &SandboxState {
        &self.state
    }

    /// Stops accepting connections and waits for open requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}
