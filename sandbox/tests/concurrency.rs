//! Many concurrent writers: every write lands exactly once and no update is lost.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::{Api, s};
use reqwest::StatusCode;
use sandbox::DEMO_LOCATION_ID;
use serde_json::json;

const L: &str = DEMO_LOCATION_ID;
const TASKS: usize = 32;
const ROUNDS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_upserts_and_updates_lose_nothing() {
    let api = Arc::new(Api::start().await);
    let state = api.sandbox.state().clone();
    // Counted in this location: the agency's other sub-accounts hold contacts too.
    let before = state.contacts(L).len();
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let api = api.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..ROUNDS {
                // A contact of its own...
                let (st, r) = api
                    .post("/contacts/upsert", json!({"locationId": L, "email": format!("user{t}.{i}@load.example"), "firstName": format!("T{t}")}))
                    .await;
                assert_eq!(st, StatusCode::OK, "{r}");
                // ...and one contact everybody upserts at once: it must exist exactly once.
                let (st, r) = api
                    .post("/contacts/upsert", json!({"locationId": L, "email": "shared@load.example", "firstName": "Shared"}))
                    .await;
                assert_eq!(st, StatusCode::OK, "{r}");
                let shared = s(&r, "/contact/id").to_string();
                // Every task adds its own tag to the shared contact: none may be lost.
                let (st, r) = api.post(&format!("/contacts/{shared}/tags"), json!({"tags": [format!("t{t}-{i}")]})).await;
                assert_eq!(st, StatusCode::CREATED, "{r}");
            }
        }));
    }
    for h in handles {
        h.await.expect("writer task");
    }
    let contacts = state.contacts(L);
    assert_eq!(contacts.len(), before + TASKS * ROUNDS + 1);
    let emails: Vec<&str> = contacts
        .iter()
        .filter_map(|c| c["emailLowerCase"].as_str())
        .collect();
    for t in 0..TASKS {
        for i in 0..ROUNDS {
            let e = format!("user{t}.{i}@load.example");
            assert_eq!(emails.iter().filter(|x| **x == e).count(), 1, "{e}");
        }
    }
    let shared: Vec<_> = contacts
        .iter()
        .filter(|c| c["emailLowerCase"] == "shared@load.example")
        .collect();
    assert_eq!(shared.len(), 1);
    let tags: HashSet<&str> = shared[0]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    for t in 0..TASKS {
        for i in 0..ROUNDS {
            assert!(
                tags.contains(format!("t{t}-{i}").as_str()),
                "tag t{t}-{i} lost"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_messages_and_opportunity_updates_all_land() {
    let api = Arc::new(Api::start().await);
    let state = api.sandbox.state().clone();
    let conv = state.conversations(L)[0].clone();
    let contact = s(&conv, "/contactId").to_string();
    let conv_id = s(&conv, "/id").to_string();
    let before = state.messages(&conv_id).len();
    let opps: Vec<String> = state
        .opportunities(L)
        .iter()
        .map(|o| s(o, "/id").to_string())
        .collect();
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let api = api.clone();
        let contact = contact.clone();
        let opp = opps[t % opps.len()].clone();
        handles.push(tokio::spawn(async move {
            for i in 0..ROUNDS {
                let (st, r) = api
                    .post("/conversations/messages", json!({"type": "SMS", "contactId": contact, "message": format!("m{t}-{i}")}))
                    .await;
                assert_eq!(st, StatusCode::OK, "{r}");
                let (st, r) = api.put(&format!("/opportunities/{opp}"), json!({"monetaryValue": (t * 1000 + i) as f64})).await;
                assert_eq!(st, StatusCode::OK, "{r}");
            }
        }));
    }
    for h in handles {
        h.await.expect("writer task");
    }
    let msgs = state.messages(&conv_id);
    assert_eq!(msgs.len(), before + TASKS * ROUNDS);
    let bodies: HashSet<&str> = msgs.iter().filter_map(|m| m["body"].as_str()).collect();
    for t in 0..TASKS {
        for i in 0..ROUNDS {
            assert!(bodies.contains(format!("m{t}-{i}").as_str()));
        }
    }
    let ids: HashSet<&str> = msgs.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids.len(), msgs.len(), "message ids are unique");
    // Each opportunity ends at the last value one of its writers sent.
    for (k, opp) in opps.iter().enumerate() {
        let writers: Vec<usize> = (0..TASKS).filter(|t| t % opps.len() == k).collect();
        if writers.is_empty() {
            continue;
        }
        let v = state.opportunity(opp).unwrap()["monetaryValue"]
            .as_f64()
            .unwrap() as usize;
        assert!(
            writers.contains(&(v / 1000)) && v % 1000 == ROUNDS - 1,
            "{opp}: {v}"
        );
    }
}
