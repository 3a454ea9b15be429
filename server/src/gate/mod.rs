//! Write safety: confirmation of risky writes, dry runs, and the audit record of every write.
//!
//! [`Safety`] is the one door the handler uses. For a write (any tool that is not read-only) it
//! decides, after the arguments passed their schema, whether the call is sent now:
//!
//! - `--dry-run`: never sent; the answer is a preview marked as a dry run (decision `dry-run`);
//! - a tool whose risk classes meet `--confirm` (default destructive, outbound, money) and no
//!   `confirm` argument: a preview (decision `previewed`) with a token bound to the tool, the
//!   exact arguments, the grant's principal and a short expiry ([`token`]);
//! - the same with a `confirm` token: redeemed once, then sent (decision `confirmed`); a token
//!   for other arguments, another caller, an expired or used one is refused (`refused`);
//! - any other write is sent (`sent`).
//!
//! Every decision is appended to the audit log ([`crate::audit`]) before anything is sent; when
//! the log cannot be written the write is refused with the reason. After a send, an `outcome`
//! record holds the upstream status, the ids and the duration. The preview reads the target
//! first when a served read tool can ([`preview`]) to name it and diff an update.
//!
//! With `--preflight on` (the CLI's default) the ids a write names are checked first with cheap
//! reads ([`preflight`]); a wrong id refuses the call (decision `refused`, before any preview or
//! token), a check that could not be made is noted in the record's `preflight` field.
//!
//! When the client can be asked directly (MCP elicitation over stdio or `--sessions`; see
//! [`elicit`]), a gated call without a token shows the user the preview as a question instead:
//! a yes sends it (decision `confirmed`), a no refuses it (`refused`), and no answer falls back
//! to the preview and token.
//!
//! The token travels as the `confirm` argument: gated tools list it in their inputSchema (and
//! drop their outputSchema, because a preview is not the operation's output).

pub mod cli;
pub mod elicit;
pub mod preflight;
pub mod preview;
pub mod token;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, JsonObject, Tool};
use runtime::{HttpMethod, Risk, ToolDef, UpstreamRequest};
use serde_json::{Value, json};

use crate::audit::{self, AuditLog, Decision, Entry};
pub use preview::Reader;
use token::{Binding, Tokens};

/// The argument that carries a confirmation token.
pub const CONFIRM_ARG: &str = "confirm";
/// Default lifetime of a confirmation token.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(300);

/// How writes are guarded.
#[derive(Debug, Clone)]
pub struct SafetyConfig {
    /// Risk classes that need confirmation; empty turns confirmation off.
    pub confirm: Risk,
    /// How long a confirmation token stays valid.
    pub token_ttl: Duration,
    /// Preview and log every write, send none.
    pub dry_run: bool,
    /// The audit log file; `None` keeps no log.
    pub audit_log: Option<PathBuf>,
    /// Audit records older than this are pruned when the log is opened; `None` keeps all.
    pub audit_retention: Option<Duration>,
    /// Check the ids a write names before sending it ([`preflight`]).
    pub preflight: bool,
    /// Longest a preflight read may take before its check counts as unverified.
    pub preflight_budget: Duration,
}

impl Default for SafetyConfig {
    /// Everything off: the library default, so embedding the server changes nothing unasked
    /// (the CLI turns confirmation and the audit log on).
    fn default() -> Self {
        Self {
            confirm: Risk::NONE,
            token_ttl: DEFAULT_TOKEN_TTL,
            dry_run: false,
            audit_log: None,
            audit_retention: None,
            preflight: false,
            preflight_budget: preflight::DEFAULT_BUDGET,
        }
    }
}

/// Parses `--confirm`: `none`, or class names separated by commas.
pub fn parse_confirm(text: &str) -> Result<Risk, String> {
    let mut risk = Risk::NONE;
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "none" {
            continue;
        }
        if !risk.set(part) {
            return Err(format!(
                "--confirm: unknown risk class `{part}`; use `none` or a comma-separated list of {}",
                Risk::NAMES.join(", ")
            ));
        }
    }
    Ok(risk)
}

