//! Safe defaults: Host and Origin allowlists (403), the request body limit (413), and path
//! arguments that cannot change the upstream path or host.

mod common;

use common::*;
use serde_json::json;

fn init() -> String {
    json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{},
        "clientInfo":{"name":"raw","version":"1"}}})
    .to_string()
}

async fn post(url: &str, headers: &[(&str, &str)], body: String) -> reqwest::Response {
    let mut rb = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {PIT}"));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.body(body).send().await.unwrap()
}

#[tokio::test]
async fn host_header_outside_the_allowlist_is_403() {
    let h = start(Setup::default()).await;
    let port = h.server.local_addr().port();
    let resp = post(&h.url, &[("host", "evil.example")], init()).await;
    assert_eq!(resp.status(), 403);
    let body = resp.text().await.unwrap();
    assert!(body.contains("--allowed-hosts"), "{body}");
    let ok_host = format!("localhost:{port}");
    let resp = post(&h.url, &[("host", &ok_host)], init()).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn rebinding_check_comes_before_the_credential_check() {
    let h = start(Setup::default()).await;
    let resp = reqwest::Client::new()
        .post(&h.url)
        .header("host", "attacker.example")
        .body(init())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn origin_allowlist_defaults_to_loopback_and_is_configurable() {
    let h = start(Setup::default()).await;
    for (origin, status) in [
        ("http://localhost:3000", 200),
        ("https://127.0.0.1", 200),
        ("https://evil.example", 403),
        ("null", 403),
        ("http://localhost.evil.example", 403),
    ] {
        let resp = post(&h.url, &[("origin", origin)], init()).await;
        assert_eq!(resp.status(), status, "{origin}");
    }
    let mut setup = Setup::default();
    setup.http.allowlists.origins = vec!["https://app.example.com".into()];
    setup.http.allowlists.hosts = vec!["mcp.example.com".into(), "127.0.0.1".into()];
    let h = start(setup).await;
    let resp = post(&h.url, &[("origin", "https://app.example.com")], init()).await;
    assert_eq!(resp.status(), 200);
    let resp = post(&h.url, &[("origin", "http://localhost:3000")], init()).await;
    assert_eq!(resp.status(), 403);
    let resp = post(&h.url, &[("host", "mcp.example.com")], init()).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn oversized_request_body_is_413() {
    let mut setup = Setup::default();
    setup.http.max_body_bytes = 2048;
    let h = start(setup).await;
    let big = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{
        "name":"contacts_get-contact","arguments":{"contactId": "x".repeat(4096)}}})
    .to_string();
    let resp = post(&h.url, &[], big).await;
    assert_eq!(resp.status(), 413);
    let resp = post(&h.url, &[], init()).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn path_arguments_cannot_change_the_path_or_host() {
    let h = start(Setup::default()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    let cases = [
        ("../", "/contacts/..%2F"),
        ("../../admin", "/contacts/..%2F..%2Fadmin"),
        ("a%2Fb", "/contacts/a%252Fb"),
        ("a/b", "/contacts/a%2Fb"),
        ("x?locationId=evil", "/contacts/x%3FlocationId%3Devil"),
        ("x#frag", "/contacts/x%23frag"),
        ("user@evil.example", "/contacts/user%40evil.example"),
        (
            "https://evil.example/steal",
            "/contacts/https%3A%2F%2Fevil.example%2Fsteal",
        ),
        ("//evil.example", "/contacts/%2F%2Fevil.example"),
        ("ü ñ", "/contacts/%C3%BC%20%C3%B1"),
        // `%` itself is escaped, so an encoded dot segment stays an ordinary id.
        ("%2e%2e", "/contacts/%252e%252e"),
        ("...", "/contacts/..."),
    ];
    for (id, expected) in cases {
        let r = call(&c, "contacts_get-contact", json!({"contactId": id})).await;
        assert!(!is_error(&r), "{id}: {}", text_of(&r));
        let rec = h.upstream.last();
        assert_eq!(rec.path_and_query, expected, "{id}");
        assert_eq!(
            rec.header("authorization"),
            Some(format!("Bearer {PIT}").as_str())
        );
    }
    // Dot segments are resolved by every URL parser, so they are refused before sending.
    let before = h.upstream.requests().len();
    for id in ["..", "."] {
        let r = call(&c, "contacts_get-contact", json!({"contactId": id})).await;
        assert!(is_error(&r), "{id} must be refused");
        assert!(text_of(&r).contains("`.` or `..`"), "{}", text_of(&r));
    }
    assert_eq!(
        h.upstream.requests().len(),
        before,
        "nothing sent for dot segments"
    );
}

#[tokio::test]
async fn redirects_are_not_followed_so_the_token_stays_with_the_upstream() {
    let h = start(Setup::default()).await;
    let elsewhere = RecordingUpstream::start().await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    h.upstream.push(
        Canned::json(302, json!({})).with_header("location", &format!("{}/steal", elsewhere.url)),
    );
    let r = call(&c, "contacts_get-contact", json!({"contactId": "c1"})).await;
    assert!(is_error(&r));
    assert!(text_of(&r).contains("HTTP 302"), "{}", text_of(&r));
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect target saw nothing"
    );
    assert_eq!(h.upstream.requests().len(), 1);
}

#[tokio::test]
async fn browser_preflight_from_an_allowed_origin_gets_cors_headers() {
    let h = start(Setup::default()).await;
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, &h.url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type,mcp-protocol-version,locationid",
            )
            .send()
    };
    let resp = preflight("http://localhost:5173").await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let allowed = resp.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("locationid"),
        "{allowed}"
    );
    let resp = preflight("https://evil.example").await.unwrap();
    assert_eq!(resp.status(), 403);
    // A real request from the allowed origin carries the CORS answer too.
    let resp = post(&h.url, &[("origin", "http://localhost:5173")], init()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
}
