//! What an upstream exchange can end in, and the one pure function that turns it into the tool
//! result the model sees.
//!
//! The client ([`super::Upstream`]) only decides *what happened* (an [`Exchange`]); every message
//! the model reads about HighLevel's answers is written here, so the mapping can be table-tested
//! without a network. Messages say what went wrong, how long was spent, and whether calling again
//! is safe (a write that may have reached HighLevel is not).

use std::time::Duration;

use rmcp::model::{CallToolResult, ContentBlock as Content};
use runtime::ToolDef;
use serde_json::Value;

/// How one upstream exchange ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A 2xx answer with its body.
    Success {
        /// HTTP status.
        status: u16,
        /// The body, token already redacted.
        body: Vec<u8>,
    },
    /// A non-2xx answer other than 429 (HighLevel's error), with its body.
    HighLevelError {
        /// HTTP status.
        status: u16,
        /// The body, token already redacted.
        body: Vec<u8>,
    },
    /// 429 on the last attempt: the call was not processed.
    RateLimited {
        /// HighLevel's `Retry-After`, when it sent a usable one.
        retry_after: Option<Duration>,
    },
    /// No answer within the attempt's time.
    TimedOut {
        /// The per-attempt timeout in force.
        per_attempt: Duration,
    },
    /// Connection refused, reset, DNS and the like.
    Transport {
        /// A plain description (no URL, no secret).
        what: String,
    },
    /// An answer arrived but its body could not be used (too large, broke off).
    BadBody {
        /// HTTP status of the answer.
        status: u16,
        /// Why.
        what: String,
    },
    /// The request was never sent (it would have reached another endpoint).
    Refused {
        /// Why.
        what: String,
    },
}

/// An [`Outcome`] with the effort spent on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// How it ended.
    pub outcome: Outcome,
    /// Attempts made (0 when refused before sending).
    pub attempts: u32,
    /// Wall time of the whole call, waits included.
    pub elapsed: Duration,
}

impl Exchange {
    /// The last HTTP status, 0 when none came back.
    pub fn status(&self) -> u16 {
        match &self.outcome {
            Outcome::Success { status, .. }
            | Outcome::HighLevelError { status, .. }
            | Outcome::BadBody { status, .. } => *status,
            Outcome::RateLimited { .. } => 429,
            _ => 0,
        }
    }
}

/// Longest HighLevel message quoted in an error, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Longest excerpt of a body that is not JSON, in characters.
pub const MAX_SNIPPET_CHARS: usize = 200;

/// The tool result for an exchange of `tool`.
pub fn render(tool: &ToolDef, ex: &Exchange) -> CallToolResult {
    let name = &tool.name;
    let secs = ex.elapsed.as_secs_f64();
    let attempts = ex.attempts;
    let text = match &ex.outcome {
        Outcome::Success { status, body } => return success(tool, *status, body),
        Outcome::HighLevelError { status, body } => highlevel_error(tool, *status, body, attempts),
        Outcome::RateLimited { retry_after } => {
            let wait = match retry_after {
                Some(d) => format!("HighLevel asked to wait {:.1} s. ", d.as_secs_f64()),
                None => "HighLevel gave no usable Retry-After. ".to_owned(),
            };
            format!(
                "HighLevel rate limit hit (HTTP 429) for `{name}`: gave up after {attempts} attempt(s) in {secs:.1} s. {wait}HighLevel allows about 100 requests per 10 seconds per location; slow down and try again (the call was not processed, so repeating it is safe)."
            )
        }
        Outcome::TimedOut { per_attempt } => format!(
            "could not reach HighLevel for `{name}`: no answer within {} ms per attempt (--upstream-timeout-ms); gave up after {attempts} attempt(s) in {secs:.1} s; {}",
            per_attempt.as_millis(),
            retry_advice(tool)
        ),
        Outcome::Transport { what } => format!(
            "could not reach HighLevel for `{name}`: {what}; gave up after {attempts} attempt(s) in {secs:.1} s; {}",
            retry_advice(tool)
        ),
        Outcome::BadBody { what, .. } => format!("{what} (`{name}`); {}", retry_advice(tool)),
        Outcome::Refused { what } => what.clone(),
    };
    CallToolResult::error(vec![Content::text(text)])
}

/// Whether the model may simply call again: reads yes; a write may already have happened.
fn retry_advice(tool: &ToolDef) -> String {
    if tool.method.is_idempotent() {
        "calling it again is safe.".to_owned()
    } else {
        format!(
            "not retried, because {} is not idempotent and HighLevel may have acted on it; check with a read tool before calling again.",
            tool.method.as_str()
        )
    }
}

