//! The official MCP Python SDK's `OAuthClientProvider` (installed by .ci/install-deps.sh)
//! against `serve --sandbox --auth oauth`: discovery, dynamic registration, PKCE, consent in
//! headless Chromium, token exchange, then tools/list and a tool call; and the same client
//! signing in with HighLevel (the sandbox's chooser) as an agency of three locations.

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

/// Runs the script against `server` (with `calls`, when given), playing the person's part in
/// Chromium: pasting a token on the connect page, or with `highlevel` signing in on the
/// sandbox's HighLevel chooser as the agency. Answers the script's last line.
async fn run_script(
    py: &str,
    browser: &Browser,
    server: &OAuthServer,
    calls: Option<serde_json::Value>,
    highlevel: bool,
) -> serde_json::Value {
    let mut callback = Callback::start().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/oauth_client.py");
    let mut command = Command::new(py);
    command.args([script, &server.mcp_url(), &callback.redirect_uri]);
    if let Some(calls) = &calls {
        command.arg(calls.to_string());
    }
    let child = command
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
    if highlevel {
        browser.sign_in_with_highlevel(&authorize_url).await;
    } else {
        browser.consent(&authorize_url, None).await;
    }
    let redirected = callback.next().await;
    writeln!(stdin, "{redirected}").expect("callback handed to the script");
    stdin.flush().expect("flush");
    next().await
}

/// The Python with the SDK and a browser, or `None` after saying why (a failure under CI).
async fn prerequisites() -> Option<(String, Browser)> {
    let py = python();
    if missing(
        "the MCP Python SDK (python3 with `mcp`; or set HIGHLEVEL_MCP_TEST_PYTHON)",
        py.is_some(),
    ) {
        return None;
    }
    let browser = Browser::start().await?;
    Some((py.expect("checked"), browser))
}

#[tokio::test]
async fn python_sdk_oauth_client_signs_in_through_the_browser_and_calls_a_tool() {
    let Some((py, browser)) = prerequisites().await else {
        return;
    };
    let server = OAuthServer::start(&[]).await;
    let done = run_script(&py, &browser, &server, None, false).await;
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

#[tokio::test]
async fn python_sdk_signs_in_with_highlevel_as_an_agency_of_three_locations() {
    let Some((py, browser)) = prerequisites().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = dir.path().join("hl-client-secret");
    std::fs::write(&secret, sandbox::OAuthApp::TEST_CLIENT_SECRET).expect("secret file");
    let server = OAuthServer::start(&[
        "--highlevel-client-id",
        sandbox::OAuthApp::TEST_CLIENT_ID,
        "--highlevel-client-secret-file",
        secret.to_str().expect("utf-8 path"),
        "--discovery",
    ])
    .await;
    let [demo, lakeside, _] = sandbox::AGENCY_LOCATION_IDS;
    let contacts = |loc: &str| serde_json::json!(["execute_operation", {"name": "contacts_get-contacts", "arguments": {"locationId": loc, "limit": 1}}]);
    let calls = serde_json::json!([
        ["list_locations", {}],
        contacts(demo),
        contacts(lakeside),
        ["search", {"query": "Tobias Lindqvist"}],
        ["fetch", {"id": format!("$hit:contact:{lakeside}:")}],
    ]);
    let done = run_script(&py, &browser, &server, Some(calls), true).await;
    let results = done["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{done}"));
    for r in results {
        assert_eq!(r["is_error"], false, "{r}");
    }
    let json = |i: usize| -> serde_json::Value {
        serde_json::from_str(results[i]["text"].as_str().unwrap_or(""))
            .unwrap_or_else(|e| panic!("result {i} is not JSON ({e}): {}", results[i]))
    };
    let listed: Vec<serde_json::Value> = json(0)["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| l["id"].clone())
        .collect();
    assert_eq!(listed, sandbox::AGENCY_LOCATION_IDS);
    assert_eq!(json(1)["contacts"][0]["locationId"], demo);
    assert_eq!(json(2)["contacts"][0]["locationId"], lakeside);
    let fetched = json(4);
    assert!(
        fetched["id"]
            .as_str()
            .unwrap_or("")
            .starts_with(&format!("contact:{lakeside}:")),
        "{fetched}"
    );
    assert!(
        fetched["text"].as_str().unwrap_or("").contains("Lindqvist"),
        "{fetched}"
    );
}
