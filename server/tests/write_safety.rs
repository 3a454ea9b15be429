//! Write safety through real MCP clients against the recording upstream: confirmation of
//! destructive, outbound and money writes (preview, confirm once, refuse replay), refused
//! tokens (altered arguments, expired, another caller's, forged), the audit log (decisions,
//! hash chain, `audit verify` on a hand-edited file), dry runs and an unwritable audit log.

mod common;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use runtime::{Annotations, HttpMethod, LocationSlot, ParamDef, ParamIn, ToolDef};
use serde_json::{Value, json};
use server::gate::{Safety, SafetyConfig, parse_confirm};

const BIN: &str = env!("CARGO_BIN_EXE_highlevel-mcp");

fn p(name: &'static str, location: ParamIn, required: bool) -> ParamDef {
    ParamDef {
        name: Cow::Borrowed(name),
        wire: Cow::Borrowed(name),
        location,
        required,
        default: None,
    }
}

/// A write tool whose risk comes from the generator's rules (codegen::risk::derive).
fn write_tool(
    name: &'static str,
    method: HttpMethod,
    path: &'static str,
    params: Vec<ParamDef>,
    schema: &'static str,
) -> ToolDef {
    let op = name.split_once('_').expect("app_op").1;
    ToolDef {
        name: Cow::Borrowed(name),
        app: Cow::Borrowed(name.split('_').next().expect("app")),
        operation_id: Cow::Borrowed(op),
        title: Cow::Borrowed("A write"),
        description: Cow::Borrowed("A write."),
        annotations: Annotations {
            read_only: false,
            destructive: method == HttpMethod::Delete,
            idempotent: false,
            open_world: false,
        },
        scopes: Cow::Borrowed(&[]),
        agency_only: false,
        deprecated: false,
        method,
        path: Cow::Borrowed(path),
        version: Some(Cow::Borrowed("2021-07-28")),
        params: Cow::Owned(params),
        location: LocationSlot::None,
        input_schema: Cow::Borrowed(schema),
        output_schema: Some(Cow::Borrowed(
            r#"{"additionalProperties":true,"type":"object"}"#,
        )),
        wrap_result: false,
        risk: codegen::risk::derive(method, path, op),
        body_encoding: runtime::BodyEncoding::Json,
    }
}

fn tools() -> Vec<ToolDef> {
    let mut t = test_tools();
    t.push(write_tool(
        "contacts_delete-contact",
        HttpMethod::Delete,
        "/contacts/{contactId}",
        vec![p("contactId", ParamIn::Path, true)],
        r#"{"additionalProperties":false,"properties":{"contactId":{"type":"string"}},"required":["contactId"],"type":"object"}"#,
    ));
    t.push(write_tool(
        "contacts_update-contact",
        HttpMethod::Put,
        "/contacts/{contactId}",
        vec![
            p("contactId", ParamIn::Path, true),
            p("firstName", ParamIn::Body, false),
            p("lastName", ParamIn::Body, false),
        ],
        r#"{"additionalProperties":false,"properties":{"contactId":{"type":"string"},"firstName":{"type":"string"},"lastName":{"type":"string"}},"required":["contactId"],"type":"object"}"#,
    ));
    t.push(write_tool(
        "conversations_send-a-new-message",
        HttpMethod::Post,
        "/conversations/messages",
        vec![
            p("contactId", ParamIn::Body, true),
            p("type", ParamIn::Body, true),
            p("message", ParamIn::Body, false),
        ],
        r#"{"additionalProperties":false,"properties":{"contactId":{"type":"string"},"message":{"type":"string"},"type":{"type":"string"}},"required":["contactId","type"],"type":"object"}"#,
    ));
    t.push(write_tool(
        "payments_record-order-payment",
        HttpMethod::Post,
        "/payments/orders/{orderId}/record-payment",
        vec![
            p("orderId", ParamIn::Path, true),
            p("amount", ParamIn::Body, true),
        ],
        r#"{"additionalProperties":false,"properties":{"amount":{"type":"number"},"orderId":{"type":"string"}},"required":["amount","orderId"],"type":"object"}"#,
    ));
    t
}

fn temp_log(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hl-write-safety-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("audit.jsonl")
}

