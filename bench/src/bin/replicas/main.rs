//! `replicas`: the replica figures of BENCHMARKS.md (run by `bench/scripts/replicas.sh` against
//! a release build). Starts its own Postgres and Redis (the test helpers of `oauth` and
//! `limiter`), the sandbox as a separate `highlevel-mcp sandbox` process, and
//! `highlevel-mcp serve --auth oauth` replicas, then measures:
//!
//! 1. throughput and latency of `tools/call` with one, two and three replicas sharing the
//!    Postgres store and the Redis limiter, against a sandbox answering in 50-150 ms; each
//!    worker holds one keep-alive connection to one replica (as a load balancer spreads
//!    connections), workers spread evenly over the replicas;
//! 2. what the Redis limiter and the Postgres store add to one call: one caller, a sandbox
//!    without latency, replicas that differ only in `--rate-limit` and `--store`, alternated
//!    round by round;
//! 3. what a token lookup costs in each store when the per-call cache misses (a token's first
//!    call, or any call after a revocation): `Store::access` timed directly.
//!
//! The limiter runs with limits no call reaches (pacing would measure the limit, not the cost).
//! Prints Markdown on stdout; progress on stderr.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod grant;
use grant::{PASSPHRASE, grant};

const MCP_VERSION: &str = "2025-11-25";

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(1)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("reqwest client")
}

async fn wait_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Bench {
    server: PathBuf,
    key: PathBuf,
    _dir: tempfile::TempDir,
}

impl Bench {
    async fn sandbox(&self, latency: bool) -> (Proc, String) {
        let port = free_port();
        let mut c = Command::new(&self.server);
        c.args(["sandbox", "--port", &port.to_string(), "--rate-limit", "0"]);
        if latency {
            c.args(["--latency-ms", "50", "--latency-jitter-ms", "100"]);
        }
        let p = Proc(
            c.stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("sandbox starts"),
        );
        wait_port(port, "the sandbox").await;
        (p, format!("http://127.0.0.1:{port}"))
    }

    /// A replica; `public` is the shared public URL (None: its own).
    async fn replica(
        &self,
        upstream: &str,
        store: &str,
        rate_limit: &str,
        public: Option<&str>,
    ) -> (Proc, String) {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let p = Proc(
            Command::new(&self.server)
                .args(["serve", "--auth", "oauth", "--port", &port.to_string()])
                .args(["--public-url", public.unwrap_or(&base)])
                .args(["--upstream", upstream, "--store", store])
                .args(["--rate-limit", rate_limit])
                .args(["--rate-limit-burst", "1000000000"])
                .args(["--rate-limit-daily", "1000000000000"])
                .arg("--store-key-file")
                .arg(&self.key)
                .env("HIGHLEVEL_MCP_AUTH_PASSPHRASE", PASSPHRASE)
                .env("HIGHLEVEL_MCP_AUDIT_LOG", "none")
                .env_remove("HIGHLEVEL_TOKEN")
                .env_remove("RUST_LOG")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("replica starts"),
        );
        wait_port(port, "a replica").await;
        (p, base)
    }
}

