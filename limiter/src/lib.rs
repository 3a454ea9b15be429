//! Paces calls to HighLevel so that its rate limits are never reached, per location.
//!
//! HighLevel allows an app 100 requests per 10 seconds per location (the burst limit) and
//! 200,000 per day. Waiting out the 429 that follows a breach works for one process, but several
//! replicas that each wait on their own still overrun the limit together. This crate hands out
//! *slots* instead: [`Limiter::acquire`] reserves the earliest moment at which one more request
//! keeps every sliding window of [`Limits::window`] (plus [`Limits::margin`]) at or under
//! [`Limits::burst`] requests, sleeps until then, and returns. Slots are reserved in arrival
//! order, so waiting callers are served first come, first served and nobody polls.
//!
//! The rule lives in two places that must agree: [`memory`] (one process, the default) and the
//! Lua script of [`redis`] (replicas sharing one Redis, where the script runs atomically and
//! reads Redis's clock, so replicas with skewed clocks still agree). The same test cases drive
//! both.
//!
//! Failure policy: a slot further away than [`Limits::max_wait`] is refused rather than waited
//! for, and so is any call once the day's budget is spent (a wait of hours helps nobody). When
//! Redis cannot be reached, calls go ahead unpaced ([`Admission::unchecked`] says why): HighLevel's
//! own 429 is then the backstop, and the server's readiness check reports the outage, which is
//! better than failing every call because a helper service blinked.
#![deny(missing_docs)]

mod memory;
mod redis;
#[cfg(feature = "test-support")]
pub mod test_support;

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The limits one key (a location) is paced to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests allowed in any window of `window` (HighLevel: 100).
    pub burst: u32,
    /// The burst window (HighLevel: 10 s).
    pub window: Duration,
    /// Added to the window when pacing, to absorb the jitter between reserving a slot and the
    /// request reaching HighLevel (a reused connection takes a millisecond, a new TLS connection
    /// far longer): without it a late request and a punctual one `burst` later could land inside
    /// one window at HighLevel's end.
    pub margin: Duration,
    /// Requests allowed per UTC day (HighLevel: 200,000).
    pub daily: u64,
    /// Longest wait for a slot; a call that would wait longer is refused.
    pub max_wait: Duration,
}

impl Limits {
    /// HighLevel's published limits, a 500 ms margin and a 60 s longest wait.
    pub const HIGHLEVEL: Limits = Limits {
        burst: 100,
        window: Duration::from_secs(10),
        margin: Duration::from_millis(500),
        daily: 200_000,
        max_wait: Duration::from_secs(60),
    };

    /// The spacing between a request and the one `burst` requests later.
    fn spacing(&self) -> Duration {
        self.window + self.margin
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::HIGHLEVEL
    }
}

/// Where the limiter keeps its state, as given on the command line (`--rate-limit`).
#[derive(Clone, PartialEq, Eq)]
pub enum Backend {
    /// No pacing at all.
    Off,
    /// In this process only (one replica).
    Memory,
    /// Shared through the Redis server at this `redis://` URL (several replicas).
    Redis(String),
}

impl fmt::Debug for Backend {
    // The URL may carry a password: show only that it is Redis.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Backend {
    /// `off`, `memory` or `redis`, for logs and metrics (never the URL, which may hold a password).
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Off => "off",
            Backend::Memory => "memory",
            Backend::Redis(_) => "redis",
        }
    }
}

impl FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        match s {
            "off" => Ok(Backend::Off),
            "memory" => Ok(Backend::Memory),
            _ if s.starts_with("redis://") => Ok(Backend::Redis(s.to_owned())),
            _ if s.starts_with("rediss://") => Err(
                "rediss:// (Redis over TLS) is not supported yet; reach Redis over a private network with redis://, or through a TLS tunnel".to_owned(),
            ),
            _ => Err(format!(
                "`{}` is not a rate-limit backend; give `off`, `memory` (this process only) or a redis://host:port URL (shared by replicas)",
                s.chars().take(40).collect::<String>()
            )),
        }
    }
}

