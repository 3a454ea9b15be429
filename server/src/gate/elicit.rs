//! Asking the user directly before a gated write, through MCP elicitation, instead of the
//! two-step preview and token.
//!
//! A client that declared the `elicitation` capability (form mode) can show the user a question
//! and send back the answer. That is better than the two-step: the person, not the model, says
//! yes. Two ways, by protocol era:
//!
//! - **Live** (2025-era): the server sends `elicitation/create` while the call waits. That needs
//!   a channel for server-to-client requests: stdio and `--sessions` HTTP have one, stateless HTTP
//!   does not (the answer would reach another request).
//! - **Rounds** (2026-07-28, which forbids server-to-client requests): the call answers with an
//!   `input_required` result holding the question and, as `requestState`, a confirmation token
//!   bound to the tool, the arguments and the caller; the client asks the user and calls again
//!   with the answer and the state. This works over stateless HTTP too.
//!
//! When the question cannot be asked or gets no answer in time, the gate falls back to the
//! preview and token, so a write is never performed without a yes.

use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::{
    ElicitRequestParams, ElicitResult, ElicitationAction, InputRequest, InputRequests,
    InputRequiredResult, InputResponses,
};
use rmcp::service::{ElicitationMode, Peer};
use serde_json::{Value, json};

/// How long the user has to answer before the gate falls back to the two-step preview.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// The one field of the form: a yes/no the user must tick to go ahead.
pub const FIELD: &str = "perform";

/// The key of the question in an `input_required` result and of its answer on the retry.
pub const INPUT_KEY: &str = "confirm";
/// Audit reason of a write the user confirmed when asked live.
pub const CONFIRMED_LIVE: &str = "the user confirmed it when asked (MCP elicitation)";
/// Audit reason of a write the user confirmed in an input-required round.
pub const CONFIRMED_ROUND: &str =
    "the user confirmed it when asked (MCP elicitation in an input_required round)";
/// Audit reason of the first round: the question went out.
pub const ASKED_ROUND: &str = "asked the user (MCP elicitation in an input_required round)";

/// Whether and how the server asks users (`--ask-user-secs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AskUser {
    /// How long a live question waits for the answer.
    pub timeout: Duration,
    /// Whether the transport carries server-to-client requests (stdio, `--sessions`), so
    /// 2025-era clients can be asked live; 2026-07-28 clients are asked in rounds regardless.
    pub live: bool,
}

/// How the user of this call can be asked.
#[derive(Debug)]
pub enum Asking<'a> {
    /// By a request to the client while the call waits (stdio, `--sessions`, 2025 era).
    Live(Asker),
    /// By an `input_required` result and the client's retry (2026-07-28).
    Rounds(Rounds<'a>),
}

/// What a 2026-07-28 retry brought back: nothing on the first round.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rounds<'a> {
    /// `inputResponses` of the retry.
    pub responses: Option<&'a InputResponses>,
    /// `requestState` of the retry (our confirmation token).
    pub state: Option<&'a str>,
}

/// The form: `message` above one yes/no box the user must tick to go ahead.
fn form(message: String) -> Result<ElicitRequestParams, String> {
    serde_json::from_value(json!({
        "mode": "form",
        "message": message,
        "requestedSchema": {
            "type": "object",
            "properties": {
                FIELD: {
                    "type": "boolean",
                    "title": "Perform this change",
                    "description": "Tick to let the assistant perform exactly what is described above, once.",
                    "default": false
                }
            },
            "required": [FIELD]
        }
    }))
    .map_err(|e| format!("cannot build the confirmation question: {e}"))
}

/// The user's decision in an elicitation result.
fn decision(r: &ElicitResult) -> Answer {
    match r.action {
        ElicitationAction::Accept => match r.content.as_ref().and_then(|c| c.get(FIELD)) {
            Some(Value::Bool(true)) => Answer::Yes,
            _ => Answer::No("the user left \"Perform this change\" unticked"),
        },
        ElicitationAction::Decline => Answer::No("the user declined"),
        ElicitationAction::Cancel => Answer::No("the user dismissed the question"),
        // A later protocol may add actions; anything but a clear yes is a no.
        _ => Answer::No("the client answered with an action this server does not know"),
    }
}

/// The first round on 2026-07-28: the question, with the confirmation token as request state.
pub fn input_required(message: String, token: String) -> Result<InputRequiredResult, String> {
    let params = form(message)?;
    let request: InputRequest = serde_json::from_value(json!({
        "method": "elicitation/create",
        "params": params,
    }))
    .map_err(|e| format!("cannot build the confirmation question: {e}"))?;
    let mut requests = InputRequests::new();
    requests.insert(INPUT_KEY.into(), request);
    Ok(InputRequiredResult::new(Some(requests), Some(token)))
}

/// The answer a 2026-07-28 retry carries under [`INPUT_KEY`].
pub fn answer_in(responses: Option<&InputResponses>) -> Answer {
    let Some(raw) = responses.and_then(|r| r.get(INPUT_KEY)) else {
        return Answer::Unavailable(format!(
            "the retry carried no answer under inputResponses.{INPUT_KEY}; nothing was sent"
        ));
    };
    match serde_json::from_value::<ElicitResult>(raw.clone()) {
        Ok(r) => decision(&r),
        Err(e) => Answer::Unavailable(format!(
            "inputResponses.{INPUT_KEY} is not an elicitation result ({e}); nothing was sent"
        )),
    }
}

/// A channel to ask the user of one MCP session.
#[derive(Debug, Clone)]
pub struct Asker {
    peer: Peer<RoleServer>,
    timeout: Duration,
}

