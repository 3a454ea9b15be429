//! Abuse matrix: what hostile or broken clients send to `/mcp`. Every request gets a clear 4xx,
//! JSON-RPC error or `isError` result; nothing crashes (the server still answers `/healthz`
//! afterwards); and the client's bearer token never appears in any response or log line
//! (every log line is captured at TRACE level).

mod common;

use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::State;
use axum::http::{Method, Uri};
use common::*;
use runtime::ParamIn;
use serde_json::{Value, json};

/// The captured logs of this test binary (one global subscriber, installed once).
fn logs() -> &'static LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = LogBuffer::default();
        let _ = tracing_subscriber::fmt()
            .with_writer(buf.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .try_init();
        buf
    })
}

/// Paths and methods the recording upstream saw.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

async fn recording_upstream() -> (String, Seen) {
    async fn record(State(seen): State<Seen>, method: Method, uri: Uri) -> axum::Json<Value> {
        let pq = uri.path_and_query().map(|p| p.as_str().to_owned());
        seen.lock()
            .unwrap()
            .push((method.to_string(), pq.unwrap_or_default()));
        axum::Json(json!({}))
    }
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .fallback(record)
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), seen)
}

/// A raw POST to `/mcp`: (status, body).
async fn post(
    url: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut rb = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25");
    let mut has_auth = false;
    for (k, v) in headers {
        has_auth |= k.eq_ignore_ascii_case("authorization");
        rb = rb.header(*k, *v);
    }
    if !has_auth {
        rb = rb.header("authorization", format!("Bearer {SECRET_TOKEN}"));
    }
    match rb.body(body).send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.text().await.unwrap_or_default())
        }
        // Status 0: no HTTP answer (the server closed the connection).
        Err(e) => (0, format!("no HTTP answer: {e}")),
    }
}

fn rpc(method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).to_string()
}

fn call_body(tool: &str, args: Value) -> String {
    rpc("tools/call", json!({"name": tool, "arguments": args}))
}

/// Distinct header names for the too-many-headers row (reqwest appends repeated names).
const HEADER_NAMES: &[&str] = &["x-a", "x-b", "x-c", "x-d", "x-e", "x-f", "x-g", "x-h"];

