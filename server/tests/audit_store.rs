//! The audit log kept in the grant store: a gated write through a real MCP client is audited in
//! a SQLite store and `highlevel-mcp audit verify --store` passes, then names the seq of a row
//! edited with SQL; a store that refuses the insert refuses the write; two stores on one
//! Postgres database appending at once make one chain that verifies (skipped without Postgres,
//! failing under CI=true); `serve --auth oauth` with a SQLite store audits a write made with
//! a real grant into that store (no audit file appears), and refuses `--audit-retention-days`.

mod common;
mod replica_support;

use std::process::Command;
use std::sync::Arc;

use common::*;
use runtime::HttpMethod;
use serde_json::{Value, json};
use server::audit::{AuditLog, Decision, Entry};
use server::gate::{Safety, SafetyConfig, parse_confirm};
use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_highlevel-mcp");

/// The shared test tools, with `calendars_delete-event` carrying the risk the generator gives a
/// DELETE, so `--confirm destructive` gates it.
fn tools() -> Vec<runtime::ToolDef> {
    let mut tools = test_tools();
    for t in &mut tools {
        if t.name == "calendars_delete-event" {
            t.risk = codegen::risk::derive(HttpMethod::Delete, &t.path, "delete-event");
        }
    }
    tools
}

/// A guard confirming destructive writes, auditing into `store`.
fn safety_in(store: Arc<dyn oauth::store::Store>, spec: &str) -> Safety {
    let mut safety = Safety::new(SafetyConfig {
        confirm: parse_confirm("destructive").expect("classes"),
        ..SafetyConfig::default()
    })
    .expect("safety");
    safety.set_audit(AuditLog::in_store(store, oauth::store::describe(spec)));
    safety
}

