//! Every sandbox answer conforms to the outputSchema of the tool that calls it, as committed in
//! `generated/schemas/<app>/<tool>.json`. Tools whose schema file is not generated yet are
//! skipped with a printed reason.

mod common;

use std::path::PathBuf;

use common::{Api, s};
use reqwest::Method;
use sandbox::{DEMO_LOCATION_ID as L, SEED_EPOCH_MS};
use serde_json::{Value, json};

fn schema_of(tool: &str) -> Option<Value> {
    let app = tool.split('_').next().unwrap_or("");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../generated/schemas")
        .join(app)
        .join(format!("{tool}.json"));
    let text = std::fs::read_to_string(&path).ok()?;
    let doc: Value = serde_json::from_str(&text).ok()?;
    doc.get("outputSchema").cloned()
}

#[tokio::test]
async fn answers_match_the_tools_output_schemas() {
    let api = Api::start().await;
    let st = api.sandbox.state();
    let contact = st.contacts(L)[0].clone();
    let cid = s(&contact, "/id").to_string();
    let conv = st.conversations(L)[0].clone();
    let cal = st.calendars(L)[0].clone();
    let event = st
        .events(L)
        .into_iter()
        .find(|e| !st.appointment_notes(s(e, "/id")).is_empty())
        .unwrap();
    let opp = st.opportunities(L)[0].clone();
    let order = st.orders(L)[0].clone();
    let week = SEED_EPOCH_MS + 7 * 86_400_000;
    let calls: Vec<(&str, Method, String, Option<Value>)> = vec![
        (
            "contacts_get-contact",
            Method::GET,
            format!("/contacts/{cid}"),
            None,
        ),
        (
            "contacts_get-all-tasks",
            Method::GET,
            format!("/contacts/{cid}/tasks"),
            None,
        ),
        (
            "contacts_add-tags",
            Method::POST,
            format!("/contacts/{cid}/tags"),
            Some(json!({"tags": ["x"]})),
        ),
        (
            "contacts_remove-tags",
            Method::DELETE,
            format!("/contacts/{cid}/tags"),
            Some(json!({"tags": ["x"]})),
        ),
        (
            "contacts_update-contact",
            Method::PUT,
            format!("/contacts/{cid}"),
            Some(json!({"city": "Austin"})),
        ),
        (
            "contacts_upsert-contact",
            Method::POST,
            "/contacts/upsert".into(),
            Some(json!({"locationId": L, "email": "schema@check.example"})),
        ),
        (
            "contacts_create-contact",
            Method::POST,
            "/contacts/".into(),
            Some(json!({"locationId": L, "email": "schema2@check.example"})),
        ),
        (
            "contacts_get-contacts",
            Method::GET,
            format!("/contacts/?locationId={L}&limit=100"),
            None,
        ),
        (
            "contacts_get-contacts",
            Method::GET,
            format!("/contacts/?locationId={L}&limit=5"),
            None,
        ),
        (
            "conversations_search-conversation",
            Method::GET,
            format!("/conversations/search?locationId={L}"),
            None,
        ),
        (
            "conversations_get-messages",
            Method::GET,
            format!("/conversations/{}/messages", s(&conv, "/id")),
            None,
        ),
        (
            "conversations_send-a-new-message",
            Method::POST,
            "/conversations/messages".into(),
            Some(json!({"type": "SMS", "contactId": cid, "message": "hi"})),
        ),
        (
            "conversations_send-a-new-message",
            Method::POST,
            "/conversations/messages".into(),
            Some(json!({"type": "Email", "contactId": cid, "html": "<b>hi</b>", "subject": "s"})),
        ),
        (
            "calendars_get-calendar-events",
            Method::GET,
            format!(
                "/calendars/events?locationId={L}&calendarId={}&startTime={}&endTime={week}",
                s(&cal, "/id"),
                SEED_EPOCH_MS - 7 * 86_400_000
            ),
            None,
        ),
        (
            "calendars_get-appointment-notes",
            Method::GET,
            format!(
                "/calendars/appointments/{}/notes?limit=20&offset=0",
                s(&event, "/id")
            ),
            None,
        ),
        (
            "locations_get-location",
            Method::GET,
            format!("/locations/{L}"),
            None,
        ),
        (
            "locations_get-custom-fields",
            Method::GET,
            format!("/locations/{L}/customFields"),
            None,
        ),
        (
            "opportunities_search-opportunity",
            Method::GET,
            format!(
                "/opportunities/search?location_id={L}&limit=100&getTasks=true&getCalendarEvents=true&getNotes=true"
            ),
            None,
        ),
        (
            "opportunities_search-opportunity",
            Method::GET,
            format!("/opportunities/search?location_id={L}&limit=3"),
            None,
        ),
        (
            "opportunities_get-pipelines",
            Method::GET,
            format!("/opportunities/pipelines?locationId={L}"),
            None,
        ),
        (
            "opportunities_get-opportunity",
            Method::GET,
            format!("/opportunities/{}", s(&opp, "/id")),
            None,
        ),
        (
            "opportunities_update-opportunity",
            Method::PUT,
            format!("/opportunities/{}", s(&opp, "/id")),
            Some(json!({"status": "won"})),
        ),
        (
            "payments_get-order-by-id",
            Method::GET,
            format!(
                "/payments/orders/{}?altId={L}&altType=location",
                s(&order, "/_id")
            ),
            None,
        ),
        (
            "payments_list-transactions",
            Method::GET,
            format!("/payments/transactions?altId={L}&altType=location&limit=100"),
            None,
        ),
    ];
    let mut failures = Vec::new();
    let mut checked = 0;
    for (tool, method, path, body) in calls {
        let (status, answer) = api.call(method, &path, body).await;
        assert!(status.is_success(), "{tool} {path}: {status} {answer}");
        let Some(schema) = schema_of(tool) else {
            println!("skipping {tool}: generated/schemas has no outputSchema for it yet");
            continue;
        };
        let validator = jsonschema::validator_for(&schema).expect("outputSchema compiles");
        for e in validator.iter_errors(&answer) {
            failures.push(format!("{tool} {path}: {e} at {}", e.instance_path()));
        }
        checked += 1;
    }
    if checked == 0 {
        println!("skipping: no generated/schemas found next to the sandbox crate");
    }
    assert!(
        failures.is_empty(),
        "{} schema violations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
