//! Rate limits for the OAuth endpoints: one token bucket per endpoint, shared by all callers.
//!
//! Shared rather than per address because behind the reverse proxy that gives this server its
//! TLS every caller has the proxy's address; the budgets are set well above what real clients
//! need (a person consents a few times a day) and well below what guessing a passphrase needs.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An endpoint's budget: `burst` requests at once, refilled at `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Bucket size.
    pub burst: u32,
    /// Refill rate.
    pub per_minute: u32,
}

/// The budgets of each endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// `POST /register`.
    pub register: Budget,
    /// `GET /authorize` (the connect page).
    pub authorize: Budget,
    /// `POST /authorize` (consent: passphrase and token checks).
    pub consent: Budget,
    /// `POST /token`.
    pub token: Budget,
    /// `POST /revoke`.
    pub revoke: Budget,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            register: Budget {
                burst: 20,
                per_minute: 20,
            },
            authorize: Budget {
                burst: 60,
                per_minute: 60,
            },
            consent: Budget {
                burst: 10,
                per_minute: 10,
            },
            token: Budget {
                burst: 120,
                per_minute: 300,
            },
            revoke: Budget {
                burst: 60,
                per_minute: 60,
            },
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The buckets.
#[derive(Debug, Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<&'static str, Bucket>>,
}

impl Limiter {
    /// Takes one request from `name`'s bucket; `Err(retry_after)` when it is empty.
    pub fn take(&self, name: &'static str, budget: Budget) -> Result<(), Duration> {
        let now = Instant::now();
        let rate = f64::from(budget.per_minute.max(1)) / 60.0;
        let burst = f64::from(budget.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = buckets.entry(name).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * rate).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / rate).max(Duration::from_secs(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refuses() {
        let l = Limiter::default();
        let budget = Budget {
            burst: 3,
            per_minute: 1,
        };
        for _ in 0..3 {
            assert!(l.take("x", budget).is_ok());
        }
        let wait = l.take("x", budget).expect_err("empty");
        assert!(wait >= Duration::from_secs(1), "{wait:?}");
        assert!(l.take("y", budget).is_ok(), "buckets are per endpoint");
    }
}