/// One `tools/call` of `locations_get-location`; its latency in µs.
async fn call(c: &reqwest::Client, base: &str, token: &str) -> Result<u32, String> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "locations_get-location", "arguments": {}}});
    let t = Instant::now();
    let r = c
        .post(format!("{base}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {token}"))
        .header("mcp-protocol-version", MCP_VERSION)
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let bytes = r.bytes().await.map_err(|e| e.to_string())?;
    let us = u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX);
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| format!("{status}: {e}"))?;
    if !status.is_success() || v["result"]["isError"] == true || v.get("result").is_none() {
        return Err(format!("{status}: {v}"));
    }
    Ok(us)
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// `conc` workers for `secs` seconds after a 1 s warm-up, worker `i` on replica `i % n`;
/// (calls per second, p50 ms, p99 ms, errors).
async fn load(bases: &[String], token: &str, conc: usize, secs: u64) -> (f64, f64, f64, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..conc)
        .map(|i| {
            let base = bases[i % bases.len()].clone();
            let token = token.to_owned();
            let (stop, measuring) = (stop.clone(), measuring.clone());
            tokio::spawn(async move {
                let c = http();
                let (mut lat, mut errors) = (Vec::new(), 0usize);
                while !stop.load(Ordering::Relaxed) {
                    let r = call(&c, &base, &token).await;
                    if measuring.load(Ordering::Relaxed) {
                        match r {
                            Ok(us) => lat.push(us),
                            Err(_) => errors += 1,
                        }
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    measuring.store(true, Ordering::Relaxed);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let (mut all, mut errors) = (Vec::new(), 0);
    for w in workers {
        let (l, e) = w.await.expect("worker");
        all.extend(l);
        errors += e;
    }
    all.sort_unstable();
    if all.is_empty() {
        return (0.0, f64::NAN, f64::NAN, errors);
    }
    (
        all.len() as f64 / elapsed,
        pct(&all, 0.5),
        pct(&all, 0.99),
        errors,
    )
}

/// `n` sequential calls; (p50 ms, p99 ms).
async fn sequential(base: &str, token: &str, n: usize) -> (f64, f64) {
    let c = http();
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        lat.push(call(&c, base, token).await.expect("call"));
    }
    lat.sort_unstable();
    (pct(&lat, 0.5), pct(&lat, 0.99))
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(server) = arg(&args, "--server") else {
        eprintln!(
            "usage: replicas --server PATH/highlevel-mcp [--seconds S] [--rounds R] [--concurrency C]"
        );
        std::process::exit(2);
    };
    let secs: u64 = arg(&args, "--seconds").map_or(10, |s| s.parse().expect("--seconds N"));
    let rounds: usize = arg(&args, "--rounds").map_or(3, |s| s.parse().expect("--rounds N"));
    let conc: usize =
        arg(&args, "--concurrency").map_or(48, |s| s.parse().expect("--concurrency N"));

    let pg = oauth::test_support::PostgresServer::start("replicas bench").expect("postgres");
    let redis = limiter::test_support::RedisServer::start("replicas bench").expect("redis");
    let pg_url = pg.create_database("bench").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("store.key");
    let ok = Command::new(&server)
        .args(["keygen", "--out"])
        .arg(&key)
        .status()
        .expect("keygen");
    assert!(ok.success(), "keygen failed");
    let bench = Bench {
        server: server.into(),
        key,
        _dir: dir,
    };

    // 1. One, two and three replicas.
    eprintln!("replicas: scaling, {rounds} rounds of {secs} s per cell, {conc} workers");
    let (_sb, upstream) = bench.sandbox(true).await;
    let mut procs = Vec::new();
    let mut bases: Vec<String> = Vec::new();
    for i in 0..3 {
        let public = bases.first().cloned();
        let (p, base) = bench
            .replica(&upstream, &pg_url, &redis.url(), public.as_deref())
            .await;
        procs.push(p);
        bases.push(base);
        if i == 0 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    let token = grant(&bases[0], &bases[0]).await;
    let mut cells: Vec<Vec<(f64, f64, f64, usize)>> = vec![Vec::new(); 3];
    for round in 0..rounds {
        for k in 0..3 {
            // Rotate the order so no replica count always runs first (or last).
            let n = (k + round) % 3 + 1;
            let r = load(&bases[..n], &token, conc, secs).await;
            eprintln!("  round {round}, {n} replica(s): {r:?}");
            cells[n - 1].push(r);
        }
    }
    drop(procs);
    println!(
        "### One, two and three replicas ({conc} workers, sandbox latency 50-150 ms, Postgres store, Redis limiter)\n"
    );
    println!("| replicas | calls/s | p50 | p99 | errors |\n|--:|--:|--:|--:|--:|");
    for (i, runs) in cells.iter().enumerate() {
        let med = |f: fn(&(f64, f64, f64, usize)) -> f64| median(runs.iter().map(f).collect());
        println!(
            "| {} | {:.0} | {:.1} ms | {:.1} ms | {} |",
            i + 1,
            med(|r| r.0),
            med(|r| r.1),
            med(|r| r.2),
            runs.iter().map(|r| r.3).sum::<usize>()
        );
    }

    // 2. What the shared backends add to one call.
    eprintln!("replicas: per-call cost of the shared backends");
    let (_sb0, fast) = bench.sandbox(false).await;
    let sqlite = |name: &str| format!("sqlite:{}", bench._dir.path().join(name).display());
    let configs = [
        (
            "SQLite store, in-process limiter",
            sqlite("a.db"),
            "memory".to_owned(),
        ),
        ("SQLite store, Redis limiter", sqlite("b.db"), redis.url()),
        (
            "Postgres store, in-process limiter",
            pg_url.clone(),
            "memory".to_owned(),
        ),
        ("Postgres store, Redis limiter", pg_url.clone(), redis.url()),
    ];
    let mut running = Vec::new();
    for (name, store, rl) in &configs {
        let (p, base) = bench.replica(&fast, store, rl, None).await;
        let token = grant(&base, &base).await;
        let _ = sequential(&base, &token, 200).await;
        running.push((name, p, base, token));
    }
    let mut per: Vec<Vec<(f64, f64)>> = vec![Vec::new(); configs.len()];
    for round in 0..5 {
        for k in 0..configs.len() {
            let i = (k + round) % configs.len();
            let (_, _, base, token) = &running[i];
            per[i].push(sequential(base, token, 1000).await);
        }
    }
    println!(
        "\n### Per call, one caller (sandbox without latency; 5 rounds of 1,000 calls, medians)\n"
    );
    println!(
        "| store, limiter | p50 | p99 | p50 added vs SQLite + in-process |\n|---|--:|--:|--:|"
    );
    let base_p50 = median(per[0].iter().map(|r| r.0).collect());
    for (i, (name, ..)) in running.iter().enumerate() {
        let p50 = median(per[i].iter().map(|r| r.0).collect());
        let p99 = median(per[i].iter().map(|r| r.1).collect());
        println!(
            "| {name} | {:.3} ms | {:.3} ms | {:+.3} ms |",
            p50,
            p99,
            p50 - base_p50
        );
    }
    let tokens: Vec<String> = running.iter().map(|r| r.3.clone()).collect();
    drop(running);

    // 3. A cache miss: one token-and-grant lookup in each store.
    eprintln!("replicas: store lookups");
    // Each store's own access token (configs 0 and 2), so the lookup finds its row.
    let lookups = [
        ("SQLite", sqlite("a.db"), &tokens[0]),
        ("Postgres", pg_url.clone(), &tokens[2]),
    ];
    println!(
        "\n### One access-token lookup (`Store::access`, the per-call cost on a cache miss; 5 rounds of 2,000)\n"
    );
    println!("| store | p50 | p99 |\n|---|--:|--:|");
    for (name, spec, token) in lookups {
        let store = oauth::store::open(&spec).await.expect("store");
        let hash = oauth::crypto::token_hash(token);
        assert!(
            store.access(&hash).await.expect("lookup").is_some(),
            "the token is in the {name} store"
        );
        let mut p50s = Vec::new();
        let mut p99s = Vec::new();
        for _ in 0..5 {
            let mut lat = Vec::with_capacity(2000);
            for _ in 0..2000 {
                let t = Instant::now();
                let _ = store.access(&hash).await.expect("lookup");
                lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            lat.sort_unstable();
            p50s.push(pct(&lat, 0.5));
            p99s.push(pct(&lat, 0.99));
        }
        println!(
            "| {name} | {:.3} ms | {:.3} ms |",
            median(p50s),
            median(p99s)
        );
    }
}
