//! Social planner: connected accounts and groups, posts (create, get, edit, list) and the
//! statistics of connected accounts.
//!
//! Answers wear HighLevel's envelope `{success, statusCode, message, results}` (the statistics
//! answer only `{results, message, traceId}`), and the status codes are the file's: create,
//! list and statistics answer 201 (list and statistics are POSTs), get and edit 200; edit
//! answers no post.
//!
//! A post names one or more connected accounts; its `platform` and `accountId` are those of the
//! first. Without a `status`, a create publishes at once, or schedules when it has a
//! `scheduleDate`; a scheduled post's date must be in the future, and a published post stays
//! published. The list body's `skip`, `limit` and `includeUsers` are strings in HighLevel's file;
//! numbers and booleans are taken too. `recent` lists like `all` but by last update; the other
//! list types order by `displayDate`, newest first.

use axum::extract::{Path, State};
use serde_json::{Map, Value, json};

use crate::SandboxState;
use crate::domain::social::{
    LIST_TYPES, POST_STATUSES, POST_TYPES, SETTABLE_STATUSES, STAT_PLATFORMS, list_selects,
    post_problems, statistics as build_statistics,
};
use crate::error::{ApiError, ApiResult, created, ok};
use crate::extract::{JsonBody, Kind, Params, check_body, str_of};
use crate::store::Store;
use crate::util::{iso, now_ms, parse_iso};

/// Properties of HighLevel's `CreatePostDTO` (and of `PostCreateRequest`, the edit body).
const POST_FIELDS: &[(&str, Kind)] = &[
    ("accountIds", Kind::StrArray),
    ("summary", Kind::Str),
    ("media", Kind::ObjArray),
    ("status", Kind::Str),
    ("scheduleDate", Kind::Str),
    ("createdBy", Kind::Str),
    ("followUpComment", Kind::Str),
    ("ogTagsDetails", Kind::Obj),
    ("type", Kind::Str),
    ("postApprovalDetails", Kind::Obj),
    ("scheduleTimeUpdated", Kind::Bool),
    ("tags", Kind::StrArray),
    ("categoryId", Kind::Str),
    ("tiktokPostDetails", Kind::Obj),
    ("gmbPostDetails", Kind::Obj),
    ("userId", Kind::Str),
];

/// Copied from a create or edit body into the post as they are.
const COPIED: &[&str] = &[
    "accountIds",
    "summary",
    "media",
    "createdBy",
    "followUpComment",
    "ogTagsDetails",
    "type",
    "postApprovalDetails",
    "tags",
    "categoryId",
    "tiktokPostDetails",
    "gmbPostDetails",
    "userId",
];

/// Properties of HighLevel's `SearchPostDTO`.
const LIST_FIELDS: &[(&str, Kind)] = &[
    ("type", Kind::Str),
    ("accounts", Kind::Str),
    ("skip", Kind::Any),
    ("limit", Kind::Any),
    ("fromDate", Kind::Str),
    ("toDate", Kind::Str),
    ("includeUsers", Kind::Any),
    ("postType", Kind::Str),
];

fn envelope(status: u16, message: &str, results: Option<Value>) -> Value {
    let mut v = json!({ "success": true, "statusCode": status, "message": message });
    if let Some(r) = results {
        v["results"] = r;
    }
    v
}

fn post_not_found(location: &str, id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Social post {id:?} not found in location {location:?}; list posts with POST /social-media-posting/{location}/posts/list"
    ))
}

/// HighLevel's `user` of a post, built from the location's staff user.
fn user_view(s: &Store, user_id: &str) -> Option<Value> {
    let (id, name) = s.users.iter().find(|(id, _)| id == user_id)?;
    let (title, rest) = match name.strip_prefix("Dr. ") {
        Some(rest) => ("Dr.", rest),
        None => ("", name.as_str()),
    };
    let (first, last) = rest.split_once(' ').unwrap_or((rest, ""));
    Some(json!({
        "id": id, "title": title, "firstName": first, "lastName": last, "profilePhoto": "",
        "phone": "",
        "email": format!("{}.{}@brightside-dental.example.com", first.to_lowercase(), last.to_lowercase()),
    }))
}

