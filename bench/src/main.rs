//! The benchmark driver behind `cargo xtask bench` (always a release build; see BENCHMARKS.md).
//!
//! `bench run --server PATH` starts the sandbox and the server as two separate processes (so the
//! server's memory is measured alone), then measures, in one run, the direct HTTP call to the
//! sandbox against the same operation as an MCP `tools/call` through the server, at several
//! concurrencies, plus `tools/list` latency, cold start, server RSS, and a 10,000-call mixed load
//! test whose writes are checked against the sandbox's state afterwards. It prints a Markdown
//! report on stdout. `bench sandbox` is the sandbox process itself: the emulator with its rate
//! limit off and no injected latency, printing its URL on the first line of stdout.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const DUMMY_BEARER: &str = "bench-dummy-bearer";
const MCP_VERSION: &str = "2025-11-25";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match args.first().map(String::as_str) {
        Some("sandbox") => rt.block_on(run_sandbox()),
        Some("run") => match Settings::parse(&args[1..]) {
            Ok(s) => match rt.block_on(run(s)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("benchmark failed: {e}");
                    ExitCode::FAILURE
                }
            },
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        _ => {
            eprintln!(
                "usage: bench run [--server PATH] [--seconds S] [--load N] [--ops get,search,create]   (normally via `cargo xtask bench`)\n       bench sandbox"
            );
            ExitCode::from(2)
        }
    }
}

/// `bench sandbox`: the emulator for benchmarks, until killed.
async fn run_sandbox() -> ExitCode {
    let config = sandbox::SandboxConfig::for_tests();
    match sandbox::Sandbox::start(config).await {
        Ok(sb) => {
            println!("{}", sb.base_url());
            std::future::pending::<()>().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot start the sandbox: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Settings {
    server: std::path::PathBuf,
    /// Measured seconds per cell (after a warm-up of a fifth of it).
    seconds: f64,
    /// Calls in the load test.
    load: usize,
    /// Operations of the matrix (`--ops get,search,create`; all by default).
    ops: Vec<Op>,
}

impl Settings {
    fn parse(args: &[String]) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
        let mut s = Settings {
            server: exe.with_file_name("highlevel-mcp"),
            seconds: 2.0,
            load: 10_000,
            ops: vec![Op::GetContact, Op::Search, Op::Create],
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match a.as_str() {
                "--server" => s.server = value("--server")?.into(),
                "--seconds" => {
                    s.seconds = value("--seconds")?
                        .parse()
                        .map_err(|_| "--seconds takes a number, e.g. 2".to_owned())?
                }
                "--load" => {
                    s.load = value("--load")?
                        .parse()
                        .map_err(|_| "--load takes a call count, e.g. 10000".to_owned())?
                }
                "--ops" => s.ops = value("--ops")?
                    .split(',')
                    .map(|o| match o.trim() {
                        "get" => Ok(Op::GetContact),
                        "search" => Ok(Op::Search),
                        "create" => Ok(Op::Create),
                        other => Err(format!(
                            "--ops takes get, search and/or create, comma-separated; got {other:?}"
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                other => return Err(format!("unknown flag {other:?}; see `bench` for usage")),
            }
        }
        if !s.server.is_file() {
            return Err(format!(
                "server binary {} not found; build it with `cargo build --release -p server` or pass --server",
                s.server.display()
            ));
        }
        Ok(s)
    }
}

/// A child process killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn spawn_server(s: &Settings, upstream: &str, port: u16) -> Result<Proc, String> {
    Command::new(&s.server)
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--upstream",
            upstream,
            "--location-id",
            sandbox::DEMO_LOCATION_ID,
        ])
        .env_remove("HIGHLEVEL_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Proc)
        .map_err(|e| format!("cannot start {}: {e}", s.server.display()))
}

/// (VmRSS, VmHWM) of a process, in KiB.
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(1)
        .build()
        .expect("reqwest client")
}

/// The MCP endpoint as a client sees it.
#[derive(Clone)]
struct Mcp {
    url: String,
}

impl Mcp {
    fn post(&self, c: &reqwest::Client, body: String) -> reqwest::RequestBuilder {
        c.post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("authorization", format!("Bearer {DUMMY_BEARER}"))
            .header("mcp-protocol-version", MCP_VERSION)
            .body(body)
    }

    /// The 2025-11-25 handshake, once per connection (the server is stateless; it costs one
    /// round trip and sets nothing up).
    async fn initialize(&self, c: &reqwest::Client) -> Result<(), String> {
        let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
            "protocolVersion": MCP_VERSION, "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"}}});
        let r = self
            .post(c, init.to_string())
            .send()
            .await
            .map_err(|e| format!("initialize: {e}"))?;
        if !r.status().is_success() {
            return Err(format!("initialize: HTTP {}", r.status()));
        }
        let _ = r.bytes().await;
        let note = json!({"jsonrpc":"2.0","method":"notifications/initialized"});
        let r = self
            .post(c, note.to_string())
            .send()
            .await
            .map_err(|e| format!("initialized: {e}"))?;
        let _ = r.bytes().await;
        Ok(())
    }

    /// One JSON-RPC request; the parsed `result`, or an error for HTTP, JSON-RPC or isError
    /// failures.
    async fn request(
        &self,
        c: &reqwest::Client,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let body = json!({"jsonrpc":"2.0","id":1,"method":method,"params":params}).to_string();
        let r = self
            .post(c, body)
            .send()
            .await
            .map_err(|e| format!("{method}: {e}"))?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(|e| format!("{method}: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "{method}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| format!("{method}: {e}"))?;
        match v.get("result") {
            Some(res) if res["isError"] == true => Err(format!("{method}: isError: {res}")),
            Some(res) => Ok(res.clone()),
            None => Err(format!("{method}: {v}")),
        }
    }

    async fn call(&self, c: &reqwest::Client, tool: &str, args: Value) -> Result<Value, String> {
        self.request(c, "tools/call", json!({"name": tool, "arguments": args}))
            .await
    }
}

