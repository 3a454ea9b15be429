//! Preflight checks through a real MCP client: against the recording upstream (the exact reads
//! sent, with the caller's token and location; refusals naming the wrong id and the tool that
//! lists the right ones; unverified checks that let the write go and say so in the audit log;
//! `--preflight off`), and against the sandbox (wrong ids refused before any write reaches it,
//! right ids performed).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use server::gate::{Safety, SafetyConfig, parse_confirm};

const LOC: &str = "LOC1";

fn temp_log(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hl-preflight-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("audit.jsonl")
}

fn safety(log: &Path, preflight: bool, confirm: &str, budget: Duration) -> Safety {
    Safety::new(SafetyConfig {
        confirm: parse_confirm(confirm).expect("classes"),
        audit_log: Some(log.to_owned()),
        preflight,
        preflight_budget: budget,
        ..SafetyConfig::default()
    })
    .expect("safety")
}

/// The default (hosted) tools: every checked write and the reads the tests chain ids from.
fn generated_tools() -> Vec<runtime::ToolDef> {
    generated::tools()
        .iter()
        .filter(|t| generated::hosted().contains(&t.name.as_ref()))
        .map(|t| (*t).clone())
        .collect()
}

async fn recording(log: &Path, preflight: bool, confirm: &str) -> (Harness, Client) {
    let h = start(Setup {
        tools: generated_tools(),
        safety: safety(log, preflight, confirm, Duration::from_millis(400)),
        ..Setup::default()
    })
    .await;
    let c = legacy_client(&h.url, Some(PIT), &[("locationId", LOC)]).await;
    (h, c)
}

fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("audit log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// The last audit record of `tool` that is not an `outcome`.
fn decision(path: &Path, tool: &str) -> Value {
    records(path)
        .into_iter()
        .rev()
        .find(|r| r["tool"] == tool && r["decision"] != "outcome")
        .unwrap_or_else(|| panic!("no record of {tool}"))
}

fn sent(h: &Harness) -> Vec<String> {
    h.upstream
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

fn problems(r: &rmcp::model::CallToolResult) -> Vec<Value> {
    assert!(is_error(r), "expected a refusal: {}", text_of(r));
    let v = json_of(r);
    assert!(
        v["status"]
            .as_str()
            .is_some_and(|s| s.contains("preflight check failed")),
        "{v}"
    );
    v["problems"].as_array().cloned().expect("problems")
}

#[tokio::test]
async fn a_stage_of_another_pipeline_is_refused_before_the_write() {
    let log = temp_log("stage");
    let (h, c) = recording(&log, true, "none").await;
    let pipelines = json!({"pipelines": [
        {"id": "p1", "name": "Sales", "stages": [{"id": "s1", "name": "New"}, {"id": "s2", "name": "Won"}]},
        {"id": "p2", "name": "Care", "stages": [{"id": "s3", "name": "Booked"}]},
    ]});
    let tool = "opportunities_update-opportunity";

    h.upstream.push(Canned::json(200, pipelines.clone()));
    let r = call(
        &c,
        tool,
        json!({"id": "op1", "pipelineId": "p1", "pipelineStageId": "s3"}),
    )
    .await;
    let p = problems(&r);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0]["argument"], "pipelineStageId");
    assert_eq!(p[0]["value"], "s3");
    assert_eq!(
        p[0]["find_the_right_id_with"],
        "opportunities_get-pipelines"
    );
    assert!(
        p[0]["problem"].as_str().unwrap().contains("`s1` (New)"),
        "{p:?}"
    );
    // One cheap read with the caller's token and location; no write.
    assert_eq!(
        sent(&h),
        [format!("GET /opportunities/pipelines?locationId={LOC}")]
    );
    assert_eq!(
        h.upstream.requests()[0].header("authorization"),
        Some(format!("Bearer {PIT}").as_str())
    );
    let rec = decision(&log, tool);
    assert_eq!(rec["decision"], "refused");
    assert!(
        rec["preflight"]
            .as_str()
            .is_some_and(|n| n.starts_with("failed: pipelineStageId `s3`")),
        "{rec}"
    );

    // A pipeline of another location (not in the list).
    h.upstream.clear();
    h.upstream.push(Canned::json(200, pipelines.clone()));
    let r = call(&c, tool, json!({"id": "op1", "pipelineId": "p9"})).await;
    assert_eq!(problems(&r)[0]["argument"], "pipelineId");

    // The right stage: the write goes, after the read.
    h.upstream.clear();
    h.upstream.push(Canned::json(200, pipelines));
    let r = call(
        &c,
        tool,
        json!({"id": "op1", "pipelineId": "p1", "pipelineStageId": "s2"}),
    )
    .await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert_eq!(
        sent(&h),
        [
            format!("GET /opportunities/pipelines?locationId={LOC}"),
            "PUT /opportunities/op1".to_owned()
        ]
    );
    let rec = decision(&log, tool);
    assert_eq!(rec["decision"], "sent");
    assert_eq!(rec["preflight"], "passed: stage-of-pipeline");

    // No pipeline or stage named: no check, no read.
    h.upstream.clear();
    let r = call(&c, tool, json!({"id": "op1", "status": "won"})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert_eq!(sent(&h), ["PUT /opportunities/op1"]);
    assert!(decision(&log, tool)["preflight"].is_null());
}

#[tokio::test]
async fn contact_writes_need_a_contact_of_the_calls_location() {
    let log = temp_log("contact");
    let (h, c) = recording(&log, true, "none").await;
    let cases = [
        (
            "contacts_update-contact",
            json!({"contactId": "c1", "firstName": "Ada"}),
            "PUT /contacts/c1",
        ),
        (
            "contacts_add-tags",
            json!({"contactId": "c1", "tags": ["vip"]}),
            "POST /contacts/c1/tags",
        ),
        (
            "contacts_remove-tags",
            json!({"contactId": "c1", "tags": ["vip"]}),
            "DELETE /contacts/c1/tags",
        ),
        (
            "conversations_send-a-new-message",
            json!({"contactId": "c1", "type": "SMS", "message": "hi"}),
            "POST /conversations/messages",
        ),
    ];
    for (tool, args, write) in cases {
        // Not found.
        h.upstream.clear();
        h.upstream.push(Canned::json(
            404,
            json!({"statusCode": 404, "message": "Contact not found"}),
        ));
        let p = problems(&call(&c, tool, args.clone()).await);
        assert_eq!(p[0]["argument"], "contactId", "{tool}");
        assert_eq!(p[0]["value"], "c1");
        assert_eq!(p[0]["find_the_right_id_with"], "contacts_get-contacts");
        assert!(
            p[0]["problem"]
                .as_str()
                .unwrap()
                .contains("names no contact"),
            "{p:?}"
        );
        assert_eq!(sent(&h), ["GET /contacts/c1"], "{tool}: nothing written");

        // A contact of another location.
        h.upstream.clear();
        h.upstream.push(Canned::json(
            200,
            json!({"contact": {"id": "c1", "locationId": "OTHER"}}),
        ));
        let p = problems(&call(&c, tool, args.clone()).await);
        assert!(
            p[0]["problem"].as_str().unwrap().contains(&format!(
                "location `OTHER`, not of this call's location `{LOC}`"
            )),
            "{p:?}"
        );
        assert_eq!(sent(&h), ["GET /contacts/c1"], "{tool}: nothing written");

        // The right one.
        h.upstream.clear();
        h.upstream.push(Canned::json(
            200,
            json!({"contact": {"id": "c1", "locationId": LOC}}),
        ));
        let r = call(&c, tool, args).await;
        assert!(!is_error(&r), "{tool}: {}", text_of(&r));
        assert_eq!(sent(&h), ["GET /contacts/c1", write], "{tool}");
        assert_eq!(
            decision(&log, tool)["preflight"],
            "passed: contact-of-location"
        );
    }
}

#[tokio::test]
async fn custom_field_ids_must_be_fields_of_the_location() {
    let log = temp_log("fields");
    let (h, c) = recording(&log, true, "none").await;
    let fields = json!({"customFields": [
        {"id": "f1", "name": "Insurer", "fieldKey": "contact.insurer", "model": "contact"},
    ]});
    for tool in ["contacts_create-contact", "contacts_upsert-contact"] {
        h.upstream.clear();
        h.upstream.push(Canned::json(200, fields.clone()));
        let args = json!({"firstName": "Bo", "customFields": [
            {"id": "f1", "field_value": "Cigna"}, {"id": "nope", "field_value": 1}]});
        let p = problems(&call(&c, tool, args).await);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0]["argument"], "customFields[1].id");
        assert_eq!(p[0]["value"], "nope");
        assert_eq!(
            p[0]["find_the_right_id_with"],
            "locations_get-custom-fields"
        );
        assert!(
            p[0]["problem"].as_str().unwrap().contains("`f1` (Insurer)"),
            "{p:?}"
        );
        assert_eq!(
            sent(&h),
            [format!("GET /locations/{LOC}/customFields?model=contact")]
        );

        h.upstream.clear();
        h.upstream.push(Canned::json(200, fields.clone()));
        let args =
            json!({"firstName": "Bo", "customFields": [{"id": "f1", "field_value": "Cigna"}]});
        let r = call(&c, tool, args).await;
        assert!(!is_error(&r), "{tool}: {}", text_of(&r));
        assert_eq!(sent(&h).len(), 2, "{tool}: read, then write");
        assert_eq!(decision(&log, tool)["preflight"], "passed: custom-fields");
    }
}

