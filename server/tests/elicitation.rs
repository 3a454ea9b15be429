//! Confirmation by asking the user (MCP elicitation) through real rmcp clients and the real
//! binary on the embedded sandbox: over stdio and over `--sessions` HTTP the user's yes performs
//! a gated write once, a no or a dismissal performs nothing, and each answer is in the audit log;
//! on 2026-07-28 the question travels as an `input_required` result over stateless HTTP, and a
//! forged or replayed request state is refused; a 2025-era client without the capability, and
//! 2025-era stateless HTTP, get the two-step preview and token.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncBufReadExt;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientCapabilities, ClientConfig,
    ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationCapability,
    FormElicitationCapability, Implementation, InputResponses, ProtocolVersion,
};
use rmcp::service::{RequestContext, RunningService};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{
    ClientHandler, ClientLifecycleMode, ClientServiceExt, ErrorData, RoleClient, ServiceExt,
};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_highlevel-mcp");

/// A client that answers every question the same way and keeps the questions it was asked.
#[derive(Clone)]
struct Answering {
    reply: Option<(ElicitationAction, Option<Value>)>,
    asked: Arc<Mutex<Vec<String>>>,
    modern: bool,
}

impl Answering {
    fn new(reply: Option<(ElicitationAction, Option<Value>)>) -> Self {
        Self {
            reply,
            asked: Arc::default(),
            modern: false,
        }
    }
    /// The same client speaking protocol 2026-07-28 (`server/discover`, self-contained requests).
    fn modern(mut self) -> Self {
        self.modern = true;
        self
    }
    fn questions(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl ClientHandler for Answering {
    fn get_info(&self) -> ClientConfig {
        let mut caps = ClientCapabilities::default();
        if self.reply.is_some() {
            let mut e = ElicitationCapability::default();
            e.form = Some(FormElicitationCapability::default());
            caps.elicitation = Some(e);
        }
        let mut info = ClientConfig::default();
        info.capabilities = caps;
        info.client_info = Implementation::new("elicitation-test", "1.0");
        info
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let message = match &request {
            ElicitRequestParams::FormElicitationParams { message, .. } => message.clone(),
            other => format!("unexpected request: {other:?}"),
        };
        self.asked.lock().unwrap().push(message);
        let (action, content) = self.reply.clone().expect("asked without the capability");
        let mut r = ElicitResult::new(action);
        r.content = content;
        Ok(r)
    }
}

type Client = RunningService<RoleClient, Answering>;

/// Connects `handler` to the MCP endpoint at `url`, in the protocol era it speaks.
async fn connect(handler: Answering, url: String) -> Client {
    let transport = StreamableHttpClientTransport::from_uri(url);
    if handler.modern {
        handler
            .serve_with_lifecycle(
                transport,
                ClientLifecycleMode::Discover {
                    preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                },
            )
            .await
            .expect("2026-07-28 client connects")
    } else {
        handler.serve(transport).await.expect("HTTP handshake")
    }
}

fn yes() -> Option<(ElicitationAction, Option<Value>)> {
    Some((ElicitationAction::Accept, Some(json!({"perform": true}))))
}

fn base_env(cmd: &mut tokio::process::Command, audit: &Path) {
    cmd.env("HIGHLEVEL_MCP_AUDIT_LOG", audit)
        .env("HIGHLEVEL_MCP_PREFLIGHT", "off")
        .env(
            "HIGHLEVEL_MCP_TOOLS",
            "contacts_get-contacts,contacts_get-contact,contacts_update-contact",
        )
        .env_remove("HIGHLEVEL_TOKEN")
        .env_remove("HIGHLEVEL_MCP_TOKEN_FILE")
        .env_remove("HIGHLEVEL_MCP_CONFIRM")
        .env_remove("HIGHLEVEL_MCP_ASK_USER_SECS")
        .kill_on_drop(true);
}

async fn stdio_client(handler: Answering, audit: &Path) -> Client {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(["stdio", "--sandbox"]);
    base_env(&mut cmd, audit);
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn highlevel-mcp stdio");
    handler.serve(transport).await.expect("stdio handshake")
}

async fn call(client: &Client, tool: &str, args: Value) -> CallToolResult {
    let mut p = CallToolRequestParams::new(tool.to_owned());
    p.arguments = args.as_object().cloned();
    client.call_tool(p).await.expect("tools/call")
}

fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

/// The first sandbox contact: (id, first name).
async fn a_contact(client: &Client) -> (String, String) {
    let r = call(client, "contacts_get-contacts", json!({"limit": 1})).await;
    let v: Value = serde_json::from_str(&text(&r)).expect("contacts JSON");
    let c = &v["contacts"][0];
    (
        c["id"].as_str().expect("id").to_owned(),
        c["firstName"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn first_name(client: &Client, id: &str) -> String {
    let r = call(client, "contacts_get-contact", json!({"contactId": id})).await;
    let v: Value = serde_json::from_str(&text(&r)).expect("contact JSON");
    v["contact"]["firstName"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn audit_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn decisions(path: &Path) -> Vec<(String, String)> {
    audit_records(path)
        .iter()
        .filter(|r| r["tool"] == "contacts_update-contact" && r["decision"] != "outcome")
        .map(|r| {
            (
                r["decision"].as_str().unwrap_or_default().to_owned(),
                r["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn over_stdio_a_yes_performs_the_write_once_and_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let handler = Answering::new(yes());
    let client = stdio_client(handler.clone(), &audit).await;
    let (id, before) = a_contact(&client).await;
    let r = call(
        &client,
        "contacts_update-contact",
        json!({"contactId": id, "firstName": "Elicited"}),
    )
    .await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    assert!(!text(&r).contains("NOT PERFORMED"), "{}", text(&r));
    assert_eq!(first_name(&client, &id).await, "Elicited");
    let asked = handler.questions();
    assert_eq!(asked.len(), 1, "one question per gated call: {asked:?}");
    assert!(
        asked[0].contains("contacts_update-contact") && asked[0].contains("Elicited"),
        "the question says what changes: {}",
        asked[0]
    );
    assert!(
        before.is_empty() || asked[0].contains(&before),
        "the question shows the current value `{before}`: {}",
        asked[0]
    );
    let d = decisions(&audit);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].0, "confirmed");
    assert!(d[0].1.contains("elicitation"), "{d:?}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn over_stdio_a_no_or_a_dismissal_performs_nothing() {
    for (action, content, why) in [
        (ElicitationAction::Decline, None, "declined"),
        (ElicitationAction::Cancel, None, "dismissed"),
        (
            ElicitationAction::Accept,
            Some(json!({"perform": false})),
            "unticked",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit.jsonl");
        let handler = Answering::new(Some((action, content)));
        let client = stdio_client(handler.clone(), &audit).await;
        let (id, before) = a_contact(&client).await;
        let r = call(
            &client,
            "contacts_update-contact",
            json!({"contactId": id, "firstName": "NotWanted"}),
        )
        .await;
        assert_eq!(r.is_error, Some(true), "{why}: {}", text(&r));
        assert!(
            text(&r).contains("not performed") && text(&r).contains(why),
            "{why}: {}",
            text(&r)
        );
        assert_eq!(first_name(&client, &id).await, before, "{why}: unchanged");
        assert_eq!(handler.questions().len(), 1);
        let d = decisions(&audit);
        assert_eq!(d.len(), 1, "{why}: {d:?}");
        assert_eq!(d[0].0, "refused", "{why}");
        assert!(d[0].1.contains(why), "{why}: {d:?}");
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn a_client_without_the_capability_gets_the_preview_and_token() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let handler = Answering::new(None);
    let client = stdio_client(handler.clone(), &audit).await;
    let (id, before) = a_contact(&client).await;
    let r = call(
        &client,
        "contacts_update-contact",
        json!({"contactId": id, "firstName": "Later"}),
    )
    .await;
    let t = text(&r);
    assert!(
        t.contains("confirmation required") && t.contains("token"),
        "{t}"
    );
    assert_eq!(first_name(&client, &id).await, before);
    assert!(handler.questions().is_empty());
    assert_eq!(decisions(&audit)[0].0, "previewed");
    client.cancel().await.unwrap();
}

/// `serve --sandbox` on a port the system picks (with `--sessions` when asked), read back from
/// its JSON log line, so no parallel test can take the port first; killed on drop.
async fn http_server(sessions: bool, audit: &Path) -> (tokio::process::Child, String) {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(["serve", "--sandbox", "--port", "0", "--log-format", "json"]);
    if sessions {
        cmd.arg("--sessions");
    }
    base_env(&mut cmd, audit);
    cmd.env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn highlevel-mcp serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            let url = serde_json::from_str::<Value>(&line)
                .ok()
                .and_then(|v| v["url"].as_str().map(str::to_owned));
            if let Some(url) = url {
                return url;
            }
        }
        panic!("highlevel-mcp serve exited before it listened");
    })
    .await
    .expect("highlevel-mcp serve listened within 30 s");
    // Keep reading so the server never blocks on a full stderr pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

#[tokio::test]
async fn over_http_sessions_the_user_is_asked_and_stateless_http_falls_back() {
    for sessions in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit.jsonl");
        let (_server, url) = http_server(sessions, &audit).await;
        let handler = Answering::new(yes());
        let client = connect(handler.clone(), url).await;
        let (id, _) = a_contact(&client).await;
        let r = call(
            &client,
            "contacts_update-contact",
            json!({"contactId": id, "firstName": "OverHttp"}),
        )
        .await;
        if sessions {
            assert_ne!(r.is_error, Some(true), "{}", text(&r));
            assert_eq!(handler.questions().len(), 1);
            assert_eq!(first_name(&client, &id).await, "OverHttp");
            assert_eq!(decisions(&audit)[0].0, "confirmed");
        } else {
            assert!(
                text(&r).contains("confirmation required"),
                "stateless HTTP cannot carry the question: {}",
                text(&r)
            );
            assert!(handler.questions().is_empty());
            assert_ne!(first_name(&client, &id).await, "OverHttp");
        }
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn on_2026_07_28_the_question_travels_in_rounds_over_stateless_http() {
    for (reply, performs) in [
        (yes(), true),
        (Some((ElicitationAction::Decline, None)), false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit.jsonl");
        let (_server, url) = http_server(false, &audit).await;
        let handler = Answering::new(reply).modern();
        let client = connect(handler.clone(), url).await;
        let (id, before) = a_contact(&client).await;
        let r = call(
            &client,
            "contacts_update-contact",
            json!({"contactId": id, "firstName": "InRounds"}),
        )
        .await;
        assert_eq!(handler.questions().len(), 1, "asked once");
        assert!(handler.questions()[0].contains("InRounds"));
        let d = decisions(&audit);
        assert_eq!(d[0].0, "previewed", "{d:?}");
        assert!(d[0].1.contains("input_required"), "{d:?}");
        if performs {
            assert_ne!(r.is_error, Some(true), "{}", text(&r));
            assert_eq!(first_name(&client, &id).await, "InRounds");
            assert_eq!(d[1].0, "confirmed", "{d:?}");
        } else {
            assert_eq!(r.is_error, Some(true), "{}", text(&r));
            assert_eq!(first_name(&client, &id).await, before);
            assert_eq!(d[1].0, "refused", "{d:?}");
        }
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn on_2026_07_28_a_forged_or_replayed_request_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let (_server, url) = http_server(false, &audit).await;
    let client = connect(Answering::new(yes()).modern(), url).await;
    let (id, before) = a_contact(&client).await;
    let args = json!({"contactId": id, "firstName": "Forged"});
    let mut yes_answer = InputResponses::new();
    yes_answer.insert(
        "confirm".into(),
        json!({"action": "accept", "content": {"perform": true}}),
    );
    let params = |state: &str| {
        let mut p = CallToolRequestParams::new("contacts_update-contact".to_owned());
        p.arguments = args.as_object().cloned();
        p.with_input_responses(yes_answer.clone())
            .with_request_state(state.to_owned())
    };
    let refused = |r: CallToolResponse, what: &str| match r {
        CallToolResponse::Complete(r) => {
            assert_eq!(r.is_error, Some(true), "{what}: {}", text(&r));
            assert!(text(&r).contains("not performed"), "{what}: {}", text(&r));
        }
        other => panic!("{what}: expected a refusal, got {other:?}"),
    };
    refused(
        client.call_tool_once(params("forged-state")).await.unwrap(),
        "forged",
    );
    // A real first round, answered twice: the second use of its state is a replay.
    let mut first = CallToolRequestParams::new("contacts_update-contact".to_owned());
    first.arguments = args.as_object().cloned();
    let state = match client.call_tool_once(first).await.unwrap() {
        CallToolResponse::InputRequired(q) => q.request_state.expect("state"),
        other => panic!("expected input_required, got {other:?}"),
    };
    match client.call_tool_once(params(&state)).await.unwrap() {
        CallToolResponse::Complete(r) => assert_ne!(r.is_error, Some(true), "{}", text(&r)),
        other => panic!("expected the write, got {other:?}"),
    }
    assert_eq!(first_name(&client, &id).await, "Forged");
    refused(
        client.call_tool_once(params(&state)).await.unwrap(),
        "replayed",
    );
    // The state is bound to the arguments: a round for one change cannot carry another.
    let mut other = CallToolRequestParams::new("contacts_update-contact".to_owned());
    other.arguments = json!({"contactId": id, "firstName": before})
        .as_object()
        .cloned();
    let state = match client.call_tool_once(other).await.unwrap() {
        CallToolResponse::InputRequired(q) => q.request_state.expect("state"),
        other => panic!("expected input_required, got {other:?}"),
    };
    refused(
        client.call_tool_once(params(&state)).await.unwrap(),
        "other arguments",
    );
    assert_eq!(first_name(&client, &id).await, "Forged");
    client.cancel().await.unwrap();
}
