//! The built `highlevel-mcp` binary: stdio through rmcp's child-process client (tools/list equals
//! the schema files, all tools map correctly, logs only on stderr and never the token), `serve`
//! with JSON logs and a graceful SIGTERM shutdown, `--sandbox`, the `sandbox` subcommand, and
//! startup errors that say what to do.

mod common;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::registry::*;
use common::*;
use rmcp::ServiceExt;
use rmcp::model::ClientConfig;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_highlevel-mcp");

/// Collects a child's stderr lines in the background.
fn collect(stderr: Option<tokio::process::ChildStderr>) -> Arc<Mutex<String>> {
    let buf = Arc::new(Mutex::new(String::new()));
    if let Some(err) = stderr {
        let b = buf.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut g = b.lock().unwrap();
                g.push_str(&line);
                g.push('\n');
            }
        });
    }
    buf
}

#[tokio::test]
async fn stdio_serves_every_generated_tool_and_logs_only_to_stderr() {
    let upstream = RecordingUpstream::start().await;
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(["stdio", "--upstream", &upstream.url])
        .env("HIGHLEVEL_TOKEN", PIT)
        .env("HIGHLEVEL_MCP_LOCATION_ID", "LOC1")
        .env("RUST_LOG", "debug")
        // The listing must equal the schema files and every write must go through as mapped:
        // confirmation (on by default in the CLI) and the audit log are tested in write_safety.rs.
        .env("HIGHLEVEL_MCP_CONFIRM", "none")
        .env("HIGHLEVEL_MCP_AUDIT_LOG", "none")
        // Every compiled tool, not only the default (hosted) set, so the listing is all files.
        .env("HIGHLEVEL_MCP_TOOLSETS", "all")
        .env("HIGHLEVEL_MCP_AGENCY", "true")
        // Preflight reads would add requests to the one-request-per-call check (preflight.rs).
        .env("HIGHLEVEL_MCP_PREFLIGHT", "off")
        .env_remove("HIGHLEVEL_MCP_TOKEN_FILE");
    let (transport, stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn highlevel-mcp stdio");
    let logs = collect(stderr);
    let client = ClientConfig::default()
        .serve(transport)
        .await
        .expect("stdio handshake");
    assert_listing_matches_files(&client.list_all_tools().await.unwrap());
    check_all(&client, &upstream, PIT).await;
    client.cancel().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = logs.lock().unwrap().clone();
    assert!(
        logs.contains("contacts_get-contact") && logs.contains("duration_ms"),
        "per-call log lines on stderr: {logs}"
    );
    assert!(!logs.contains(PIT), "the token never appears in logs");
}

#[tokio::test]
async fn stdio_without_a_token_says_how_to_give_one() {
    let out = tokio::process::Command::new(BIN)
        .arg("stdio")
        .env_remove("HIGHLEVEL_TOKEN")
        .env_remove("HIGHLEVEL_MCP_TOKEN_FILE")
        .env_remove("HIGHLEVEL_MCP_SANDBOX")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("HIGHLEVEL_TOKEN") && err.contains("--token-file"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

#[tokio::test]
async fn bad_flags_give_clear_errors() {
    let dir = std::env::temp_dir().join(format!("hl-mcp-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty-token");
    std::fs::write(&empty, "\n").unwrap();
    // A token file of two lines once started the server and sent no Authorization at all.
    let two = dir.join("two-line-token");
    std::fs::write(&two, "pit-first-line\npit-second-line\n").unwrap();
    for (args, expect) in [
        (
            vec!["stdio", "--token-file", two.to_str().unwrap()],
            "must hold exactly one",
        ),
        (
            vec![
                "serve",
                "--token-file",
                two.to_str().unwrap(),
                "--api-key-file",
                two.to_str().unwrap(),
            ],
            "must hold exactly one",
        ),
        (
            vec!["serve", "--upstream", "http://user:s3cret-pw@"],
            "[redacted]@",
        ),
        (vec!["serve", "--upstream", "not a url"], "is not a URL"),
        (
            vec!["serve", "--upstream", "ftp://x"],
            "http:// or https://",
        ),
        (
            vec!["serve", "--api-key-file", empty.to_str().unwrap()],
            "is empty",
        ),
        (
            vec!["serve", "--token-file", "/nonexistent/token"],
            "cannot read",
        ),
        (vec!["serve", "--port", "99999"], "99999"),
    ] {
        let out = tokio::process::Command::new(BIN)
            .args(&args)
            .env_remove("HIGHLEVEL_TOKEN")
            .stdin(Stdio::null())
            .output()
            .await
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(
            !err.contains("pit-first") && !err.contains("s3cret"),
            "{err}"
        );
    }
    let out = tokio::process::Command::new(BIN)
        .args(["serve", "--api-key-file", empty.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
}

#[tokio::test]
async fn help_reads_well() {
    let out = tokio::process::Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--bind",
        "--port",
        "--upstream",
        "--location-id",
        "--token-file",
        "--api-key-file",
        "--allowed-origins",
        "--allowed-hosts",
        "--max-body-bytes",
        "--upstream-timeout-ms",
        "--log-format",
        "--sandbox",
        "HIGHLEVEL_MCP_PORT",
    ] {
        assert!(help.contains(flag), "serve --help mentions {flag}");
    }
    let out = tokio::process::Command::new(BIN)
        .arg("--help")
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("serve") && help.contains("stdio") && help.contains("sandbox"));
    assert!(help.contains("HIGHLEVEL_TOKEN"));
}

/// Starts `highlevel-mcp serve` on a free port with JSON logs; returns the child, its MCP URL
/// and the collected stderr.
async fn spawn_serve(
    extra: &[&str],
    env: &[(&str, &str)],
) -> (tokio::process::Child, String, Arc<Mutex<String>>) {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(["serve", "--port", "0", "--log-format", "json"])
        .args(extra)
        .env_remove("HIGHLEVEL_TOKEN")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let logs = collect(child.stderr.take());
    let mut url = None;
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let text = logs.lock().unwrap().clone();
        url = text.lines().find_map(|l| {
            let v: Value = serde_json::from_str(l).ok()?;
            v["url"].as_str().map(str::to_owned)
        });
        if url.is_some() {
            break;
        }
    }
    let url = url.unwrap_or_else(|| panic!("no listening line: {}", logs.lock().unwrap()));
    (child, url, logs)
}

#[tokio::test]
async fn serve_logs_json_per_call_and_shuts_down_on_sigterm() {
    let upstream = RecordingUpstream::start().await;
    let (mut child, url, logs) = spawn_serve(&["--upstream", &upstream.url], &[]).await;
    let c = legacy_client(&url, Some(PIT), &[]).await;
    let r = call(&c, "contacts_get-contact", json!({"contactId": "c1"})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert_eq!(
        upstream.last().header("authorization"),
        Some(format!("Bearer {PIT}").as_str())
    );

    // SIGTERM: the process finishes and exits 0.
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}");

    // The process has exited, but the task draining its stderr may not have read the last lines
    // yet: wait for them rather than racing it.
    for _ in 0..100 {
        if logs.lock().unwrap().contains("shutdown signal received") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logs = logs.lock().unwrap().clone();
    let call_line: Value = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["message"] == "tool call")
        .unwrap_or_else(|| panic!("a JSON line per call: {logs}"));
    assert_eq!(call_line["tool"], "contacts_get-contact");
    assert_eq!(call_line["status"], 200);
    assert!(call_line["duration_ms"].is_u64());
    assert!(logs.contains("shutdown signal received"), "{logs}");
    assert!(!logs.contains(PIT), "the token never appears in logs");
}

#[tokio::test]
async fn serve_sandbox_answers_without_a_bearer() {
    let (_child, url, logs) = spawn_serve(&["--sandbox"], &[]).await;
    let c = modern_client(&url, None, &[]).await;
    let r = call(&c, "locations_get-location", json!({})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert!(
        text_of(&r).contains(sandbox::DEMO_LOCATION_ID),
        "default location is the sandbox demo location: {}",
        text_of(&r)
    );
    let r = call(&c, "contacts_get-contacts", json!({"limit": 2})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    // Any bearer is accepted too.
    let c = legacy_client(&url, Some("whatever"), &[]).await;
    let r = call(&c, "opportunities_get-pipelines", json!({})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert!(logs.lock().unwrap().contains("sandbox started"));
}

#[tokio::test]
async fn stdio_sandbox_needs_no_token() {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(["stdio", "--sandbox"])
        .env_remove("HIGHLEVEL_TOKEN");
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = ClientConfig::default().serve(transport).await.unwrap();
    let r = call(&client, "opportunities_get-pipelines", json!({})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn sandbox_subcommand_serves_the_emulator_alone() {
    let (mut child, base) = spawn_sandbox(&[]).await;
    let url = format!("{base}/locations/{}", sandbox::DEMO_LOCATION_ID);
    let mut ok = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Ok(resp) = reqwest::Client::new()
            .get(&url)
            .header("authorization", "Bearer anything")
            .header("version", "2021-07-28")
            .send()
            .await
        {
            assert_eq!(resp.status(), 200);
            ok = true;
            break;
        }
    }
    assert!(ok, "the sandbox answered");
    child.start_kill().unwrap();
}

/// Starts `highlevel-mcp sandbox` with `extra` flags on a free port and waits until it answers.
async fn spawn_sandbox(extra: &[&str]) -> (tokio::process::Child, String) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = tokio::process::Command::new(BIN)
        .args(["sandbox", "--port", &port.to_string()])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Any HTTP answer (a 404 for `/`) means it is listening; no request is spent on the limit
        // for the tuned token.
        if reqwest::get(&base).await.is_ok() {
            return (child, base);
        }
    }
    panic!("the sandbox did not start with {extra:?}");
}

#[tokio::test]
async fn sandbox_subcommand_limits_and_faults_are_tunable() {
    let get = |base: &str| {
        reqwest::Client::new()
            .get(format!("{base}/locations/{}", sandbox::DEMO_LOCATION_ID))
            .header("authorization", "Bearer tuning")
            .header("version", "2021-07-28")
            .send()
    };
    // A limit of 3: the fourth request in the window is refused with HighLevel's 429.
    let (_child, base) = spawn_sandbox(&["--rate-limit", "3"]).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get(&base).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    // 0 turns it off.
    let (_child, base) = spawn_sandbox(&["--rate-limit", "0"]).await;
    for _ in 0..120 {
        assert_eq!(get(&base).await.unwrap().status(), 200);
    }
    // Every request fails when the error rate is 1.
    let (_child, base) = spawn_sandbox(&["--error-rate", "1"]).await;
    assert!(get(&base).await.unwrap().status().is_server_error());
    // A rate outside 0..1 is refused at start-up with a message saying what to give.
    let out = std::process::Command::new(BIN)
        .args(["sandbox", "--error-rate", "2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("outside 0.0 to 1.0"), "{err}");
}
