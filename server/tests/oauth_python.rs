//! The official MCP Python SDK's `OAuthClientProvider` (installed by .ci/install-deps.sh)
//! against `serve --sandbox --auth oauth`: discovery, dynamic registration, PKCE, consent in
//! headless Chromium, token exchange, then tools/list and a tool call.

mod oauth_support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use oauth_support::{Browser, Callback, OAuthServer, Proc, missing};

/// The Python with the SDK: $HIGHLEVEL_MCP_TEST_PYTHON, else `python3`.
fn python() -> Option<String> {
    let py = std::env::var("HIGHLEVEL_MCP_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import mcp.client.auth, httpx2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(py)
}

#[tokio::test]
async fn python_sdk_oauth_client_signs_in_through_the_browser_and_calls_a_tool() {
    let py = python();
    if missing(
        "the MCP Python SDK (python3 with `mcp`; or set HIGHLEVEL_MCP_TEST_PYTHON)",
        py.is_some(),
    ) {
        return;
    }
    let Some(browser) = Browser::start().await else {
        return;
    };
    let server = OAuthServer::start(&[]).await;
    let mut callback = Callback::start().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/oauth_client.py");
    let child = Command::new(py.expect("checked"))
        .args([script, &server.mcp_url(), &callback.redirect_uri])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python starts");
    let mut child = Proc(child);
    let mut stdin = child.0.stdin.take().expect("stdin");
    let stdout = child.0.stdout.take().expect("stdout");
    // Lines from the script, read on a thread (the pipe is blocking); bounded by the timeouts below.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(8);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    let mut next = async || -> serde_json::Value {
        let line = tokio::time::timeout(Duration::from_secs(120), rx.recv())
            .await
            .expect("the Python client answered within 120 s")
            .expect("the Python client is still running (see its stderr above)");
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not JSON from the script: {line}: {e}"))
    };
    let first = next().await;
    let authorize_url = first["authorize"]
        .as_str()
        .expect("an authorization URL")
        .to_owned();
    assert!(
        authorize_url.starts_with(&format!("{}/authorize?", server.base)),
        "{authorize_url}"
    );
    assert!(
        authorize_url.contains("code_challenge_method=S256") && authorize_url.contains("resource="),
        "{authorize_url}"
    );
    browser.consent(&authorize_url, None).await;
    let redirected = callback.next().await;
    writeln!(stdin, "{redirected}").expect("callback handed to the script");
    stdin.flush().expect("flush");
    let done = next().await;
    assert!(done["tools"].as_u64().unwrap_or(0) > 0, "{done}");
    assert_eq!(done["is_error"], false, "{done}");
    assert!(
        done["text"]
            .as_str()
            .unwrap_or("")
            .contains(sandbox::DEMO_LOCATION_ID),
        "{done}"
    );
    assert!(server.grants(&["list"]).contains("MCP Python SDK test"));
}
