//! Opportunities: search, pipelines, get and update.
//!
//! Search takes HighLevel's snake_case filters (`location_id`, `pipeline_id`,
//! `pipeline_stage_id`, `contact_id`, `assigned_to`) and pages either by `page` or by the
//! `startAfterId`/`startAfter` cursor from `meta`. Opportunities are answered with their contact
//! embedded (`contact: {id, name, companyName, email, phone, tags}`), joined at read time so it
//! always shows the contact's current data. Updating the stage stamps `lastStageChangeAt`;
//! updating the status stamps `lastStatusChangeAt`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value, json};

use crate::SandboxState;
use crate::domain::custom_fields::{Model, apply_custom_fields};
use crate::error::{ApiError, ApiResult, ok};
use crate::extract::{JsonBody, Kind, Params, check_body, str_of};
use crate::store::Store;
use crate::util::{iso, ms_of, now_ms, parse_iso};

const UPDATE_FIELDS: &[(&str, Kind)] = &[
    ("pipelineId", Kind::Str),
    ("name", Kind::Str),
    ("pipelineStageId", Kind::Str),
    ("status", Kind::Str),
    ("monetaryValue", Kind::Num),
    ("assignedTo", Kind::Str),
    ("customFields", Kind::ObjArray),
];

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Opportunity {id:?} not found; find opportunities with GET /opportunities/search?location_id=..."
    ))
}

/// The opportunity with its contact embedded (and, on request, tasks and calendar events).
fn view(s: &Store, o: &Value, tasks: bool, events: bool, notes: bool) -> Value {
    let mut v = o.clone();
    let contact_id = o["contactId"].as_str().unwrap_or("");
    if let Some(c) = s.contacts.get(contact_id) {
        v["contact"] = json!({
            "id": c["id"],
            "name": c.get("contactName").cloned().unwrap_or(json!("")),
            "companyName": c.get("companyName").cloned().unwrap_or(json!("")),
            "email": c.get("email").cloned().unwrap_or(json!("")),
            "phone": c.get("phone").cloned().unwrap_or(json!("")),
            "tags": c.get("tags").cloned().unwrap_or(json!([])),
        });
    }
    if tasks {
        v["tasks"] = json!(s.tasks.get(contact_id).cloned().unwrap_or_default());
    }
    if events {
        let ev: Vec<&Value> = s
            .events
            .iter()
            .filter(|e| e["contactId"] == contact_id)
            .collect();
        v["calendarEvents"] = json!(ev);
    }
    if notes {
        v["notes"] = json!([]);
    }
    v
}

fn created_ms(o: &Value) -> i64 {
    o["createdAt"].as_str().and_then(parse_iso).unwrap_or(0)
}

/// `mm-dd-yyyy`, HighLevel's format for the `date`/`endDate` filters.
fn mdy(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(raw) = params.get(name) else {
        return Ok(None);
    };
    let parts: Vec<&str> = raw.split('-').collect();
    let parsed = match parts.as_slice() {
        [m, d, y] => match (m.parse::<i64>(), d.parse::<i64>(), y.parse::<i64>()) {
            (Ok(m), Ok(d), Ok(y)) if (1..=12).contains(&m) && (1..=31).contains(&d) => {
                Some(ms_of(y, m, d, 0, 0))
            }
            _ => None,
        },
        _ => None,
    };
    parsed.map(Some).ok_or_else(|| {
        ApiError::invalid(format!(
            "{name} must be a date in mm-dd-yyyy form, like 11-23-2026; got {raw:?}"
        ))
    })
}

fn flag(params: &Params, name: &str) -> Result<bool, ApiError> {
    Ok(params.one_of(name, &["true", "false"])? == Some("true"))
}

