//! The preflight and retention flags on the built binary, over stdio against the built-in
//! sandbox: `--preflight` is on by default and `--preflight off` turns it off;
//! `--audit-retention-days` prunes old records at start-up and `audit verify` still passes,
//! reports the pruning and still finds an edited record.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::*;
use rmcp::ServiceExt;
use rmcp::model::ClientConfig;
use rmcp::transport::TokioChildProcess;
use serde_json::json;
use server::audit::{AuditLog, Decision, Entry};

const BIN: &str = env!("CARGO_BIN_EXE_highlevel-mcp");

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hl-safety-flags-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

async fn stdio_client(args: &[&str], log: &Path) -> Client {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("stdio")
        .args(args)
        .args(["--sandbox", "--confirm", "none", "--audit-log"])
        .arg(log)
        .env_remove("HIGHLEVEL_TOKEN")
        .env_remove("HIGHLEVEL_MCP_PREFLIGHT")
        .env_remove("HIGHLEVEL_MCP_AUDIT_RETENTION_DAYS")
        .env("RUST_LOG", "warn");
    let (transport, _) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn highlevel-mcp stdio");
    ClientConfig::default()
        .serve(transport)
        .await
        .expect("stdio handshake")
}

fn audit(log: &Path, sub: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(["audit", "--audit-log", log.to_str().expect("utf8")])
        .args(sub)
        .output()
        .expect("run audit")
}

#[tokio::test]
async fn preflight_is_on_by_default_and_off_on_request() {
    let dir = temp_dir("preflight");
    let log = dir.join("audit.jsonl");
    let args = json!({"contactId": "noSuchContact000", "tags": ["x"]});

    let c = stdio_client(&[], &log).await;
    let r = call(&c, "contacts_add-tags", args.clone()).await;
    assert!(is_error(&r));
    let v = json_of(&r);
    assert_eq!(
        v["problems"][0]["find_the_right_id_with"], "contacts_get-contacts",
        "{v}"
    );
    c.cancel().await.expect("cancel");

    // Off: the write goes to the sandbox, which answers with its own 404.
    let c = stdio_client(&["--preflight", "off"], &log).await;
    let r = call(&c, "contacts_add-tags", args).await;
    assert!(is_error(&r));
    assert!(!text_of(&r).contains("preflight"), "{}", text_of(&r));
    assert!(text_of(&r).contains("404"), "{}", text_of(&r));
    c.cancel().await.expect("cancel");

    let records = server::audit::read(&log).expect("read");
    let decisions: Vec<_> = records
        .iter()
        .map(|r| r["decision"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(decisions, ["refused", "sent", "outcome"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn retention_prunes_old_records_at_start_up_and_verify_still_checks_the_rest() {
    let dir = temp_dir("retention");
    let log = dir.join("audit.jsonl");
    let recent = server::audit::rfc3339(std::time::SystemTime::now());
    let opened = AuditLog::open(&log).expect("open");
    for (i, time) in [
        "2020-03-01T10:00:00.000Z",
        "2020-03-02T10:00:00.000Z",
        recent.as_str(),
    ]
    .into_iter()
    .enumerate()
    {
        opened
            .append(&Entry {
                time: time.to_owned(),
                principal: "server".into(),
                location: Some("L1".into()),
                tool: format!("contacts_add-tags-{i}"),
                method: "POST".into(),
                path: "/contacts/c1/tags".into(),
                args: json!({"contactId": "c1"}),
                args_sha256: "00".into(),
                decision: Decision::Sent,
                reason: None,
                preflight: None,
                status: None,
                ids: vec![],
                duration_us: 1,
            })
            .await
            .expect("append");
    }
    drop(opened);
    let kept_line = std::fs::read_to_string(&log)
        .expect("read")
        .lines()
        .nth(2)
        .expect("third")
        .to_owned();

    let c = stdio_client(&["--audit-retention-days", "30"], &log).await;
    // One write after the prune continues the chain.
    let r = call(
        &c,
        "contacts_add-tags",
        json!({"contactId": "noSuchContact000", "tags": ["x"]}),
    )
    .await;
    assert!(is_error(&r));
    c.cancel().await.expect("cancel");

    let text = std::fs::read_to_string(&log).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("\"decision\":\"checkpoint\""), "{text}");
    assert_eq!(lines[1], kept_line, "kept records are unchanged");
    assert_eq!(lines.len(), 3, "{text}");
    let ok = audit(&log, &["verify"]);
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        out.contains("ok: 2 record(s)") && out.contains("2 older record(s) (seq 1 to 2"),
        "{out}"
    );

    std::fs::write(
        &log,
        text.replacen("contacts_add-tags-2", "contacts_add-tags-9", 1),
    )
    .expect("edit");
    let bad = audit(&log, &["verify"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("record 2 (line 2) was altered"), "{err}");

    // Zero days is refused at start-up rather than pruning everything.
    let out = std::process::Command::new(BIN)
        .args(["stdio", "--sandbox", "--audit-retention-days", "0"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--audit-retention-days"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