#[tokio::test]
async fn a_read_that_fails_lets_the_write_go_and_the_audit_says_so() {
    let log = temp_log("unverified");
    let (h, c) = recording(&log, true, "none").await;
    let tool = "contacts_add-tags";
    let args = json!({"contactId": "c1", "tags": ["vip"]});

    // 503 on every attempt of the (retried, idempotent) read.
    for _ in 0..3 {
        h.upstream
            .push(Canned::json(503, json!({"message": "Service Unavailable"})));
    }
    let r = call(&c, tool, args.clone()).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert_eq!(
        sent(&h).last().map(String::as_str),
        Some("POST /contacts/c1/tags")
    );
    let note = decision(&log, tool)["preflight"]
        .as_str()
        .expect("note")
        .to_owned();
    assert!(
        note.starts_with("unverified (sent unchecked): contact-of-location")
            && note.contains("HTTP 503"),
        "{note}"
    );

    // A read slower than the preflight budget (400 ms here).
    h.upstream.clear();
    h.upstream.push(
        Canned::json(200, json!({"contact": {"id": "c1", "locationId": "OTHER"}}))
            .delayed(Duration::from_secs(3)),
    );
    let started = std::time::Instant::now();
    let r = call(&c, tool, args).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the budget bounds the read"
    );
    let note = decision(&log, tool)["preflight"]
        .as_str()
        .expect("note")
        .to_owned();
    assert!(note.contains("preflight budget of 400 ms"), "{note}");
}

#[tokio::test]
async fn a_failed_check_comes_before_the_preview_and_a_passed_one_shows_in_it() {
    let log = temp_log("gated");
    let (h, c) = recording(&log, true, "destructive,outbound,money").await;
    let tool = "conversations_send-a-new-message";
    let args = json!({"contactId": "c1", "type": "SMS", "message": "hi"});
    h.upstream
        .push(Canned::json(404, json!({"message": "Contact not found"})));
    let r = call(&c, tool, args.clone()).await;
    assert!(
        !text_of(&r).contains("\"token\""),
        "no token for a doomed write"
    );
    problems(&r);

    h.upstream.clear();
    h.upstream.push(Canned::json(
        200,
        json!({"contact": {"id": "c1", "locationId": LOC}}),
    ));
    let pv = json_of(&call(&c, tool, args).await);
    assert_eq!(pv["preflight"], "passed: contact-of-location", "{pv}");
    assert!(pv["confirm"]["token"].is_string(), "{pv}");
    assert!(
        sent(&h).iter().all(|r| r.starts_with("GET ")),
        "{:?}",
        sent(&h)
    );
}