fn safety(audit: Option<&Path>, ttl: Duration, dry_run: bool) -> Safety {
    Safety::new(SafetyConfig {
        confirm: parse_confirm("destructive,outbound,money").expect("classes"),
        token_ttl: ttl,
        dry_run,
        audit_log: audit.map(Path::to_owned),
        ..SafetyConfig::default()
    })
    .expect("safety")
}

async fn harness(audit: Option<&Path>, ttl: Duration, dry_run: bool) -> Harness {
    start(Setup {
        tools: tools(),
        safety: safety(audit, ttl, dry_run),
        ..Setup::default()
    })
    .await
}

fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("audit log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn decisions(path: &Path, tool: &str) -> Vec<String> {
    records(path)
        .iter()
        .filter(|r| r["tool"] == tool)
        .map(|r| r["decision"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn writes(h: &Harness) -> Vec<String> {
    h.upstream
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

/// Preview → confirm → replay for one tool; returns the preview.
async fn confirm_once(
    h: &Harness,
    client: &Client,
    tool: &str,
    args: Value,
    expect: &str,
) -> Value {
    h.upstream.clear();
    let preview = call(client, tool, args.clone()).await;
    assert!(!is_error(&preview), "{}", text_of(&preview));
    let pv = json_of(&preview);
    assert!(
        pv["status"]
            .as_str()
            .is_some_and(|s| s.starts_with("NOT PERFORMED")),
        "{pv}"
    );
    assert!(
        writes(h).is_empty(),
        "preview sent a write: {:?}",
        writes(h)
    );
    let token = pv["confirm"]["token"].as_str().expect("token").to_owned();
    let mut confirmed = args.clone();
    confirmed["confirm"] = json!(token);
    let done = call(client, tool, confirmed.clone()).await;
    assert!(!is_error(&done), "{}", text_of(&done));
    assert_eq!(writes(h), [expect.to_owned()]);
    let replay = call(client, tool, confirmed).await;
    assert!(is_error(&replay));
    assert!(
        text_of(&replay).contains("already used"),
        "{}",
        text_of(&replay)
    );
    assert_eq!(writes(h).len(), 1, "a replay reached the upstream");
    pv
}

#[tokio::test]
async fn destructive_outbound_and_money_writes_are_previewed_confirmed_once_and_logged() {
    let log = temp_log("main");
    let h = harness(Some(&log), Duration::from_secs(60), false).await;
    let client = legacy_client(&h.url, Some(PIT), &[]).await;

    // Gated tools list `confirm`; ungated ones do not.
    let listed = client.list_all_tools().await.expect("tools/list");
    let schema_of = |n: &str| {
        listed
            .iter()
            .find(|t| t.name == n)
            .map(|t| Value::Object((*t.input_schema).clone()))
            .expect("listed")
    };
    assert!(schema_of("contacts_delete-contact")["properties"]["confirm"].is_object());
    assert!(schema_of("contacts_create-contact")["properties"]["confirm"].is_null());

    // Destructive: the before-read names the contact.
    h.upstream.clear();
    h.upstream.push(Canned::json(
        200,
        json!({"contact": {"id": "c1", "firstName": "Ada", "lastName": "Lovelace"}}),
    ));
    let preview = call(
        &client,
        "contacts_delete-contact",
        json!({"contactId": "c1"}),
    )
    .await;
    let pv = json_of(&preview);
    assert_eq!(pv["target"]["name"], "Ada Lovelace", "{pv}");
    assert_eq!(pv["method"], "DELETE");
    assert_eq!(pv["path"], "/contacts/c1");
    assert_eq!(h.upstream.requests()[0].path_and_query, "/contacts/c1");
    confirm_once(
        &h,
        &client,
        "contacts_delete-contact",
        json!({"contactId": "c1"}),
        "DELETE /contacts/c1",
    )
    .await;

    // Outbound and money.
    let pv = confirm_once(
        &h,
        &client,
        "conversations_send-a-new-message",
        json!({"contactId": "c1", "type": "SMS", "message": "Your order shipped"}),
        "POST /conversations/messages",
    )
    .await;
    assert_eq!(pv["risk"], json!(["outbound"]));
    let pv = confirm_once(
        &h,
        &client,
        "payments_record-order-payment",
        json!({"orderId": "o9", "amount": 12.5}),
        "POST /payments/orders/o9/record-payment",
    )
    .await;
    assert_eq!(pv["risk"], json!(["money"]));

    // An update shows a before/after diff of the fields that change.
    h.upstream.clear();
    h.upstream.push(Canned::json(
        200,
        json!({"contact": {"id": "c1", "firstName": "Ada", "lastName": "Lovelace"}}),
    ));
    let pv = json_of(
        &call(
            &client,
            "contacts_update-contact",
            json!({"contactId": "c1", "firstName": "Augusta", "lastName": "Lovelace"}),
        )
        .await,
    );
    assert_eq!(
        pv["changes"],
        json!([{"field": "firstName", "before": "Ada", "after": "Augusta"}]),
        "{pv}"
    );

    // An ungated write is sent at once and logged as `sent` with its outcome.
    let sent = call(
        &client,
        "contacts_create-contact",
        json!({"locationId": "L1", "firstName": "Bo"}),
    )
    .await;
    assert!(!is_error(&sent), "{}", text_of(&sent));

    let round = ["previewed", "confirmed", "outcome", "refused"];
    // delete-contact was previewed once more before its round.
    assert_eq!(decisions(&log, "contacts_delete-contact")[1..], round);
    assert_eq!(decisions(&log, "contacts_delete-contact")[0], "previewed");
    assert_eq!(decisions(&log, "conversations_send-a-new-message"), round);
    assert_eq!(decisions(&log, "payments_record-order-payment"), round);
    assert_eq!(
        decisions(&log, "contacts_create-contact"),
        ["sent", "outcome"]
    );
    let all = records(&log);
    let outcome = all
        .iter()
        .find(|r| r["tool"] == "contacts_delete-contact" && r["decision"] == "outcome")
        .expect("outcome");
    assert_eq!(outcome["status"], 200);
    assert_eq!(outcome["ids"][0], "c1");
    let message = all
        .iter()
        .find(|r| r["tool"] == "conversations_send-a-new-message")
        .expect("record");
    assert_eq!(
        message["args"]["message"], "[18 chars]",
        "message text is not logged"
    );
    assert!(!std::fs::read_to_string(&log).expect("log").contains(PIT));
    assert!(all.iter().all(|r| {
        r["principal"]
            .as_str()
            .is_some_and(|p| p.starts_with("header:"))
    }));

    // `audit verify` passes, then names the record a hand edit changed.
    let verify = |path: &Path| {
        std::process::Command::new(BIN)
            .args([
                "audit",
                "--audit-log",
                path.to_str().expect("utf8"),
                "verify",
            ])
            .output()
            .expect("run audit verify")
    };
    let ok = verify(&log);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let text = std::fs::read_to_string(&log).expect("log");
    let edited = text.replacen("\"amount\":12.5", "\"amount\":1250", 1);
    assert_ne!(edited, text, "the money record holds the amount");
    std::fs::write(&log, edited).expect("edit");
    let bad = verify(&log);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    let money_line = text
        .lines()
        .position(|l| l.contains("\"amount\":12.5"))
        .expect("line")
        + 1;
    assert!(err.contains(&format!("record {money_line} ")), "{err}");

    // `audit export --format csv` filters by tool.
    let csv = std::process::Command::new(BIN)
        .args([
            "audit",
            "--audit-log",
            log.to_str().expect("utf8"),
            "export",
            "--format",
            "csv",
            "--tool",
            "contacts_create-contact",
        ])
        .output()
        .expect("export");
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.lines().nth(1).is_some_and(|l| l.contains(",sent,")),
        "{csv}"
    );
}

#[tokio::test]
async fn altered_expired_foreign_and_forged_tokens_are_refused() {
    let log = temp_log("tokens");
    let h = harness(Some(&log), Duration::from_millis(300), false).await;
    let alice = legacy_client(&h.url, Some("pit-alice-0001"), &[]).await;
    let bob = modern_client(&h.url, Some("pit-bob-0002"), &[]).await;
    let args = json!({"orderId": "o1", "amount": 10});
    let token_for = |v: &Value| v["confirm"]["token"].as_str().expect("token").to_owned();
    let tool = "payments_record-order-payment";

    let t = token_for(&json_of(&call(&alice, tool, args.clone()).await));
    let altered = call(
        &alice,
        tool,
        json!({"orderId": "o1", "amount": 1000, "confirm": t}),
    )
    .await;
    assert!(
        is_error(&altered) && text_of(&altered).contains("arguments differ"),
        "{}",
        text_of(&altered)
    );
    let foreign = call(
        &bob,
        tool,
        json!({"orderId": "o1", "amount": 10, "confirm": t}),
    )
    .await;
    assert!(
        is_error(&foreign) && text_of(&foreign).contains("another caller"),
        "{}",
        text_of(&foreign)
    );
    let mut forged = t.clone();
    forged.replace_range(forged.len() - 4.., "0000");
    let forged = call(
        &alice,
        tool,
        json!({"orderId": "o1", "amount": 10, "confirm": forged}),
    )
    .await;
    assert!(
        is_error(&forged) && text_of(&forged).contains("not valid here"),
        "{}",
        text_of(&forged)
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let expired = call(
        &alice,
        tool,
        json!({"orderId": "o1", "amount": 10, "confirm": t}),
    )
    .await;
    assert!(
        is_error(&expired) && text_of(&expired).contains("expired"),
        "{}",
        text_of(&expired)
    );
    assert!(
        writes(&h).is_empty(),
        "a refused token reached the upstream: {:?}",
        writes(&h)
    );
    assert_eq!(
        decisions(&log, tool),
        ["previewed", "refused", "refused", "refused", "refused"]
    );

    // Two confirmations racing with one token: exactly one is performed.
    let t = token_for(&json_of(&call(&alice, tool, args.clone()).await));
    let mut with = args.clone();
    with["confirm"] = json!(t);
    let (a, b) = tokio::join!(call(&alice, tool, with.clone()), call(&alice, tool, with));
    assert_eq!(
        [is_error(&a), is_error(&b)].iter().filter(|e| !**e).count(),
        1
    );
    assert_eq!(writes(&h).len(), 1);
}

#[tokio::test]
async fn dry_run_sends_no_write_upstream_but_reads_still_work() {
    let log = temp_log("dry");
    let h = harness(Some(&log), Duration::from_secs(60), true).await;
    let client = legacy_client(&h.url, Some(PIT), &[]).await;
    let created = call(
        &client,
        "contacts_create-contact",
        json!({"locationId": "L1", "firstName": "Bo"}),
    )
    .await;
    assert!(!is_error(&created));
    assert!(
        json_of(&created)["status"]
            .as_str()
            .is_some_and(|s| s.contains("dry run"))
    );
    let deleted = call(
        &client,
        "contacts_delete-contact",
        json!({"contactId": "c1"}),
    )
    .await;
    assert!(
        json_of(&deleted)["confirm"].is_null(),
        "a dry run offers no token"
    );
    let read = call(&client, "contacts_get-contact", json!({"contactId": "c1"})).await;
    assert!(!is_error(&read), "{}", text_of(&read));
    assert!(writes(&h).is_empty(), "dry run sent {:?}", writes(&h));
    assert!(h.upstream.requests().iter().any(|r| r.method == "GET"));
    assert_eq!(decisions(&log, "contacts_create-contact"), ["dry-run"]);
    assert_eq!(decisions(&log, "contacts_delete-contact"), ["dry-run"]);
}

#[tokio::test]
async fn an_unwritable_audit_log_refuses_the_write() {
    // /dev/full accepts the open and fails every write with "no space left on device".
    let full = Path::new("/dev/full");
    if !full.exists() {
        println!("skipped: /dev/full is absent on this system");
        return;
    }
    let h = start(Setup {
        tools: tools(),
        safety: Safety::new(SafetyConfig {
            audit_log: Some(full.to_owned()),
            ..SafetyConfig::default()
        })
        .expect("opens"),
        ..Setup::default()
    })
    .await;
    let client = legacy_client(&h.url, Some(PIT), &[]).await;
    let r = call(
        &client,
        "contacts_create-contact",
        json!({"locationId": "L1", "firstName": "Bo"}),
    )
    .await;
    assert!(is_error(&r));
    let text = text_of(&r);
    assert!(
        text.contains("cannot write the audit log") && text.contains("not performed"),
        "{text}"
    );
    assert!(writes(&h).is_empty(), "an unlogged write was sent");
    let read = call(&client, "contacts_get-contact", json!({"contactId": "c1"})).await;
    assert!(!is_error(&read), "reads need no audit record");
}