/// The write guard; [`Safety::default`] is off.
#[derive(Debug, Default)]
pub struct Safety {
    confirm: Risk,
    dry_run: bool,
    tokens: Option<Tokens>,
    audit: Option<Arc<AuditLog>>,
    preflight: Option<preflight::Preflight>,
}

/// What a confirmation decided, before it is logged.
// Made once per call and consumed straight away: boxing the answer buys nothing.
#[allow(clippy::large_enum_variant)]
enum Verdict {
    /// Send it; the reason goes in the `confirmed` record.
    Confirmed(String),
    /// Do not send it, for this reason.
    Refused(String),
    /// Answer with this (a preview and token, or a refusal already logged).
    Answer(Result<Ticket, CallToolResponse>),
}

/// One write as the handler sees it once its arguments passed their schema.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The tool.
    pub def: &'a ToolDef,
    /// The arguments, `confirm` removed.
    pub args: &'a JsonObject,
    /// The grant's principal.
    pub principal: &'a str,
    /// The location id used.
    pub location: Option<&'a str>,
    /// The request that would be sent (`None` when the arguments were refused).
    pub req: Option<&'a UpstreamRequest>,
    /// When the call started.
    pub started: Instant,
}

/// A write allowed to go upstream; hand it back to [`Safety::after_send`].
#[derive(Debug)]
pub struct Ticket {
    seq: Option<u64>,
    /// The arguments' digest, computed once per call for every record and the token binding.
    args_sha256: String,
}

/// The answer when the audit record could not be written: the reason, and nothing was done.
fn refuse_unlogged(reason: String) -> CallToolResponse {
    text_result(&json!(reason), true).into()
}

fn text_result(value: &Value, error: bool) -> CallToolResult {
    let block = vec![ContentBlock::text(value.to_string())];
    if error {
        CallToolResult::error(block)
    } else {
        CallToolResult::success(block)
    }
}

impl Safety {
    /// Sends audit records to `log` from now on (the grant store, in OAuth mode).
    pub fn set_audit(&mut self, log: AuditLog) {
        self.audit = Some(Arc::new(log));
    }

    /// A guard from `cfg`; fails when the audit log cannot be opened.
    pub fn new(cfg: SafetyConfig) -> Result<Self, String> {
        let audit = match &cfg.audit_log {
            Some(p) => {
                if let Some(keep) = cfg.audit_retention {
                    audit::retention::prune_at_start(p, keep);
                }
                let log = AuditLog::open(p)?;
                tracing::info!(audit = %log.describe(), "audit records go to a file");
                Some(Arc::new(log))
            }
            None => None,
        };
        let preflight = if cfg.preflight {
            Some(preflight::Preflight::new(cfg.preflight_budget)?)
        } else {
            None
        };
        let tokens = if cfg.confirm.is_empty() {
            None
        } else {
            Some(Tokens::new(cfg.token_ttl)?)
        };
        Ok(Self {
            confirm: cfg.confirm,
            dry_run: cfg.dry_run,
            tokens,
            audit,
            preflight,
        })
    }

    /// Whether anything is guarded, checked or logged (when not, the handler skips every hook).
    pub fn is_active(&self) -> bool {
        self.dry_run || self.tokens.is_some() || self.audit.is_some() || self.preflight.is_some()
    }

    /// Whether calls of `def` change something (and so are guarded and logged).
    pub fn is_write(def: &ToolDef) -> bool {
        def.method != HttpMethod::Get && !def.annotations.read_only
    }

    /// Whether `def` needs a confirmation token.
    pub fn gates(&self, def: &ToolDef) -> bool {
        self.tokens.is_some() && Self::is_write(def) && def.risk.intersects(self.confirm)
    }