/// `highlevel-mcp audit --store SPEC ARGS...`: (success, stdout, stderr).
fn audit_cli(spec: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(["audit", "--store", spec])
        .args(args)
        .env_remove("HIGHLEVEL_MCP_AUDIT_LOG")
        .output()
        .expect("audit runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn entry(tool: &str) -> Entry {
    Entry {
        time: server::audit::rfc3339(std::time::SystemTime::now()),
        principal: "server".into(),
        location: Some("L1".into()),
        tool: tool.into(),
        method: "POST".into(),
        path: "/contacts/".into(),
        args: json!({"firstName": "Bo"}),
        args_sha256: "ab".repeat(32),
        decision: Decision::Sent,
        reason: None,
        preflight: None,
        status: None,
        ids: vec![],
        duration_us: 1,
    }
}

#[tokio::test]
async fn a_gated_write_is_audited_in_the_sqlite_store_and_verify_names_an_edited_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("grants.db");
    let spec = format!("sqlite:{}", db.display());
    let store = oauth::store::open(&spec).await.expect("store");
    let h = start(Setup {
        tools: tools(),
        safety: safety_in(store.clone(), &spec),
        ..Setup::default()
    })
    .await;
    let client = legacy_client(&h.url, Some(PIT), &[]).await;
    let args = json!({"eventId": "e1"});
    let preview = call(&client, "calendars_delete-event", args.clone()).await;
    assert!(!is_error(&preview), "{}", text_of(&preview));
    let token = json_of(&preview)["confirm"]["token"]
        .as_str()
        .expect("a gated write answers with a token")
        .to_owned();
    let mut confirmed = args;
    confirmed["confirm"] = json!(token);
    let done = call(&client, "calendars_delete-event", confirmed).await;
    assert!(!is_error(&done), "{}", text_of(&done));

    let rows = store.audit_lines(0, 100).await.expect("rows");
    let decisions: Vec<String> = rows
        .iter()
        .map(|(_, line)| {
            let v: Value = serde_json::from_str(line).expect("json line");
            assert_eq!(v["tool"], "calendars_delete-event", "{v}");
            v["decision"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    assert_eq!(decisions, ["previewed", "confirmed", "outcome"]);

    let (ok, out, err) = audit_cli(&spec, &["verify"]);
    assert!(ok, "verify failed: {err}");
    assert!(
        out.starts_with("ok: 3 record(s) in the store sqlite:"),
        "{out}"
    );
    let (ok, csv, err) = audit_cli(&spec, &["export", "--format", "csv"]);
    assert!(ok, "{err}");
    assert_eq!(csv.lines().count(), 4, "a header and three records: {csv}");
    let (ok, list, _) = audit_cli(&spec, &["list", "--tool", "nothing-like-this"]);
    assert!(ok && list.is_empty(), "filters apply to the store: {list}");

    // Someone with SQL access rewrites what record 2 says.
    let mut conn = sqlx::SqliteConnection::connect(&spec).await.expect("sql");
    sqlx::query(
        "UPDATE audit SET line = replace(line, '\"confirmed\"', '\"refused\"') WHERE seq = 2",
    )
    .execute(&mut conn)
    .await
    .expect("edit");
    conn.close().await.expect("close");
    let (ok, _, err) = audit_cli(&spec, &["verify"]);
    assert!(!ok, "an edited row must fail verification");
    assert!(err.contains("record seq 2 was altered"), "{err}");
}

#[tokio::test]
async fn a_store_that_refuses_the_audit_record_refuses_the_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = format!("sqlite:{}", dir.path().join("grants.db").display());
    let store = oauth::store::open(&spec).await.expect("store");
    // The store takes no more audit rows, as a full or read-only database would.
    let mut conn = sqlx::SqliteConnection::connect(&spec).await.expect("sql");
    sqlx::query(
        "CREATE TRIGGER no_room BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    )
    .execute(&mut conn)
    .await
    .expect("trigger");
    conn.close().await.expect("close");
    let h = start(Setup {
        tools: tools(),
        safety: safety_in(store, &spec),
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
    assert!(is_error(&r), "an unlogged write must be refused");
    let text = text_of(&r);
    assert!(
        text.contains("cannot write the audit record")
            && text.contains("disk is full")
            && text.contains("not performed"),
        "{text}"
    );
    let sent: Vec<_> = h
        .upstream
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(sent.is_empty(), "an unlogged write was sent: {sent:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_postgres_database_write_one_chain() {
    let Some(pg) = oauth::test_support::PostgresServer::start("audit_two_stores") else {
        return;
    };
    let url = pg.create_database("audit").await;
    let mut tasks = Vec::new();
    for who in ["a", "b"] {
        let store = oauth::store::open(&url).await.expect("store");
        let log = AuditLog::in_store(store, oauth::store::describe(&url));
        tasks.push(tokio::spawn(async move {
            for i in 0..20 {
                log.append(&entry(&format!("{who}-{i}")))
                    .await
                    .expect("append");
            }
        }));
    }
    for t in tasks {
        t.await.expect("appender");
    }
    let (ok, out, err) = audit_cli(&url, &["verify"]);
    assert!(ok, "verify failed: {err}");
    assert!(out.starts_with("ok: 40 record(s)"), "{out}");
    assert!(
        !out.contains(pg_password(&url)),
        "the password stays out of the output"
    );
}

/// The password part of a `postgres://user:password@...` URL.
fn pg_password(url: &str) -> &str {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split('@').next())
        .and_then(|auth| auth.split(':').nth(1))
        .unwrap_or("\u{0}")
}

#[test]
fn oauth_mode_with_the_audit_in_the_store_refuses_retention() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = format!("sqlite:{}", dir.path().join("grants.db").display());
    let out = Command::new(BIN)
        .args(["serve", "--sandbox", "--auth", "oauth", "--store", &spec])
        .args(["--audit-retention-days", "30", "--port", "0"])
        .env_remove("HIGHLEVEL_MCP_AUDIT_LOG")
        .output()
        .expect("serve runs");
    assert!(!out.status.success(), "serve must refuse");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--audit-retention-days") && err.contains("--audit-log PATH"),
        "{err}"
    );
}

#[tokio::test]
async fn serve_in_oauth_mode_audits_into_its_store_and_writes_no_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = format!("sqlite:{}", dir.path().join("grants.db").display());
    let key = dir.path().join("store.key");
    let state = dir.path().join("state");
    let made = Command::new(BIN)
        .args(["keygen", "--out"])
        .arg(&key)
        .output()
        .expect("keygen runs");
    assert!(made.status.success(), "keygen failed");
    let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig::for_tests())
        .await
        .expect("sandbox");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let log_path = dir.path().join("serve.log");
    let child = Command::new(BIN)
        .args(["serve", "--auth", "oauth", "--port", &port.to_string()])
        .args(["--public-url", &base, "--upstream", &sandbox.base_url()])
        .args(["--store", &spec, "--store-key-file"])
        .arg(&key)
        .env("HIGHLEVEL_MCP_AUTH_PASSPHRASE", replica_support::PASSPHRASE)
        .env("HIGHLEVEL_MCP_CONFIRM", "none")
        .env("HIGHLEVEL_MCP_PREFLIGHT", "off")
        .env("XDG_STATE_HOME", &state)
        .env_remove("HIGHLEVEL_MCP_AUDIT_LOG")
        .env_remove("HIGHLEVEL_MCP_AUDIT_RETENTION_DAYS")
        .env_remove("HIGHLEVEL_TOKEN")
        .env_remove("HIGHLEVEL_MCP_TOKEN_FILE")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).expect("log file"))
        .spawn()
        .expect("serve starts");
    let mut proc = replica_support::Proc(child);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client");
    replica_support::wait_healthy(&http, &base, &mut proc).await;
    let (token, _) = replica_support::grant(&http, &base, &base, &spec).await;
    let client = modern_client(&format!("{base}/mcp"), Some(&token), &[]).await;
    let r = call(
        &client,
        "contacts_create-contact",
        json!({"firstName": "Audit", "email": "audit@store.example.com"}),
    )
    .await;
    assert!(!is_error(&r), "{}", text_of(&r));
    drop(proc);

    let (ok, out, err) = audit_cli(&spec, &["export"]);
    assert!(ok, "{err}");
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let decisions: Vec<&str> = records
        .iter()
        .filter(|r| r["tool"] == "contacts_create-contact")
        .map(|r| r["decision"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(decisions, ["sent", "outcome"], "{out}");
    assert!(
        records[0]["principal"]
            .as_str()
            .is_some_and(|p| !p.is_empty() && !p.contains(&token)),
        "the principal is named, never by its token: {out}"
    );
    let (ok, verified, err) = audit_cli(&spec, &["verify"]);
    assert!(
        ok && verified.starts_with("ok: 2 record(s)"),
        "{verified}{err}"
    );
    assert!(
        !state.join("highlevel-mcp/audit.jsonl").exists(),
        "no audit file is written when the audit goes to the store"
    );
    let log = std::fs::read_to_string(&log_path).expect("server log");
    assert!(
        log.contains("audit records go to the grant store"),
        "start-up says where the audit goes: {log}"
    );
}
