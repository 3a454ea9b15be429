//! Fault matrix: a misbehaving upstream on 127.0.0.1 (a raw TCP server, so it can hang, reset,
//! and send broken bodies) behind the real server, called through a real rmcp client. Every fault
//! must come back as an `isError` tool result with a message that says what happened, within its
//! time budget, and the next call after the upstream recovers must be served normally.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use server::RetryPolicy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Timeout of one upstream attempt in these tests.
const TIMEOUT: Duration = Duration::from_millis(500);
/// The server's largest accepted upstream body in these tests.
const MAX_UPSTREAM: usize = 64 * 1024;

/// How the upstream answers every request until switched.
#[derive(Debug, Clone)]
enum Mode {
    /// 200 with a small contact.
    Normal,
    /// A status with extra headers and a body.
    Status(u16, Vec<(&'static str, String)>, String),
    /// Reads the request and never answers.
    Hang,
    /// Reads the request, then resets the connection (SO_LINGER 0).
    Reset,
    /// 200, `Content-Type: application/json`, and a body that is not JSON.
    Malformed,
    /// 200 with a body larger than the server's limit, sent chunked (no Content-Length).
    Huge,
    /// 200 announcing (Content-Length) a body larger than the limit, then sending it.
    HugeDeclared,
    /// 200 headers with a Content-Length, part of the body, then nothing.
    StallBody,
}

struct Faulty {
    addr: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    hits: Arc<Mutex<u32>>,
}

impl Faulty {
    async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    async fn start_on(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.expect("bind faulty upstream");
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(Mutex::new(Mode::Normal));
        let hits = Arc::new(Mutex::new(0));
        let (m, h) = (mode.clone(), hits.clone());
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (m, h) = (m.clone(), h.clone());
                tokio::spawn(serve_conn(sock, m, h));
            }
        });
        Self { addr, mode, hits }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn hits(&self) -> u32 {
        *self.hits.lock().unwrap()
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Reads one request (headers and a Content-Length body); `None` when the peer closed.
async fn read_request(sock: &mut TcpStream) -> Option<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = sock.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(());
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn response(status: u16, headers: &[(&str, String)], body: &str) -> String {
    let mut s = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(body);
    s
}

async fn serve_conn(mut sock: TcpStream, mode: Arc<Mutex<Mode>>, hits: Arc<Mutex<u32>>) {
    loop {
        if read_request(&mut sock).await.is_none() {
            return;
        }
        *hits.lock().unwrap() += 1;
        let current = mode.lock().unwrap().clone();
        match current {
            Mode::Normal => {
                let body = r#"{"contact":{"id":"c1","email":"ok@example.com"}}"#;
                if sock
                    .write_all(response(200, &[], body).as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Mode::Status(code, headers, body) => {
                if sock
                    .write_all(response(code, &headers, &body).as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Mode::Hang => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            Mode::Reset => {
                // Linger 0 makes close() send RST instead of FIN.
                let std = match sock.into_std() {
                    Ok(s) => s,
                    Err(_) => return,
                };
                let sock2 = socket_from_std(std);
                drop(sock2);
                return;
            }
            Mode::Malformed => {
                let body = r#"{"contact": {"id": "c1", "#;
                if sock
                    .write_all(response(200, &[], body).as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Mode::Huge => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let piece = "x".repeat(16 * 1024);
                for _ in 0..(4 * MAX_UPSTREAM / piece.len()) {
                    let c = format!("{:x}\r\n{piece}\r\n", piece.len());
                    if sock.write_all(c.as_bytes()).await.is_err() {
                        return;
                    }
                }
                let _ = sock.write_all(b"0\r\n\r\n").await;
            }
            Mode::HugeDeclared => {
                let body = format!("{{\"contact\":\"{}\"}}", "y".repeat(2 * MAX_UPSTREAM));
                if sock
                    .write_all(response(200, &[], &body).as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Mode::StallBody => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"contact\":";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
        }
    }
}

/// Sets SO_LINGER 0 on a std socket (so dropping it sends RST).
fn socket_from_std(std: std::net::TcpStream) -> std::net::TcpStream {
    let tokio_sock = TcpStream::from_std(std).expect("tokio socket");
    #[allow(deprecated)]
    let _ = tokio_sock.set_linger(Some(Duration::ZERO));
    tokio_sock.into_std().expect("std socket")
}

fn opts(upstream: String) -> Opts {
    let mut o = Opts::new(upstream);
    o.timeout = TIMEOUT;
    o.max_response_bytes = MAX_UPSTREAM;
    o.retry = RetryPolicy {
        max_attempts: 3,
        budget: Duration::from_secs(2),
        base_backoff: Duration::from_millis(50),
    };
    o
}

/// One row of the matrix.
struct Case {
    name: &'static str,
    mode: Mode,
    /// The tool to call: a GET (retried on 5xx/timeouts) or a POST (never retried on those).
    tool: &'static str,
    /// Substrings the error text must contain (case-insensitive).
    expect: &'static [&'static str],
    /// Expected worst-case time; the assertion allows 3× for a loaded machine.
    budget: Duration,
}

fn get_args() -> serde_json::Value {
    json!({"contactId": "c1"})
}

fn create_args() -> serde_json::Value {
    json!({"email": "new@example.com", "firstName": "New"})
}

fn args_for(tool: &str) -> serde_json::Value {
    if tool == "contacts_get-contact" {
        get_args()
    } else {
        create_args()
    }
}

fn cases() -> Vec<Case> {
    let s = Duration::from_secs;
    let rl = r#"{"statusCode":429,"message":"Too many requests"}"#.to_owned();
    let err = |code: u16| format!(r#"{{"statusCode":{code},"message":"upstream failure {code}"}}"#);
    vec![
        Case {
            name: "429 with Retry-After",
            mode: Mode::Status(429, vec![("retry-after", "1".into())], rl.clone()),
            tool: "contacts_get-contact",
            expect: &["429", "rate limit", "wait 1.0 s"],
            budget: s(2),
        },
        Case {
            name: "429 with a Retry-After beyond the budget",
            mode: Mode::Status(429, vec![("retry-after", "60".into())], rl.clone()),
            tool: "contacts_create-contact",
            expect: &["429", "rate limit", "wait 60.0 s"],
            budget: Duration::from_millis(200),
        },
        Case {
            name: "429 without Retry-After",
            mode: Mode::Status(429, vec![], rl),
            tool: "contacts_create-contact",
            expect: &["429", "rate limit"],
            budget: Duration::from_millis(500),
        },
        Case {
            name: "500",
            mode: Mode::Status(500, vec![], err(500)),
            tool: "contacts_get-contact",
            expect: &["HTTP 500", "after 3 attempt(s)", "upstream failure 500"],
            budget: Duration::from_millis(500),
        },
        Case {
            name: "502 on a POST (not retried)",
            mode: Mode::Status(502, vec![], err(502)),
            tool: "contacts_create-contact",
            expect: &["HTTP 502", "not retried", "upstream failure 502"],
            budget: Duration::from_millis(200),
        },
        Case {
            name: "503 with a non-JSON body",
            mode: Mode::Status(503, vec![], "<html>Service Unavailable</html>".into()),
            tool: "contacts_get-contact",
            expect: &["HTTP 503", "Service Unavailable"],
            budget: Duration::from_millis(500),
        },
        Case {
            name: "hang past the timeout (GET, retried)",
            mode: Mode::Hang,
            tool: "contacts_get-contact",
            expect: &["no answer within 500 ms", "gave up after"],
            // Three 500 ms attempts with 50 + 100 ms backoff, capped by the 2 s budget.
            budget: s(2),
        },
        Case {
            name: "hang past the timeout (POST, not retried)",
            mode: Mode::Hang,
            tool: "contacts_create-contact",
            expect: &["no answer within 500 ms", "not retried"],
            budget: TIMEOUT,
        },
        Case {
            name: "connection reset",
            mode: Mode::Reset,
            tool: "contacts_get-contact",
            expect: &["could not reach HighLevel", "contacts_get-contact"],
            budget: Duration::from_millis(500),
        },
        Case {
            name: "connection reset on a POST",
            mode: Mode::Reset,
            tool: "contacts_create-contact",
            expect: &["could not reach HighLevel", "not retried"],
            budget: Duration::from_millis(200),
        },
        Case {
            name: "huge body",
            mode: Mode::Huge,
            tool: "contacts_get-contact",
            expect: &["larger than 65536 bytes", "--max-upstream-bytes"],
            budget: Duration::from_millis(500),
        },
        Case {
            name: "redirect to another host (never followed)",
            mode: Mode::Status(
                302,
                vec![("location", "http://evil.example/steal".into())],
                String::new(),
            ),
            tool: "contacts_get-contact",
            expect: &["HTTP 302"],
            budget: Duration::from_millis(200),
        },
        Case {
            name: "huge body with Content-Length",
            mode: Mode::HugeDeclared,
            tool: "contacts_get-contact",
            expect: &["larger than 65536 bytes", "--max-upstream-bytes"],
            budget: Duration::from_millis(500),
        },
        Case {
            name: "body stalls after the headers",
            mode: Mode::StallBody,
            tool: "contacts_get-contact",
            expect: &["broke off", "500 ms"],
            budget: TIMEOUT,
        },
        Case {
            name: "malformed JSON on an error status",
            mode: Mode::Status(400, vec![], r#"{"message": "#.into()),
            tool: "contacts_get-contact",
            expect: &["HTTP 400", r#"{"message": "#],
            budget: Duration::from_millis(200),
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_upstream_fault_is_a_clear_error_and_the_next_call_works() {
    let up = Faulty::start().await;
    let srv = start_server(opts(up.url())).await;
    let c = client(&srv.mcp_url(), Some(SECRET_TOKEN)).await;
    let ok = call(&c, "contacts_get-contact", get_args()).await;
    assert!(!is_error(&ok), "baseline call: {}", text_of(&ok));

    let mut failures = Vec::new();
    for case in cases() {
        up.set(case.mode.clone());
        let before = up.hits();
        let started = Instant::now();
        let r = try_call(&c, case.tool, args_for(case.tool)).await;
        let elapsed = started.elapsed();
        up.set(Mode::Normal);
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!(
                    "{}: protocol error instead of isError: {e}",
                    case.name
                ));
                continue;
            }
        };
        let text = text_of(&r);
        if !is_error(&r) {
            failures.push(format!("{}: not isError: {text}", case.name));
        }
        for want in case.expect {
            if !text.to_lowercase().contains(&want.to_lowercase()) {
                failures.push(format!("{}: message lacks {want:?}: {text}", case.name));
            }
        }
        if text.contains(SECRET_TOKEN) {
            failures.push(format!("{}: the token leaked into the result", case.name));
        }
        if elapsed > case.budget * 3 + Duration::from_millis(300) {
            failures.push(format!(
                "{}: took {elapsed:?}, budget {:?}",
                case.name, case.budget
            ));
        }
        if up.hits() == before {
            failures.push(format!("{}: the upstream never saw the call", case.name));
        }
        // The next normal call is served, on the same client and connection pool.
        let next = call(&c, "contacts_get-contact", get_args()).await;
        if is_error(&next) || json_of(&next)["contact"]["id"] != "c1" {
            failures.push(format!(
                "{}: the next call failed: {}",
                case.name,
                text_of(&next)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    srv.shutdown().await.unwrap();
}

/// POST retries would duplicate writes: a 5xx on create-contact is tried exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_post_is_sent_once() {
    let up = Faulty::start().await;
    let srv = start_server(opts(up.url())).await;
    let c = client(&srv.mcp_url(), Some(SECRET_TOKEN)).await;
    up.set(Mode::Status(503, vec![], "{}".into()));
    let before = up.hits();
    let r = call(&c, "contacts_create-contact", create_args()).await;
    assert!(is_error(&r), "{}", text_of(&r));
    assert_eq!(up.hits() - before, 1, "a POST must not be retried on 503");
    up.set(Mode::Status(503, vec![], "{}".into()));
    let before = up.hits();
    let r = call(&c, "contacts_get-contact", get_args()).await;
    assert!(is_error(&r), "{}", text_of(&r));
    assert_eq!(up.hits() - before, 3, "a GET is retried up to max_attempts");
    srv.shutdown().await.unwrap();
}

/// A 200 whose body is not JSON although it says so.
///
/// The tool declares an outputSchema, so a success result must carry conforming
/// structuredContent; a body that cannot be parsed cannot, so it must be an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_on_success_is_an_error() {
    let up = Faulty::start().await;
    let srv = start_server(opts(up.url())).await;
    let c = client(&srv.mcp_url(), Some(SECRET_TOKEN)).await;
    up.set(Mode::Malformed);
    let r = try_call(&c, "contacts_get-contact", get_args()).await;
    up.set(Mode::Normal);
    let r = r.expect("an answer, not a protocol error");
    assert!(
        is_error(&r),
        "a 200 with a broken JSON body came back as a success: {}",
        text_of(&r)
    );
    let next = call(&c, "contacts_get-contact", get_args()).await;
    assert!(!is_error(&next), "{}", text_of(&next));
    srv.shutdown().await.unwrap();
}

/// Upstream down (closed port), then back on the same port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_down_then_back() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let srv = start_server(opts(format!("http://{port}"))).await;
    let c = client(&srv.mcp_url(), Some(SECRET_TOKEN)).await;
    for (tool, want) in [
        ("contacts_get-contact", "gave up after 3 attempt(s)"),
        ("contacts_create-contact", "not retried"),
    ] {
        let started = Instant::now();
        let r = call(&c, tool, args_for(tool)).await;
        let elapsed = started.elapsed();
        let text = text_of(&r);
        assert!(is_error(&r), "{text}");
        assert!(text.contains("connection failed"), "{text}");
        assert!(text.contains(want), "{text}");
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    }
    let up = Faulty::start_on(port).await;
    let r = call(&c, "contacts_get-contact", get_args()).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert!(up.hits() >= 1);
    srv.shutdown().await.unwrap();
}