/// The sandbox as a client sees it.
#[derive(Clone)]
struct Direct {
    base: String,
}

impl Direct {
    async fn send(&self, rb: reqwest::RequestBuilder) -> Result<Value, String> {
        let r = rb
            .header("authorization", format!("Bearer {DUMMY_BEARER}"))
            .header("version", "2021-07-28")
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    }

    async fn get(&self, c: &reqwest::Client, path_and_query: &str) -> Result<Value, String> {
        self.send(c.get(format!("{}{path_and_query}", self.base)))
            .await
    }

    async fn post(&self, c: &reqwest::Client, path: &str, body: &Value) -> Result<Value, String> {
        self.send(c.post(format!("{}{path}", self.base)).json(body))
            .await
    }
}

/// The operations compared.
#[derive(Clone, Copy, PartialEq)]
enum Op {
    GetContact,
    Search,
    Create,
    /// MCP `ping` through the server (no upstream call): the MCP layer's own floor.
    Ping,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::GetContact => "contacts_get-contact",
            Op::Search => "contacts_get-contacts (limit 20)",
            Op::Create => "contacts_create-contact",
            Op::Ping => "MCP ping (no upstream call)",
        }
    }
}

/// Shared inputs of the workers.
struct Ctx {
    direct: Direct,
    mcp: Mcp,
    contact_ids: Vec<String>,
    email_seq: AtomicU64,
    run_tag: String,
}

impl Ctx {
    fn email(&self) -> String {
        let n = self.email_seq.fetch_add(1, Ordering::Relaxed);
        format!("bench-{}-{n}@example.com", self.run_tag)
    }

