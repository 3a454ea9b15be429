//! One kind of preflight check: which arguments it looks at, which compiled-in read it sends
//! (and with what arguments), and how it judges the answer into [`Problem`]s, each naming the
//! wrong id and the tool that lists the right ones.

use rmcp::model::JsonObject;
use serde_json::{Value, json};

use super::Problem;

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
    pub(super) fn find_with(self) -> &'static str {
        match self {
            Check::ContactOfLocation { .. } => "contacts_get-contacts",
            _ => self.read_tool(),
        }
    }

    /// The read's arguments; `Ok(None)` when the call names nothing this check is about,
    /// `Err` when it cannot be checked (no location known).
    pub(super) fn read_args(
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
    pub(super) fn missing_fails(self) -> bool {
        matches!(self, Check::ContactOfLocation { .. })
    }

    /// Judges the read's answer; each problem names the argument, its value and what is wrong.
    pub(super) fn judge(
        self,
        args: &JsonObject,
        location: Option<&str>,
        answer: &Value,
    ) -> Vec<Problem> {
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

    pub(super) fn problem(self, argument: &str, value: &str, problem: String) -> Problem {
        Problem {
            argument: argument.to_owned(),
            value: value.to_owned(),
            problem,
            find_with: self.find_with(),
        }
    }
}

pub(super) fn str_arg<'a>(args: &'a JsonObject, name: &str) -> Option<&'a str> {
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

#[cfg(test)]
mod tests {
    use super::super::{CONTACT, CONTACT_FIELDS};
    use super::*;
    use serde_json::json;

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