    /// The listing of a gated tool: `confirm` added to its inputSchema, its outputSchema dropped.
    pub fn listing(&self, def: &ToolDef, tool: &Tool) -> Option<Tool> {
        if !self.gates(def) {
            return None;
        }
        let mut t = tool.clone();
        let mut schema = (*t.input_schema).clone();
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            props.insert(
                CONFIRM_ARG.into(),
                json!({
                    "type": "string",
                    "description": "Confirmation token from this tool's preview. Leave it out first: the call then returns a preview and a token, and performs nothing; call again with the same arguments plus this token to perform it once."
                }),
            );
        }
        t.input_schema = Arc::new(schema);
        t.output_schema = None;
        Some(t)
    }

    /// Takes the `confirm` argument out of a gated tool's arguments (other tools keep it, so
    /// their schema check refuses it).
    pub fn take_confirm(&self, def: &ToolDef, args: &mut JsonObject) -> Option<Value> {
        if self.gates(def) {
            args.remove(CONFIRM_ARG)
        } else {
            None
        }
    }

    async fn log(
        &self,
        call: &Call<'_>,
        args_sha256: &str,
        decision: Decision,
        reason: Option<String>,
        preflight: Option<&str>,
    ) -> Result<Option<u64>, String> {
        let Some(log) = &self.audit else {
            return Ok(None);
        };
        let (method, path) = match call.req {
            Some(r) => (r.method.to_owned(), r.path_and_query.clone()),
            None => (
                call.def.method.as_str().to_owned(),
                call.def.path.to_string(),
            ),
        };
        let entry = Entry {
            time: audit::rfc3339(SystemTime::now()),
            principal: call.principal.to_owned(),
            location: call.location.map(str::to_owned),
            tool: call.def.name.to_string(),
            method,
            path,
            args: audit::summarize(call.args),
            args_sha256: args_sha256.to_owned(),
            decision,
            reason,
            preflight: preflight.map(str::to_owned),
            status: None,
            ids: vec![],
            duration_us: call.started.elapsed().as_micros() as u64,
        };
        log.append(&entry).await.map(Some)
    }

    /// Logs a write refused before the gate (bad arguments, location not allowed); `Some` is the
    /// result to return instead when the log cannot be written.
    pub async fn refused(&self, call: &Call<'_>, reason: &str) -> Option<CallToolResult> {
        if !Self::is_write(call.def) {
            return None;
        }
        let digest = audit::args_digest(call.args);
        self.log(
            call,
            &digest,
            Decision::Refused,
            Some(reason.to_owned()),
            None,
        )
        .await
        .err()
        .map(|e| text_result(&json!(e), true))
    }

    /// Decides whether `call` is sent now: `Ok` to send, `Err` with the answer to return instead
    /// (a preview, a dry run, a refusal, or on 2026-07-28 a question for the user).
    pub async fn before_send(
        &self,
        call: &Call<'_>,
        confirm: Option<Value>,
        reader: Reader<'_>,
        asking: Option<&elicit::Asking<'_>>,
    ) -> Result<Ticket, CallToolResponse> {
        if !Self::is_write(call.def) {
            return Ok(Ticket {
                seq: None,
                args_sha256: String::new(),
            });
        }
        let checked = match &self.preflight {
            Some(p) => p.run(call, reader).await,
            None => None,
        };
        let note = checked.as_ref().map(preflight::Report::note);
        let note = note.as_deref();
        let digest = if self.audit.is_some() || self.tokens.is_some() {
            audit::args_digest(call.args)
        } else {
            String::new()
        };
        if let Some(report) = checked.as_ref().filter(|r| r.failed()) {
            self.log(
                call,
                &digest,
                Decision::Refused,
                Some(report.reason()),
                note,
            )
            .await
            .map_err(refuse_unlogged)?;
            return Err(report.refusal(&call.def.name).into());
        }
        if self.dry_run {
            let preview = self.preview(call, reader, None, note).await;
            self.log(call, &digest, Decision::DryRun, None, note)
                .await
                .map_err(refuse_unlogged)?;
            return Err(text_result(&preview, false).into());
        }
        let (Some(tokens), true) = (&self.tokens, self.gates(call.def)) else {
            let seq = self
                .log(call, &digest, Decision::Sent, None, note)
                .await
                .map_err(refuse_unlogged)?;
            return Ok(Ticket {
                seq,
                args_sha256: digest,
            });
        };
        let binding = Binding {
            tool: &call.def.name,
            args_sha256: &digest,
            principal: call.principal,
        };
        // What the confirmation decided; logged (and turned into the answer) once, below.
        let confirmed = |why: &str| Verdict::Confirmed(why.to_owned());
        let refused = Verdict::Refused;
        let verdict = match (confirm, asking) {
            (Some(value), _) => {
                let checked = match value.as_str() {
                    Some(t) => tokens.redeem(t, &binding),
                    None => Err("`confirm` must be the token string from the preview".to_owned()),
                };
                match checked {
                    Ok(()) => confirmed("the token from the preview was redeemed"),
                    Err(why) => refused(why),
                }
            }
            (None, Some(elicit::Asking::Live(asker))) => {
                let preview = self.preview(call, reader, None, note).await;
                match asker.ask(elicit::message(&preview)).await {
                    elicit::Answer::Yes => confirmed(elicit::CONFIRMED_LIVE),
                    elicit::Answer::No(why) => refused(format!(
                        "{why}; nothing was sent. Ask the user before trying again."
                    )),
                    elicit::Answer::Unavailable(why) => {
                        tracing::info!(tool = %call.def.name, reason = %why, "confirmation falls back to a preview and token");
                        Verdict::Answer(
                            self.two_step(call, reader, tokens, &binding, &digest, note)
                                .await,
                        )
                    }
                }
            }
            (None, Some(elicit::Asking::Rounds(rounds))) => match rounds.state {
                None => {
                    // First round: the token is the request state, so the retry is bound to this
                    // tool, these arguments and this caller, once, before it expires.
                    let token = tokens.issue(&binding).map_err(refuse_unlogged)?;
                    let preview = self.preview(call, reader, None, note).await;
                    let question = elicit::input_required(elicit::message(&preview), token)
                        .map_err(refuse_unlogged)?;
                    self.log(
                        call,
                        &digest,
                        Decision::Previewed,
                        Some(elicit::ASKED_ROUND.into()),
                        note,
                    )
                    .await
                    .map_err(refuse_unlogged)?;
                    return Err(question.into());
                }
                Some(state) => {
                    // The token is spent whatever the answer, so a "no" cannot be replayed into a yes.
                    let redeemed = tokens.redeem(state, &binding);
                    let answer = elicit::answer_in(rounds.responses);
                    match (redeemed, answer) {
                        (Err(why), _) => refused(format!("the confirmation round: {why}")),
                        (Ok(()), elicit::Answer::Yes) => confirmed(elicit::CONFIRMED_ROUND),
                        (Ok(()), elicit::Answer::No(why)) => refused(format!(
                            "{why}; nothing was sent. Ask the user before trying again."
                        )),
                        (Ok(()), elicit::Answer::Unavailable(why)) => refused(why),
                    }
                }
            },
            (None, None) => Verdict::Answer(
                self.two_step(call, reader, tokens, &binding, &digest, note)
                    .await,
            ),
        };
        match verdict {
            Verdict::Confirmed(why) => {
                let seq = self
                    .log(call, &digest, Decision::Confirmed, Some(why), note)
                    .await
                    .map_err(refuse_unlogged)?;
                Ok(Ticket {
                    seq,
                    args_sha256: digest,
                })
            }
            Verdict::Refused(why) => {
                let logged = self
                    .log(call, &digest, Decision::Refused, Some(why.clone()), note)
                    .await;
                Err(match logged {
                    Ok(_) => text_result(&json!(format!("not performed: {why}")), true).into(),
                    Err(e) => refuse_unlogged(e),
                })
            }
            Verdict::Answer(answer) => answer,
        }
    }

    /// The two-step confirmation's first step: a preview and a token, nothing sent.
    async fn two_step(
        &self,
        call: &Call<'_>,
        reader: Reader<'_>,
        tokens: &Tokens,
        binding: &Binding<'_>,
        digest: &str,
        note: Option<&str>,
    ) -> Result<Ticket, CallToolResponse> {
        let token = tokens.issue(binding).map_err(refuse_unlogged)?;
        let preview = self
            .preview(call, reader, Some((&token, tokens.ttl())), note)
            .await;
        self.log(call, digest, Decision::Previewed, None, note)
            .await
            .map_err(refuse_unlogged)?;
        Err(text_result(&preview, false).into())
    }

    /// Logs what came back for a sent write.
    pub async fn after_send(
        &self,
        ticket: Ticket,
        call: &Call<'_>,
        result: &CallToolResult,
        status: u16,
    ) {
        let (Some(log), Some(seq)) = (&self.audit, ticket.seq) else {
            return;
        };
        // Borrowed, not cloned: a write's answer can be large and only its ids are wanted.
        let parsed: Option<Value>;
        let response = match &result.structured_content {
            Some(v) => Some(v),
            None => {
                parsed = result
                    .content
                    .first()
                    .and_then(|c| c.as_text())
                    .and_then(|t| serde_json::from_str(&t.text).ok());
                parsed.as_ref()
            }
        };
        let entry = Entry {
            time: audit::rfc3339(SystemTime::now()),
            principal: call.principal.to_owned(),
            location: call.location.map(str::to_owned),
            tool: call.def.name.to_string(),
            method: call.def.method.as_str().to_owned(),
            path: call
                .req
                .map(|r| r.path_and_query.clone())
                .unwrap_or_default(),
            args: json!({"of_seq": seq}),
            args_sha256: ticket.args_sha256,
            decision: Decision::Outcome,
            reason: (result.is_error == Some(true)).then(|| "the upstream call failed".to_owned()),
            preflight: None,
            status: Some(status),
            ids: preview::ids(call.def, call.args, response),
            duration_us: call.started.elapsed().as_micros() as u64,
        };
        if let Err(e) = log.append(&entry).await {
            // The write already happened; say so loudly rather than hide it.
            tracing::error!(tool = %call.def.name, error = %e, "audit outcome record lost");
        }
    }

    /// The preview object: what would be done, to what, what changes, and how to confirm.
    async fn preview(
        &self,
        call: &Call<'_>,
        reader: Reader<'_>,
        token: Option<(&str, Duration)>,
        preflight: Option<&str>,
    ) -> Value {
        let def = call.def;
        let mut p = serde_json::Map::new();
        let status = if token.is_some() {
            "NOT PERFORMED: confirmation required"
        } else if self.dry_run {
            "NOT PERFORMED: dry run (--dry-run); nothing was sent"
        } else {
            "NOT PERFORMED YET: asking the user"
        };
        p.insert("status".into(), json!(status));
        p.insert("tool".into(), json!(def.name));
        p.insert("operation".into(), json!(def.title));
        if let Some(req) = call.req {
            p.insert("method".into(), json!(req.method));
            p.insert("path".into(), json!(req.path_and_query));
            if let Some(body) = &req.body {
                p.insert("body".into(), body.clone());
            }
        }
        p.insert("arguments".into(), Value::Object(call.args.clone()));
        p.insert("risk".into(), json!(def.risk.names()));
        if let Some(note) = preflight {
            p.insert("preflight".into(), json!(note));
        }
        if let Some(t) = preview::read_target(reader, def, call.args).await {
            let mut target = json!({"read_with": t.read_with});
            if let Some(rec) = &t.record {
                if let Some(name) = preview::name_of(rec) {
                    target["name"] = json!(name);
                }
                if let Some(id) = rec.get("id") {
                    target["id"] = id.clone();
                }
                if matches!(def.method, HttpMethod::Put | HttpMethod::Patch)
                    && let Some(body) = call.req.and_then(|r| r.body.as_ref())
                {
                    p.insert("changes".into(), json!(preview::diff(rec, body)));
                }
            }
            if let Some(problem) = t.problem {
                target["problem"] = json!(problem);
            }
            p.insert("target".into(), target);
        }
        if let Some((token, ttl)) = token {
            p.insert(
                "confirm".into(),
                json!({
                    "token": token,
                    "expires_in_seconds": ttl.as_secs(),
                    "how": format!("to perform it, call `{}` again with exactly the same arguments plus \"{CONFIRM_ARG}\": \"<token>\"; the token works once", def.name),
                }),
            );
        }
        Value::Object(p)
    }
}
