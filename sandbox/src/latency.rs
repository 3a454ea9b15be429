//! Injected latency with a spread: every answer waits the base latency plus a share of the
//! jitter that varies from request to request (uniform over 0..=jitter), so benchmarks can
//! rehearse HighLevel's 50-150 ms rather than one fixed delay. The share is derived from the
//! request's sequence number, not from the seeded generator that picks injected failures, so
//! turning jitter on changes no failure a test relies on.

use std::time::Duration;

/// The delay for the `n`th request.
pub(crate) fn delay(base: Duration, jitter: Duration, n: u64) -> Duration {
    let jitter_us = u64::try_from(jitter.as_micros()).unwrap_or(u64::MAX);
    if jitter_us == 0 {
        return base;
    }
    let share = mix(n) % (jitter_us.saturating_add(1));
    base.saturating_add(Duration::from_micros(share))
}

/// SplitMix64's finaliser: consecutive inputs give unrelated outputs.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_in_range_and_spread_over_it() {
        let base = Duration::from_millis(50);
        let jitter = Duration::from_millis(100);
        let delays: Vec<Duration> = (0..2000).map(|n| delay(base, jitter, n)).collect();
        assert!(delays.iter().all(|d| *d >= base && *d <= base + jitter));
        let low = delays
            .iter()
            .filter(|d| **d < Duration::from_millis(75))
            .count();
        let high = delays
            .iter()
            .filter(|d| **d > Duration::from_millis(125))
            .count();
        // A uniform spread puts about a quarter in each end.
        assert!((300..700).contains(&low), "{low} below 75 ms");
        assert!((300..700).contains(&high), "{high} above 125 ms");
    }

    #[test]
    fn no_jitter_is_the_base_latency() {
        for n in 0..10 {
            assert_eq!(
                delay(Duration::from_millis(7), Duration::ZERO, n),
                Duration::from_millis(7)
            );
        }
    }
}