    async fn once(
        &self,
        c: &reqwest::Client,
        op: Op,
        via_server: bool,
        i: usize,
    ) -> Result<(), String> {
        let id = &self.contact_ids[i % self.contact_ids.len()];
        let loc = sandbox::DEMO_LOCATION_ID;
        match (op, via_server) {
            (Op::Ping, _) => self.mcp.request(c, "ping", json!({})).await.map(drop),
            (Op::GetContact, false) => self
                .direct
                .get(c, &format!("/contacts/{id}"))
                .await
                .map(drop),
            (Op::GetContact, true) => self
                .mcp
                .call(c, "contacts_get-contact", json!({"contactId": id}))
                .await
                .map(drop),
            (Op::Search, false) => self
                .direct
                .get(c, &format!("/contacts/?locationId={loc}&limit=20"))
                .await
                .map(drop),
            (Op::Search, true) => self
                .mcp
                .call(c, "contacts_get-contacts", json!({"limit": 20}))
                .await
                .map(drop),
            (Op::Create, false) => self
                .direct
                .post(
                    c,
                    "/contacts/",
                    &json!({"locationId": loc, "firstName": "Bench", "email": self.email()}),
                )
                .await
                .map(drop),
            (Op::Create, true) => self
                .mcp
                .call(
                    c,
                    "contacts_create-contact",
                    json!({"firstName": "Bench", "email": self.email()}),
                )
                .await
                .map(drop),
        }
    }
}

/// One measured cell.
struct Cell {
    requests: usize,
    errors: usize,
    first_error: Option<String>,
    secs: f64,
    p50_us: f64,
    p99_us: f64,
    /// CPU time (user + system) per measured request of the server and of the sandbox, in µs.
    cpu_us: [f64; 2],
}

impl Cell {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.secs
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[idx.min(sorted.len() - 1)])
}