fn success(tool: &ToolDef, status: u16, body: &[u8]) -> CallToolResult {
    let blank = body.iter().all(u8::is_ascii_whitespace);
    let value = if blank {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => v,
            // HighLevel answers JSON; a success body that does not parse is a broken or truncated
            // answer. A tool that promises structured output cannot honour it, so the model is
            // told rather than handed half a document as a success.
            Err(_) if tool.output_schema.is_some() => {
                let advice = if tool.method.is_idempotent() {
                    "Calling it again is safe."
                } else {
                    "The call may have taken effect: check with a read tool before repeating it."
                };
                return CallToolResult::error(vec![Content::text(format!(
                    "HighLevel answered `{}` with HTTP {status} but the body is not valid JSON: {}. {advice}",
                    tool.name,
                    snippet(body)
                ))]);
            }
            Err(_) => {
                return CallToolResult::success(vec![Content::text(
                    String::from_utf8_lossy(body).into_owned(),
                )]);
            }
        }
    };
    // Compact text for the model; the parsed value moves into structuredContent (no copy).
    let text = value.to_string();
    let mut result = CallToolResult::success(vec![Content::text(text)]);
    if tool.output_schema.is_some() {
        result.structured_content = match value {
            Value::Object(_) if !tool.wrap_result => Some(value),
            other if tool.wrap_result => Some(serde_json::json!({ "result": other })),
            // The schema promises an object; an off-schema answer stays text only.
            _ => None,
        };
    }
    result
}

fn highlevel_error(tool: &ToolDef, status: u16, body: &[u8], attempts: u32) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let message = upstream_message(parsed.as_ref(), body);
    let name = &tool.name;
    match status {
        401 | 403 => {
            let scopes = if tool.scopes.is_empty() {
                "No particular scope is recorded for it".to_owned()
            } else {
                format!(
                    "It needs the scope(s) {}",
                    runtime::suggest::backticked(&tool.scopes)
                )
            };
            let agency = if tool.agency_only {
                " This operation also needs an agency-level token."
            } else {
                ""
            };
            format!(
                "HighLevel refused the token for `{name}` (HTTP {status}): {message}. {scopes}; check that the Private Integration Token (or OAuth token) has them and belongs to this location.{agency}"
            )
        }
        404 => format!("HighLevel found nothing for `{name}` (HTTP 404): {message}"),
        400 | 422 => {
            format!("HighLevel rejected the arguments of `{name}` (HTTP {status}): {message}")
        }
        s if s >= 500 => {
            let note = if tool.method.is_idempotent() {
                format!("after {attempts} attempt(s)")
            } else {
                format!(
                    "not retried, because {} is not idempotent and HighLevel may have acted on it; check before calling again",
                    tool.method.as_str()
                )
            };
            format!("HighLevel failed on `{name}` (HTTP {status}, {note}): {message}")
        }
        _ => format!("HighLevel answered `{name}` with HTTP {status}: {message}"),
    }
}

/// The first [`MAX_SNIPPET_CHARS`] characters of a body, for error messages.
fn snippet(body: &[u8]) -> String {
    cut(
        String::from_utf8_lossy(body).into_owned(),
        MAX_SNIPPET_CHARS,
    )
}