/// A call that may go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    /// How long the call was held back to keep within the limits.
    pub waited: Duration,
    /// Set when the backend could not be asked and the call goes ahead unpaced: the reason.
    pub unchecked: Option<String>,
}

/// A call the limiter will not let through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Today's budget for this key is spent.
    #[error(
        "HighLevel's daily limit of {limit} requests for this location is used up; it resets at 00:00 UTC, in {} min",
        .resets_in.as_secs().div_ceil(60)
    )]
    Daily {
        /// The daily limit.
        limit: u64,
        /// Time until the budget resets.
        resets_in: Duration,
    },
    /// The next free slot is further away than the longest wait allowed.
    #[error(
        "too many calls queued for this location: the next free slot under HighLevel's limit of {burst} requests per {} s is {:.1} s away, longer than the {:.0} s the server waits; try again shortly",
        .window.as_secs(), .wait.as_secs_f64(), .max_wait.as_secs_f64()
    )]
    Busy {
        /// How far away the next slot is.
        wait: Duration,
        /// The longest wait allowed.
        max_wait: Duration,
        /// The burst limit.
        burst: u32,
        /// The burst window.
        window: Duration,
    },
}

/// The limiter's state could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(String);

/// The outcome of asking the backend for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// Reserved; the request may go after this wait.
    Granted(Duration),
    /// Today's budget is spent.
    Daily(Duration),
    /// The slot would be this far away.
    TooFar(Duration),
}

#[derive(Debug)]
enum Inner {
    Off,
    Memory(memory::Memory),
    Redis(redis::Shared),
}

/// Paces calls per key; cheap to clone (one `Arc`), shared by every call of a server.
#[derive(Debug, Clone)]
pub struct Limiter {
    inner: Arc<Inner>,
    limits: Limits,
}

impl Limiter {
    /// A limiter that lets everything through at once.
    pub fn off() -> Self {
        Self {
            inner: Arc::new(Inner::Off),
            limits: Limits::HIGHLEVEL,
        }
    }

    /// A limiter for one process.
    pub fn memory(limits: Limits) -> Self {
        Self {
            inner: Arc::new(Inner::Memory(memory::Memory::default())),
            limits,
        }
    }

    /// A limiter shared through Redis. Connects lazily: a Redis that is down at start-up only
    /// makes calls go unpaced (and the readiness check fail) until it is back.
    pub fn redis(url: &str, limits: Limits) -> Result<Self, SetupError> {
        Ok(Self {
            inner: Arc::new(Inner::Redis(redis::Shared::new(url)?)),
            limits,
        })
    }

    /// The limiter `backend` describes.
    pub fn from_backend(backend: &Backend, limits: Limits) -> Result<Self, SetupError> {
        match backend {
            Backend::Off => Ok(Self::off()),
            Backend::Memory => Ok(Self::memory(limits)),
            Backend::Redis(url) => Self::redis(url, limits),
        }
    }

