//! Credential modes: header mode forwards each client's bearer (401 without one); server-held mode
//! uses the server's token and, with an API key, checks it (Bearer or X-API-Key).

mod common;

use common::*;
use serde_json::{Value, json};

fn initialize_body() -> String {
    json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{},
        "clientInfo":{"name":"raw","version":"1"}}})
    .to_string()
}

async fn raw_post(url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut rb = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json");
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.body(initialize_body()).send().await.unwrap()
}

#[tokio::test]
async fn header_mode_without_bearer_is_401_saying_what_to_send() {
    let h = start(Setup::default()).await;
    for headers in [
        vec![],
        vec![("authorization", "Basic abc")],
        vec![("authorization", "Bearer ")],
    ] {
        let resp = raw_post(&h.url, &headers).await;
        assert_eq!(resp.status(), 401, "{headers:?}");
        assert!(resp.headers().contains_key("www-authenticate"));
        let body = resp.text().await.unwrap();
        assert!(
            body.contains("Authorization: Bearer <token>"),
            "the message says what to send: {body}"
        );
        assert!(
            !body.contains("jsonrpc"),
            "plain text, not JSON-RPC: {body}"
        );
    }
    let resp = raw_post(&h.url, &[("authorization", "Bearer x")]).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn header_mode_forwards_each_clients_own_token() {
    let h = start(Setup::default()).await;
    let a = legacy_client(&h.url, Some("pit-aaaa"), &[]).await;
    let b = modern_client(&h.url, Some("pit-bbbb"), &[]).await;
    call(&a, "contacts_get-contact", json!({"contactId": "1"})).await;
    assert_eq!(
        h.upstream.last().header("authorization"),
        Some("Bearer pit-aaaa")
    );
    call(&b, "contacts_get-contact", json!({"contactId": "2"})).await;
    assert_eq!(
        h.upstream.last().header("authorization"),
        Some("Bearer pit-bbbb")
    );
    call(&a, "contacts_get-contact", json!({"contactId": "3"})).await;
    assert_eq!(
        h.upstream.last().header("authorization"),
        Some("Bearer pit-aaaa")
    );
}

#[tokio::test]
async fn server_held_token_is_used_and_client_bearers_are_not_forwarded() {
    let h = start(Setup {
        credentials: server_held("pit-server-held", None),
        ..Setup::default()
    })
    .await;
    let anonymous = legacy_client(&h.url, None, &[]).await;
    call(
        &anonymous,
        "contacts_get-contact",
        json!({"contactId": "1"}),
    )
    .await;
    assert_eq!(
        h.upstream.last().header("authorization"),
        Some("Bearer pit-server-held")
    );
    let other = modern_client(&h.url, Some("client-own-token"), &[]).await;
    call(&other, "contacts_get-contact", json!({"contactId": "1"})).await;
    assert_eq!(
        h.upstream.last().header("authorization"),
        Some("Bearer pit-server-held")
    );
}

#[tokio::test]
async fn api_key_is_required_and_checked() {
    let h = start(Setup {
        credentials: server_held("pit-server-held", Some("server-api-key-1")),
        ..Setup::default()
    })
    .await;
    for headers in [
        vec![],
        vec![("authorization", "Bearer wrong-key")],
        vec![("x-api-key", "server-api-key-")],
        vec![("authorization", "Bearer pit-server-held")],
    ] {
        let resp = raw_post(&h.url, &headers).await;
        assert_eq!(resp.status(), 401, "{headers:?}");
        let body = resp.text().await.unwrap();
        assert!(body.contains("X-API-Key"), "{body}");
    }
    for headers in [
        vec![("authorization", "Bearer server-api-key-1")],
        vec![("x-api-key", "server-api-key-1")],
    ] {
        let resp = raw_post(&h.url, &headers).await;
        assert_eq!(resp.status(), 200, "{headers:?}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["result"]["serverInfo"]["name"], "highlevel-mcp");
    }
    // Through the rmcp client, both ways; upstream sees the server's token, never the key.
    let c = legacy_client(&h.url, Some("server-api-key-1"), &[]).await;
    call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
    let c = modern_client(&h.url, None, &[("x-api-key", "server-api-key-1")]).await;
    call(&c, "contacts_get-contact", json!({"contactId": "2"})).await;
    for r in h.upstream.requests() {
        assert_eq!(r.header("authorization"), Some("Bearer pit-server-held"));
        assert!(r.header("x-api-key").is_none());
    }
    assert_eq!(h.upstream.requests().len(), 2);
}

#[tokio::test]
async fn token_never_appears_in_results_even_when_upstream_echoes_it() {
    let h = start(Setup::default()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    h.upstream.push(Canned::json(
        401,
        json!({"statusCode": 401, "message": format!("Invalid JWT: Bearer {PIT}")}),
    ));
    let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
    assert!(is_error(&r));
    let t = text_of(&r);
    assert!(!t.contains(PIT), "{t}");
    assert!(t.contains("[redacted]"), "{t}");
    h.upstream.push(Canned::json(
        200,
        json!({"echo": PIT, "nested": {"k": PIT}}),
    ));
    let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
    let all = format!("{} {:?}", text_of(&r), r.structured_content);
    assert!(!all.contains(PIT), "{all}");
}