#[tokio::test]
async fn preflight_off_sends_no_reads() {
    let log = temp_log("off");
    let (h, c) = recording(&log, false, "none").await;
    let r = call(
        &c,
        "opportunities_update-opportunity",
        json!({"id": "op1", "pipelineId": "p1", "pipelineStageId": "s3"}),
    )
    .await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert_eq!(sent(&h), ["PUT /opportunities/op1"]);
    assert!(decision(&log, "opportunities_update-opportunity")["preflight"].is_null());
}

/// Against the sandbox: the emulator's own data, ids chained from its answers.
#[tokio::test]
async fn against_the_sandbox_wrong_ids_never_reach_it_and_right_ones_do() {
    let sb = sandbox::Sandbox::start(sandbox::SandboxConfig::for_tests())
        .await
        .expect("sandbox");
    let log = temp_log("sandbox");
    let server_for = |location: &str| Setup {
        tools: generated_tools(),
        credentials: server_held("any-token-works", None),
        default_location: Some(location.to_owned()),
        safety: safety(&log, true, "none", Duration::from_secs(5)),
        ..Setup::default()
    };
    let server = start_server(server_for(sandbox::DEMO_LOCATION_ID), &sb.base_url()).await;
    let c = modern_client(&server.mcp_url(), None, &[]).await;
    let ok = |r: rmcp::model::CallToolResult| {
        assert!(!is_error(&r), "{}", text_of(&r));
        json_of(&r)
    };

    // A stage of another pipeline.
    let pipelines = ok(call(&c, "opportunities_get-pipelines", json!({})).await);
    let p = pipelines["pipelines"].as_array().expect("pipelines");
    assert!(p.len() >= 2, "the demo data has two pipelines");
    let (p1, foreign_stage) = (
        p[0]["id"].as_str().expect("id"),
        p[1]["stages"][0]["id"].as_str().expect("stage"),
    );
    let opps = ok(call(&c, "opportunities_search-opportunity", json!({"limit": 1})).await);
    let opp = opps["opportunities"][0]["id"]
        .as_str()
        .expect("opp")
        .to_owned();
    let before = sb.state().opportunity(&opp).expect("stored");
    let count = sb.state().request_count();
    let r = call(
        &c,
        "opportunities_update-opportunity",
        json!({"id": opp, "pipelineId": p1, "pipelineStageId": foreign_stage}),
    )
    .await;
    assert_eq!(problems(&r)[0]["value"], foreign_stage);
    assert_eq!(
        sb.state().request_count(),
        count + 1,
        "only the read reached the sandbox"
    );
    assert_eq!(sb.state().opportunity(&opp), Some(before));
    let own_stage = p[0]["stages"][1]["id"].as_str().expect("stage");
    ok(call(
        &c,
        "opportunities_update-opportunity",
        json!({"id": opp, "pipelineId": p1, "pipelineStageId": own_stage}),
    )
    .await);
    assert_eq!(
        sb.state().opportunity(&opp).expect("stored")["pipelineStageId"],
        own_stage
    );

    // A contact that does not exist, then a real one.
    let contacts = ok(call(&c, "contacts_get-contacts", json!({"limit": 1})).await);
    let contact = contacts["contacts"][0]["id"]
        .as_str()
        .expect("contact")
        .to_owned();
    let count = sb.state().request_count();
    let r = call(
        &c,
        "contacts_add-tags",
        json!({"contactId": "noSuchContact000", "tags": ["x"]}),
    )
    .await;
    assert!(
        problems(&r)[0]["problem"]
            .as_str()
            .unwrap()
            .contains("HTTP 404")
    );
    assert_eq!(sb.state().request_count(), count + 1);
    ok(call(
        &c,
        "contacts_add-tags",
        json!({"contactId": contact, "tags": ["preflight"]}),
    )
    .await);
    let tags = sb.state().contact(&contact).expect("contact")["tags"].clone();
    assert!(
        tags.as_array().expect("tags").contains(&json!("preflight")),
        "{tags}"
    );

    // Custom fields: a made-up id is refused, the location's own is written.
    let fields = ok(call(&c, "locations_get-custom-fields", json!({})).await);
    let field = fields["customFields"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["dataType"] == "TEXT"))
        .expect("a TEXT field");
    let field_id = field["id"].as_str().expect("field id");
    let count = sb.state().counts().contacts;
    let r = call(
        &c,
        "contacts_create-contact",
        json!({"firstName": "Pre", "lastName": "Flight", "email": "preflight@example.com",
               "customFields": [{"id": "madeUpField", "field_value": "x"}]}),
    )
    .await;
    assert_eq!(problems(&r)[0]["argument"], "customFields[0].id");
    assert_eq!(sb.state().counts().contacts, count, "nothing created");
    ok(call(
        &c,
        "contacts_create-contact",
        json!({"firstName": "Pre", "lastName": "Flight", "email": "preflight@example.com",
               "customFields": [{"id": field_id, "field_value": "Dr. Chen"}]}),
    )
    .await);
    assert_eq!(sb.state().counts().contacts, count + 1);

    // The same contact seen from a server whose location is another one.
    let elsewhere = start_server(server_for("someOtherLocation01"), &sb.base_url()).await;
    let c2 = modern_client(&elsewhere.mcp_url(), None, &[]).await;
    let r = call(
        &c2,
        "contacts_update-contact",
        json!({"contactId": contact, "firstName": "Nope"}),
    )
    .await;
    assert!(
        problems(&r)[0]["problem"]
            .as_str()
            .unwrap()
            .contains("not of this call's location `someOtherLocation01`"),
        "{}",
        text_of(&r)
    );
    assert_ne!(
        sb.state().contact(&contact).expect("contact")["firstName"],
        "Nope"
    );
    assert_eq!(server::audit::verify(&log).map(|n| n > 0), Ok(true));
}

