//! The running emulator's shared state: the store behind its lock, the rate limiter, the
//! run-time knobs (latency, injected errors, rate limit), and [`SandboxState`], the public
//! handle tests use to inspect records and turn those knobs.
//!
//! It sits above both the store and the seed, because [`SandboxState::reset`] reseeds the store;
//! keeping it apart from `store.rs` leaves the store free of any dependency on the seed.

mod marketing;
mod oauth;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use serde_json::Value;

use crate::SandboxConfig;
use crate::store::Store;
use crate::util::Rng;

pub(crate) struct Limiter {
    /// The limit in force (changeable at run time).
    pub(crate) limit: Option<crate::RateLimit>,
    /// Per bearer token (hashed; tokens are never stored): request instants inside the window,
    /// and the lifetime request count for the daily header.
    pub(crate) windows: HashMap<u64, (VecDeque<Instant>, u64)>,
}

pub(crate) struct Shared {
    /// The configuration the sandbox started with; `latency`, `error_rate` and `rate_limit` are
    /// read from the run-time knobs below instead, so tests can change them on a live server.
    pub(crate) config: SandboxConfig,
    pub(crate) store: RwLock<Store>,
    pub(crate) limiter: Mutex<Limiter>,
    /// Fast path: no limiter lock at all while the limit is off.
    pub(crate) rate_limited: AtomicBool,
    pub(crate) latency_us: AtomicU64,
    /// The spread added on top of `latency_us` (see `latency.rs`).
    pub(crate) latency_jitter_us: AtomicU64,
    /// `f64` bits of the error rate.
    pub(crate) error_rate_bits: AtomicU64,
    pub(crate) requests: AtomicU64,
    pub(crate) faults: Mutex<Rng>,
    /// Codes, installs and tokens of the emulated marketplace OAuth.
    pub(crate) oauth: Mutex<crate::oauth::Book>,
}

impl Shared {
    /// The delay for request number `n`: the latency plus its share of the jitter.
    pub(crate) fn latency(&self, n: u64) -> Duration {
        crate::latency::delay(
            Duration::from_micros(self.latency_us.load(Ordering::Relaxed)),
            Duration::from_micros(self.latency_jitter_us.load(Ordering::Relaxed)),
            n,
        )
    }

    pub(crate) fn error_rate(&self) -> f64 {
        f64::from_bits(self.error_rate_bits.load(Ordering::Relaxed))
    }
}

/// A NaN or out-of-range error rate is clamped rather than rejected: it is a test knob.
pub(crate) fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

/// A handle on the emulator's state, shared by the router and its tests. Cheap to clone.
///
/// The inspection methods return copies of records in HighLevel's response shapes, so tests can
/// check the effect of a write without going through HTTP.
#[derive(Clone)]
pub struct SandboxState {
    pub(crate) inner: Arc<Shared>,
}

impl std::fmt::Debug for SandboxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxState")
            .field("requests", &self.request_count())
            .field("counts", &self.counts())
            .finish()
    }
}

/// How many records of each kind the emulator holds (all locations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Contacts.
    pub contacts: usize,
    /// Contact tasks.
    pub tasks: usize,
    /// Conversations.
    pub conversations: usize,
    /// Messages in all conversations.
    pub messages: usize,
    /// Calendar events.
    pub events: usize,
    /// Appointment notes.
    pub notes: usize,
    /// Opportunities.
    pub opportunities: usize,
    /// Payment orders.
    pub orders: usize,
    /// Payment transactions.
    pub transactions: usize,
}