/// What the user said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Accepted with the box ticked: perform the write once.
    Yes,
    /// Declined, cancelled, or accepted with the box left unticked; the text says which.
    No(&'static str),
    /// No answer could be had (transport error, timeout, client refused the request): use the
    /// two-step preview; the text says why, for the preview and the log.
    Unavailable(String),
}

impl Asker {
    /// An asker for `peer` when its client declared form elicitation; `None` otherwise.
    pub fn for_peer(peer: &Peer<RoleServer>, timeout: Duration) -> Option<Self> {
        peer.supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
            .then(|| Self {
                peer: peer.clone(),
                timeout,
            })
    }

    /// Shows `message` with a yes/no box and waits at most the timeout for the answer.
    pub async fn ask(&self, message: String) -> Answer {
        let params = match form(message) {
            Ok(p) => p,
            Err(e) => return Answer::Unavailable(e),
        };
        match self
            .peer
            .create_elicitation_with_timeout(params, Some(self.timeout))
            .await
        {
            Ok(r) => decision(&r),
            Err(e) => Answer::Unavailable(format!("the confirmation question got no answer: {e}")),
        }
    }
}

/// The question shown to the user: what would be done, to what, and what changes, in plain
/// lines built from the preview object (the same facts the two-step preview gives the model).
pub fn message(preview: &Value) -> String {
    let s = |k: &str| preview.get(k).and_then(Value::as_str).unwrap_or("");
    let mut lines = vec![format!(
        "The assistant wants to run \"{}\" ({}).",
        s("operation"),
        s("tool")
    )];
    if let Some(risk) = preview.get("risk").and_then(Value::as_array)
        && !risk.is_empty()
    {
        let names: Vec<&str> = risk.iter().filter_map(Value::as_str).collect();
        lines.push(format!("Risk: {}.", names.join(", ")));
    }
    if !s("method").is_empty() {
        lines.push(format!("Request: {} {}", s("method"), s("path")));
    }
    if let Some(target) = preview.get("target") {
        let name = target.get("name").and_then(Value::as_str);
        let id = target.get("id").map(|v| v.to_string());
        match (name, id) {
            (Some(n), Some(i)) => lines.push(format!("Target: {n} ({i})")),
            (Some(n), None) => lines.push(format!("Target: {n}")),
            (None, Some(i)) => lines.push(format!("Target: {i}")),
            (None, None) => {}
        }
    }
    if let Some(Value::Object(changes)) = preview.get("changes")
        && !changes.is_empty()
    {
        lines.push("Changes:".into());
        for (field, change) in changes.iter().take(MAX_CHANGE_LINES) {
            lines.push(format!("  {field}: {}", clip(&change.to_string())));
        }
        if changes.len() > MAX_CHANGE_LINES {
            lines.push(format!("  … and {} more", changes.len() - MAX_CHANGE_LINES));
        }
    } else if let Some(body) = preview.get("body") {
        lines.push(format!("Data: {}", clip(&body.to_string())));
    }
    lines.join("\n")
}

/// Lines of changes shown before the rest is counted, so a bulk update stays readable.
const MAX_CHANGE_LINES: usize = 12;

fn clip(text: &str) -> String {
    runtime::suggest::clip(text, 300).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_question_names_the_operation_the_target_and_the_changes() {
        let preview = json!({
            "tool": "contacts_update-contact",
            "operation": "Update contact",
            "method": "PUT",
            "path": "/contacts/c1",
            "risk": ["destructive"],
            "target": {"name": "Dana Whitfield", "id": "c1"},
            "changes": {"email": {"before": "a@x.com", "after": "b@x.com"}},
        });
        let m = message(&preview);
        assert!(
            m.contains("\"Update contact\" (contacts_update-contact)"),
            "{m}"
        );
        assert!(m.contains("Risk: destructive."), "{m}");
        assert!(m.contains("Target: Dana Whitfield (\"c1\")"), "{m}");
        assert!(m.contains("email:") && m.contains("b@x.com"), "{m}");
    }

    #[test]
    fn a_round_carries_the_question_and_reads_the_answer() {
        let r = input_required("Go?".into(), "tok".into()).expect("builds");
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["requestState"], "tok");
        assert_eq!(
            v["inputRequests"][INPUT_KEY]["method"],
            "elicitation/create"
        );
        assert_eq!(v["inputRequests"][INPUT_KEY]["params"]["message"], "Go?");
        let mut yes = InputResponses::new();
        yes.insert(
            INPUT_KEY.into(),
            json!({"action": "accept", "content": {FIELD: true}}),
        );
        assert_eq!(answer_in(Some(&yes)), Answer::Yes);
        let mut no = InputResponses::new();
        no.insert(INPUT_KEY.into(), json!({"action": "decline"}));
        assert_eq!(answer_in(Some(&no)), Answer::No("the user declined"));
        assert!(matches!(answer_in(None), Answer::Unavailable(_)));
        let mut junk = InputResponses::new();
        junk.insert(INPUT_KEY.into(), json!("yes please"));
        assert!(matches!(answer_in(Some(&junk)), Answer::Unavailable(_)));
    }

    #[test]
    fn many_changes_are_counted_not_listed() {
        let changes: serde_json::Map<String, Value> = (0..20)
            .map(|i| (format!("f{i:02}"), json!({"after": i})))
            .collect();
        let m = message(&json!({"tool": "t", "operation": "o", "changes": changes}));
        assert!(m.contains("… and 8 more"), "{m}");
        assert!(!m.contains("f19"), "{m}");
    }
}
