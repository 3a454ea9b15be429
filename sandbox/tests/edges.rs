//! The edges that make the emulator behave like HighLevel: auth, Version, unknown routes, rate
//! limit, injected latency and failures, body limit, determinism and shutdown.

mod common;

use std::time::{Duration, Instant};

use common::{Api, s};
use reqwest::StatusCode;
use sandbox::{DEMO_LOCATION_ID, RateLimit, Sandbox, SandboxConfig};
use serde_json::{Value, json};

const L: &str = DEMO_LOCATION_ID;

async fn raw(
    api: &Api,
    auth: Option<&str>,
    version: Option<&str>,
    path: &str,
) -> (StatusCode, Value) {
    let mut req = api.http.get(api.url(path));
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    if let Some(v) = version {
        req = req.header("Version", v);
    }
    let resp = req.send().await.unwrap();
    let st = resp.status();
    (st, resp.json().await.unwrap())
}

#[tokio::test]
async fn authorization_is_required() {
    let api = Api::start().await;
    let path = format!("/locations/{L}");
    let (st, body) = raw(&api, None, Some("2021-07-28"), &path).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(body["statusCode"], 401);
    assert_eq!(body["error"], "Unauthorized");
    assert!(s(&body, "/message").contains("Invalid JWT"));
    let (st, _) = raw(&api, Some("Basic dXNlcjpwYXNz"), Some("2021-07-28"), &path).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = raw(&api, Some("Bearer "), Some("2021-07-28"), &path).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, body) = raw(
        &api,
        Some("Bearer secret-token-123"),
        Some("2021-07-28"),
        &path,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        !body.to_string().contains("secret-token-123"),
        "the token is never echoed"
    );
}

