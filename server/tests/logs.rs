//! Logs: every call logs its tool, status and duration; no token or API key ever appears, even
//! with every crate (rmcp, hyper, reqwest) logging at TRACE level.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use serde_json::json;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const API_KEY: &str = "server-api-key-SECRET-42";
const HELD: &str = "pit-held-SECRET-777";

#[tokio::test]
async fn no_credential_ever_appears_in_trace_logs() {
    let buf = Buffer::default();
    tracing_subscriber::fmt()
        .with_writer(buf.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .init();

    // Header mode: the client's PIT, an upstream error echoing it, an invalid call.
    let h = start(Setup::default()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    call(&c, "contacts_get-contact", json!({"contactId": "c1"})).await;
    h.upstream.push(Canned::json(
        401,
        json!({"message": format!("bad token {PIT}")}),
    ));
    let r = call(&c, "contacts_get-contact", json!({"contactId": "c2"})).await;
    assert!(is_error(&r));
    call(&c, "contacts_get-contact", json!({})).await;
    let m = modern_client(&h.url, Some(PIT), &[]).await;
    call(&m, "contacts_create-contact", json!({"locationId": "L"})).await;
    // A refused request (no bearer) and a 401 carrying a wrong one.
    let _ = reqwest::Client::new()
        .post(&h.url)
        .header("authorization", format!("Basic {PIT}"))
        .body("{}")
        .send()
        .await
        .unwrap();

    // Server-held mode with an API key.
    let h2 = start(Setup {
        credentials: server_held(HELD, Some(API_KEY)),
        ..Setup::default()
    })
    .await;
    let c2 = legacy_client(&h2.url, Some(API_KEY), &[]).await;
    call(&c2, "contacts_get-contact", json!({"contactId": "c1"})).await;
    assert_eq!(
        h2.upstream.last().header("authorization"),
        Some(format!("Bearer {HELD}").as_str())
    );

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.len() > 1000, "TRACE logging captured output");
    for secret in [PIT, HELD, API_KEY] {
        assert!(!logs.contains(secret), "`{secret}` leaked into the logs");
    }
    let call_lines: Vec<_> = logs.lines().filter(|l| l.contains("tool call")).collect();
    assert!(
        call_lines
            .iter()
            .any(|l| l.contains("tool=contacts_get-contact")
                && l.contains("status=200")
                && l.contains("duration_ms=")),
        "{call_lines:#?}"
    );
    assert!(
        call_lines.iter().any(|l| l.contains("status=401")),
        "{call_lines:#?}"
    );
    assert!(
        call_lines
            .iter()
            .any(|l| l.contains("status=\"invalid-arguments\"")),
        "{call_lines:#?}"
    );
}
