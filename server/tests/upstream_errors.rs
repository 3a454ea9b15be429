//! Upstream failures become useful isError results: scopes on 401/403, HighLevel's message on
//! 400/404/422, bounded waiting on 429, retries of 5xx/timeouts/connection errors only for
//! idempotent methods, a bounded response size; and the server keeps serving throughout.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

#[tokio::test]
async fn auth_errors_name_the_scopes() {
    let h = start(Setup::default()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    for status in [401, 403] {
        h.upstream.push(Canned::json(
            status,
            json!({"statusCode": status, "message": "The token is not authorized for this scope."}),
        ));
        let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
        assert!(is_error(&r));
        let t = text_of(&r);
        assert!(t.contains(&format!("HTTP {status}")), "{t}");
        assert!(t.contains("`contacts.readonly`"), "{t}");
        assert!(t.contains("not authorized for this scope"), "{t}");
    }
    assert_eq!(
        h.upstream.requests().len(),
        2,
        "auth errors are not retried"
    );
}

#[tokio::test]
async fn client_errors_pass_highlevels_message_through() {
    let h = start(Setup::default()).await;
    let c = modern_client(&h.url, Some(PIT), &[]).await;
    h.upstream.push(Canned::json(
        422,
        json!({"statusCode": 422, "message": ["email must be an email", "phone is invalid"]}),
    ));
    let r = call(&c, "contacts_create-contact", json!({"locationId": "L"})).await;
    assert!(is_error(&r));
    let t = text_of(&r);
    assert!(t.contains("HTTP 422"), "{t}");
    assert!(
        t.contains("email must be an email; phone is invalid"),
        "{t}"
    );

    h.upstream
        .push(Canned::json(400, json!({"message": "Bad limit"})));
    let r = call(&c, "contacts_get-contacts", json!({"locationId": "L"})).await;
    assert!(text_of(&r).contains("HTTP 400") && text_of(&r).contains("Bad limit"));

    // HighLevel's `meta` (e.g. the existing contact behind a duplicate) reaches the model.
    h.upstream.push(Canned::json(
        400,
        json!({"statusCode": 400, "message": "This location does not allow duplicated contacts.",
               "meta": {"contactId": "EXISTING123", "matchingField": "email"}}),
    ));
    let r = call(&c, "contacts_create-contact", json!({"locationId": "L"})).await;
    let t = text_of(&r);
    assert!(is_error(&r));
    assert!(
        t.contains("does not allow duplicated contacts") && t.contains("EXISTING123"),
        "{t}"
    );

    h.upstream
        .push(Canned::json(404, json!({"message": "Contact not found"})));
    let r = call(&c, "contacts_get-contact", json!({"contactId": "zz"})).await;
    assert!(is_error(&r));
    assert!(text_of(&r).contains("Contact not found"), "{}", text_of(&r));
    assert_eq!(h.upstream.requests().len(), 4, "4xx errors are not retried");
}

#[tokio::test]
async fn rate_limit_waits_per_retry_after_then_succeeds() {
    let h = start(Setup::default()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    h.upstream.push(
        Canned::json(429, json!({"message": "Too many requests"}))
            .with_header("retry-after", "0.3"),
    );
    let started = Instant::now();
    // POST too: a 429 means HighLevel did not act, so the retry is safe.
    let r = call(&c, "contacts_create-contact", json!({"locationId": "L"})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "waited per Retry-After"
    );
    let reqs = h.upstream.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body);
}

#[tokio::test]
async fn rate_limit_gives_up_within_the_budget_and_says_so() {
    let h = start(Setup::default()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    for _ in 0..5 {
        h.upstream
            .push(Canned::json(429, json!({"message": "Too many requests"})));
    }
    let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
    assert!(is_error(&r));
    let t = text_of(&r);
    assert!(t.contains("rate limit") && t.contains("3 attempt"), "{t}");
    assert_eq!(
        h.upstream.requests().len(),
        3,
        "max_attempts bounds the tries"
    );

    // A Retry-After beyond the budget is not waited for at all.
    h.upstream.clear();
    h.upstream
        .push(Canned::json(429, json!({})).with_header("retry-after", "120"));
    let started = Instant::now();
    let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(text_of(&r).contains("wait 120"), "{}", text_of(&r));
    assert_eq!(h.upstream.requests().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_only_for_idempotent_methods() {
    let h = start(Setup::default()).await;
    let c = modern_client(&h.url, Some(PIT), &[]).await;
    h.upstream
        .push(Canned::json(502, json!({"message": "bad gateway"})));
    let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
    assert!(!is_error(&r), "GET retried after a 502: {}", text_of(&r));
    assert_eq!(h.upstream.requests().len(), 2);

    h.upstream.clear();
    for _ in 0..3 {
        h.upstream
            .push(Canned::json(503, json!({"message": "down"})));
    }
    let r = call(&c, "calendars_delete-event", json!({"eventId": "e"})).await;
    assert!(is_error(&r));
    assert!(text_of(&r).contains("HTTP 503") && text_of(&r).contains("3 attempt"));
    assert_eq!(h.upstream.requests().len(), 3, "DELETE is idempotent");

    h.upstream.clear();
    h.upstream
        .push(Canned::json(500, json!({"message": "oops"})));
    let r = call(&c, "contacts_create-contact", json!({"locationId": "L"})).await;
    assert!(is_error(&r));
    let t = text_of(&r);
    assert!(t.contains("not retried") && t.contains("oops"), "{t}");
    assert_eq!(
        h.upstream.requests().len(),
        1,
        "POST is never retried on 5xx"
    );
}

#[tokio::test]
async fn timeouts_are_retried_only_for_idempotent_methods() {
    let h = start(Setup {
        timeout: Duration::from_millis(300),
        ..Setup::default()
    })
    .await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    for _ in 0..3 {
        h.upstream
            .push(Canned::json(200, json!({})).delayed(Duration::from_secs(2)));
    }
    let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
    assert!(is_error(&r));
    assert!(
        text_of(&r).contains("no answer within 300 ms"),
        "{}",
        text_of(&r)
    );
    assert_eq!(h.upstream.requests().len(), 3);

    h.upstream.clear();
    h.upstream
        .push(Canned::json(200, json!({})).delayed(Duration::from_secs(2)));
    let r = call(&c, "contacts_create-contact", json!({"locationId": "L"})).await;
    assert!(is_error(&r));
    assert!(text_of(&r).contains("not retried"), "{}", text_of(&r));
    assert_eq!(h.upstream.requests().len(), 1);
    // Still serving.
    let r = call(&c, "contacts_get-contact", json!({"contactId": "2"})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
}

#[tokio::test]
async fn unreachable_upstream_is_an_error_and_the_server_keeps_serving() {
    // Bind and drop a listener to get a port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let server = start_server(Setup::default(), &format!("http://127.0.0.1:{port}")).await;
    let c = legacy_client(&server.mcp_url(), Some(PIT), &[]).await;
    for _ in 0..3 {
        let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
        assert!(is_error(&r));
        assert!(text_of(&r).contains("connection failed"), "{}", text_of(&r));
    }
    let r = call(&c, "contacts_create-contact", json!({"locationId": "L"})).await;
    assert!(text_of(&r).contains("not retried"), "{}", text_of(&r));
    assert_eq!(c.list_all_tools().await.unwrap().len(), test_tools().len());
}

#[tokio::test]
async fn oversized_upstream_responses_are_refused_clearly() {
    let h = start(Setup {
        max_response_bytes: 1000,
        ..Setup::default()
    })
    .await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    h.upstream
        .push(Canned::json(200, json!({"blob": "x".repeat(5000)})));
    let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
    assert!(is_error(&r));
    assert!(
        text_of(&r).contains("larger than 1000 bytes"),
        "{}",
        text_of(&r)
    );
    let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
    assert!(!is_error(&r));
}

#[tokio::test]
async fn non_json_and_empty_success_bodies() {
    let h = start(Setup::default()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    h.upstream.push(Canned {
        status: 200,
        headers: vec![],
        body: String::new(),
        delay: Duration::ZERO,
    });
    let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
    assert!(!is_error(&r));
    assert_eq!(text_of(&r), "{}");
    assert_eq!(r.structured_content, Some(json!({})));
    h.upstream.push(Canned {
        status: 201,
        headers: vec![],
        body: "Created".into(),
        delay: Duration::ZERO,
    });
    // The tool promises structured output, which a non-JSON body cannot give: an error that
    // quotes the body and says whether repeating the call is safe.
    let r = call(&c, "contacts_get-contact", json!({"contactId": "1"})).await;
    assert!(is_error(&r));
    let t = text_of(&r);
    assert!(
        t.contains("HTTP 201") && t.contains("not valid JSON: Created") && t.contains("safe"),
        "{t}"
    );
    h.upstream.push(Canned {
        status: 201,
        headers: vec![],
        body: "<html>ok</html>".into(),
        delay: Duration::ZERO,
    });
    let r = call(&c, "contacts_create-contact", json!({"locationId": "L"})).await;
    assert!(is_error(&r));
    assert!(
        text_of(&r).contains("may have taken effect"),
        "{}",
        text_of(&r)
    );
}