#[tokio::test]
async fn version_header_is_required_and_checked() {
    let api = Api::start().await;
    let (st, body) = raw(&api, Some("Bearer t"), None, &format!("/locations/{L}")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(s(&body, "/message").contains("Version header was not found"));
    assert!(s(&body, "/message").contains("2021-07-28"));
    let path = format!("/conversations/search?locationId={L}");
    let (st, body) = raw(&api, Some("Bearer t"), Some("2021-07-28"), &path).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(s(&body, "/message").contains("2021-04-15"), "{body}");
    let (st, _) = raw(&api, Some("Bearer t"), Some("2021-04-15"), &path).await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json_errors() {
    let api = Api::start().await;
    let (st, body) = api.get("/contacts/search/duplicate/x").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(body["statusCode"], 404);
    // Without the trailing slash this is not HighLevel's path.
    let (st, _) = api.get(&format!("/contacts?locationId={L}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, body) = api
        .call(reqwest::Method::PATCH, "/contacts/upsert", Some(json!({})))
        .await;
    assert_eq!(st, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["statusCode"], 405);
}

#[tokio::test]
async fn rate_limit_answers_429_after_100_requests_in_the_window() {
    let api = Api::with(SandboxConfig::default()).await;
    let path = format!("/locations/{L}");
    for i in 0..100 {
        let resp = api
            .http
            .get(api.url(&path))
            .bearer_auth("one")
            .header("Version", "2021-07-28")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "request {i}");
        let h = resp.headers();
        assert_eq!(h["x-ratelimit-max"], "100");
        assert_eq!(h["x-ratelimit-interval-milliseconds"], "10000");
        assert_eq!(
            h["x-ratelimit-remaining"].to_str().unwrap(),
            (99 - i).to_string()
        );
    }
    let resp = api
        .http
        .get(api.url(&path))
        .bearer_auth("one")
        .header("Version", "2021-07-28")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    assert_eq!(resp.headers()["x-ratelimit-remaining"], "0");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["statusCode"], 429);
    // Another token is another location's budget.
    let resp = api
        .http
        .get(api.url(&path))
        .bearer_auth("two")
        .header("Version", "2021-07-28")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn rate_limit_window_slides() {
    let config = SandboxConfig {
        rate_limit: Some(RateLimit {
            max: 3,
            window: Duration::from_millis(300),
        }),
        ..SandboxConfig::default()
    };
    let api = Api::with(config).await;
    let path = format!("/locations/{L}");
    for _ in 0..3 {
        assert_eq!(api.get(&path).await.0, StatusCode::OK);
    }
    assert_eq!(api.get(&path).await.0, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(api.get(&path).await.0, StatusCode::OK);
}

#[tokio::test]
async fn rate_limit_can_be_off() {
    let api = Api::start().await;
    let path = format!("/locations/{L}");
    for _ in 0..150 {
        let resp = api
            .http
            .get(api.url(&path))
            .bearer_auth("t")
            .header("Version", "2021-07-28")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers().get("x-ratelimit-remaining").is_none());
    }
}

#[tokio::test]
async fn latency_is_injected() {
    let config = SandboxConfig {
        latency: Duration::from_millis(120),
        ..SandboxConfig::for_tests()
    };
    let api = Api::with(config).await;
    let t = Instant::now();
    assert_eq!(api.get(&format!("/locations/{L}")).await.0, StatusCode::OK);
    assert!(
        t.elapsed() >= Duration::from_millis(120),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn error_rate_one_fails_everything_without_side_effects() {
    let config = SandboxConfig {
        error_rate: 1.0,
        ..SandboxConfig::for_tests()
    };
    let api = Api::with(config).await;
    let before = api.sandbox.state().counts();
    for _ in 0..10 {
        let (st, body) = api
            .post("/contacts/", json!({"locationId": L, "firstName": "Never"}))
            .await;
        assert!(
            st == StatusCode::INTERNAL_SERVER_ERROR || st == StatusCode::SERVICE_UNAVAILABLE,
            "{st}"
        );
        assert_eq!(body["statusCode"], st.as_u16());
    }
    assert_eq!(api.sandbox.state().counts(), before);
}

#[tokio::test]
async fn error_rate_half_fails_about_half() {
    let config = SandboxConfig {
        error_rate: 0.5,
        ..SandboxConfig::for_tests()
    };
    let api = Api::with(config).await;
    let mut failed = 0;
    for _ in 0..200 {
        if api.get(&format!("/locations/{L}")).await.0 != StatusCode::OK {
            failed += 1;
        }
    }
    assert!((60..=140).contains(&failed), "{failed} of 200 failed");
    assert_eq!(api.sandbox.state().request_count(), 200);
}

#[tokio::test]
async fn body_limit_answers_413() {
    let config = SandboxConfig {
        max_body_bytes: 1024,
        ..SandboxConfig::for_tests()
    };
    let api = Api::with(config).await;
    let (st, body) = api
        .post(
            "/contacts/",
            json!({"locationId": L, "firstName": "x".repeat(5000)}),
        )
        .await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(s(&body, "/message").contains("1024"));
    let (st, _) = api
        .post("/contacts/", json!({"locationId": L, "firstName": "Small"}))
        .await;
    assert_eq!(st, StatusCode::CREATED);
}

#[tokio::test]
async fn seed_is_deterministic() {
    let (_, a) = sandbox::router(SandboxConfig::for_tests());
    let (_, b) = sandbox::router(SandboxConfig::for_tests());
    let (_, c) = sandbox::router(SandboxConfig {
        seed: 7,
        ..SandboxConfig::for_tests()
    });
    assert_eq!(a.contacts(L), b.contacts(L));
    assert_eq!(a.events(L), b.events(L));
    assert_eq!(a.transactions(L), b.transactions(L));
    assert_ne!(a.contacts(L)[0]["id"], c.contacts(L)[0]["id"]);
    let counts = a.counts();
    // 40 in the demo location, 5 and 4 in the agency's other two sub-accounts.
    assert_eq!(a.contacts(L).len(), 40);
    assert_eq!(counts.contacts, 49);
    assert!(counts.conversations >= 8 && counts.messages >= 20);
    assert!(counts.opportunities >= 15 && counts.events >= 15);
    assert!(counts.orders >= 10 && counts.transactions >= 30);
    assert!(counts.tasks > 0 && counts.notes > 0);
}

#[tokio::test]
async fn start_on_and_shutdown() {
    let sb = Sandbox::start_on("127.0.0.1:0".parse().unwrap(), SandboxConfig::for_tests())
        .await
        .unwrap();
    let url = sb.base_url();
    assert!(url.starts_with("http://127.0.0.1:"));
    assert_eq!(url, format!("http://{}", sb.addr()));
    let http = reqwest::Client::new();
    let ok = http
        .get(format!("{url}/locations/{L}"))
        .bearer_auth("t")
        .header("Version", "2021-07-28")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    drop(ok);
    sb.shutdown().await;
    let fresh = reqwest::Client::new();
    let after = fresh
        .get(format!("{url}/locations/{L}"))
        .bearer_auth("t")
        .header("Version", "2021-07-28")
        .send()
        .await;
    assert!(after.is_err(), "the port is closed after shutdown");
}

#[tokio::test]
async fn dropping_the_sandbox_stops_it() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let addr = sb.addr();
    drop(sb);
    let mut closed = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(closed, "the listener closes after drop");
}

#[tokio::test]
async fn odd_input_gets_4xx_never_5xx() {
    let api = Api::start().await;
    let st = api.sandbox.state();
    let cid = s(&st.contacts(L)[0], "/id").to_string();
    let oid = s(&st.opportunities(L)[0], "/id").to_string();
    let conv = s(&st.conversations(L)[0], "/id").to_string();
    let bodies = [
        json!([]),
        json!("text"),
        json!(null),
        json!({"locationId": ["x"]}),
        json!({"locationId": L, "email": 5, "phone": {"a": 1}}),
        json!({"locationId": L, "customFields": [{"id": null}], "dateOfBirth": "€€€€€€€€€€€€"}),
        json!({"tags": [1, 2]}),
        json!({"tags": null}),
        json!({"type": "SMS", "contactId": ["x"], "message": 1e308}),
        json!({"pipelineStageId": "", "monetaryValue": -1, "status": 3}),
        json!({"locationId": L, "phone": "+1 (555) 😀😀😀"}),
    ];
    let writes = [
        (reqwest::Method::POST, "/contacts/".to_string()),
        (reqwest::Method::POST, "/contacts/upsert".to_string()),
        (reqwest::Method::PUT, format!("/contacts/{cid}")),
        (reqwest::Method::POST, format!("/contacts/{cid}/tags")),
        (reqwest::Method::DELETE, format!("/contacts/{cid}/tags")),
        (reqwest::Method::POST, "/conversations/messages".to_string()),
        (reqwest::Method::PUT, format!("/opportunities/{oid}")),
    ];
    for (method, path) in &writes {
        for body in &bodies {
            let (status, answer) = api.call(method.clone(), path, Some(body.clone())).await;
            assert!(
                status.is_client_error() || status.is_success(),
                "{method} {path} {body}: {status} {answer}"
            );
            assert!(
                answer["statusCode"].is_number() || status.is_success(),
                "{answer}"
            );
        }
    }
    let reads = [
        format!("/contacts/?locationId={L}&limit=abc"),
        format!("/contacts/?locationId={L}&startAfter=-5"),
        format!("/contacts/?locationId={L}&startAfterId=%E2%82%AC"),
        format!("/conversations/{conv}/messages?limit=0"),
        format!("/conversations/search?locationId={L}&startAfterDate=yesterday"),
        format!("/opportunities/search?location_id={L}&page=0"),
        format!("/opportunities/search?location_id={L}&date=13-45-2026"),
        format!("/opportunities/search?location_id={L}&getTasks=maybe"),
        format!("/payments/transactions?altId={L}&altType=location&offset=-1"),
        format!("/calendars/events?locationId={L}&userId=u&startTime=5&endTime=1"),
        "/calendars/appointments/x/notes?limit=1&offset=%FF".to_string(),
    ];
    for path in &reads {
        let (status, answer) = api.get(path).await;
        assert!(status.is_client_error(), "{path}: {status} {answer}");
        assert!(
            s(&answer, "/error").len() > 3 || answer["message"].is_array(),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn demo_data_can_be_anchored_to_the_current_week() {
    const DAY: i64 = 86_400_000;
    let monday = |ms: i64| ms.rem_euclid(DAY) == 0 && (ms.div_euclid(DAY) + 3).rem_euclid(7) == 0;
    assert!(monday(sandbox::SEED_EPOCH_MS));
    let config = SandboxConfig::for_tests().anchored_to_current_week();
    assert!(monday(config.epoch_ms), "{}", config.epoch_ms);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(config.epoch_ms <= now && now - config.epoch_ms < 7 * DAY);
    let (_, fixed) = sandbox::router(SandboxConfig::for_tests());
    let (_, moved) = sandbox::router(config.clone());
    // Same people, other dates.
    assert_eq!(fixed.contacts(L)[0]["email"], moved.contacts(L)[0]["email"]);
    if config.epoch_ms != sandbox::SEED_EPOCH_MS {
        assert_ne!(
            fixed.contacts(L)[0]["dateAdded"],
            moved.contacts(L)[0]["dateAdded"]
        );
    }
    let api = Api::with(config.clone()).await;
    let cal = s(&api.sandbox.state().calendars(L)[0], "/id").to_string();
    let (st, r) = api
        .get(&format!(
            "/calendars/events?locationId={L}&calendarId={cal}&startTime={}&endTime={}",
            config.epoch_ms,
            config.epoch_ms + 7 * DAY - 1
        ))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        !r["events"].as_array().unwrap().is_empty(),
        "events this week: {r}"
    );
}

#[tokio::test]
async fn knobs_change_a_live_sandbox() {
    let api = Api::start().await;
    let state = api.sandbox.state();
    let path = format!("/locations/{L}");
    state.set_error_rate(1.0);
    assert!(api.get(&path).await.0.is_server_error());
    state.set_error_rate(0.0);
    assert_eq!(api.get(&path).await.0, StatusCode::OK);

    state.set_rate_limit(Some(RateLimit {
        max: 2,
        window: Duration::from_secs(60),
    }));
    assert_eq!(api.get(&path).await.0, StatusCode::OK);
    assert_eq!(api.get(&path).await.0, StatusCode::OK);
    assert_eq!(api.get(&path).await.0, StatusCode::TOO_MANY_REQUESTS);
    state.set_rate_limit(None);
    assert_eq!(api.get(&path).await.0, StatusCode::OK);

    state.set_latency(Duration::from_millis(100));
    let t = Instant::now();
    assert_eq!(api.get(&path).await.0, StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(100));
    state.set_latency(Duration::ZERO);
}

#[tokio::test]
async fn reset_restores_the_seed_data() {
    let api = Api::start().await;
    let state = api.sandbox.state();
    let before = state.counts();
    let first = state.contacts(L)[0].clone();
    let (st, _) = api
        .post(
            "/contacts/",
            json!({"locationId": L, "email": "temp@reset.example"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let id = s(&first, "/id");
    api.put(&format!("/contacts/{id}"), json!({"firstName": "Changed"}))
        .await;
    assert!(state.contact_by_email(L, "TEMP@reset.example").is_some());
    assert_ne!(state.counts(), before);
    state.reset();
    assert_eq!(state.counts(), before);
    assert_eq!(state.contact(id).unwrap(), first);
    assert!(state.contact_by_email(L, "temp@reset.example").is_none());
    let (st, _) = api
        .post(
            "/contacts/",
            json!({"locationId": L, "email": "temp@reset.example"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "the index was reset with the data");
}
