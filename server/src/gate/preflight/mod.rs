//! Preflight checks: before a write is sent (or previewed), cheap reads confirm that the ids it
//! names exist and belong together, so a write HighLevel would accept silently with a wrong id
//! (a stage of another pipeline, a contact of another location, a custom field that is not
//! there) is refused instead, naming the wrong id and the tool that lists the right ones.
//!
//! The rules are data: [`RULES`] maps a tool to [`Check`]s, and each check kind says which read
//! it uses, which arguments it looks at and how it judges the answer. A check whose arguments are
//! absent is skipped (no read). The reads are built from the compiled-in read tools (so a check
//! works whatever tools are served) and sent through the call's own upstream client, token and
//! location, each within the client's deadline and within [`DEFAULT_BUDGET`].
//!
//! A read that answers "not found" (404, or 400/422 saying "not found") for a record the write
//! names fails the check. A read that fails for any other reason (timeout, 5xx, 401/403, a
//! broken body) proves nothing either way: the write goes ahead and the audit record's
//! `preflight` field says which check was not verified and why. Refusing there would turn every
//! HighLevel hiccup into a refused write, while the write itself would meet the same hiccup.

mod check;

use std::collections::HashMap;
use std::time::Duration;

use rmcp::model::{CallToolResult, JsonObject};
use runtime::{CallContext, CompiledTool};
use serde_json::{Value, json};

use super::{Call, Reader};
pub use check::Check;
use check::str_arg;

/// Longest a preflight read may take before its check counts as unverified.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(5);

/// The checks of one tool.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The write tool.
    pub tool: &'static str,
    /// Its checks, run concurrently.
    pub checks: &'static [Check],
}

const CONTACT: Check = Check::ContactOfLocation {
    contact: "contactId",
};
const CONTACT_FIELDS: Check = Check::CustomFields {
    items: "customFields",
    model: "contact",
};

/// Every preflight rule: the writes of the default (hosted) tool set.
pub static RULES: &[Rule] = &[
    Rule {
        tool: "opportunities_update-opportunity",
        checks: &[
            Check::StageOfPipeline {
                pipeline: "pipelineId",
                stage: "pipelineStageId",
            },
            Check::CustomFields {
                items: "customFields",
                model: "opportunity",
            },
        ],
    },
    Rule {
        tool: "contacts_update-contact",
        checks: &[CONTACT, CONTACT_FIELDS],
    },
    Rule {
        tool: "contacts_add-tags",
        checks: &[CONTACT],
    },
    Rule {
        tool: "contacts_remove-tags",
        checks: &[CONTACT],
    },
    Rule {
        tool: "conversations_send-a-new-message",
        checks: &[CONTACT],
    },
    Rule {
        tool: "contacts_create-contact",
        checks: &[CONTACT_FIELDS],
    },
    Rule {
        tool: "contacts_upsert-contact",
        checks: &[CONTACT_FIELDS],
    },
];

/// The checks of `tool` (empty when it has none).
pub fn checks_for(tool: &str) -> &'static [Check] {
    RULES
        .iter()
        .find(|r| r.tool == tool)
        .map_or(&[], |r| r.checks)
}

/// One wrong id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The argument (`pipelineStageId`, `customFields[1].id`).
    pub argument: String,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub problem: String,
    /// The tool that lists the right ids.
    pub find_with: &'static str,
}

/// What the checks of one call found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Checks that passed.
    pub passed: Vec<&'static str>,
    /// Wrong ids; any makes the call refused.
    pub problems: Vec<Problem>,
    /// Checks whose read failed: `check (why)`; the write goes ahead.
    pub unverified: Vec<String>,
}

impl Report {
    /// Whether the write must be refused.
    pub fn failed(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The audit record's `preflight` field: `passed: ...`, `failed: ...`, `unverified: ...`
    /// joined with `; `.
    pub fn note(&self) -> String {
        let mut parts = Vec::new();
        if !self.problems.is_empty() {
            let wrong: Vec<String> = self
                .problems
                .iter()
                .map(|p| format!("{} `{}`", p.argument, p.value))
                .collect();
            parts.push(format!("failed: {}", wrong.join(", ")));
        }
        if !self.unverified.is_empty() {
            parts.push(format!(
                "unverified (sent unchecked): {}",
                self.unverified.join(", ")
            ));
        }
        if !self.passed.is_empty() {
            parts.push(format!("passed: {}", self.passed.join(", ")));
        }
        parts.join("; ")
    }

    /// The refusal's one-line reason (for the audit record).
    pub fn reason(&self) -> String {
        let each: Vec<String> = self
            .problems
            .iter()
            .map(|p| format!("{} `{}` {}", p.argument, p.value, p.problem))
            .collect();
        format!("preflight check failed: {}", each.join("; "))
    }

    /// The isError result a refused call gets.
    pub fn refusal(&self, tool: &str) -> CallToolResult {
        let problems: Vec<Value> = self
            .problems
            .iter()
            .map(|p| {
                json!({
                    "argument": p.argument,
                    "value": p.value,
                    "problem": p.problem,
                    "find_the_right_id_with": p.find_with,
                })
            })
            .collect();
        let body = json!({
            "status": "NOT PERFORMED: preflight check failed; nothing was sent",
            "tool": tool,
            "problems": problems,
            "how": "look up the right id with the tool named for each problem and call again (the server's --preflight off skips these checks)",
        });
        CallToolResult::error(vec![rmcp::model::ContentBlock::text(body.to_string())])
    }
}

/// How a preflight read ended.
enum Read {
    Found(Value),
    NotFound(String),
    Failed(String),
}

/// The checks, with their read tools compiled once.
#[derive(Debug)]
pub struct Preflight {
    reads: HashMap<&'static str, CompiledTool>,
    budget: Duration,
}

impl Preflight {
    /// Compiles the read tool of every rule from the compiled-in registry; fails naming a read
    /// tool that is missing (a renamed operation), so a broken rule shows at start-up.
    pub fn new(budget: Duration) -> Result<Self, String> {
        let mut reads = HashMap::new();
        for check in RULES.iter().flat_map(|r| r.checks) {
            let name = check.read_tool();
            if reads.contains_key(name) {
                continue;
            }
            let def = generated::tools()
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| {
                    format!("preflight: the read tool `{name}` is not compiled in; fix RULES in server/src/gate/preflight/mod.rs")
                })?;
            reads.insert(name, CompiledTool::new((*def).clone())?);
        }
        Ok(Self {
            reads,
            budget: budget.max(Duration::from_millis(1)),
        })
    }