#[tokio::test]
async fn a_dry_run_runs_the_checks_too() {
    let log = temp_log("dry");
    let h = start(Setup {
        tools: generated_tools(),
        safety: Safety::new(SafetyConfig {
            dry_run: true,
            audit_log: Some(log.clone()),
            preflight: true,
            ..SafetyConfig::default()
        })
        .expect("safety"),
        ..Setup::default()
    })
    .await;
    let c = legacy_client(&h.url, Some(PIT), &[("locationId", LOC)]).await;
    let tool = "contacts_remove-tags";
    let args = json!({"contactId": "c1", "tags": ["vip"]});
    h.upstream.push(Canned::json(
        200,
        json!({"contact": {"id": "c1", "locationId": "OTHER"}}),
    ));
    problems(&call(&c, tool, args.clone()).await);
    h.upstream.push(Canned::json(
        200,
        json!({"contact": {"id": "c1", "locationId": LOC}}),
    ));
    let pv = json_of(&call(&c, tool, args).await);
    assert!(
        pv["status"].as_str().is_some_and(|s| s.contains("dry run")),
        "{pv}"
    );
    assert_eq!(pv["preflight"], "passed: contact-of-location");
    assert!(
        sent(&h).iter().all(|r| r.starts_with("GET ")),
        "{:?}",
        sent(&h)
    );
    assert_eq!(decision(&log, tool)["decision"], "dry-run");
}
