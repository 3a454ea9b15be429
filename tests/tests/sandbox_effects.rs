//! Effects end to end: an rmcp client calls the generated tools through the real server against
//! the sandbox, and every write is checked both through MCP (reading it back) and in the
//! sandbox's state. Also: 16 clients, each on its own connection, writing at once lose nothing
//! and duplicate nothing.

mod common;

use std::collections::HashMap;

use common::*;
use sandbox::{DEMO_LOCATION_ID, Sandbox, SandboxConfig};
use serde_json::{Value, json};

async fn setup() -> (Sandbox, server::http::HttpServer, Client) {
    let sb = Sandbox::start(SandboxConfig::for_tests())
        .await
        .expect("sandbox");
    let srv = start_server(Opts::new(sb.base_url())).await;
    let c = client(&srv.mcp_url(), Some(SECRET_TOKEN)).await;
    (sb, srv, c)
}

fn ok(r: &rmcp::model::CallToolResult, what: &str) -> Value {
    assert!(!is_error(r), "{what}: {}", text_of(r));
    json_of(r)
}

fn tags_of(contact: &Value) -> Vec<String> {
    contact["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_add_and_remove() {
    let (sb, srv, c) = setup().await;
    let id = sb.state().contacts(DEMO_LOCATION_ID)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = call(
        &c,
        "contacts_add-tags",
        json!({"contactId": id, "tags": ["vip-effects"]}),
    )
    .await;
    ok(&r, "add-tags");
    let got = ok(
        &call(&c, "contacts_get-contact", json!({"contactId": id})).await,
        "get",
    );
    assert!(
        tags_of(&got["contact"]).contains(&"vip-effects".to_owned()),
        "{got}"
    );
    assert!(tags_of(&sb.state().contact(&id).unwrap()).contains(&"vip-effects".to_owned()));

    let r = call(
        &c,
        "contacts_remove-tags",
        json!({"contactId": id, "tags": ["vip-effects"]}),
    )
    .await;
    ok(&r, "remove-tags");
    let got = ok(
        &call(&c, "contacts_get-contact", json!({"contactId": id})).await,
        "get",
    );
    assert!(
        !tags_of(&got["contact"]).contains(&"vip-effects".to_owned()),
        "{got}"
    );
    assert!(!tags_of(&sb.state().contact(&id).unwrap()).contains(&"vip-effects".to_owned()));
    srv.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sent_message_shows_in_the_conversation() {
    let (sb, srv, c) = setup().await;
    let created = ok(
        &call(
            &c,
            "contacts_create-contact",
            json!({"firstName": "Effects", "email": "effects-msg@example.com", "phone": "+15125550177"}),
        )
        .await,
        "create",
    );
    let contact_id = created["contact"]["id"]
        .as_str()
        .expect("created id")
        .to_owned();
    let text = "Your cleaning is confirmed for Tuesday 10:00.";
    let sent = ok(
        &call(
            &c,
            "conversations_send-a-new-message",
            json!({"type": "SMS", "contactId": contact_id, "message": text}),
        )
        .await,
        "send",
    );
    let conv = sent["conversationId"]
        .as_str()
        .expect("conversationId")
        .to_owned();
    let msgs = ok(
        &call(
            &c,
            "conversations_get-messages",
            json!({"conversationId": conv}),
        )
        .await,
        "get-messages",
    );
    let found = msgs.to_string().contains(text);
    assert!(found, "the sent text is not in get-messages: {msgs}");
    assert!(
        sb.state()
            .messages(&conv)
            .iter()
            .any(|m| m["body"] == text || m.to_string().contains(text))
    );
    srv.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updated_stage_shows_in_search() {
    let (sb, srv, c) = setup().await;
    let pipelines = sb.state().pipelines(DEMO_LOCATION_ID);
    let pipeline = &pipelines[0];
    let pipeline_id = pipeline["id"].as_str().unwrap();
    let stages: Vec<String> = pipeline["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let opp = sb
        .state()
        .opportunities(DEMO_LOCATION_ID)
        .into_iter()
        .find(|o| o["pipelineId"] == pipeline_id)
        .expect("an opportunity in the first pipeline");
    let opp_id = opp["id"].as_str().unwrap().to_owned();
    let new_stage = stages
        .iter()
        .find(|s| opp["pipelineStageId"] != s.as_str())
        .unwrap()
        .clone();
    ok(
        &call(
            &c,
            "opportunities_update-opportunity",
            json!({"id": opp_id, "pipelineStageId": new_stage}),
        )
        .await,
        "update-opportunity",
    );
    let found = ok(
        &call(
            &c,
            "opportunities_search-opportunity",
            json!({"pipeline_id": pipeline_id, "pipeline_stage_id": new_stage, "limit": 100}),
        )
        .await,
        "search-opportunity",
    );
    let hit = found["opportunities"]
        .as_array()
        .expect("opportunities")
        .iter()
        .find(|o| o["id"] == opp_id.as_str())
        .cloned();
    assert_eq!(
        hit.as_ref().map(|o| o["pipelineStageId"].clone()),
        Some(json!(new_stage)),
        "{found}"
    );
    assert_eq!(
        sb.state().opportunity(&opp_id).unwrap()["pipelineStageId"],
        json!(new_stage)
    );
    srv.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_twice_is_one_contact_and_duplicate_create_is_an_error() {
    let (sb, srv, c) = setup().await;
    let email = "upsert-effects@example.com";
    let first = ok(
        &call(
            &c,
            "contacts_upsert-contact",
            json!({"email": email, "firstName": "One"}),
        )
        .await,
        "upsert 1",
    );
    let second = ok(
        &call(
            &c,
            "contacts_upsert-contact",
            json!({"email": email, "firstName": "Two"}),
        )
        .await,
        "upsert 2",
    );
    assert_eq!(first["new"], true, "{first}");
    assert_eq!(second["new"], false, "{second}");
    assert_eq!(first["contact"]["id"], second["contact"]["id"]);
    let same: Vec<_> = sb
        .state()
        .contacts(DEMO_LOCATION_ID)
        .into_iter()
        .filter(|c| {
            c["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .collect();
    assert_eq!(same.len(), 1, "{same:?}");
    assert_eq!(same[0]["firstName"], "Two");

    let before = sb.state().counts().contacts;
    let dup = call(
        &c,
        "contacts_create-contact",
        json!({"email": email, "firstName": "Dup"}),
    )
    .await;
    let text = text_of(&dup);
    assert!(is_error(&dup), "{text}");
    assert!(
        text.contains("HTTP 400") && text.contains("does not allow duplicated contacts"),
        "{text}"
    );
    assert_eq!(
        sb.state().counts().contacts,
        before,
        "a refused duplicate created nothing"
    );
    srv.shutdown().await.unwrap();
}

/// 16 clients, each its own connection, 20 mixed calls each, all at once: creates with unique
/// emails and add-tags on a few shared contacts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_lose_and_duplicate_nothing() {
    const CLIENTS: usize = 16;
    const CALLS: usize = 20;
    let (sb, srv, _c) = setup().await;
    let shared: Vec<String> = sb
        .state()
        .contacts(DEMO_LOCATION_ID)
        .iter()
        .take(4)
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    // Counted in the demo location: the agency's other sub-accounts hold contacts too.
    let before = sb.state().contacts(DEMO_LOCATION_ID).len();
    let url = srv.mcp_url();
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let (url, shared) = (url.clone(), shared.clone());
        tasks.push(tokio::spawn(async move {
            let c = client(&url, Some(SECRET_TOKEN)).await;
            let mut emails = Vec::new();
            let mut tags = Vec::new();
            for j in 0..CALLS {
                if j % 2 == 0 {
                    let email = format!("conc-{i}-{j}@example.com");
                    let r = call(
                        &c,
                        "contacts_create-contact",
                        json!({"firstName": format!("C{i}"), "email": email}),
                    )
                    .await;
                    assert!(!is_error(&r), "create {email}: {}", text_of(&r));
                    emails.push(email);
                } else {
                    let id = shared[(i + j) % shared.len()].clone();
                    let tag = format!("conc-{i}-{j}");
                    let r = call(
                        &c,
                        "contacts_add-tags",
                        json!({"contactId": id, "tags": [tag]}),
                    )
                    .await;
                    assert!(!is_error(&r), "add-tags {tag}: {}", text_of(&r));
                    tags.push((id, tag));
                }
            }
            (emails, tags)
        }));
    }
    let mut emails = Vec::new();
    let mut tags = Vec::new();
    for t in tasks {
        let (e, tg) = t.await.expect("client task");
        emails.extend(e);
        tags.extend(tg);
    }
    assert_eq!(emails.len(), CLIENTS * CALLS / 2);
    let contacts = sb.state().contacts(DEMO_LOCATION_ID);
    assert_eq!(
        contacts.len(),
        before + emails.len(),
        "exactly one contact per create"
    );
    let mut by_email: HashMap<String, usize> = HashMap::new();
    for c in &contacts {
        if let Some(e) = c["email"].as_str() {
            *by_email.entry(e.to_lowercase()).or_default() += 1;
        }
    }
    for e in &emails {
        assert_eq!(
            by_email.get(e).copied(),
            Some(1),
            "{e} must exist exactly once"
        );
    }
    for (id, tag) in &tags {
        let c = sb.state().contact(id).unwrap();
        assert!(
            tags_of(&c).contains(tag),
            "tag {tag} on {id} was lost: {:?}",
            tags_of(&c)
        );
    }
    srv.shutdown().await.unwrap();
}