/// Runs `op` on `conc` workers for a warm-up then `secs` seconds; each worker owns one
/// keep-alive client (one connection).
async fn cell(
    ctx: &Arc<Ctx>,
    op: Op,
    via_server: bool,
    conc: usize,
    secs: f64,
    pids: [u32; 2],
) -> Result<Cell, String> {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let seq = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (ctx, measuring, stop, seq) =
            (ctx.clone(), measuring.clone(), stop.clone(), seq.clone());
        tasks.push(tokio::spawn(async move {
            let c = http_client();
            if via_server {
                ctx.mcp.initialize(&c).await?;
            }
            let mut lat: Vec<u32> = Vec::with_capacity(16_384);
            let mut errors = 0usize;
            let mut first_error = None;
            while !stop.load(Ordering::Relaxed) {
                let i = seq.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let r = ctx.once(&c, op, via_server, i).await;
                let us = t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                if measuring.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed) {
                    lat.push(us);
                    if let Err(e) = r {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            Ok::<_, String>((lat, errors, first_error))
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(secs / 5.0)).await;
    let cpu_before = pids.map(cpu_us);
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_after = pids.map(cpu_us);
    let mut all = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for t in tasks {
        let (lat, e, fe) = t.await.map_err(|e| format!("worker: {e}"))??;
        all.extend(lat);
        errors += e;
        if first_error.is_none() {
            first_error = fe;
        }
    }
    all.sort_unstable();
    Ok(Cell {
        requests: all.len(),
        errors,
        first_error,
        secs: elapsed,
        p50_us: percentile(&all, 0.50),
        p99_us: percentile(&all, 0.99),
        cpu_us: [0, 1]
            .map(|i| (cpu_after[i].saturating_sub(cpu_before[i])) as f64 / all.len().max(1) as f64),
    })
}

/// CPU time (user + system) a process has used so far, in µs (from /proc/<pid>/stat, in clock
/// ticks of 10 ms: fine over a cell of thousands of requests).
fn cpu_us(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the ')'.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    ticks * 10_000
}

fn ms(us: f64) -> String {
    format!("{:.3}", us / 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn cmd_output(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "(unavailable)".to_owned())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "(unavailable)".to_owned())
}

fn machine() -> String {
    let model = cmd_output("lscpu", &[])
        .lines()
        .find_map(|l| l.strip_prefix("Model name:").map(|m| m.trim().to_owned()))
        .unwrap_or_else(|| "(unknown)".to_owned());
    format!(
        "- CPUs (`nproc`): {}\n- CPU (`lscpu`): {model}\n- rustc: {}\n- kernel: {}\n- load average at start (`/proc/loadavg`): {}\n",
        cmd_output("nproc", &[]),
        cmd_output("rustc", &["--version"]),
        cmd_output("uname", &["-sr"]),
        loadavg(),
    )
}

/// Spawn → first successful `tools/list` (polled every 0.5 ms, a fresh connection per try).
async fn cold_start(s: &Settings, upstream: &str) -> Result<(Duration, usize), String> {
    let port = free_port()?;
    let mcp = Mcp {
        url: format!("http://127.0.0.1:{port}/mcp"),
    };
    let started = Instant::now();
    let _server = spawn_server(s, upstream, port)?;
    loop {
        let c = http_client();
        if let Ok(v) = mcp.request(&c, "tools/list", json!({})).await {
            let n = v["tools"].as_array().map_or(0, Vec::len);
            if n > 0 {
                return Ok((started.elapsed(), n));
            }
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err("the server did not answer tools/list within 10 s".to_owned());
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

async fn wait_ready(mcp: &Mcp) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if mcp
            .request(&http_client(), "tools/list", json!({}))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err("the server did not come up within 10 s".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Starts `bench sandbox` and reads its URL from the first line of its stdout.
fn spawn_sandbox() -> Result<(Proc, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut sb = Command::new(&exe)
        .arg("sandbox")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the sandbox process: {e}"))?;
    let mut line = String::new();
    if let Some(stdout) = sb.stdout.take() {
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("sandbox: {e}"))?;
    }
    let sb = Proc(sb);
    let upstream = line.trim().to_owned();
    if !upstream.starts_with("http://") {
        return Err(format!("the sandbox printed {upstream:?}, not its URL"));
    }
    Ok((sb, upstream))
}

/// The shared worker inputs: the seeded contact ids (read directly from the sandbox).
async fn make_ctx(upstream: &str, mcp: &Mcp) -> Result<Arc<Ctx>, String> {
    let direct = Direct {
        base: upstream.to_owned(),
    };
    let c = http_client();
    let listing = direct
        .get(
            &c,
            &format!(
                "/contacts/?locationId={}&limit=100",
                sandbox::DEMO_LOCATION_ID
            ),
        )
        .await?;
    let contact_ids: Vec<String> = listing["contacts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if contact_ids.is_empty() {
        return Err("the sandbox listed no contacts".to_owned());
    }
    let run_tag = format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    Ok(Arc::new(Ctx {
        direct,
        mcp: mcp.clone(),
        contact_ids,
        email_seq: AtomicU64::new(0),
        run_tag,
    }))
}

async fn run(s: Settings) -> Result<(), String> {
    let mut out = String::new();
    out.push_str(&format!("### Machine\n\n{}\n", machine()));

    // The sandbox, as its own process.
    let (sb, upstream) = spawn_sandbox()?;
    let sb_pid = sb.0.id();
    eprintln!("sandbox (pid {sb_pid}) at {upstream}");

    // Cold start: median of 10.
    let mut colds = Vec::new();
    let mut tools = 0;
    for _ in 0..10 {
        let (d, n) = cold_start(&s, &upstream).await?;
        colds.push(d);
        tools = n;
    }
    colds.sort();
    eprintln!("cold start: {colds:?}");

    // The server under test.
    let port = free_port()?;
    let server = spawn_server(&s, &upstream, port)?;
    let pid = server.0.id();
    let mcp = Mcp {
        url: format!("http://127.0.0.1:{port}/mcp"),
    };
    wait_ready(&mcp).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (idle_rss, _) = rss_kib(pid);

    let ctx = make_ctx(&upstream, &mcp).await?;

    // tools/list latency, one connection, sequential.
    let tl = {
        let c = http_client();
        mcp.initialize(&c).await?;
        let mut lat = Vec::new();
        let mut bytes = 0;
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs_f64(s.seconds / 2.0) {
            let t = Instant::now();
            let v = mcp.request(&c, "tools/list", json!({})).await?;
            lat.push(t.elapsed().as_micros() as u32);
            bytes = v.to_string().len();
        }
        lat.sort_unstable();
        (
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            lat.len(),
            bytes,
        )
    };

    // The side-by-side matrix.
    let mut rows = Vec::new();
    let mut peak_sample = 0u64;
    let mut failures = Vec::new();
    for op in s.ops.clone() {
        for conc in [1usize, 16, 64] {
            let d = cell(&ctx, op, false, conc, s.seconds, [pid, sb_pid]).await?;
            let m = cell(&ctx, op, true, conc, s.seconds, [pid, sb_pid]).await?;
            peak_sample = peak_sample.max(rss_kib(pid).0);
            eprintln!(
                "{} c={conc}: direct {:.0}/s p50 {} ms, server {:.0}/s p50 {} ms",
                op.label(),
                d.rps(),
                ms(d.p50_us),
                m.rps(),
                ms(m.p50_us)
            );
            for (which, c) in [("direct", &d), ("server", &m)] {
                if c.errors > 0 {
                    failures.push(format!(
                        "{} c={conc} {which}: {} errors, first: {}",
                        op.label(),
                        c.errors,
                        c.first_error.clone().unwrap_or_default()
                    ));
                }
            }
            rows.push((op, conc, d, m));
        }
    }
    let mut pings = Vec::new();
    for conc in [1usize, 16, 64] {
        let p = cell(&ctx, Op::Ping, true, conc, s.seconds, [pid, sb_pid]).await?;
        if p.errors > 0 {
            failures.push(format!(
                "ping c={conc}: {} errors, first: {}",
                p.errors,
                p.first_error.clone().unwrap_or_default()
            ));
        }
        pings.push((conc, p));
    }
    let (_, hwm_matrix) = rss_kib(pid);

    // The load test.
    let (after_rss, _) = rss_kib(pid);
    drop(server);
    drop(sb);

    // The load test, on a fresh sandbox and server: the matrix created many thousands of
    // contacts, and checking every write afterwards pages through all of them.
    let (sb, upstream) = spawn_sandbox()?;
    let port = free_port()?;
    let server = spawn_server(&s, &upstream, port)?;
    let pid = server.0.id();
    let mcp = Mcp {
        url: format!("http://127.0.0.1:{port}/mcp"),
    };
    wait_ready(&mcp).await?;
    let ctx = make_ctx(&upstream, &mcp).await?;
    let load = load_test(&ctx, s.load, pid).await?;
    let (_, hwm) = rss_kib(pid);
    drop(server);
    drop(sb);

    // Report.
    out.push_str("### Direct call vs through the server\n\n");
    out.push_str(&format!(
        "{:.1} s measured per cell after a {:.1} s warm-up; one keep-alive connection per worker; \
         latencies in ms.\n\n",
        s.seconds,
        s.seconds / 5.0
    ));
    out.push_str("| operation | c | direct req/s | server req/s | ratio | direct p50 | server p50 | added p50 | direct p99 | server p99 | added p99 | sandbox CPU/call | server CPU/call |\n");
    out.push_str(
        "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |\n",
    );
    for (op, conc, d, m) in &rows {
        out.push_str(&format!(
            "| {} | {conc} | {:.0} | {:.0} | {:.0}% | {} | {} | {} | {} | {} | {} | {:.0} µs | {:.0} µs |\n",
            op.label(),
            d.rps(),
            m.rps(),
            100.0 * m.rps() / d.rps(),
            ms(d.p50_us),
            ms(m.p50_us),
            ms(m.p50_us - d.p50_us),
            ms(d.p99_us),
            ms(m.p99_us),
            ms(m.p99_us - d.p99_us),
            d.cpu_us[1],
            m.cpu_us[0],
        ));
    }
    out.push_str("\nThe MCP layer alone: `ping` through the server (rmcp's stateless JSON path, guards, no upstream call).\n\n| c | req/s | p50 | p99 | server CPU/call |\n| --: | --: | --: | --: | --: |\n");
    for (conc, p) in &pings {
        out.push_str(&format!(
            "| {conc} | {:.0} | {} | {} | {:.0} µs |\n",
            p.rps(),
            ms(p.p50_us),
            ms(p.p99_us),
            p.cpu_us[0]
        ));
    }
    out.push_str("\n### Other figures\n\n| figure | value |\n| --- | --: |\n");
    out.push_str(&format!(
        "| tools/list ({tools} tools, {} bytes of result), c=1 | p50 {} ms, p99 {} ms ({} calls) |\n",
        tl.3,
        ms(tl.0),
        ms(tl.1),
        tl.2
    ));
    out.push_str(&format!(
        "| cold start: spawn → first tools/list answered (median of 10) | {:.1} ms (min {:.1}, max {:.1}) |\n",
        colds[colds.len() / 2].as_secs_f64() * 1000.0,
        colds[0].as_secs_f64() * 1000.0,
        colds[colds.len() - 1].as_secs_f64() * 1000.0
    ));
    out.push_str(&format!(
        "| server RSS idle (after start) | {} |\n",
        mib(idle_rss)
    ));
    out.push_str(&format!(
        "| server peak RSS (VmHWM) after the matrix | {} |\n",
        mib(hwm_matrix.max(peak_sample))
    ));
    out.push_str(&format!(
        "| server peak RSS (VmHWM) of the load-test server (fresh process) | {} |\n",
        mib(hwm)
    ));
    out.push_str(&format!(
        "| server RSS after the matrix (idle again) | {} |\n",
        mib(after_rss)
    ));
    out.push_str(&format!(
        "\n### Load test\n\n{} tools/call at concurrency 64 (60% get-contact, 20% create-contact with unique emails, 20% add-tags with a unique tag), then checked against the sandbox over its HTTP API.\n\n",
        s.load
    ));
    out.push_str(&format!(
        "- wall time {:.2} s, {:.0} calls/s; p50 {} ms, p99 {} ms\n- errors: {}{}\n- created emails found exactly once: {}/{} (missing {}, duplicated {})\n- tags added and present afterwards: {}/{} (lost {})\n- server RSS sampled every 20 ms during the test: max {}\n",
        load.secs,
        s.load as f64 / load.secs,
        ms(load.p50_us),
        ms(load.p99_us),
        load.errors,
        load.first_error
            .as_ref()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default(),
        load.emails_once,
        load.emails,
        load.emails_missing,
        load.emails_dup,
        load.tags_present,
        load.tags,
        load.tags - load.tags_present,
        mib(load.max_rss),
    ));
    out.push_str(&format!("\nLoad average at the end: {}\n", loadavg()));
    println!("{out}");
    if load.errors > 0
        || load.emails_missing > 0
        || load.emails_dup > 0
        || load.tags_present != load.tags
    {
        failures.push("the load test lost, duplicated or failed writes".to_owned());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

struct Load {
    secs: f64,
    p50_us: f64,
    p99_us: f64,
    errors: usize,
    first_error: Option<String>,
    emails: usize,
    emails_once: usize,
    emails_missing: usize,
    emails_dup: usize,
    tags: usize,
    tags_present: usize,
    max_rss: u64,
}

async fn load_test(ctx: &Arc<Ctx>, total: usize, pid: u32) -> Result<Load, String> {
    const CONC: usize = 64;
    let seq = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut max = 0;
            while !done.load(Ordering::Relaxed) {
                max = max.max(rss_kib(pid).0);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            max
        })
    };
    let tag_prefix = format!("load-{}", ctx.run_tag);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONC {
        let (ctx, seq, tag_prefix) = (ctx.clone(), seq.clone(), tag_prefix.clone());
        tasks.push(tokio::spawn(async move {
            let c = http_client();
            ctx.mcp.initialize(&c).await?;
            let mut lat = Vec::new();
            let mut emails = Vec::new();
            let mut tags: Vec<(String, String)> = Vec::new();
            let mut errors = 0;
            let mut first_error = None;
            loop {
                let i = seq.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let id = &ctx.contact_ids[i % ctx.contact_ids.len()];
                let t = Instant::now();
                let r = match i % 10 {
                    0 | 5 => {
                        let email = ctx.email();
                        let r = ctx
                            .mcp
                            .call(
                                &c,
                                "contacts_create-contact",
                                json!({"firstName": "Load", "email": email}),
                            )
                            .await;
                        if r.is_ok() {
                            emails.push(email);
                        }
                        r
                    }
                    3 | 8 => {
                        let tag = format!("{tag_prefix}-{i}");
                        let r = ctx
                            .mcp
                            .call(
                                &c,
                                "contacts_add-tags",
                                json!({"contactId": id, "tags": [tag]}),
                            )
                            .await;
                        if r.is_ok() {
                            tags.push((id.clone(), tag));
                        }
                        r
                    }
                    _ => {
                        ctx.mcp
                            .call(&c, "contacts_get-contact", json!({"contactId": id}))
                            .await
                    }
                };
                lat.push(t.elapsed().as_micros() as u32);
                if let Err(e) = r {
                    errors += 1;
                    first_error.get_or_insert(e);
                }
            }
            Ok::<_, String>((lat, emails, tags, errors, first_error))
        }));
    }
    let mut lat = Vec::new();
    let mut emails = Vec::new();
    let mut tags = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for t in tasks {
        let (l, e, tg, er, fe) = t.await.map_err(|e| format!("worker: {e}"))??;
        lat.extend(l);
        emails.extend(e);
        tags.extend(tg);
        errors += er;
        if first_error.is_none() {
            first_error = fe;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let max_rss = sampler.await.unwrap_or(0);
    lat.sort_unstable();

    // Check against the sandbox: every contact of the location, paged over its HTTP API.
    let c = http_client();
    let mut by_email: HashMap<String, usize> = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = format!(
            "/contacts/?locationId={}&limit=100",
            sandbox::DEMO_LOCATION_ID
        );
        if let Some(a) = &after {
            q.push_str(&format!("&startAfterId={a}"));
        }
        let page = ctx.direct.get(&c, &q).await?;
        let contacts = page["contacts"].as_array().cloned().unwrap_or_default();
        for ct in &contacts {
            if let Some(e) = ct["email"].as_str() {
                *by_email.entry(e.to_lowercase()).or_default() += 1;
            }
        }
        match contacts.last().and_then(|c| c["id"].as_str()) {
            Some(id) if contacts.len() == 100 => after = Some(id.to_owned()),
            _ => break,
        }
    }
    let mut emails_once = 0;
    let mut emails_missing = 0;
    let mut emails_dup = 0;
    for e in &emails {
        match by_email.get(&e.to_lowercase()).copied().unwrap_or(0) {
            0 => emails_missing += 1,
            1 => emails_once += 1,
            _ => emails_dup += 1,
        }
    }
    let mut present: HashMap<String, HashSet<String>> = HashMap::new();
    for id in &ctx.contact_ids {
        let v = ctx.direct.get(&c, &format!("/contacts/{id}")).await?;
        let set = v["contact"]["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        present.insert(id.clone(), set);
    }
    let tags_present = tags
        .iter()
        .filter(|(id, tag)| {
            present
                .get(id)
                .is_some_and(|s| s.contains(&tag.to_lowercase()))
        })
        .count();
    Ok(Load {
        secs,
        p50_us: percentile(&lat, 0.5),
        p99_us: percentile(&lat, 0.99),
        errors,
        first_error,
        emails: emails.len(),
        emails_once,
        emails_missing,
        emails_dup,
        tags: tags.len(),
        tags_present,
        max_rss,
    })
}
