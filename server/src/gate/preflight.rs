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

use std::collections::HashMap;
use std::time::Duration;

use rmcp::model::{CallToolResult, JsonObject};
use runtime::{CallContext, CompiledTool};
use serde_json::{Value, json};

use super::{Call, Reader};

/// Longest a preflight read may take before its check counts as unverified.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(5);
/// How many candidates a failed check lists (the read tool gives the rest).
const MAX_LISTED: usize = 8;

/// One kind of check, with the argument names it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `pipeline` (when given) is a pipeline of the call's location, and `stage` (when given) a
    /// stage of that pipeline, or of some pipeline of the location when `pipeline` is absent.
    StageOfPipeline {
        /// The pipeline id argument.
        pipeline: &'static str,
        /// The stage id argument.
        stage: &'static str,
    },
    /// The contact named by `contact` exists and its `locationId` is the call's location.
    ContactOfLocation {
        /// The contact id argument.
        contact: &'static str,
    },
    /// Every item of the array argument `items` names (by `id` or `key`) a custom field of the
    /// call's location for `model`.
    CustomFields {
        /// The array argument.
        items: &'static str,
        /// `contact` or `opportunity`.
        model: &'static str,
    },
}

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

impl Check {
    /// Short name, as written in the audit record.
    pub fn name(self) -> &'static str {
        match self {
            Check::StageOfPipeline { .. } => "stage-of-pipeline",
            Check::ContactOfLocation { .. } => "contact-of-location",
            Check::CustomFields { .. } => "custom-fields",
        }
    }

    /// The compiled-in read tool whose request the check sends.
    pub fn read_tool(self) -> &'static str {
        match self {
            Check::StageOfPipeline { .. } => "opportunities_get-pipelines",
            Check::ContactOfLocation { .. } => "contacts_get-contact",
            Check::CustomFields { .. } => "locations_get-custom-fields",
        }
    }

    /// The tool a model uses to find the right id.
    fn find_with(self) -> &'static str {
        match self {
            Check::ContactOfLocation { .. } => "contacts_get-contacts",
            _ => self.read_tool(),
        }
    }

    /// The read's arguments; `Ok(None)` when the call names nothing this check is about,
    /// `Err` when it cannot be checked (no location known).
    fn read_args(
        self,
        args: &JsonObject,
        location: Option<&str>,
    ) -> Result<Option<JsonObject>, String> {
        let mut out = JsonObject::new();
        let need_location = |out: &mut JsonObject| match location {
            Some(l) => {
                out.insert("locationId".into(), json!(l));
                Ok(())
            }
            None => {
                Err("the call names no location, so there is nothing to compare with".to_owned())
            }
        };
        match self {
            Check::StageOfPipeline { pipeline, stage } => {
                if str_arg(args, pipeline).is_none() && str_arg(args, stage).is_none() {
                    return Ok(None);
                }
                need_location(&mut out)?;
            }
            Check::ContactOfLocation { contact } => {
                let Some(id) = str_arg(args, contact) else {
                    return Ok(None);
                };
                out.insert("contactId".into(), json!(id));
            }
            Check::CustomFields { items, model } => {
                if args
                    .get(items)
                    .and_then(Value::as_array)
                    .is_none_or(|a| a.is_empty())
                {
                    return Ok(None);
                }
                need_location(&mut out)?;
                out.insert("model".into(), json!(model));
            }
        }
        Ok(Some(out))
    }

    /// Whether a "not found" answer means the id the write names is wrong (a record read), as
    /// opposed to a list read whose location is unknown (the write meets that itself).
    fn missing_fails(self) -> bool {
        matches!(self, Check::ContactOfLocation { .. })
    }

    /// Judges the read's answer; each problem names the argument, its value and what is wrong.
    fn judge(self, args: &JsonObject, location: Option<&str>, answer: &Value) -> Vec<Problem> {
        let loc = location.unwrap_or("?");
        match self {
            Check::StageOfPipeline { pipeline, stage } => {
                let pipelines = list(answer, "pipelines");
                fn stages_of(p: &Value) -> Vec<&Value> {
                    list(p, "stages")
                }
                let mut out = Vec::new();
                let chosen = match str_arg(args, pipeline) {
                    Some(pid) => match pipelines.iter().find(|p| p["id"] == pid) {
                        Some(p) => Some(*p),
                        None => {
                            out.push(self.problem(
                                pipeline,
                                pid,
                                format!(
                                    "is not a pipeline of location `{loc}`; its pipelines: {}",
                                    named(&pipelines)
                                ),
                            ));
                            return out;
                        }
                    },
                    None => None,
                };
                if let Some(sid) = str_arg(args, stage) {
                    match chosen {
                        Some(p) if !stages_of(p).iter().any(|s| s["id"] == sid) => {
                            out.push(self.problem(
                                stage,
                                sid,
                                format!(
                                    "is not a stage of pipeline `{}` ({}); its stages: {}",
                                    p["id"].as_str().unwrap_or(""),
                                    p["name"].as_str().unwrap_or(""),
                                    named(&stages_of(p))
                                ),
                            ));
                        }
                        None if !pipelines
                            .iter()
                            .any(|p| stages_of(p).iter().any(|s| s["id"] == sid)) =>
                        {
                            out.push(self.problem(
                                stage,
                                sid,
                                format!("is not a stage of any pipeline of location `{loc}`"),
                            ));
                        }
                        _ => {}
                    }
                }
                out
            }
            Check::ContactOfLocation { contact } => {
                let record = answer.get("contact").unwrap_or(answer);
                let owner = record.get("locationId").and_then(Value::as_str);
                match (owner, location) {
                    (Some(owner), Some(loc)) if owner != loc => vec![self.problem(
                        contact,
                        str_arg(args, contact).unwrap_or(""),
                        format!(
                            "is a contact of location `{owner}`, not of this call's location `{loc}`"
                        ),
                    )],
                    _ => vec![],
                }
            }
            Check::CustomFields { items, model } => {
                let fields = list(answer, "customFields");
                let prefix = format!("{model}.");
                let mut out = Vec::new();
                for (i, item) in args
                    .get(items)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let id = item
                        .get("id")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty());
                    let key = item
                        .get("key")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty());
                    let known = fields.iter().any(|f| {
                        id.is_some_and(|id| f["id"] == id)
                            || key.is_some_and(|k| {
                                f["fieldKey"] == k || f["fieldKey"] == format!("{prefix}{k}")
                            })
                    });
                    let (what, value) = match (id, key) {
                        (Some(id), _) => ("id", id),
                        (None, Some(key)) => ("key", key),
                        (None, None) => continue,
                    };
                    if !known {
                        out.push(Problem {
                            argument: format!("{items}[{i}].{what}"),
                            value: value.to_owned(),
                            problem: format!(
                                "is not a {model} custom field of location `{loc}`; its fields: {}",
                                named(&fields)
                            ),
                            find_with: self.find_with(),
                        });
                    }
                }
                out
            }
        }
    }

    fn problem(self, argument: &str, value: &str, problem: String) -> Problem {
        Problem {
            argument: argument.to_owned(),
            value: value.to_owned(),
            problem,
            find_with: self.find_with(),
        }
    }
}

