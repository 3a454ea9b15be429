//! The Redis backend against a real `redis-server` (started by the test, on loopback): the same
//! pacing rule as in process, shared by separate limiter instances as replicas would share it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use limiter::test_support::RedisServer;
use limiter::{Limiter, Limits, Refusal};

fn small() -> Limits {
    Limits {
        burst: 5,
        window: Duration::from_millis(500),
        margin: Duration::from_millis(60),
        daily: 1_000,
        max_wait: Duration::from_secs(10),
    }
}

/// Most requests admitted in any `window` starting at an admission.
fn most_in_any_window(mut at: Vec<Duration>, window: Duration) -> usize {
    at.sort();
    (0..at.len())
        .map(|i| at[i..].iter().take_while(|t| **t < at[i] + window).count())
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn two_instances_sharing_one_redis_together_never_exceed_the_burst() {
    let Some(redis) = RedisServer::start("two_instances_sharing_one_redis") else {
        return;
    };
    let limits = small();
    let a = Limiter::redis(&redis.url(), limits).unwrap();
    let b = Limiter::redis(&redis.url(), limits).unwrap();
    let start = Instant::now();
    let admitted = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    // 30 calls for one location, half through each "replica", all at once: six windows' worth.
    for i in 0..30 {
        let limiter = if i % 2 == 0 { a.clone() } else { b.clone() };
        let admitted = admitted.clone();
        tasks.push(tokio::spawn(async move {
            let admission = limiter.acquire("loc-shared").await.expect("admitted");
            assert_eq!(admission.unchecked, None, "Redis must have been asked");
            admitted.lock().unwrap().push(start.elapsed());
        }));
    }
    // A different location is not held up by the queue above.
    let other = a.acquire("loc-other").await.unwrap();
    assert_eq!(other.waited, Duration::ZERO);
    for t in tasks {
        t.await.unwrap();
    }
    let at = admitted.lock().unwrap().clone();
    assert_eq!(at.len(), 30);
    let most = most_in_any_window(at.clone(), limits.window);
    assert!(
        most <= 5,
        "{most} calls admitted within one {:?} window: {at:?}",
        limits.window
    );
    // Pacing, not refusing: 30 calls at 5 per 560 ms take five full spacings.
    let last = at.iter().max().unwrap();
    assert!(
        *last >= Duration::from_millis(5 * 560) && *last < Duration::from_millis(5 * 560 + 1_500),
        "last admission at {last:?}"
    );
    // And without the shared backend each instance would have let 5 through at once: check
    // that the rule really is shared by comparing with two separate in-process limiters.
    let (m1, m2) = (Limiter::memory(limits), Limiter::memory(limits));
    let t = Instant::now();
    for _ in 0..5 {
        m1.acquire("loc").await.unwrap();
        m2.acquire("loc").await.unwrap();
    }
    assert!(t.elapsed() < Duration::from_millis(100), "separate budgets");
}

#[tokio::test]
async fn a_slot_too_far_away_and_a_spent_day_are_refused_by_redis() {
    let Some(redis) = RedisServer::start("refusals_by_redis") else {
        return;
    };
    let limiter = Limiter::redis(
        &redis.url(),
        Limits {
            max_wait: Duration::from_millis(300),
            daily: 8,
            ..small()
        },
    )
    .unwrap();
    for _ in 0..5 {
        assert_eq!(limiter.acquire("loc").await.unwrap().waited, Duration::ZERO);
    }
    match limiter.acquire("loc").await {
        Err(Refusal::Busy { wait, .. }) => {
            assert!(wait > Duration::from_millis(300) && wait <= Duration::from_millis(560))
        }
        other => panic!("expected a busy refusal, got {other:?}"),
    }
    // The refused call took no slot: after one spacing, five more go at once.
    tokio::time::sleep(Duration::from_millis(580)).await;
    for _ in 0..3 {
        assert_eq!(limiter.acquire("loc").await.unwrap().waited, Duration::ZERO);
    }
    // That makes 8 today: the daily budget is spent.
    match limiter.acquire("loc").await {
        Err(Refusal::Daily { limit, resets_in }) => {
            assert_eq!(limit, 8);
            assert!(resets_in <= Duration::from_secs(86_400));
        }
        other => panic!("expected the daily refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn without_redis_calls_go_unpaced_and_ping_says_why() {
    let Some(redis) = RedisServer::start("fail_open") else {
        return;
    };
    let limiter = Limiter::redis(&redis.url(), small()).unwrap();
    assert_eq!(limiter.ping().await, Ok(()));
    limiter.acquire("loc").await.unwrap();
    let url = redis.url();
    drop(redis);
    let started = Instant::now();
    let admission = limiter.acquire("loc").await.expect("fail open");
    let reason = admission.unchecked.expect("the outage is reported");
    assert!(
        reason.contains("Redis rate limiter unavailable"),
        "{reason}"
    );
    assert!(!reason.contains(&url), "no URL in messages: {reason}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an outage is bounded: {:?}",
        started.elapsed()
    );
    let ping = limiter.ping().await.unwrap_err();
    assert!(ping.contains("unavailable"), "{ping}");
}

#[tokio::test]
async fn a_bad_url_is_refused_at_start_up() {
    let err = Limiter::redis("redis://[::1", small()).unwrap_err();
    assert!(err.to_string().contains("redis://host:port"), "{err}");
}