/// One raw-HTTP row: what is sent and what must come back.
struct Row {
    name: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
    /// Allowed statuses.
    status: &'static [u16],
    /// Substrings the body must contain (case-insensitive), any one of each group.
    expect: &'static [&'static [&'static str]],
}

fn rows(big: usize) -> Vec<Row> {
    let b = |s: &str| s.as_bytes().to_vec();
    let no_headers = Vec::new;
    vec![
        // rmcp answers an unparseable body with 415 and "fail to deserialize request body ...";
        // 400 with a JSON-RPC parse error (-32700) would be more exact (reported), but the
        // message says what is wrong, which is what a client needs.
        Row {
            name: "malformed JSON",
            body: b("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": "),
            headers: no_headers(),
            status: &[400, 415, 422],
            expect: &[&["parse", "deserialize", "invalid"]],
        },
        Row {
            name: "not an object",
            body: b("42"),
            headers: no_headers(),
            status: &[400, 415, 422],
            expect: &[&["invalid", "parse", "deserialize", "unrecognized"]],
        },
        Row {
            name: "batch array",
            body: b(&format!(
                "[{}, {}]",
                rpc("tools/list", json!({})),
                rpc("tools/list", json!({}))
            )),
            headers: no_headers(),
            status: &[400, 415, 422],
            expect: &[&["batch", "unrecognized", "invalid", "deserialize"]],
        },
        Row {
            name: "empty batch",
            body: b("[]"),
            headers: no_headers(),
            status: &[400, 415, 422],
            expect: &[&["batch", "unrecognized", "invalid", "deserialize"]],
        },
        Row {
            name: "oversized body (413)",
            body: {
                let pad = "a".repeat(big);
                b(&call_body(
                    "contacts_get-contact",
                    json!({"contactId": pad}),
                ))
            },
            headers: no_headers(),
            status: &[413],
            expect: &[&["large", "limit", "413"]],
        },
        Row {
            name: "bad Origin (403)",
            body: b(&rpc("tools/list", json!({}))),
            headers: vec![("origin", "https://evil.example".into())],
            status: &[403],
            expect: &[&["origin"], &["evil.example"]],
        },
        Row {
            name: "bad Host (403)",
            body: b(&rpc("tools/list", json!({}))),
            headers: vec![("host", "evil.example".into())],
            status: &[403],
            expect: &[&["host"], &["--allowed-hosts"]],
        },
        Row {
            name: "missing Authorization (401)",
            body: b(&rpc("tools/list", json!({}))),
            headers: vec![("authorization", String::new())],
            status: &[401],
            expect: &[&["authorization: bearer"]],
        },
        Row {
            name: "Basic instead of Bearer (401)",
            body: b(&rpc("tools/list", json!({}))),
            headers: vec![("authorization", format!("Basic {SECRET_TOKEN}"))],
            status: &[401],
            expect: &[&["authorization: bearer"]],
        },
        Row {
            name: "empty bearer (401)",
            body: b(&rpc("tools/list", json!({}))),
            headers: vec![("authorization", "Bearer    ".into())],
            status: &[401],
            expect: &[&["authorization: bearer"]],
        },
        Row {
            name: "over-long header (1 MiB)",
            body: b(&rpc("tools/list", json!({}))),
            headers: vec![("x-padding", "p".repeat(1024 * 1024))],
            status: &[400, 413, 431],
            expect: &[],
        },
        Row {
            name: "too many headers (200)",
            body: b(&rpc("tools/list", json!({}))),
            headers: (0..200)
                .map(|i| (HEADER_NAMES[i % HEADER_NAMES.len()], format!("v{i}")))
                .collect(),
            status: &[400, 431],
            expect: &[],
        },
        Row {
            name: "over-long locationId header on a call",
            body: b(&call_body("contacts_get-contacts", json!({}))),
            headers: vec![("locationid", "L".repeat(16 * 1024))],
            status: &[200],
            expect: &[&["result"]],
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_clear_errors_and_no_secret_leaks() {
    let logs = logs();
    let (up, seen) = recording_upstream().await;
    let mut opts = Opts::new(up.clone());
    opts.max_body_bytes = 64 * 1024;
    let srv = start_server(opts).await;
    let url = srv.mcp_url();
    let mut failures = Vec::new();
    let mut responses = Vec::new();

    for row in rows(128 * 1024) {
        let headers: Vec<(&str, &str)> =
            row.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // An empty Authorization value stands for "no header at all".
        let (status, body) = if headers
            .iter()
            .any(|(k, v)| *k == "authorization" && v.is_empty())
        {
            let r = reqwest::Client::new()
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .body(row.body.clone())
                .send()
                .await
                .expect("answer");
            let s = r.status().as_u16();
            (s, r.text().await.unwrap_or_default())
        } else {
            match tokio::time::timeout(
                std::time::Duration::from_secs(20),
                send_raw(&url, &row.body, &headers),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => {
                    failures.push(format!("{}: no answer within 20 s", row.name));
                    continue;
                }
            }
        };
        if !row.status.contains(&status) {
            failures.push(format!(
                "{}: HTTP {status} (want {:?}): {body}",
                row.name, row.status
            ));
        }
        let lower = body.to_lowercase();
        for group in row.expect {
            if !group.iter().any(|w| lower.contains(&w.to_lowercase())) {
                failures.push(format!("{}: body lacks any of {group:?}: {body}", row.name));
            }
        }
        responses.push(body);
    }

    // JSON-RPC level: unknown methods and tools, bad arguments.
    let jsonrpc_rows: Vec<(&str, String, &[&str])> = vec![
        (
            "unknown method",
            rpc("contacts/steal", json!({})),
            &["-32601", "method not found"],
        ),
        (
            "unknown tool",
            call_body("contacts_steal-everything", json!({})),
            &["unknown tool", "contacts_steal-everything"],
        ),
        // Malformed tools/call params: rmcp answers -32601 "tools/call" (see
        // malformed_call_params_get_invalid_params below); at least it is an error, not a crash.
        (
            "tools/call without a name",
            rpc("tools/call", json!({"arguments": {}})),
            &["-326"],
        ),
        (
            "arguments not an object",
            rpc(
                "tools/call",
                json!({"name": "contacts_get-contact", "arguments": [1, 2]}),
            ),
            &["-326"],
        ),
    ];
    for (name, body, want) in jsonrpc_rows {
        let (status, text) = post(&url, body, &[]).await;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let err = v
            .get("error")
            .map(Value::to_string)
            .unwrap_or_default()
            .to_lowercase();
        if status >= 500 || err.is_empty() || !want.iter().any(|w| err.contains(&w.to_lowercase()))
        {
            failures.push(format!(
                "{name}: HTTP {status}, want a JSON-RPC error with one of {want:?}: {text}"
            ));
        }
        responses.push(text);
    }
    // Tool level: isError naming the argument.
    let tool_rows: Vec<(&str, &str, Value, &[&str])> = vec![
        (
            "wrong type",
            "contacts_get-contact",
            json!({"contactId": 123}),
            &["contactId", "string"],
        ),
        (
            "missing required",
            "contacts_get-contact",
            json!({}),
            &["contactId", "required"],
        ),
        (
            "unknown argument",
            "contacts_get-contact",
            json!({"contactId": "c1", "evil": 1}),
            &["evil"],
        ),
        (
            "wrong array item type",
            "contacts_add-tags",
            json!({"contactId": "c1", "tags": [1]}),
            &["tags", "string"],
        ),
        (
            "enum violated",
            "conversations_send-a-new-message",
            json!({"contactId": "c1", "type": "Pigeon"}),
            &["type", "Pigeon"],
        ),
    ];
    let before = seen.lock().unwrap().len();
    for (name, tool, args, want) in tool_rows {
        let (status, text) = post(&url, call_body(tool, args), &[]).await;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let result = &v["result"];
        let msg = result["content"][0]["text"].as_str().unwrap_or_default();
        if status != 200 || result["isError"] != true || !want.iter().all(|w| msg.contains(w)) {
            failures.push(format!(
                "{name}: want isError naming {want:?}: HTTP {status} {text}"
            ));
        }
        responses.push(text);
    }
    if seen.lock().unwrap().len() != before {
        failures.push("a call with invalid arguments reached the upstream".to_owned());
    }

    // Still alive, and still serving calls.
    let health = reqwest::get(format!("http://{}/healthz", srv.local_addr()))
        .await
        .expect("healthz");
    if !health.status().is_success() {
        failures.push(format!("/healthz after the matrix: {}", health.status()));
    }
    let (status, text) = post(
        &url,
        call_body("contacts_get-contact", json!({"contactId": "ok1"})),
        &[],
    )
    .await;
    if status != 200 || text.contains("\"isError\":true") {
        failures.push(format!(
            "a normal call after the matrix failed: HTTP {status} {text}"
        ));
    }

    for r in &responses {
        if r.contains(SECRET_TOKEN) {
            failures.push(format!("the token appears in a response: {r}"));
        }
    }
    let captured = logs.text();
    assert!(captured.len() > 1000, "TRACE logs were captured");
    if captured.contains(SECRET_TOKEN) {
        failures.push("the token appears in the logs".to_owned());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    srv.shutdown().await.unwrap();
}

/// `tools/call` with params that do not parse (no `name`, `arguments` not an object) should be
/// JSON-RPC -32602 Invalid params naming the problem. rmcp 3.11 answers -32601 Method not found
/// with the message "tools/call", which sends a client looking for the wrong problem. Reported;
/// run with `-- --ignored` once the server maps it.
#[ignore = "rmcp/server: malformed tools/call params get -32601 \"tools/call\" instead of -32602"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_call_params_get_invalid_params() {
    let (up, _seen) = recording_upstream().await;
    let srv = start_server(Opts::new(up)).await;
    let url = srv.mcp_url();
    for params in [
        json!({"arguments": {}}),
        json!({"name": "contacts_get-contact", "arguments": [1, 2]}),
    ] {
        let (status, text) = post(&url, rpc("tools/call", params), &[]).await;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(status, 200, "{text}");
        assert_eq!(v["error"]["code"], -32602, "{text}");
    }
    srv.shutdown().await.unwrap();
}

/// A raw POST with arbitrary headers (Host included).
async fn send_raw(url: &str, body: &[u8], headers: &[(&str, &str)]) -> (u16, String) {
    post(url, body.to_vec(), headers).await
}

const INJECTIONS: &[&str] = &[
    "../",
    "..",
    ".",
    "%2F",
    "%2e%2e",
    "a/../../b",
    "?x=1",
    "#f",
    "@evil",
    "http://evil.example/",
    "//evil",
    "a b\r\nX-Injected: 1",
    "ünï/cødé",
];

/// A valid value for a required property of an input schema.
fn sample(prop: &Value) -> Value {
    if let Some(e) = prop["enum"].as_array().and_then(|e| e.first()) {
        return e.clone();
    }
    match prop["type"].as_str() {
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(true),
        Some("array") => json!([sample(&prop["items"])]),
        Some("object") => json!({}),
        _ => json!("x1"),
    }
}

/// Every path parameter of every generated tool, with every injection string: the upstream sees
/// the template's literal segments and segment count, and the parameter as one segment that
/// decodes back to the exact input; or the server refuses the call (dot segments) without
/// sending anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_injection_never_leaves_the_template() {
    let logs = logs();
    let (up, seen) = recording_upstream().await;
    let srv = start_server(Opts::new(up)).await;
    let c = client(&srv.mcp_url(), Some(SECRET_TOKEN)).await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for tool in generated::tools() {
        let schema: Value = serde_json::from_str(&tool.input_schema).unwrap();
        let mut base = serde_json::Map::new();
        for r in schema["required"].as_array().into_iter().flatten() {
            let k = r.as_str().unwrap();
            base.insert(k.to_owned(), sample(&schema["properties"][k]));
        }
        // Tools whose bodies need more than this shallow sample are checked by
        // tests/every_tool.rs; here only the path matters, so skip those the schema refuses.
        let mut plain = base.clone();
        for q in tool.params.iter().filter(|q| q.location == ParamIn::Path) {
            plain.insert(q.name.to_string(), json!("id1"));
        }
        let ctx = runtime::CallContext {
            location_id: Some("LOC1"),
        };
        let compiled = runtime::CompiledTool::new((*tool).clone()).unwrap();
        if compiled.prepare(&plain, ctx).is_err() {
            continue;
        }
        let template: Vec<&str> = tool.path.split('/').collect();
        for p in tool.params.iter().filter(|p| p.location == ParamIn::Path) {
            for inj in INJECTIONS {
                let mut args = base.clone();
                // Other path parameters get a plain id.
                for q in tool.params.iter().filter(|q| q.location == ParamIn::Path) {
                    args.insert(q.name.to_string(), json!("id1"));
                }
                args.insert(p.name.to_string(), json!(inj));
                let before = seen.lock().unwrap().len();
                let r = call(&c, &tool.name, Value::Object(args)).await;
                let text = text_of(&r);
                assert!(!text.contains(SECRET_TOKEN));
                let after = seen.lock().unwrap().clone();
                checked += 1;
                if after.len() == before {
                    // Refused before sending: must be an error that says why.
                    if !(is_error(&r) && text.contains("refused")) {
                        failures.push(format!(
                            "{} {}={inj:?}: nothing sent, and no refusal: {text}",
                            tool.name, p.name
                        ));
                    }
                    continue;
                }
                let (method, pq) = &after[before];
                if method != tool.method.as_str() {
                    failures.push(format!("{} {}={inj:?}: method {method}", tool.name, p.name));
                }
                let path = pq.split('?').next().unwrap_or_default();
                let segs: Vec<&str> = path.split('/').collect();
                if segs.len() != template.len() {
                    failures.push(format!(
                        "{} {}={inj:?}: path {path} has {} segments, template {} has {}",
                        tool.name,
                        p.name,
                        segs.len(),
                        tool.path,
                        template.len()
                    ));
                    continue;
                }
                for (t, s) in template.iter().zip(&segs) {
                    if t.starts_with('{') {
                        let want = if *t == format!("{{{}}}", p.wire) {
                            *inj
                        } else {
                            "id1"
                        };
                        if tests::percent_decode(s) != want {
                            failures.push(format!(
                                "{} {}={inj:?}: segment {s} decodes to {:?}",
                                tool.name,
                                p.name,
                                tests::percent_decode(s)
                            ));
                        }
                    } else if t != s {
                        failures.push(format!(
                            "{} {}={inj:?}: literal segment {t} became {s}",
                            tool.name, p.name
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked >= 10 * INJECTIONS.len(),
        "only {checked} path-parameter cases ran"
    );
    assert!(
        !logs.text().contains(SECRET_TOKEN),
        "the token appears in the logs"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    srv.shutdown().await.unwrap();
}

/// Server-held mode with an API key: a missing, wrong or garbage key is a 401 that names what
/// to send; the held HighLevel token reaches only the upstream, never a response or a log line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_held_token_needs_the_api_key_and_never_leaks() {
    const API_KEY: &str = "server-api-key-abuse-42";
    let logs = logs();
    let (up, seen) = recording_upstream().await;
    let mut opts = Opts::new(up);
    opts.credentials = server::Credentials::ServerHeld {
        token: server::Secret::new(SECRET_TOKEN).unwrap(),
        api_key: server::Secret::new(API_KEY),
    };
    let srv = start_server(opts).await;
    let url = srv.mcp_url();
    let list = rpc("tools/list", json!({}));
    let mut responses = Vec::new();
    for auth in [
        "Bearer wrong-key".to_owned(),
        format!("Bearer {SECRET_TOKEN}"),
        "Bearer !!%%$$ \t garbage".to_owned(),
        format!("Bearer {}", "k".repeat(8 * 1024)),
        format!("Basic {API_KEY}"),
        "".to_owned(),
    ] {
        let (status, body) = post(&url, list.clone(), &[("authorization", auth.as_str())]).await;
        assert_eq!(status, 401, "{auth:?}: {body}");
        assert!(body.contains("API key"), "{body}");
        responses.push(body);
    }
    let (status, body) = post(
        &url,
        call_body("contacts_get-contact", json!({"contactId": "c9"})),
        &[("x-api-key", API_KEY), ("authorization", "")],
    )
    .await;
    // An empty Authorization header is not a credential; the X-API-Key header is.
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("\"isError\":true"), "{body}");
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "exactly the accepted call went upstream"
    );
    responses.push(body);
    for r in &responses {
        assert!(
            !r.contains(SECRET_TOKEN),
            "the held token appears in a response: {r}"
        );
    }
    assert!(
        !logs.text().contains(SECRET_TOKEN),
        "the held token appears in the logs"
    );
    srv.shutdown().await.unwrap();
}