/// `GET /opportunities/search` (search-opportunity).
pub(crate) async fn search(
    State(st): State<SandboxState>,
    headers: HeaderMap,
    params: Params,
) -> ApiResult {
    let Some(location) = params.get("location_id") else {
        return Err(ApiError::invalid(if params.get("locationId").is_some() {
            "location_id should not be empty: this endpoint spells it location_id, not locationId"
        } else {
            "location_id should not be empty: pass it as a query parameter"
        }));
    };
    let limit = params.count("limit", 20, 1, 100)?;
    let page_no = params.count("page", 1, 1, 1_000_000)?;
    let status = params
        .one_of("status", &["open", "won", "lost", "abandoned", "all"])?
        .unwrap_or("all");
    let order = params
        .one_of("order", &["added_asc", "added_desc"])?
        .unwrap_or("added_desc");
    let from = mdy(&params, "date")?;
    let to = mdy(&params, "endDate")?;
    let (get_tasks, get_events, get_notes) = (
        flag(&params, "getTasks")?,
        flag(&params, "getCalendarEvents")?,
        flag(&params, "getNotes")?,
    );
    let start_after = params
        .number("startAfter", 0.0, f64::MAX)?
        .map(|n| n as i64);
    let q = params.get("q").map(str::to_lowercase);
    let s = st.read();
    s.require_location(location)?;
    let mut all: Vec<Value> = s
        .opportunity_order
        .iter()
        .filter_map(|id| s.opportunities.get(id))
        .filter(|o| o["locationId"] == location)
        .filter(|o| {
            params
                .get("pipeline_id")
                .is_none_or(|p| o["pipelineId"] == p)
        })
        .filter(|o| {
            params
                .get("pipeline_stage_id")
                .is_none_or(|p| o["pipelineStageId"] == p)
        })
        .filter(|o| params.get("contact_id").is_none_or(|c| o["contactId"] == c))
        .filter(|o| {
            params
                .get("assigned_to")
                .is_none_or(|a| o["assignedTo"] == a)
        })
        .filter(|o| params.get("id").is_none_or(|id| o["id"] == id))
        .filter(|o| {
            params.get("country").is_none_or(|country| {
                o["contactId"]
                    .as_str()
                    .and_then(|c| s.contacts.get(c))
                    .is_some_and(|c| {
                        c["country"]
                            .as_str()
                            .is_some_and(|x| x.eq_ignore_ascii_case(country))
                    })
            })
        })
        // The sandbox has no campaigns: a campaign filter matches nothing.
        .filter(|_| params.get("campaignId").is_none())
        .filter(|o| status == "all" || o["status"] == status)
        .filter(|o| {
            let t = created_ms(o);
            from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e + 86_400_000)
        })
        .map(|o| view(&s, o, get_tasks, get_events, get_notes))
        .filter(|o| {
            q.as_ref().is_none_or(|q| {
                o["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().contains(q))
                    || ["name", "email", "phone", "companyName"].iter().any(|k| {
                        o["contact"][*k]
                            .as_str()
                            .is_some_and(|v| v.to_lowercase().contains(q))
                    })
            })
        })
        .collect();
    all.sort_by(|a, b| {
        let o = created_ms(a)
            .cmp(&created_ms(b))
            .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()));
        if order == "added_asc" { o } else { o.reverse() }
    });
    let total = all.len();
    let start = if let Some(after_id) = params.get("startAfterId") {
        all.iter()
            .position(|o| o["id"] == after_id)
            .map(|p| p + 1)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "startAfterId {after_id:?} is not in this result set; pass meta.startAfterId from the previous page"
                ))
            })?
    } else if let Some(after) = start_after {
        all.iter()
            .position(|o| {
                if order == "added_asc" {
                    created_ms(o) > after
                } else {
                    created_ms(o) < after
                }
            })
            .unwrap_or(total)
    } else {
        (page_no - 1).saturating_mul(limit).min(total)
    };
    let page: Vec<Value> = all.into_iter().skip(start).take(limit).collect();
    let end = start + page.len();
    let current = start / limit + 1;
    let last = page.last();
    let next_url = match last {
        Some(last) if end < total => json!(format!(
            "{}/opportunities/search?location_id={location}&limit={limit}&page={}&startAfterId={}&startAfter={}",
            super::origin(&headers),
            current + 1,
            last["id"].as_str().unwrap_or(""),
            created_ms(last)
        )),
        _ => Value::Null,
    };
    let meta = super::without_nulls(json!({
        "total": total,
        "nextPageUrl": next_url,
        "startAfterId": last.map(|o| o["id"].clone()).unwrap_or(Value::Null),
        "startAfter": last.map(|o| json!(created_ms(o))).unwrap_or(Value::Null),
        "currentPage": current,
        "nextPage": if end < total { json!(current + 1) } else { Value::Null },
        "prevPage": if current > 1 { json!(current - 1) } else { Value::Null },
    }));
    ok(json!({ "opportunities": page, "meta": meta, "aggregations": {} }))
}

/// `GET /opportunities/pipelines` (get-pipelines).
pub(crate) async fn pipelines(State(st): State<SandboxState>, params: Params) -> ApiResult {
    let location = params.require("locationId")?;
    let s = st.read();
    s.require_location(location)?;
    let list: Vec<&Value> = s
        .pipelines
        .iter()
        .filter(|p| p["locationId"] == location)
        .collect();
    ok(json!({ "pipelines": list }))
}

