//! Pacing, metrics and readiness end to end: real MCP calls through the server to the sandbox
//! (with HighLevel's rate limit on, scaled down), `/metrics` scraped and parsed with a Prometheus
//! text-format parser, `/readyz` against a live and a dead rate-limit backend (a real
//! redis-server, skipped with a printed reason when it is not installed).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use limiter::test_support::RedisServer;
use limiter::{Limiter, Limits};
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig, ProtocolVersion};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientLifecycleMode, ClientServiceExt, RoleClient};
use serde_json::{Value, json};
use server::http::{HttpConfig, HttpServer};
use server::ops::{MetricsServer, Ops};
use server::{App, Credentials, Secret, ServedTools, UpstreamConfig};
use tokio_util::sync::CancellationToken;

// A few client helpers of our own (rather than tests/common) so this file depends only on the
// server's public API.
type Client = RunningService<RoleClient, ClientConfig>;

async fn client(url: &str) -> Client {
    ClientConfig::default()
        .serve_with_lifecycle(
            StreamableHttpClientTransport::from_uri(url.to_owned()),
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .expect("client connects")
}

async fn call(client: &Client, tool: &str, args: Value) -> CallToolResult {
    let Value::Object(map) = args else {
        panic!("args must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(map))
        .await
        .expect("tools/call answered")
}

fn is_error(r: &CallToolResult) -> bool {
    r.is_error == Some(true)
}

fn text_of(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The sandbox's burst limit for these tests: 5 requests per second per token.
const SANDBOX_LIMIT: sandbox::RateLimit = sandbox::RateLimit {
    max: 5,
    window: Duration::from_secs(1),
};

fn paced_like_the_sandbox() -> Limits {
    Limits {
        burst: 5,
        window: Duration::from_secs(1),
        margin: Duration::from_millis(100),
        daily: 10_000,
        max_wait: Duration::from_secs(20),
    }
}

struct Running {
    server: HttpServer,
    metrics: MetricsServer,
    shutdown: CancellationToken,
}

async fn start(upstream: &str, limiter: Limiter) -> Running {
    let mut app = App::new(
        ServedTools::generated().unwrap(),
        UpstreamConfig {
            base_url: upstream.to_owned(),
            ..Default::default()
        },
        Credentials::ServerHeld {
            token: Secret::new("any-token-works").unwrap(),
            api_key: None,
        },
        Some(sandbox::DEMO_LOCATION_ID.to_owned()),
    )
    .unwrap();
    app.ops = Ops::new(limiter);
    let shutdown = CancellationToken::new();
    let metrics = server::ops::serve_metrics(
        app.ops.metrics.clone(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let config = HttpConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Default::default()
    };
    let server = server::http::serve(Arc::new(app), config, shutdown.clone())
        .await
        .unwrap();
    Running {
        server,
        metrics,
        shutdown,
    }
}

/// Every sample of the scrape as `name{k="v",...}` (labels sorted) -> value.
async fn scrape(addr: SocketAddr) -> HashMap<String, f64> {
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text format");
    let mut out = HashMap::new();
    for s in scrape.samples {
        let mut labels: Vec<_> = s.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        labels.sort();
        let value = match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(_) | prometheus_parse::Value::Summary(_) => {
                continue;
            }
        };
        out.insert(format!("{}{{{}}}", s.metric, labels.join(",")), value);
    }
    out
}

fn sample(m: &HashMap<String, f64>, key: &str) -> f64 {
    *m.get(key)
        .unwrap_or_else(|| panic!("no sample `{key}`; have {:#?}", m.keys()))
}

/// Fires `n` calls to contacts_get-contacts at once; returns how many succeeded.
async fn burst(url: &str, n: usize) -> usize {
    let client = Arc::new(client(url).await);
    let mut tasks = Vec::new();
    for _ in 0..n {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            !is_error(&call(&c, "contacts_get-contacts", json!({"limit": 1})).await)
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap());
    }
    ok
}

#[tokio::test]
async fn paced_calls_never_meet_a_429_and_the_metrics_count_them() {
    let sb = sandbox::Sandbox::start(sandbox::SandboxConfig {
        rate_limit: Some(SANDBOX_LIMIT),
        ..sandbox::SandboxConfig::for_tests()
    })
    .await
    .unwrap();
    let run = start(&sb.base_url(), Limiter::memory(paced_like_the_sandbox())).await;
    let url = run.server.mcp_url();

    let started = Instant::now();
    assert_eq!(burst(&url, 15).await, 15, "every paced call succeeds");
    // 15 calls at 5 per 1.1 s: the last group waits two spacings.
    assert!(started.elapsed() >= Duration::from_millis(2_200));
    // Exactly one request per call reached the sandbox: none was answered 429 and retried.
    assert_eq!(sb.state().request_count(), 15);
    let c = client(&url).await;
    let bad = call(&c, "contacts_get-contact", json!({"contactId": 5})).await;
    assert!(is_error(&bad));

    let m = scrape(run.metrics.local_addr()).await;
    let calls = |tool: &str, outcome: &str| {
        sample(
            &m,
            &format!("highlevel_mcp_tool_calls_total{{outcome={outcome:?},tool={tool:?}}}"),
        )
    };
    assert_eq!(calls("contacts_get-contacts", "ok"), 15.0);
    assert_eq!(calls("contacts_get-contact", "invalid_arguments"), 1.0);
    assert_eq!(
        sample(
            &m,
            r#"highlevel_mcp_upstream_responses_total{status="200"}"#
        ),
        15.0
    );
    assert!(
        !m.keys().any(|k| k.contains(r#"status="429""#)),
        "no 429 may be counted: {m:#?}"
    );
    assert_eq!(
        sample(&m, "highlevel_mcp_rate_limit_wait_seconds_count{}"),
        15.0
    );
    // Ten of the fifteen waited, 1.1 s or 2.2 s each.
    let waited = sample(&m, "highlevel_mcp_rate_limit_wait_seconds_sum{}");
    assert!((10.0..=17.0).contains(&waited), "waited {waited} s in all");
    assert_eq!(
        sample(
            &m,
            r#"highlevel_mcp_tool_call_duration_seconds_count{tool="contacts_get-contacts"}"#
        ),
        15.0
    );
    assert_eq!(sample(&m, "highlevel_mcp_token_refreshes_total{}"), 0.0);
    assert_eq!(sample(&m, "highlevel_mcp_active_grants{}"), 0.0);
    run.shutdown.cancel();
    run.server.wait().await.unwrap();
    run.metrics.wait().await.unwrap();
}

#[tokio::test]
async fn without_pacing_the_same_burst_runs_into_429s() {
    // The control for the test above: the sandbox's limit is real, and only pacing avoids it.
    let sb = sandbox::Sandbox::start(sandbox::SandboxConfig {
        rate_limit: Some(SANDBOX_LIMIT),
        ..sandbox::SandboxConfig::for_tests()
    })
    .await
    .unwrap();
    let run = start(&sb.base_url(), Limiter::off()).await;
    burst(&run.server.mcp_url(), 15).await;
    let m = scrape(run.metrics.local_addr()).await;
    assert!(
        sb.state().request_count() > 15,
        "429s were answered and retried: {} requests",
        sb.state().request_count()
    );
    assert!(sample(&m, "highlevel_mcp_rate_limit_wait_seconds_sum{}") == 0.0);
}

#[tokio::test]
async fn a_refused_call_says_why_and_is_counted() {
    let sb = sandbox::Sandbox::start(sandbox::SandboxConfig::for_tests())
        .await
        .unwrap();
    let limits = Limits {
        daily: 2,
        ..paced_like_the_sandbox()
    };
    let run = start(&sb.base_url(), Limiter::memory(limits)).await;
    let c = client(&run.server.mcp_url()).await;
    for _ in 0..2 {
        assert!(!is_error(
            &call(&c, "contacts_get-contacts", json!({})).await
        ));
    }
    let refused = call(&c, "contacts_get-contacts", json!({})).await;
    assert!(is_error(&refused));
    let text = text_of(&refused);
    assert!(
        text.contains("was not sent") && text.contains("daily limit of 2"),
        "{text}"
    );
    // Another location has its own budget.
    let elsewhere = call(
        &c,
        "contacts_get-contacts",
        json!({"locationId": "otherLoc"}),
    )
    .await;
    assert!(
        !text_of(&elsewhere).contains("daily limit"),
        "{}",
        text_of(&elsewhere)
    );
    let m = scrape(run.metrics.local_addr()).await;
    assert_eq!(
        sample(
            &m,
            r#"highlevel_mcp_tool_calls_total{outcome="rate_limited",tool="contacts_get-contacts"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            r#"highlevel_mcp_rate_limit_refusals_total{reason="daily"}"#
        ),
        1.0
    );
    assert_eq!(sb.state().request_count(), 3);
}

async fn readyz(server: &HttpServer) -> (u16, Value) {
    let resp = reqwest::get(format!("http://{}/readyz", server.local_addr()))
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn readyz_follows_the_upstream_and_the_shared_limiter() {
    let Some(redis) = RedisServer::start("readyz_follows_the_upstream_and_the_shared_limiter")
    else {
        return;
    };
    let sb = sandbox::Sandbox::start(sandbox::SandboxConfig::for_tests())
        .await
        .unwrap();
    let limiter = Limiter::redis(&redis.url(), paced_like_the_sandbox()).unwrap();
    let run = start(&sb.base_url(), limiter).await;
    let (status, body) = readyz(&run.server).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["rate_limiter"], "redis");
    // Calls go through the shared limiter while Redis is up.
    let c = client(&run.server.mcp_url()).await;
    assert!(!is_error(
        &call(&c, "contacts_get-contacts", json!({})).await
    ));

    drop(redis);
    let (status, body) = readyz(&run.server).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["upstream"], "ok");
    assert!(
        body["checks"]["rate_limiter"]
            .as_str()
            .unwrap()
            .contains("unavailable"),
        "{body}"
    );
    // Calls still go (unpaced) and the outage is counted.
    assert!(!is_error(
        &call(&c, "contacts_get-contacts", json!({})).await
    ));
    let m = scrape(run.metrics.local_addr()).await;
    assert_eq!(
        sample(&m, "highlevel_mcp_rate_limit_unchecked_total{}"),
        1.0
    );

    // A dead upstream makes the replica unready too.
    let dead = start("http://127.0.0.1:9", Limiter::off()).await;
    let (status, body) = readyz(&dead.server).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["rate_limiter"], "ok");
    assert_eq!(body["checks"]["upstream"], "cannot connect to the upstream");
}

#[tokio::test]
async fn the_health_subcommand_answers_for_a_container_health_check() {
    let sb = sandbox::Sandbox::start(sandbox::SandboxConfig::for_tests())
        .await
        .unwrap();
    let run = start(&sb.base_url(), Limiter::off()).await;
    let port = run.server.local_addr().port().to_string();
    let health = |args: Vec<String>| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_highlevel-mcp"))
            .arg("health")
            .args(args)
            .env_remove("HIGHLEVEL_MCP_PORT")
            .output()
    };
    let ok = health(vec!["--port".into(), port.clone()]).await.unwrap();
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("\"status\":\"ok\""));
    let ready = health(vec![
        "--port".into(),
        port,
        "--path".into(),
        "/readyz".into(),
    ])
    .await
    .unwrap();
    assert!(ready.status.success(), "{ready:?}");

    // Nothing listens on the port of a server that has stopped.
    let closed = run.server.local_addr().port().to_string();
    run.shutdown.cancel();
    run.server.wait().await.unwrap();
    let down = health(vec!["--port".into(), closed]).await.unwrap();
    assert!(!down.status.success());
    let err = String::from_utf8_lossy(&down.stderr);
    assert!(err.contains("did not answer"), "{err}");
}