fn str_arg<'a>(args: &'a JsonObject, name: &str) -> Option<&'a str> {
    args.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn list<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// `id (name), ...` of the first few records, for a failed check's message.
fn named(records: &[&Value]) -> String {
    if records.is_empty() {
        return "none".to_owned();
    }
    let mut parts: Vec<String> = records
        .iter()
        .take(MAX_LISTED)
        .map(|r| {
            let id = r["id"].as_str().unwrap_or("?");
            match r["name"].as_str() {
                Some(n) => format!("`{id}` ({n})"),
                None => format!("`{id}`"),
            }
        })
        .collect();
    if records.len() > MAX_LISTED {
        parts.push(format!("and {} more", records.len() - MAX_LISTED));
    }
    parts.join(", ")
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
                    format!("preflight: the read tool `{name}` is not compiled in; fix gate/preflight.rs RULES")
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

    fn args(v: Value) -> JsonObject {
        v.as_object().cloned().expect("object")
    }

    const STAGE: Check = Check::StageOfPipeline {
        pipeline: "pipelineId",
        stage: "pipelineStageId",
    };

    fn pipelines() -> Value {
        json!({"pipelines": [
            {"id": "p1", "name": "Sales", "stages": [{"id": "s1", "name": "New"}, {"id": "s2", "name": "Won"}]},
            {"id": "p2", "name": "Care", "stages": [{"id": "s3", "name": "Booked"}]},
        ]})
    }

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

    #[test]
    fn a_stage_must_belong_to_the_named_pipeline_or_to_the_location() {
        let ok = args(json!({"id": "o1", "pipelineId": "p1", "pipelineStageId": "s2"}));
        assert!(STAGE.judge(&ok, Some("L"), &pipelines()).is_empty());
        let other = args(json!({"id": "o1", "pipelineId": "p1", "pipelineStageId": "s3"}));
        let p = STAGE.judge(&other, Some("L"), &pipelines());
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].argument, "pipelineStageId");
        assert_eq!(p[0].value, "s3");
        assert!(p[0].problem.contains("`s1` (New)"), "{}", p[0].problem);
        assert_eq!(p[0].find_with, "opportunities_get-pipelines");
        let no_pipeline = args(json!({"id": "o1", "pipelineStageId": "s3"}));
        assert!(
            STAGE
                .judge(&no_pipeline, Some("L"), &pipelines())
                .is_empty()
        );
        let nowhere = args(json!({"id": "o1", "pipelineStageId": "zz"}));
        assert!(
            STAGE.judge(&nowhere, Some("L"), &pipelines())[0]
                .problem
                .contains("any pipeline of location `L`")
        );
        let bad_pipeline = args(json!({"id": "o1", "pipelineId": "p9", "pipelineStageId": "s1"}));
        let p = STAGE.judge(&bad_pipeline, Some("L"), &pipelines());
        assert_eq!((p.len(), p[0].argument.as_str()), (1, "pipelineId"));
        assert_eq!(
            STAGE.read_args(&args(json!({"id": "o1"})), Some("L")),
            Ok(None)
        );
        assert!(STAGE.read_args(&no_pipeline, None).is_err());
    }

    #[test]
    fn custom_fields_match_by_id_or_key_with_or_without_the_model_prefix() {
        let check = CONTACT_FIELDS;
        let fields = json!({"customFields": [
            {"id": "f1", "name": "Insurer", "fieldKey": "contact.insurer"},
        ]});
        let good = args(json!({"customFields": [
            {"id": "f1", "field_value": "x"}, {"key": "insurer"}, {"key": "contact.insurer"}]}));
        assert!(check.judge(&good, Some("L"), &fields).is_empty());
        let bad = args(json!({"customFields": [{"id": "f1"}, {"id": "nope"}, {"key": "x"}]}));
        let p = check.judge(&bad, Some("L"), &fields);
        assert_eq!(
            p.iter().map(|p| p.argument.as_str()).collect::<Vec<_>>(),
            ["customFields[1].id", "customFields[2].key"]
        );
        assert_eq!(p[0].find_with, "locations_get-custom-fields");
    }

    #[test]
    fn a_contact_of_another_location_fails() {
        let a = args(json!({"contactId": "c1"}));
        let rec = json!({"contact": {"id": "c1", "locationId": "L2"}});
        let p = CONTACT.judge(&a, Some("L1"), &rec);
        assert!(p[0].problem.contains("location `L2`"), "{p:?}");
        assert_eq!(p[0].find_with, "contacts_get-contacts");
        assert!(CONTACT.judge(&a, Some("L2"), &rec).is_empty());
    }
}