/// `GET /opportunities/{id}` (get-opportunity).
pub(crate) async fn get_one(State(st): State<SandboxState>, Path(id): Path<String>) -> ApiResult {
    let s = st.read();
    let o = s.opportunities.get(&id).ok_or_else(|| not_found(&id))?;
    ok(json!({ "opportunity": view(&s, o, false, false, false) }))
}

/// `PUT /opportunities/{id}` (update-opportunity).
pub(crate) async fn update(
    State(st): State<SandboxState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult {
    check_body(&body, UPDATE_FIELDS, &[])?;
    let mut problems = Vec::new();
    match str_of(&body, "status") {
        None | Some("open" | "won" | "lost" | "abandoned") => {}
        Some("all") => problems.push(
            "status all is a search filter, not a status: use open, won, lost or abandoned"
                .to_string(),
        ),
        Some(other) => problems.push(format!(
            "status must be one of the following values: open, won, lost, abandoned; got {other:?}"
        )),
    }
    if body.get("name").is_some() && str_of(&body, "name").is_none() {
        problems.push("name should not be empty".into());
    }
    if body
        .get("monetaryValue")
        .and_then(Value::as_f64)
        .is_some_and(|v| v < 0.0)
    {
        problems.push("monetaryValue must not be less than 0".into());
    }
    if !problems.is_empty() {
        return Err(ApiError::unprocessable(problems));
    }
    let now = iso(now_ms());
    let mut s = st.write();
    let mut o: Map<String, Value> = match s.opportunities.get(&id) {
        Some(Value::Object(m)) => m.clone(),
        _ => return Err(not_found(&id)),
    };
    let location = o["locationId"].as_str().unwrap_or("").to_string();
    let old_pipeline = o["pipelineId"].as_str().unwrap_or("").to_string();
    let pipeline_id = str_of(&body, "pipelineId")
        .unwrap_or(&old_pipeline)
        .to_string();
    let Some(pipeline) = s
        .pipelines
        .iter()
        .find(|p| p["id"] == pipeline_id.as_str() && p["locationId"] == location.as_str())
    else {
        return Err(ApiError::bad_request(format!(
            "pipelineId {pipeline_id:?} is not a pipeline of this location; list them with GET /opportunities/pipelines?locationId={location}"
        )));
    };
    let stage = match str_of(&body, "pipelineStageId") {
        Some(stage) => stage.to_string(),
        None if pipeline_id != old_pipeline => {
            return Err(ApiError::invalid(
                "pipelineStageId should not be empty when pipelineId changes: name the stage in the new pipeline",
            ));
        }
        None => o["pipelineStageId"].as_str().unwrap_or("").to_string(),
    };
    let stage_known = pipeline["stages"]
        .as_array()
        .is_some_and(|st| st.iter().any(|x| x["id"] == stage.as_str()));
    if !stage_known {
        let names: Vec<String> = pipeline["stages"]
            .as_array()
            .map(|st| {
                st.iter()
                    .map(|x| {
                        format!(
                            "{} ({})",
                            x["id"].as_str().unwrap_or(""),
                            x["name"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        return Err(ApiError::bad_request(format!(
            "pipelineStageId {stage:?} is not a stage of pipeline {pipeline_id:?}; its stages are: {}",
            names.join(", ")
        )));
    }
    if let Some(items) = body.get("customFields").and_then(Value::as_array) {
        apply_custom_fields(
            &s.custom_fields,
            &location,
            Model::Opportunity,
            &mut o,
            items,
        )
        .map_err(ApiError::unprocessable)?;
    }
    if o["pipelineStageId"] != stage.as_str() || o["pipelineId"] != pipeline_id.as_str() {
        o.insert("lastStageChangeAt".into(), json!(now));
    }
    o.insert("pipelineId".into(), json!(pipeline_id));
    o.insert("pipelineStageId".into(), json!(stage));
    if let Some(status) = str_of(&body, "status") {
        if o["status"] != status {
            o.insert("lastStatusChangeAt".into(), json!(now));
        }
        o.insert("status".into(), json!(status));
    }
    for k in ["name", "monetaryValue", "assignedTo"] {
        if let Some(v) = body.get(k) {
            o.insert(k.into(), v.clone());
        }
    }
    o.insert("updatedAt".into(), json!(now));
    o.insert("lastActionDate".into(), json!(now));
    let v = Value::Object(o);
    s.opportunities.insert(id, v.clone());
    ok(json!({ "opportunity": view(&s, &v, false, false, false) }))
}