fn cut(text: String, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// HighLevel's own error text: its `message` field (a string or a list), else the body.
fn upstream_message(parsed: Option<&Value>, body: &[u8]) -> String {
    let text = match parsed.and_then(|v| v.get("message")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => match parsed {
            Some(v) => v.to_string(),
            None if body.iter().all(u8::is_ascii_whitespace) => "(empty response)".to_owned(),
            None => String::from_utf8_lossy(body).into_owned(),
        },
    };
    // HighLevel puts what the model needs to recover in `meta`: a duplicate-contact 400 names
    // the existing contact's id and the matching field, so the agent can update it instead.
    let text = match parsed.and_then(|v| v.get("meta")).filter(|m| !m.is_null()) {
        Some(meta) if parsed.and_then(|v| v.get("message")).is_some() => {
            format!("{text} (details: {meta})")
        }
        _ => text,
    };
    cut(text, MAX_MESSAGE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime::HttpMethod;

    fn tool(method: HttpMethod, output: bool) -> ToolDef {
        ToolDef {
            name: "contacts_get-contact".into(),
            app: "contacts".into(),
            operation_id: "get-contact".into(),
            title: "Get contact".into(),
            description: "Gets a contact.".into(),
            annotations: runtime::Annotations::default(),
            scopes: vec!["contacts.readonly".into()].into(),
            agency_only: false,
            deprecated: false,
            method,
            path: "/contacts/{contactId}".into(),
            version: None,
            params: Vec::new().into(),
            location: runtime::LocationSlot::None,
            input_schema: "{}".into(),
            output_schema: output.then(|| "{\"type\":\"object\"}".into()),
            wrap_result: false,
            risk: runtime::Risk::NONE,
            body_encoding: runtime::BodyEncoding::Json,
        }
    }

    fn ex(outcome: Outcome, attempts: u32) -> Exchange {
        Exchange {
            outcome,
            attempts,
            elapsed: Duration::from_millis(1500),
        }
    }

    fn text(r: &CallToolResult) -> String {
        r.content[0].as_text().expect("text").text.clone()
    }

    /// Every outcome kind: (outcome, method, is_error, fragments the text must hold).
    #[test]
    fn each_outcome_renders_as_the_model_needs() {
        let body = |s: &str| s.as_bytes().to_vec();
        let rows: Vec<(Outcome, HttpMethod, bool, Vec<&str>)> = vec![
            (
                Outcome::Success {
                    status: 200,
                    body: body("{\"contact\":{\"id\":\"c1\"}}"),
                },
                HttpMethod::Get,
                false,
                vec!["\"id\":\"c1\""],
            ),
            (
                Outcome::Success {
                    status: 200,
                    body: body("<html>oops"),
                },
                HttpMethod::Post,
                true,
                vec!["not valid JSON", "may have taken effect"],
            ),
            (
                Outcome::HighLevelError {
                    status: 401,
                    body: body("{\"message\":\"Invalid JWT\"}"),
                },
                HttpMethod::Get,
                true,
                vec!["refused the token", "Invalid JWT", "`contacts.readonly`"],
            ),
            (
                Outcome::HighLevelError {
                    status: 404,
                    body: body("{\"message\":\"Not found\"}"),
                },
                HttpMethod::Get,
                true,
                vec!["found nothing", "Not found"],
            ),
            (
                Outcome::HighLevelError {
                    status: 400,
                    body: body(
                        "{\"message\":[\"email must be an email\",\"x\"],\"meta\":{\"contactId\":\"c9\"}}",
                    ),
                },
                HttpMethod::Post,
                true,
                vec!["rejected the arguments", "email must be an email; x", "c9"],
            ),
            (
                Outcome::HighLevelError {
                    status: 502,
                    body: body(""),
                },
                HttpMethod::Get,
                true,
                vec!["HTTP 502, after 3 attempt(s)", "(empty response)"],
            ),
            (
                Outcome::HighLevelError {
                    status: 500,
                    body: body("{}"),
                },
                HttpMethod::Post,
                true,
                vec!["not retried", "POST"],
            ),
            (
                Outcome::RateLimited {
                    retry_after: Some(Duration::from_secs(2)),
                },
                HttpMethod::Get,
                true,
                vec!["HTTP 429", "asked to wait 2.0 s", "repeating it is safe"],
            ),
            (
                Outcome::RateLimited { retry_after: None },
                HttpMethod::Get,
                true,
                vec!["no usable Retry-After"],
            ),
            (
                Outcome::TimedOut {
                    per_attempt: Duration::from_millis(800),
                },
                HttpMethod::Get,
                true,
                vec![
                    "800 ms per attempt",
                    "3 attempt(s) in 1.5 s",
                    "again is safe",
                ],
            ),
            (
                Outcome::TimedOut {
                    per_attempt: Duration::from_millis(800),
                },
                HttpMethod::Post,
                true,
                vec!["not retried", "may have acted"],
            ),
            (
                Outcome::Transport {
                    what: "connection failed".into(),
                },
                HttpMethod::Get,
                true,
                vec!["connection failed", "in 1.5 s"],
            ),
            (
                Outcome::BadBody {
                    status: 200,
                    what: "HighLevel's response is larger than 10 bytes".into(),
                },
                HttpMethod::Get,
                true,
                vec!["larger than 10 bytes"],
            ),
            (
                Outcome::Refused {
                    what: "refused to call".into(),
                },
                HttpMethod::Get,
                true,
                vec!["refused to call"],
            ),
        ];
        for (outcome, method, is_error, fragments) in rows {
            let r = render(&tool(method, true), &ex(outcome.clone(), 3));
            assert_eq!(r.is_error, Some(is_error), "{outcome:?}");
            let t = text(&r);
            for f in fragments {
                assert!(t.contains(f), "{outcome:?}: {t:?} lacks {f:?}");
            }
        }
    }

    #[test]
    fn long_messages_are_cut() {
        let long = format!("{{\"message\":\"{}\"}}", "x".repeat(5000));
        let r = render(
            &tool(HttpMethod::Get, false),
            &ex(
                Outcome::HighLevelError {
                    status: 400,
                    body: long.into_bytes(),
                },
                1,
            ),
        );
        assert!(text(&r).chars().count() < MAX_MESSAGE_CHARS + 200);
    }

    #[test]
    fn structured_content_follows_the_output_schema() {
        let ok = Outcome::Success {
            status: 200,
            body: b"{\"a\":1}".to_vec(),
        };
        assert!(
            render(&tool(HttpMethod::Get, true), &ex(ok.clone(), 1))
                .structured_content
                .is_some()
        );
        assert!(
            render(&tool(HttpMethod::Get, false), &ex(ok, 1))
                .structured_content
                .is_none()
        );
        let blank = Outcome::Success {
            status: 204,
            body: Vec::new(),
        };
        assert_eq!(
            text(&render(&tool(HttpMethod::Get, true), &ex(blank, 1))),
            "{}"
        );
    }
}