fn view(s: &Store, post: &Value, with_user: bool) -> Value {
    let mut v = post.clone();
    if with_user && let Some(u) = post["userId"].as_str().and_then(|id| user_view(s, id)) {
        v["user"] = u;
    }
    v
}

/// Value checks of a create or edit body that need no stored record.
fn value_problems(body: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(t) = str_of(body, "type")
        && !POST_TYPES.contains(&t)
    {
        problems.push(format!(
            "type must be one of the following values: {}; got {t:?}",
            POST_TYPES.join(", ")
        ));
    }
    if let Some(st) = str_of(body, "status") {
        if !POST_STATUSES.contains(&st) {
            problems.push(format!(
                "status must be one of the following values: {}; got {st:?}",
                POST_STATUSES.join(", ")
            ));
        } else if !SETTABLE_STATUSES.contains(&st) {
            problems.push(format!(
                "status {st:?} is reached through HighLevel's own processing and cannot be set; set one of {}",
                SETTABLE_STATUSES.join(", ")
            ));
        }
    }
    if let Some(d) = str_of(body, "scheduleDate")
        && parse_iso(d).is_none()
    {
        problems.push(format!(
            "scheduleDate must be an ISO 8601 date-time like 2026-12-01T15:00:00.000Z; got {d:?}"
        ));
    }
    if let Some(media) = body.get("media").and_then(Value::as_array) {
        for (i, m) in media.iter().enumerate() {
            if m.get("url")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                problems.push(format!("media.{i}.url should not be empty"));
            }
        }
    }
    if body
        .get("accountIds")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        problems.push(
            "accountIds should not be empty: name at least one connected account".to_string(),
        );
    }
    problems
}

/// Checks that every account a body names is connected to the location (400 otherwise).
fn check_accounts(s: &Store, location: &str, body: &Map<String, Value>) -> Result<(), ApiError> {
    let unknown: Vec<&str> = body
        .get("accountIds")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|id| {
            !s.marketing
                .social_accounts
                .iter()
                .any(|a| a["id"] == *id && a["locationId"] == location)
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "accountIds {unknown:?} are not accounts connected to location {location:?}; list them with GET /social-media-posting/{location}/accounts"
        )))
    }
}

/// Writes a checked body into `post` (a copy of the stored one, or a new one) and derives the
/// members that follow from it. `Err` lists what keeps the result from being a valid post.
fn apply(
    s: &mut Store,
    post: &mut Map<String, Value>,
    body: &Map<String, Value>,
) -> Result<(), ApiError> {
    let now = now_ms();
    let was = post
        .get("status")
        .and_then(Value::as_str)
        .map(str::to_string);
    for k in COPIED {
        if let Some(v) = body.get(*k) {
            post.insert((*k).into(), v.clone());
        }
    }
    if let Some(d) = str_of(body, "scheduleDate").and_then(parse_iso) {
        post.insert("scheduleDate".into(), json!(iso(d)));
    }
    let status = match (str_of(body, "status"), &was) {
        (Some(st), _) => st.to_string(),
        (None, Some(old)) => old.clone(),
        (None, None) if post.contains_key("scheduleDate") => "scheduled".into(),
        (None, None) => "published".into(),
    };
    let mut problems = Vec::new();
    if was.as_deref() == Some("published") && status != "published" {
        problems.push(format!(
            "status cannot change from published to {status}: the post is already out; create a new post instead"
        ));
    }
    post.insert("status".into(), json!(status));
    let schedule = post
        .get("scheduleDate")
        .and_then(Value::as_str)
        .and_then(parse_iso);
    if status == "scheduled" && schedule.is_some_and(|d| d <= now) {
        problems.push("scheduleDate must be in the future for a scheduled post".to_string());
    }
    problems.extend(post_problems(post));
    if !problems.is_empty() {
        return Err(ApiError::unprocessable(problems));
    }
    let first = post
        .get("accountIds")
        .and_then(|a| a[0].as_str())
        .unwrap_or("")
        .to_string();
    let platform = s
        .marketing
        .social_accounts
        .iter()
        .find(|a| a["id"] == first.as_str())
        .map_or(json!(""), |a| a["platform"].clone());
    post.insert("accountId".into(), json!(first));
    post.insert("platform".into(), platform);
    if status == "published" && was.as_deref() != Some("published") {
        post.insert("publishedAt".into(), json!(iso(now)));
        let digits: String = (0..15)
            .map(|_| char::from(b'1' + s.rng.below(9) as u8))
            .collect();
        post.insert("postId".into(), json!(digits));
    }
    let display = match status.as_str() {
        "published" => post.get("publishedAt").cloned(),
        _ => post.get("scheduleDate").cloned(),
    };
    let display =
        display.unwrap_or_else(|| post.get("createdAt").cloned().unwrap_or(json!(iso(now))));
    post.insert("displayDate".into(), display);
    post.insert("updatedAt".into(), json!(iso(now)));
    Ok(())
}

