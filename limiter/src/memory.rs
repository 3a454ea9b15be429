//! The in-process backend: per key, the times of the last `burst` reserved slots and today's
//! count, behind one mutex held only for the arithmetic (never across a wait).
//!
//! Slot rule (the Lua script in `redis.rs` is the same rule): a new request goes at
//! `max(now, slot[n - burst] + window + margin)`, where `slot[n - burst]` is the slot `burst`
//! requests back. Slots only grow, so any window of that length holds at most `burst` of them.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::{Decision, Limits, utc_day};

/// Keys seen today are kept for their daily count; past this many, a sweep drops other days'.
const SWEEP_AT: usize = 10_000;
/// Past this many keys, idle ones (no slot within a window) are dropped, daily count and all, so
/// a flood of made-up location ids cannot grow the map without bound.
const HARD_CAP: usize = 100_000;

#[derive(Debug, Default)]
struct KeyState {
    /// The last `burst` slots, oldest first.
    slots: VecDeque<Instant>,
    /// UTC day `used` counts for.
    day: u64,
    /// Requests reserved on `day`.
    used: u64,
}

/// The in-process limiter state.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    keys: Mutex<HashMap<String, KeyState>>,
}

impl Memory {
    /// Reserves a slot for `key`, or says why not.
    pub(crate) fn reserve(&self, key: &str, limits: &Limits) -> Decision {
        let now = Instant::now();
        let wall_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let (today, resets_in) = utc_day(wall_ms);
        // A poisoned lock only means another call panicked mid-arithmetic; the numbers are still
        // usable, and refusing every later call would be worse.
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if !keys.contains_key(key) && keys.len() >= SWEEP_AT {
            sweep(&mut keys, today, now, limits);
        }
        let state = keys.entry(key.to_owned()).or_default();
        if state.day != today {
            state.day = today;
            state.used = 0;
        }
        decide(state, now, resets_in, limits)
    }
}

fn decide(state: &mut KeyState, now: Instant, resets_in: Duration, limits: &Limits) -> Decision {
    if state.used >= limits.daily {
        return Decision::Daily(resets_in);
    }
    let burst = limits.burst.max(1) as usize;
    let mut slot = now;
    if state.slots.len() >= burst {
        let back = state.slots[state.slots.len() - burst];
        slot = slot.max(back + limits.spacing());
    }
    let wait = slot - now;
    if wait > limits.max_wait {
        return Decision::TooFar(wait);
    }
    state.slots.push_back(slot);
    while state.slots.len() > burst {
        state.slots.pop_front();
    }
    state.used += 1;
    Decision::Granted(wait)
}

fn sweep(keys: &mut HashMap<String, KeyState>, today: u64, now: Instant, limits: &Limits) {
    keys.retain(|_, s| s.day == today);
    if keys.len() >= HARD_CAP {
        let idle_before = now.checked_sub(limits.spacing()).unwrap_or(now);
        keys.retain(|_, s| s.slots.back().is_some_and(|t| *t > idle_before));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Limits {
        Limits {
            burst: 3,
            window: Duration::from_secs(1),
            margin: Duration::from_millis(100),
            daily: 1_000,
            max_wait: Duration::from_secs(5),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_burst_goes_at_once_and_the_next_waits_a_window() {
        let m = Memory::default();
        let l = small();
        for _ in 0..3 {
            assert_eq!(m.reserve("loc", &l), Decision::Granted(Duration::ZERO));
        }
        assert_eq!(
            m.reserve("loc", &l),
            Decision::Granted(Duration::from_millis(1_100))
        );
        // Another location has its own budget.
        assert_eq!(m.reserve("other", &l), Decision::Granted(Duration::ZERO));
        tokio::time::advance(Duration::from_millis(600)).await;
        // Slots 2 and 3 were at 0 ms: the 5th and 6th request go at 1,100 ms, 500 ms from now.
        assert_eq!(
            m.reserve("loc", &l),
            Decision::Granted(Duration::from_millis(500))
        );
        assert_eq!(
            m.reserve("loc", &l),
            Decision::Granted(Duration::from_millis(500))
        );
        // The 7th follows the 4th (at 1,100 ms) by a window: 2,200 ms, 1,600 ms from now.
        assert_eq!(
            m.reserve("loc", &l),
            Decision::Granted(Duration::from_millis(1_600))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_beyond_the_longest_wait_is_refused_and_not_reserved() {
        let m = Memory::default();
        let l = Limits {
            max_wait: Duration::from_millis(1_500),
            ..small()
        };
        for _ in 0..6 {
            assert!(matches!(m.reserve("loc", &l), Decision::Granted(_)));
        }
        // The 7th would go at 2,200 ms.
        assert_eq!(
            m.reserve("loc", &l),
            Decision::TooFar(Duration::from_millis(2_200))
        );
        assert_eq!(
            m.reserve("loc", &l),
            Decision::TooFar(Duration::from_millis(2_200)),
            "a refused call must not take a slot"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_daily_budget_refuses_once_spent() {
        let m = Memory::default();
        let l = Limits {
            daily: 4,
            burst: 100,
            ..small()
        };
        for _ in 0..4 {
            assert_eq!(m.reserve("loc", &l), Decision::Granted(Duration::ZERO));
        }
        assert!(matches!(m.reserve("loc", &l), Decision::Daily(_)));
        assert_eq!(
            m.reserve("elsewhere", &l),
            Decision::Granted(Duration::ZERO)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn paced_requests_never_put_more_than_burst_in_a_window() {
        let m = Memory::default();
        let l = Limits {
            max_wait: Duration::from_secs(60),
            ..small()
        };
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..20 {
            match m.reserve("loc", &l) {
                Decision::Granted(w) => at.push(Instant::now() + w - start),
                other => panic!("unexpected {other:?}"),
            }
            tokio::time::advance(Duration::from_millis(37)).await;
        }
        for (i, t) in at.iter().enumerate() {
            let inside = at[i..].iter().filter(|u| **u < *t + l.window).count();
            assert!(inside <= 3, "{inside} requests in the window from {t:?}");
        }
    }

    #[test]
    fn the_sweep_keeps_todays_keys_and_drops_idle_ones_past_the_cap() {
        let l = small();
        let now = Instant::now();
        let mut keys: HashMap<String, KeyState> = HashMap::new();
        keys.insert(
            "yesterday".into(),
            KeyState {
                day: 9,
                ..Default::default()
            },
        );
        keys.insert(
            "today".into(),
            KeyState {
                day: 10,
                used: 5,
                ..Default::default()
            },
        );
        sweep(&mut keys, 10, now, &l);
        assert_eq!(keys.keys().collect::<Vec<_>>(), vec!["today"]);
    }
}
