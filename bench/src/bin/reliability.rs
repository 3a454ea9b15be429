//! Reliability figures for BENCHMARKS.md (issue 10), against the release binary:
//!
//! 1. a flood of slow sockets (each sends half a request line and stops): RSS and `/healthz`
//!    latency before, during and after, and how many sockets the server closed on its own;
//! 2. `describe_tool` with an unknown 100,000- and 1,000,000-character name in discovery mode;
//! 3. the wall time of one read against an upstream that accepts and never answers, with the
//!    default timeout and retry settings;
//! 4. RSS after 3,000 `initialize` calls in `--sessions` mode.
//!
//! Usage: `reliability <path to highlevel-mcp> [--sockets N]`. Loopback only; every loop is
//! bounded.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

async fn spawn(bin: &str, args: &[&str]) -> Server {
    let port = free_port();
    let child = Command::new(bin)
        .arg("serve")
        .args(["--port", &port.to_string()])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start highlevel-mcp");
    let s = Server { child, port };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(s.url("/healthz")).send().await.is_ok() {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("highlevel-mcp did not answer /healthz within 5 s");
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    }

    /// One JSON-RPC POST to /mcp (stateless servers answer without a handshake).
    async fn rpc(&self, http: &reqwest::Client, body: Value, bearer: &str) -> reqwest::Response {
        http.post(self.url("/mcp"))
            .header("authorization", format!("Bearer {bearer}"))
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .json(&body)
            .send()
            .await
            .expect("POST /mcp")
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn health_ms(s: &Server, n: usize) -> (f64, f64) {
    let mut times = Vec::new();
    for _ in 0..n {
        // A new client each time: every check needs a new connection admitted.
        let http = reqwest::Client::new();
        let t = Instant::now();
        let ok = tokio::time::timeout(Duration::from_secs(10), http.get(s.url("/healthz")).send())
            .await
            .is_ok_and(|r| r.is_ok());
        times.push(if ok {
            t.elapsed().as_secs_f64() * 1000.0
        } else {
            10_000.0
        });
    }
    let max = times.iter().copied().fold(0.0, f64::max);
    (median(times), max)
}

async fn flood(bin: &str, sockets: usize) {
    let s = spawn(bin, &["--sandbox"]).await;
    let idle = s.rss_mb();
    let (p50_before, _) = health_ms(&s, 20).await;
    let mut open = Vec::with_capacity(sockets);
    for _ in 0..sockets {
        match TcpStream::connect(("127.0.0.1", s.port)).await {
            Ok(mut t) => {
                let _ = t
                    .write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    .await;
                open.push(t);
            }
            Err(_) => break,
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = s.rss_mb();
    let (p50_during, max_during) = health_ms(&s, 20).await;
    // The default header timeout is 10 s: give the server 12 s to close the slow sockets.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let mut closed = 0;
    for t in &mut open {
        let mut buf = [0u8; 64];
        if let Ok(Ok(0)) = tokio::time::timeout(
            Duration::from_millis(2),
            tokio::io::AsyncReadExt::read(t, &mut buf),
        )
        .await
        {
            closed += 1;
        }
    }
    drop(open);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = s.rss_mb();
    let (p50_after, _) = health_ms(&s, 20).await;
    println!(
        "| slow-socket flood | {} sockets opened | idle RSS {idle:.1} MB; during {during:.1} MB; 14 s later {after:.1} MB | /healthz p50 {p50_before:.2} ms before, {p50_during:.2} ms (max {max_during:.1} ms) during, {p50_after:.2} ms after | {closed} of {} closed by the server within 12 s |",
        sockets, sockets
    );
}

async fn long_names(bin: &str) {
    let s = spawn(bin, &["--sandbox", "--discovery"]).await;
    let http = reqwest::Client::new();
    for len in [100_000usize, 1_000_000] {
        let name = "contacts_".to_owned() + &"x".repeat(len);
        let body = json!({"jsonrpc":"2.0","id":1,"method":"tools/call",
            "params":{"name":"describe_tool","arguments":{"name": name}}});
        let mut times = Vec::new();
        let mut answer = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let r = s.rpc(&http, body.clone(), "x").await;
            answer = r.text().await.map(|t| t.len()).unwrap_or(0);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "| describe_tool, unknown name of {len} characters | median of 5 | {:.1} ms | answer {answer} bytes |",
            median(times)
        );
    }
}

async fn hung_upstream(bin: &str) {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let upstream = format!("http://{addr}");
    let s = spawn(bin, &["--upstream", &upstream]).await;
    let http = reqwest::Client::new();
    let body = json!({"jsonrpc":"2.0","id":1,"method":"tools/call",
        "params":{"name":"contacts_get-contact","arguments":{"contactId":"c1"}}});
    let t = Instant::now();
    let r = s.rpc(&http, body, "pit-bench").await;
    let text = r.text().await.unwrap_or_default();
    let took = t.elapsed().as_secs_f64();
    let said = text
        .split("gave up after ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap_or("?");
    println!(
        "| read against a hung upstream, default settings | 1 call | {took:.1} s | the result says: gave up after {said} |"
    );
}

async fn sessions(bin: &str) {
    let s = spawn(bin, &["--sandbox", "--sessions"]).await;
    let idle = s.rss_mb();
    let http = reqwest::Client::new();
    let mut ok = 0;
    let mut refused = 0;
    for i in 0..3000 {
        let body = json!({"jsonrpc":"2.0","id":i,"method":"initialize","params":{
            "protocolVersion":"2025-11-25","capabilities":{},
            "clientInfo":{"name":"bench","version":"1"}}});
        let r = s.rpc(&http, body, "x").await;
        if r.status().is_success() {
            ok += 1;
        } else if r.status().as_u16() == 503 {
            refused += 1;
        }
        let _ = r.bytes().await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!(
        "| 3,000 initialize with --sessions (cap 1,000) | {ok} opened, {refused} refused with 503 | idle RSS {idle:.1} MB; after {:.1} MB | |",
        s.rss_mb()
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(bin) = args.get(1) else {
        eprintln!("usage: reliability <path to highlevel-mcp> [--sockets N]");
        std::process::exit(2);
    };
    let sockets = args
        .iter()
        .position(|a| a == "--sockets")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    println!("| probe | load | figures | | |");
    println!("| --- | --- | --- | --- | --- |");
    flood(bin, sockets).await;
    long_names(bin).await;
    hung_upstream(bin).await;
    sessions(bin).await;
}