/// `GET /social-media-posting/{locationId}/accounts` (get-account).
pub(crate) async fn accounts(
    State(st): State<SandboxState>,
    Path(location): Path<String>,
) -> ApiResult {
    let s = st.read();
    s.require_location(&location)?;
    let of = |list: &[Value]| -> Vec<Value> {
        list.iter()
            .filter(|v| v["locationId"] == location.as_str())
            .cloned()
            .collect()
    };
    let results = json!({
        "accounts": of(&s.marketing.social_accounts),
        "groups": of(&s.marketing.social_groups),
    });
    ok(envelope(200, "Fetched Accounts", Some(results)))
}

/// `POST /social-media-posting/{locationId}/posts` (create-post): 201.
pub(crate) async fn create(
    State(st): State<SandboxState>,
    Path(location): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult {
    check_body(&body, POST_FIELDS, &["type", "accountIds", "userId"])?;
    let problems = value_problems(&body);
    if !problems.is_empty() {
        return Err(ApiError::unprocessable(problems));
    }
    let mut s = st.write();
    s.require_location(&location)?;
    check_accounts(&s, &location, &body)?;
    let now = iso(now_ms());
    let mut post = Map::new();
    post.insert("_id".into(), json!(s.rng.hex24()));
    post.insert("source".into(), json!("composer"));
    post.insert("locationId".into(), json!(location));
    post.insert("error".into(), json!(""));
    post.insert("tags".into(), json!([]));
    post.insert("media".into(), json!([]));
    post.insert("createdAt".into(), json!(now));
    apply(&mut s, &mut post, &body)?;
    let post = Value::Object(post);
    let answer = view(&s, &post, true);
    s.marketing.social_posts.push(post);
    created(envelope(
        201,
        "Created Post",
        Some(json!({ "post": answer })),
    ))
}

/// `GET /social-media-posting/{locationId}/posts/{id}` (get-post).
pub(crate) async fn get_one(
    State(st): State<SandboxState>,
    Path((location, id)): Path<(String, String)>,
) -> ApiResult {
    let s = st.read();
    s.require_location(&location)?;
    let post = s
        .marketing
        .social_posts
        .iter()
        .find(|p| p["_id"] == id.as_str() && p["locationId"] == location.as_str())
        .ok_or_else(|| post_not_found(&location, &id))?;
    ok(envelope(
        200,
        "Fetched Post",
        Some(json!({ "post": view(&s, post, true) })),
    ))
}

/// `PUT /social-media-posting/{locationId}/posts/{id}` (edit-post): the members sent replace
/// the post's; the answer carries no post.
pub(crate) async fn edit(
    State(st): State<SandboxState>,
    Path((location, id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> ApiResult {
    check_body(&body, POST_FIELDS, &["type"])?;
    let problems = value_problems(&body);
    if !problems.is_empty() {
        return Err(ApiError::unprocessable(problems));
    }
    let mut s = st.write();
    s.require_location(&location)?;
    let at = s
        .marketing
        .social_posts
        .iter()
        .position(|p| p["_id"] == id.as_str() && p["locationId"] == location.as_str())
        .ok_or_else(|| post_not_found(&location, &id))?;
    check_accounts(&s, &location, &body)?;
    let Value::Object(mut post) = s.marketing.social_posts[at].clone() else {
        return Err(post_not_found(&location, &id));
    };
    apply(&mut s, &mut post, &body)?;
    s.marketing.social_posts[at] = Value::Object(post);
    ok(envelope(200, "Updated Post", None))
}

/// A count-like member of the list body, given as a string of digits or as a number.
fn body_count(body: &Map<String, Value>, k: &str, max: u64) -> Result<usize, String> {
    let n = match &body[k] {
        Value::String(s) => s.trim().parse::<u64>().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    };
    match n {
        Some(n) if n <= max => Ok(n as usize),
        _ => Err(format!(
            "{k} must be a whole number from 0 to {max} (as a string, like \"10\"); got {}",
            body[k]
        )),
    }
}

/// `POST /social-media-posting/{locationId}/posts/list` (get-posts): 201 with
/// `{results: {posts, count}}`, `count` being every match before paging.
pub(crate) async fn list(
    State(st): State<SandboxState>,
    Path(location): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult {
    check_body(
        &body,
        LIST_FIELDS,
        &["skip", "limit", "fromDate", "toDate", "includeUsers"],
    )?;
    let mut problems = Vec::new();
    let skip = body_count(&body, "skip", u32::MAX as u64).map_err(|e| problems.push(e));
    let limit = body_count(&body, "limit", 100).map_err(|e| problems.push(e));
    let include_users = match &body["includeUsers"] {
        Value::Bool(b) => *b,
        Value::String(s) if s == "true" || s == "false" => s == "true",
        other => {
            problems.push(format!(
                "includeUsers must be \"true\" or \"false\"; got {other}"
            ));
            false
        }
    };
    let mut date = |k: &str| {
        let raw = str_of(&body, k).unwrap_or("");
        parse_iso(raw).ok_or_else(|| {
            problems.push(format!(
                "{k} must be an ISO 8601 date-time like 2026-11-01T00:00:00.000Z; got {raw:?}"
            ))
        })
    };
    let from = date("fromDate");
    let to = date("toDate");
    let kind = str_of(&body, "type").unwrap_or("all");
    if !LIST_TYPES.contains(&kind) {
        problems.push(format!(
            "type must be one of the following values: {}; got {kind:?}",
            LIST_TYPES.join(", ")
        ));
    }
    let post_type = str_of(&body, "postType");
    if let Some(t) = post_type
        && !POST_TYPES.contains(&t)
    {
        problems.push(format!(
            "postType must be one of the following values: {}; got {t:?}",
            POST_TYPES.join(", ")
        ));
    }
    let (Ok(skip), Ok(limit), Ok(from), Ok(to), true) =
        (skip, limit, from, to, problems.is_empty())
    else {
        return Err(ApiError::unprocessable(problems));
    };
    if from > to {
        return Err(ApiError::invalid(
            "fromDate must not be after toDate: the window runs from fromDate to toDate",
        ));
    }
    let accounts: Option<Vec<&str>> = str_of(&body, "accounts").map(|a| {
        a.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .collect()
    });
    let s = st.read();
    s.require_location(&location)?;
    let ms = |p: &Value, k: &str| p[k].as_str().and_then(parse_iso).unwrap_or(0);
    let mut found: Vec<&Value> = s
        .marketing
        .social_posts
        .iter()
        .filter(|p| p["locationId"] == location.as_str())
        .filter(|p| list_selects(kind, p))
        .filter(|p| post_type.is_none_or(|t| p["type"] == t))
        .filter(|p| {
            accounts.as_ref().is_none_or(|list| {
                p["accountIds"].as_array().is_some_and(|a| {
                    a.iter()
                        .any(|x| x.as_str().is_some_and(|x| list.contains(&x)))
                })
            })
        })
        .filter(|p| (from..=to).contains(&ms(p, "displayDate")))
        .collect();
    let order = if kind == "recent" {
        "updatedAt"
    } else {
        "displayDate"
    };
    found.sort_by_key(|p| std::cmp::Reverse(ms(p, order)));
    let count = found.len();
    let posts: Vec<Value> = found
        .into_iter()
        .skip(skip)
        .take(limit)
        .map(|p| view(&s, p, include_users))
        .collect();
    created(envelope(
        201,
        "Fetched Posts",
        Some(json!({ "posts": posts, "count": count })),
    ))
}

/// `POST /social-media-posting/statistics?locationId=` (get-social-media-statistics): 201 with
/// `{results, message, traceId}` for the accounts whose `profileId`s the body names.
pub(crate) async fn statistics(
    State(st): State<SandboxState>,
    params: Params,
    body: Option<JsonBody>,
) -> ApiResult {
    let location = params.require("locationId")?;
    let body = body.map(|JsonBody(b)| b).unwrap_or_default();
    check_body(
        &body,
        &[
            ("profileIds", Kind::StrArray),
            ("platforms", Kind::StrArray),
        ],
        &["profileIds"],
    )?;
    let strings = |k: &str| -> Vec<&str> {
        body.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    let profiles = strings("profileIds");
    let platforms = body.get("platforms").map(|_| strings("platforms"));
    let mut problems = Vec::new();
    if profiles.is_empty() {
        problems.push("profileIds must contain at least 1 element".to_string());
    }
    for p in platforms.iter().flatten() {
        if !STAT_PLATFORMS.contains(p) {
            problems.push(format!(
                "platforms must contain only these values: {}; got {p:?}",
                STAT_PLATFORMS.join(", ")
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::unprocessable(problems));
    }
    let mut s = st.write();
    s.require_location(location)?;
    let metrics = &s.marketing.social_metrics;
    let unknown: Vec<&&str> = profiles
        .iter()
        .filter(|p| {
            !metrics
                .iter()
                .any(|m| m.profile_id == **p && m.location_id == location)
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::bad_request(format!(
            "profileIds {unknown:?} are not connected accounts of location {location:?}; use the profileId of an account from GET /social-media-posting/{location}/accounts"
        )));
    }
    let allowed = |platform: &str| platforms.as_ref().is_none_or(|p| p.contains(&platform));
    let selected: Vec<_> = metrics
        .iter()
        .filter(|m| m.location_id == location && profiles.contains(&m.profile_id.as_str()))
        .filter(|m| allowed(&m.platform))
        .collect();
    let first_day = metrics
        .iter()
        .find(|m| m.location_id == location)
        .map_or(now_ms() - 14 * 86_400_000, |m| m.first_day_ms);
    // One published post counts once per selected account it went out on.
    let mut posts = Vec::new();
    for p in &s.marketing.social_posts {
        if p["locationId"] != location || p["status"] != "published" {
            continue;
        }
        let at = p["publishedAt"].as_str().and_then(parse_iso).unwrap_or(0);
        for id in p["accountIds"].as_array().into_iter().flatten() {
            let account = s.marketing.social_accounts.iter().find(|a| a["id"] == *id);
            if let Some(a) = account
                && let (Some(profile), Some(platform)) =
                    (a["profileId"].as_str(), a["platform"].as_str())
                && selected.iter().any(|m| m.profile_id == profile)
            {
                posts.push((platform.to_string(), at));
            }
        }
    }
    let results = build_statistics(first_day, &selected, &posts);
    let trace = s.rng.uuid();
    created(json!({
        "results": results,
        "message": "Analytics Built Successfully",
        "traceId": trace,
    }))
}