impl SandboxState {
    pub(crate) fn read(&self) -> parking_lot::RwLockReadGuard<'_, Store> {
        self.inner.store.read()
    }

    pub(crate) fn write(&self) -> parking_lot::RwLockWriteGuard<'_, Store> {
        self.inner.store.write()
    }

    /// Sets the latency added to every request from now on.
    pub fn set_latency(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.inner.latency_us.store(us, Ordering::Relaxed);
    }

    /// Sets the spread added on top of the latency from now on (uniform over 0..=jitter).
    pub fn set_latency_jitter(&self, jitter: Duration) {
        let us = u64::try_from(jitter.as_micros()).unwrap_or(u64::MAX);
        self.inner.latency_jitter_us.store(us, Ordering::Relaxed);
    }

    /// Sets the fraction (0.0 to 1.0, clamped) of requests answered with an injected 500/503.
    pub fn set_error_rate(&self, rate: f64) {
        self.inner
            .error_rate_bits
            .store(clamp_rate(rate).to_bits(), Ordering::Relaxed);
    }

    /// Sets or (with `None`) turns off the rate limit; every budget starts afresh.
    pub fn set_rate_limit(&self, limit: Option<crate::RateLimit>) {
        let mut l = self.inner.limiter.lock();
        l.limit = limit;
        l.windows.clear();
        self.inner
            .rate_limited
            .store(limit.is_some(), Ordering::Relaxed);
    }

    /// Puts the demo data back as it was at start (same seed and epoch) and clears every rate
    /// limit budget; the request count keeps counting.
    pub fn reset(&self) {
        let fresh = crate::seed::seed(self.inner.config.seed, self.inner.config.epoch_ms);
        *self.write() = fresh;
        self.inner.limiter.lock().windows.clear();
    }

    /// Requests received since start (every request, including rejected ones).
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Record counts.
    pub fn counts(&self) -> Counts {
        let s = self.read();
        Counts {
            contacts: s.contacts.len(),
            tasks: s.tasks.values().map(Vec::len).sum(),
            conversations: s.conversations.len(),
            messages: s.messages.values().map(Vec::len).sum(),
            events: s.events.len(),
            notes: s.notes.values().map(Vec::len).sum(),
            opportunities: s.opportunities.len(),
            orders: s.orders.len(),
            transactions: s.transactions.len(),
        }
    }

    /// The location record, as `GET /locations/{id}` returns it under `location`.
    pub fn location(&self, location_id: &str) -> Option<Value> {
        self.read().location(location_id).cloned()
    }

    /// The contacts of a location, in creation order.
    pub fn contacts(&self, location_id: &str) -> Vec<Value> {
        let s = self.read();
        s.contact_order
            .iter()
            .filter_map(|id| s.contacts.get(id))
            .filter(|c| c["locationId"] == location_id)
            .cloned()
            .collect()
    }

    /// The contact of a location with this email (case-insensitive), as upsert would match it.
    pub fn contact_by_email(&self, location_id: &str, email: &str) -> Option<Value> {
        let s = self.read();
        s.by_email
            .get(&(location_id.to_string(), email.trim().to_lowercase()))
            .and_then(|id| s.contacts.get(id))
            .cloned()
    }

    /// One contact by id.
    pub fn contact(&self, contact_id: &str) -> Option<Value> {
        self.read().contacts.get(contact_id).cloned()
    }

    /// The tasks of a contact.
    pub fn tasks(&self, contact_id: &str) -> Vec<Value> {
        self.read()
            .tasks
            .get(contact_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The conversations of a location, in creation order.
    pub fn conversations(&self, location_id: &str) -> Vec<Value> {
        let s = self.read();
        s.conversation_order
            .iter()
            .filter_map(|id| s.conversations.get(id))
            .filter(|c| c["locationId"] == location_id)
            .cloned()
            .collect()
    }

    /// The messages of a conversation, oldest first.
    pub fn messages(&self, conversation_id: &str) -> Vec<Value> {
        self.read()
            .messages
            .get(conversation_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The pipelines of a location.
    pub fn pipelines(&self, location_id: &str) -> Vec<Value> {
        self.read()
            .pipelines
            .iter()
            .filter(|p| p["locationId"] == location_id)
            .cloned()
            .collect()
    }

    /// The opportunities of a location, in creation order (without the embedded contact).
    pub fn opportunities(&self, location_id: &str) -> Vec<Value> {
        let s = self.read();
        s.opportunity_order
            .iter()
            .filter_map(|id| s.opportunities.get(id))
            .filter(|o| o["locationId"] == location_id)
            .cloned()
            .collect()
    }

    /// One opportunity by id (without the embedded contact).
    pub fn opportunity(&self, opportunity_id: &str) -> Option<Value> {
        self.read().opportunities.get(opportunity_id).cloned()
    }

    /// The calendars of a location.
    pub fn calendars(&self, location_id: &str) -> Vec<Value> {
        self.read()
            .calendars
            .iter()
            .filter(|c| c["locationId"] == location_id)
            .cloned()
            .collect()
    }

    /// The calendar events of a location, by start time.
    pub fn events(&self, location_id: &str) -> Vec<Value> {
        self.read()
            .events
            .iter()
            .filter(|e| e["locationId"] == location_id)
            .cloned()
            .collect()
    }

    /// The notes of an appointment (a calendar event id), newest first.
    pub fn appointment_notes(&self, appointment_id: &str) -> Vec<Value> {
        self.read()
            .notes
            .get(appointment_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The custom fields of a location (contact and opportunity models).
    pub fn custom_fields(&self, location_id: &str) -> Vec<Value> {
        self.read()
            .custom_fields
            .iter()
            .filter(|f| f["locationId"] == location_id)
            .cloned()
            .collect()
    }

    /// The payment orders of a location, in creation order.
    pub fn orders(&self, location_id: &str) -> Vec<Value> {
        let s = self.read();
        s.order_order
            .iter()
            .filter_map(|id| s.orders.get(id))
            .filter(|o| o["altId"] == location_id)
            .cloned()
            .collect()
    }

    /// The payment transactions of a location, newest first.
    pub fn transactions(&self, location_id: &str) -> Vec<Value> {
        self.read()
            .transactions
            .iter()
            .filter(|t| t["altId"] == location_id)
            .cloned()
            .collect()
    }
}