    /// Runs the checks of `call`'s tool; `None` when it has none or none applies.
    pub async fn run(&self, call: &Call<'_>, reader: Reader<'_>) -> Option<Report> {
        let location = call.location;
        let mut report = Report::default();
        let mut pending = Vec::new();
        for &check in checks_for(&call.def.name) {
            match check.read_args(call.args, location) {
                Ok(None) => {}
                Ok(Some(rargs)) => pending.push((check, rargs)),
                Err(why) => report.unverified.push(format!("{} ({why})", check.name())),
            }
        }
        if pending.is_empty() && report.unverified.is_empty() {
            return None;
        }
        let reads = pending
            .iter()
            .map(|(check, rargs)| self.read(*check, rargs, location, reader));
        let answers = futures::future::join_all(reads).await;
        for ((check, _), answer) in pending.iter().zip(answers) {
            match answer {
                Read::Found(v) => {
                    let problems = check.judge(call.args, location, &v);
                    if problems.is_empty() {
                        report.passed.push(check.name());
                    }
                    report.problems.extend(problems);
                }
                Read::NotFound(text) if check.missing_fails() => {
                    if let Check::ContactOfLocation { contact } = check {
                        report.problems.push(check.problem(
                            contact,
                            str_arg(call.args, contact).unwrap_or(""),
                            format!("names no contact ({} answered: {text})", check.read_tool()),
                        ));
                    }
                }
                Read::NotFound(why) | Read::Failed(why) => {
                    report.unverified.push(format!(
                        "{} ({}: {why})",
                        check.name(),
                        check.read_tool()
                    ));
                }
            }
        }
        if !report.unverified.is_empty() {
            tracing::warn!(tool = %call.def.name, unverified = %report.unverified.join(", "), "preflight check not verified; the write goes ahead");
        }
        Some(report)
    }

    async fn read(
        &self,
        check: Check,
        rargs: &JsonObject,
        location: Option<&str>,
        r: Reader<'_>,
    ) -> Read {
        let Some(compiled) = self.reads.get(check.read_tool()) else {
            return Read::Failed("no read tool".to_owned());
        };
        let req = match compiled.prepare(
            rargs,
            CallContext {
                location_id: location,
            },
        ) {
            Ok(req) => req,
            Err(e) => return Read::Failed(e.to_string()),
        };
        let sent = tokio::time::timeout(self.budget, r.upstream.call(&compiled.def, &req, r.token));
        let (result, stats) = match sent.await {
            Ok(done) => done,
            Err(_) => {
                return Read::Failed(format!(
                    "no answer within the preflight budget of {} ms",
                    self.budget.as_millis()
                ));
            }
        };
        let text = result
            .content
            .first()
            .and_then(|c| c.as_text())
            .map(|t| t.text.as_str())
            .unwrap_or_default();
        if result.is_error != Some(true) {
            let value = result
                .structured_content
                .clone()
                .or_else(|| serde_json::from_str(text).ok());
            return match value {
                Some(v) => Read::Found(v),
                None => Read::Failed(format!("HTTP {}: the answer is not JSON", stats.status)),
            };
        }
        let short = runtime::suggest::clip(text, 200).into_owned();
        let not_found = stats.status == 404
            || (matches!(stats.status, 400 | 422)
                && text.to_ascii_lowercase().contains("not found"));
        if not_found {
            Read::NotFound(format!("HTTP {}", stats.status))
        } else if stats.status == 0 {
            Read::Failed(short)
        } else {
            Read::Failed(format!("HTTP {}: {short}", stats.status))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_names_a_compiled_in_read_tool() {
        let p = Preflight::new(DEFAULT_BUDGET).expect("reads compile");
        assert_eq!(p.reads.len(), 3);
        for rule in RULES {
            assert!(
                generated::tools().iter().any(|t| t.name == rule.tool),
                "rule for unknown tool {}",
                rule.tool
            );
        }
    }
}