    /// `off`, `memory` or `redis`.
    pub fn backend_name(&self) -> &'static str {
        match &*self.inner {
            Inner::Off => "off",
            Inner::Memory(_) => "memory",
            Inner::Redis(_) => "redis",
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Waits for a slot for `key` (a location id, or any stable name of the budget a call draws
    /// on), or says why the call may not go. The wait is bounded by [`Limits::max_wait`].
    pub async fn acquire(&self, key: &str) -> Result<Admission, Refusal> {
        let key = bounded(key);
        let key = key.as_ref();
        let decision = match &*self.inner {
            Inner::Off => {
                return Ok(Admission {
                    waited: Duration::ZERO,
                    unchecked: None,
                });
            }
            Inner::Memory(m) => Ok(m.reserve(key, &self.limits)),
            Inner::Redis(r) => r.reserve(key, &self.limits).await,
        };
        match decision {
            Ok(Decision::Granted(wait)) => {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                Ok(Admission {
                    waited: wait,
                    unchecked: None,
                })
            }
            Ok(Decision::Daily(resets_in)) => Err(Refusal::Daily {
                limit: self.limits.daily,
                resets_in,
            }),
            Ok(Decision::TooFar(wait)) => Err(Refusal::Busy {
                wait,
                max_wait: self.limits.max_wait,
                burst: self.limits.burst,
                window: self.limits.window,
            }),
            Err(reason) => Ok(Admission {
                waited: Duration::ZERO,
                unchecked: Some(reason),
            }),
        }
    }

    /// Whether the backend answers (Redis `PING`); always true for `off` and `memory`.
    pub async fn ping(&self) -> Result<(), String> {
        match &*self.inner {
            Inner::Off | Inner::Memory(_) => Ok(()),
            Inner::Redis(r) => r.ping().await,
        }
    }
}

/// Longest key kept as given; longer ones (a model can pass any location id) are hashed.
const MAX_KEY_CHARS: usize = 100;

/// `key` itself, or `#` and a hash of it when it is long or holds characters that would blur
/// Redis key names. The hash (SipHash with fixed keys) is the same in every replica running the
/// same build, which is all sharing needs.
fn bounded(key: &str) -> Cow<'_, str> {
    let plain = key.len() <= MAX_KEY_CHARS
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if plain {
        Cow::Borrowed(key)
    } else {
        let mut h = std::hash::DefaultHasher::new();
        key.hash(&mut h);
        Cow::Owned(format!("#{:016x}", h.finish()))
    }
}

/// Time until the next 00:00 UTC, and today's number (days since 1970-01-01 UTC).
fn utc_day(now_ms: u64) -> (u64, Duration) {
    const DAY_MS: u64 = 86_400_000;
    (
        now_ms / DAY_MS,
        Duration::from_millis(DAY_MS - now_ms % DAY_MS),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_parses_the_three_forms_and_explains_anything_else() {
        assert_eq!("off".parse::<Backend>(), Ok(Backend::Off));
        assert_eq!(" memory ".parse::<Backend>(), Ok(Backend::Memory));
        assert_eq!(
            "redis://127.0.0.1:6379/0".parse::<Backend>(),
            Ok(Backend::Redis("redis://127.0.0.1:6379/0".into()))
        );
        let err = "postgres://x".parse::<Backend>().unwrap_err();
        assert!(err.contains("`off`, `memory`"), "{err}");
        assert!("rediss://h".parse::<Backend>().unwrap_err().contains("TLS"));
    }

    #[test]
    fn debug_of_a_redis_backend_hides_the_url() {
        let b: Backend = "redis://:hunter2@10.0.0.1:6379".parse().unwrap();
        assert_eq!(format!("{b:?}"), "redis");
    }

    #[test]
    fn odd_or_long_keys_are_hashed_and_stable() {
        assert_eq!(bounded("ve9EPM428h8vShlRW1KT"), "ve9EPM428h8vShlRW1KT");
        let odd = bounded("a}b{c");
        assert!(odd.starts_with('#') && odd.len() == 17, "{odd}");
        assert_eq!(odd, bounded("a}b{c"));
        assert_ne!(odd, bounded("a}b{d"));
        assert!(bounded(&"x".repeat(101)).starts_with('#'));
    }

    #[test]
    fn utc_day_counts_days_and_time_to_midnight() {
        assert_eq!(utc_day(0), (0, Duration::from_secs(86_400)));
        assert_eq!(
            utc_day(86_400_000 + 3_600_000),
            (1, Duration::from_secs(82_800))
        );
    }

    #[test]
    fn refusals_read_as_advice() {
        let busy = Refusal::Busy {
            wait: Duration::from_millis(61_500),
            max_wait: Duration::from_secs(60),
            burst: 100,
            window: Duration::from_secs(10),
        };
        assert_eq!(
            busy.to_string(),
            "too many calls queued for this location: the next free slot under HighLevel's limit of 100 requests per 10 s is 61.5 s away, longer than the 60 s the server waits; try again shortly"
        );
        let daily = Refusal::Daily {
            limit: 200_000,
            resets_in: Duration::from_secs(90),
        };
        assert!(daily.to_string().ends_with("in 2 min"), "{daily}");
    }
}
