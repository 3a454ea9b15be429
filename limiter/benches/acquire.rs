//! What the limiter adds to one call: `Limiter::acquire` timed per call, for the in-process
//! backend and for Redis (a real `redis-server` on loopback, started here), with limits so
//! generous that no call waits, so only the bookkeeping is measured. Prints medians and tails.
//!
//! `cargo bench -p limiter` (release build). Not a test: nothing is asserted about speed.

use std::time::{Duration, Instant};

use limiter::test_support::RedisServer;
use limiter::{Limiter, Limits};

/// No call ever waits: the burst is far above the number of calls per key.
const UNLIMITED: Limits = Limits {
    burst: 1_000_000,
    window: Duration::from_secs(10),
    margin: Duration::from_millis(500),
    daily: u64::MAX,
    max_wait: Duration::from_secs(60),
};

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<34} n={:<6} median {:>8.1} us   p90 {:>8.1} us   p99 {:>8.1} us",
        samples.len(),
        quantile(&samples, 0.5).as_secs_f64() * 1e6,
        quantile(&samples, 0.9).as_secs_f64() * 1e6,
        quantile(&samples, 0.99).as_secs_f64() * 1e6,
    );
}

/// Sequential calls spread over 50 locations, after a warm-up.
async fn sequential(limiter: &Limiter, calls: usize) -> Vec<Duration> {
    for i in 0..200 {
        limiter.acquire(&format!("warm{}", i % 50)).await.unwrap();
    }
    let mut samples = Vec::with_capacity(calls);
    for i in 0..calls {
        let key = format!("location{}", i % 50);
        let started = Instant::now();
        let admission = limiter.acquire(&key).await.unwrap();
        samples.push(started.elapsed());
        assert!(admission.unchecked.is_none() && admission.waited.is_zero());
    }
    samples
}

/// `tasks` callers at once, each timing its own calls.
async fn concurrent(limiter: &Limiter, tasks: usize, calls_each: usize) -> Vec<Duration> {
    let mut handles = Vec::new();
    for t in 0..tasks {
        let limiter = limiter.clone();
        handles.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(calls_each);
            for i in 0..calls_each {
                let key = format!("location{}", (t * 7 + i) % 50);
                let started = Instant::now();
                limiter.acquire(&key).await.unwrap();
                samples.push(started.elapsed());
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    all
}

#[tokio::main]
async fn main() {
    println!("limiter::acquire, added latency per call (no call waits)");
    let off = Limiter::off();
    report("off", sequential(&off, 20_000).await);
    let memory = Limiter::memory(UNLIMITED);
    report("memory, 1 caller", sequential(&memory, 20_000).await);
    report("memory, 16 callers", concurrent(&memory, 16, 2_000).await);
    match RedisServer::start("limiter bench") {
        Some(redis) => {
            let shared = Limiter::redis(&redis.url(), UNLIMITED).unwrap();
            report(
                "redis (loopback), 1 caller",
                sequential(&shared, 5_000).await,
            );
            report(
                "redis (loopback), 16 callers",
                concurrent(&shared, 16, 500).await,
            );
        }
        None => println!("redis: skipped (no redis-server)"),
    }
}
