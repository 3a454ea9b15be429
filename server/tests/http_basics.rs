//! End-to-end over Streamable HTTP through rmcp's own client, both protocol eras: listing,
//! calling, request mapping, argument errors and unknown tools.

mod common;

use common::*;
use serde_json::{Value, json};

async fn list_and_call(client: &Client, h: &Harness) {
    let tools = client.list_all_tools().await.expect("tools/list");
    let names: Vec<_> = tools.iter().map(|t| t.name.to_string()).collect();
    let expected: Vec<_> = test_tools().iter().map(|t| t.name.to_string()).collect();
    assert_eq!(names, expected);

    let r = call(client, "contacts_get-contact", json!({"contactId": "c-1"})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    let req = h.upstream.last();
    assert_eq!(req.method, "GET");
    assert_eq!(req.path_and_query, "/contacts/c-1");
    assert_eq!(req.header("version"), Some("2021-07-28"));
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {PIT}").as_str())
    );
    assert!(req.body.is_none());
    // Compact JSON text plus structuredContent (the tool has an outputSchema).
    let text = text_of(&r);
    assert_eq!(text, r#"{"ok":true,"method":"GET","path":"/contacts/c-1"}"#);
    assert_eq!(
        r.structured_content,
        Some(json!({"ok": true, "method": "GET", "path": "/contacts/c-1"}))
    );
}

#[tokio::test]
async fn legacy_2025_11_25_client_lists_and_calls() {
    let h = start(Setup::default()).await;
    let client = legacy_client(&h.url, Some(PIT), &[]).await;
    let info = client.peer_info().expect("server info");
    let server_info = info.server_info.clone().expect("serverInfo");
    assert_eq!(server_info.name, "highlevel-mcp");
    assert_eq!(server_info.version, env!("CARGO_PKG_VERSION"));
    list_and_call(&client, &h).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn legacy_client_with_sessions_enabled() {
    let mut setup = Setup::default();
    setup.http.sessions = true;
    let h = start(setup).await;
    let client = legacy_client(&h.url, Some(PIT), &[]).await;
    list_and_call(&client, &h).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn modern_2026_07_28_client_lists_and_calls() {
    let h = start(Setup::default()).await;
    let client = modern_client(&h.url, Some(PIT), &[]).await;
    list_and_call(&client, &h).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn trailing_slash_url_works_like_highlevels() {
    let h = start(Setup::default()).await;
    let client = legacy_client(&format!("{}/", h.url), Some(PIT), &[]).await;
    list_and_call(&client, &h).await;
}

#[tokio::test]
async fn raw_2026_07_28_requests_with_standard_headers() {
    // What a 2026-07-28 client puts on the wire, written out by hand: server/discover, then a
    // tools/call carrying Mcp-Method, Mcp-Name and MCP-Protocol-Version.
    let h = start(Setup::default()).await;
    let http = reqwest::Client::new();
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let post = |method: &str, name: Option<&str>, body: Value| {
        let mut rb = http
            .post(&h.url)
            .header("authorization", format!("Bearer {PIT}"))
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", method);
        if let Some(n) = name {
            rb = rb.header("mcp-name", n);
        }
        rb.body(body.to_string()).send()
    };
    let resp = post(
        "server/discover",
        None,
        json!({"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta": meta}}),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "stateless answers are JSON"
    );
    let v: Value = resp.json().await.unwrap();
    assert_eq!(
        v["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "highlevel-mcp",
        "{v}"
    );
    assert!(
        v["result"]["supportedVersions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "2026-07-28")),
        "{v}"
    );

    let resp = post(
        "tools/call",
        Some("contacts_get-contact"),
        json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{
            "_meta": meta, "name": "contacts_get-contact", "arguments": {"contactId": "x9"}}}),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_ne!(v["result"]["isError"], json!(true), "{v}");
    assert_eq!(
        v["result"]["structuredContent"]["path"], "/contacts/x9",
        "{v}"
    );
    assert_eq!(h.upstream.last().path_and_query, "/contacts/x9");
}

#[tokio::test]
async fn bad_arguments_are_an_is_error_result_naming_each_field() {
    let h = start(Setup::default()).await;
    for client in [
        legacy_client(&h.url, Some(PIT), &[]).await,
        modern_client(&h.url, Some(PIT), &[]).await,
    ] {
        let r = call(
            &client,
            "contacts_get-contacts",
            json!({"locationId": "L1", "limit": 500, "query": 7}),
        )
        .await;
        assert!(is_error(&r));
        let t = text_of(&r);
        assert!(t.contains("`limit`"), "{t}");
        assert!(t.contains("`query`"), "{t}");
        let r = call(&client, "contacts_get-contact", json!({})).await;
        assert!(is_error(&r));
        assert!(text_of(&r).contains("contactId"), "{}", text_of(&r));
    }
    assert!(
        h.upstream.requests().is_empty(),
        "nothing was sent upstream"
    );
}

#[tokio::test]
async fn unknown_tool_is_a_protocol_error() {
    let h = start(Setup::default()).await;
    let client = legacy_client(&h.url, Some(PIT), &[]).await;
    let err = client
        .call_tool(rmcp::model::CallToolRequestParams::new("contacts_nope"))
        .await
        .expect_err("unknown tool must be a protocol error");
    assert!(err.to_string().contains("contacts_nope"), "{err}");
    assert!(h.upstream.requests().is_empty());
}

#[tokio::test]
async fn post_body_and_wrapped_results() {
    let h = start(Setup::default()).await;
    let client = modern_client(&h.url, Some(PIT), &[]).await;
    let r = call(
        &client,
        "contacts_create-contact",
        json!({"locationId": "L1", "firstName": "Ada", "tags": ["a", "b"]}),
    )
    .await;
    assert!(!is_error(&r), "{}", text_of(&r));
    let req = h.upstream.last();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path_and_query, "/contacts/");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(
        req.body,
        Some(json!({"locationId": "L1", "firstName": "Ada", "tags": ["a", "b"]}))
    );

    // A non-object answer is wrapped under "result" for structuredContent; text stays as sent.
    h.upstream.push(Canned::json(200, json!(["t1", "t2"])));
    let r = call(&client, "locations_list-tags", json!({"locationId": "L1"})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert_eq!(text_of(&r), r#"["t1","t2"]"#);
    assert_eq!(r.structured_content, Some(json!({"result": ["t1", "t2"]})));
    assert_eq!(h.upstream.last().path_and_query, "/locations/L1/tags");

    // A tool without outputSchema returns text only.
    let r = call(&client, "calendars_delete-event", json!({"eventId": "e1"})).await;
    assert!(!is_error(&r));
    assert_eq!(r.structured_content, None);
    let req = h.upstream.last();
    assert_eq!(req.method, "DELETE");
    assert_eq!(req.header("version"), Some("2021-04-15"));
}

#[tokio::test]
async fn healthz_answers_without_credentials() {
    let h = start(Setup::default()).await;
    let resp = reqwest::get(format!("http://{}/healthz", h.server.local_addr()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v, json!({"status": "ok", "tools": test_tools().len()}));
}

#[tokio::test]
async fn shutdown_lets_in_flight_calls_finish() {
    let upstream = RecordingUpstream::start().await;
    let server = start_server(Setup::default(), &upstream.url).await;
    let client = legacy_client(&server.mcp_url(), Some(PIT), &[]).await;
    upstream.push(
        Canned::json(200, json!({"slow": true})).delayed(std::time::Duration::from_millis(800)),
    );
    let in_flight = tokio::spawn(async move {
        call(&client, "contacts_get-contact", json!({"contactId": "c1"})).await
    });
    // Shut down only once the call is in flight (the upstream has it and is still answering).
    for _ in 0..200 {
        if !upstream.requests().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        upstream.requests().len(),
        1,
        "the call reached the upstream"
    );
    let started = std::time::Instant::now();
    tokio::time::timeout(std::time::Duration::from_secs(5), server.shutdown())
        .await
        .expect("shutdown finishes well before the grace period")
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let r = in_flight.await.unwrap();
    assert!(!is_error(&r), "{}", text_of(&r));
    assert_eq!(r.structured_content, Some(json!({"slow": true})));
}
