//! Contacts: get, create, update, upsert, list/search, tags and tasks.
//!
//! Duplicate rules follow a location with "Allow Duplicate Contact" off (HighLevel's default):
//! within a location, a contact is identified first by email (case-insensitive) and then by
//! phone (E.164). `POST /contacts/` with a taken email or phone is a 400 whose `meta` names the
//! existing contact; `POST /contacts/upsert` updates the contact matched by email, else by phone,
//! else creates one, and never moves an email or phone that belongs to another contact.
//!
//! Like HighLevel, `tags` in a create, update or upsert body replaces the contact's tags (the
//! tags endpoints add and remove); tags are stored trimmed and lower-cased.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use crate::SandboxState;
use crate::domain::contacts::{
    birth_date, find_match, normalize_tags, refresh_derived, set_or_clear,
};
use crate::domain::custom_fields::{Model, apply_custom_fields};
use crate::error::{ApiError, ApiResult, created, ok};
use crate::extract::{JsonBody, Kind, Params, check_body, str_of};
use crate::store::Store;
use crate::util::{is_email, normalize_phone, now_ms, parse_iso};

/// Properties of HighLevel's `CreateContactDto` / `UpsertContactDto`.
const CREATE_FIELDS: &[(&str, Kind)] = &[
    ("firstName", Kind::NullStr),
    ("lastName", Kind::NullStr),
    ("name", Kind::NullStr),
    ("email", Kind::NullStr),
    ("locationId", Kind::Str),
    ("gender", Kind::Str),
    ("phone", Kind::NullStr),
    ("address1", Kind::NullStr),
    ("city", Kind::NullStr),
    ("state", Kind::NullStr),
    ("postalCode", Kind::Str),
    ("website", Kind::NullStr),
    ("timezone", Kind::NullStr),
    ("dnd", Kind::Bool),
    ("dndSettings", Kind::Obj),
    ("inboundDndSettings", Kind::Obj),
    ("tags", Kind::StrArray),
    ("customFields", Kind::ObjArray),
    ("source", Kind::NullStr),
    ("dateOfBirth", Kind::NullStr),
    ("country", Kind::Str),
    ("companyName", Kind::NullStr),
    ("assignedTo", Kind::NullStr),
];

/// `UpsertContactDto` adds one flag to the create properties. It only matters in a location that
/// allows duplicate contacts, which the sandbox's location does not.
fn upsert_fields() -> Vec<(&'static str, Kind)> {
    let mut f = CREATE_FIELDS.to_vec();
    f.push(("createNewIfDuplicateAllowed", Kind::Bool));
    f
}

/// Properties of HighLevel's `UpdateContactDto` (no locationId, gender or companyName).
const UPDATE_FIELDS: &[(&str, Kind)] = &[
    ("firstName", Kind::NullStr),
    ("lastName", Kind::NullStr),
    ("name", Kind::NullStr),
    ("email", Kind::NullStr),
    ("phone", Kind::NullStr),
    ("address1", Kind::NullStr),
    ("city", Kind::NullStr),
    ("state", Kind::NullStr),
    ("postalCode", Kind::Str),
    ("website", Kind::NullStr),
    ("timezone", Kind::NullStr),
    ("dnd", Kind::Bool),
    ("dndSettings", Kind::Obj),
    ("inboundDndSettings", Kind::Obj),
    ("tags", Kind::StrArray),
    ("customFields", Kind::ObjArray),
    ("source", Kind::NullStr),
    ("dateOfBirth", Kind::NullStr),
    ("country", Kind::Str),
    ("assignedTo", Kind::NullStr),
];

/// Plain string properties copied as they are (null clears them).
const PLAIN: &[&str] = &[
    "gender",
    "address1",
    "city",
    "state",
    "postalCode",
    "website",
    "timezone",
    "source",
    "country",
    "companyName",
    "assignedTo",
];

fn contact_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Contact {id:?} not found; list contacts with GET /contacts/?locationId=..."
    ))
}

/// The validated, normalised email/phone of a body: `Some(None)` means "clear it".
struct Identity {
    email: Option<Option<String>>,
    phone: Option<Option<String>>,
}

fn identity(body: &Map<String, Value>) -> Result<Identity, ApiError> {
    let mut problems = Vec::new();
    let email = match body.get("email") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => {
            let e = v.as_str().unwrap_or("").trim();
            if e.is_empty() {
                Some(None)
            } else if is_email(e) {
                Some(Some(e.to_string()))
            } else {
                problems.push(format!("email must be an email, got {e:?}"));
                None
            }
        }
    };
    let phone = match body.get("phone") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => {
            let p = v.as_str().unwrap_or("").trim();
            if p.is_empty() {
                Some(None)
            } else if let Some(p) = normalize_phone(p) {
                Some(Some(p))
            } else {
                problems.push(format!(
                    "phone must be a valid phone number (E.164, like +15125550100), got {p:?}"
                ));
                None
            }
        }
    };
    if let Some(Value::String(d)) = body.get("dateOfBirth")
        && !d.is_empty()
        && birth_date(d).is_none()
    {
        problems.push(format!(
            "dateOfBirth must be a date like 1990-09-25 (YYYY-MM-DD; MM/DD/YYYY and YYYY/MM/DD also work), got {d:?}"
        ));
    }
    if problems.is_empty() {
        Ok(Identity { email, phone })
    } else {
        Err(ApiError::unprocessable(problems))
    }
}

fn duplicate_error(store: &Store, id: &str, field: &str) -> ApiError {
    let name = store
        .contacts
        .get(id)
        .and_then(|c| c["contactName"].as_str())
        .unwrap_or("")
        .to_string();
    ApiError::with_body(
        StatusCode::BAD_REQUEST,
        json!({
            "statusCode": 400,
            "message": "This location does not allow duplicated contacts.",
            "meta": { "contactName": name, "contactId": id, "matchingField": field },
        }),
    )
}

/// Applies a validated body to a contact record. Email/phone are applied by the caller.
fn apply_fields(
    store: &Store,
    location: &str,
    contact: &mut Map<String, Value>,
    body: &Map<String, Value>,
    now: &str,
) -> Result<(), ApiError> {
    if let Some(items) = body.get("customFields").and_then(Value::as_array) {
        apply_custom_fields(
            &store.custom_fields,
            location,
            Model::Contact,
            contact,
            items,
        )
        .map_err(ApiError::unprocessable)?;
    }
    for k in PLAIN {
        match body.get(*k) {
            None => {}
            Some(Value::Null) => {
                contact.remove(*k);
            }
            Some(v) => {
                contact.insert((*k).into(), v.clone());
            }
        }
    }
    for k in ["dnd", "dndSettings", "inboundDndSettings"] {
        if let Some(v) = body.get(k) {
            contact.insert(k.into(), v.clone());
        }
    }
    match body.get("dateOfBirth") {
        None => {}
        Some(Value::String(d)) if !d.is_empty() => {
            if let Some(d) = birth_date(d) {
                contact.insert("dateOfBirth".into(), Value::String(d));
            }
        }
        Some(_) => {
            contact.remove("dateOfBirth");
        }
    }
    if let Some(tags) = body.get("tags").and_then(Value::as_array) {
        let tags = normalize_tags(tags.iter().filter_map(Value::as_str));
        contact.insert("tags".into(), json!(tags));
    }
    // Names: explicit first/last win; a lone `name` is split at its first space.
    let first = body.get("firstName");
    let last = body.get("lastName");
    if first.is_none() && last.is_none() {
        if let Some(name) = body.get("name") {
            let name = name.as_str().unwrap_or("").trim();
            let (f, l) = name.split_once(' ').unwrap_or((name, ""));
            set_or_clear(contact, "firstName", f.trim());
            set_or_clear(contact, "lastName", l.trim());
        }
    } else {
        if let Some(f) = first {
            set_or_clear(contact, "firstName", f.as_str().unwrap_or("").trim());
        }
        if let Some(l) = last {
            set_or_clear(contact, "lastName", l.as_str().unwrap_or("").trim());
        }
    }
    refresh_derived(contact);
    contact.insert("dateUpdated".into(), Value::String(now.to_string()));
    Ok(())
}

fn set_identity(
    c: &mut Map<String, Value>,
    email: Option<Option<&str>>,
    phone: Option<Option<&str>>,
) {
    match email {
        Some(Some(e)) => {
            c.insert("email".into(), json!(e));
        }
        Some(None) => {
            c.remove("email");
        }
        None => {}
    }
    match phone {
        Some(Some(p)) => {
            c.insert("phone".into(), json!(p));
        }
        Some(None) => {
            c.remove("phone");
        }
        None => {}
    }
    refresh_derived(c);
}

/// A new contact record with HighLevel's defaults.
fn new_contact(store: &mut Store, location: &str, now: &str) -> Map<String, Value> {
    let id = store.new_id();
    let mut c = Map::new();
    c.insert("id".into(), json!(id));
    c.insert("locationId".into(), json!(location));
    c.insert("type".into(), json!("lead"));
    c.insert("source".into(), json!("public api"));
    c.insert("dnd".into(), json!(false));
    c.insert("tags".into(), json!([]));
    c.insert("customFields".into(), json!([]));
    c.insert("additionalEmails".into(), json!([]));
    c.insert("attributions".into(), json!([]));
    c.insert("dateAdded".into(), json!(now));
    c.insert("dateUpdated".into(), json!(now));
    c.insert("deleted".into(), json!(false));
    c
}

fn insert_contact(store: &mut Store, c: Map<String, Value>) -> Value {
    let v = Value::Object(c);
    store.put_contact(v.clone());
    v
}

/// `GET /contacts/{contactId}` (get-contact).
pub(crate) async fn get_one(State(st): State<SandboxState>, Path(id): Path<String>) -> ApiResult {
    let s = st.read();
    let c = s.contacts.get(&id).ok_or_else(|| contact_not_found(&id))?;
    ok(json!({ "contact": c }))
}

/// `POST /contacts/` (create-contact): 201, or 400 for a duplicate.
pub(crate) async fn create(State(st): State<SandboxState>, JsonBody(body): JsonBody) -> ApiResult {
    check_body(&body, CREATE_FIELDS, &["locationId"])?;
    let ident = identity(&body)?;
    let location = str_of(&body, "locationId").unwrap_or("").to_string();
    let now = crate::util::iso(now_ms());
    let mut s = st.write();
    s.require_location(&location)?;
    let email = ident.email.clone().flatten();
    let phone = ident.phone.clone().flatten();
    if let Some((id, field)) = find_match(&s, &location, email.as_deref(), phone.as_deref(), None) {
        return Err(duplicate_error(&s, &id, field));
    }
    let mut c = new_contact(&mut s, &location, &now);
    apply_fields(&s, &location, &mut c, &body, &now)?;
    set_identity(&mut c, Some(email.as_deref()), Some(phone.as_deref()));
    let v = insert_contact(&mut s, c);
    created(json!({ "contact": v }))
}

/// `POST /contacts/upsert` (upsert-contact).
pub(crate) async fn upsert(State(st): State<SandboxState>, JsonBody(body): JsonBody) -> ApiResult {
    check_body(&body, &upsert_fields(), &["locationId"])?;
    let ident = identity(&body)?;
    let location = str_of(&body, "locationId").unwrap_or("").to_string();
    let now = crate::util::iso(now_ms());
    let mut s = st.write();
    s.require_location(&location)?;
    let trace_id = s.rng.uuid();
    let email = ident.email.clone().flatten();
    let phone = ident.phone.clone().flatten();
    let matched = find_match(&s, &location, email.as_deref(), phone.as_deref(), None);
    let Some((id, _)) = matched else {
        let mut c = new_contact(&mut s, &location, &now);
        apply_fields(&s, &location, &mut c, &body, &now)?;
        set_identity(&mut c, Some(email.as_deref()), Some(phone.as_deref()));
        let v = insert_contact(&mut s, c);
        return ok(json!({ "new": true, "contact": v, "traceId": trace_id }));
    };
    let mut c = match s.contacts.get(&id) {
        Some(Value::Object(m)) => m.clone(),
        _ => return Err(contact_not_found(&id)),
    };
    apply_fields(&s, &location, &mut c, &body, &now)?;
    // Never take an email or phone that identifies a different contact: HighLevel keeps the
    // first-priority match and ignores the other field rather than creating a duplicate.
    let email_update = match &ident.email {
        Some(Some(e)) if find_match(&s, &location, Some(e), None, Some(&id)).is_some() => None,
        other => other.as_ref().map(|o| o.as_deref()),
    };
    let phone_update = match &ident.phone {
        Some(Some(p)) if find_match(&s, &location, None, Some(p), Some(&id)).is_some() => None,
        other => other.as_ref().map(|o| o.as_deref()),
    };
    set_identity(&mut c, email_update, phone_update);
    let v = Value::Object(c);
    s.put_contact(v.clone());
    ok(json!({ "new": false, "contact": v, "traceId": trace_id }))
}

/// `PUT /contacts/{contactId}` (update-contact). HighLevel spells the flag `succeded`.
pub(crate) async fn update(
    State(st): State<SandboxState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult {
    check_body(&body, UPDATE_FIELDS, &[])?;
    let ident = identity(&body)?;
    let now = crate::util::iso(now_ms());
    let mut s = st.write();
    let mut c = match s.contacts.get(&id) {
        Some(Value::Object(m)) => m.clone(),
        _ => return Err(contact_not_found(&id)),
    };
    let location = c["locationId"].as_str().unwrap_or("").to_string();
    let email = ident.email.clone().flatten();
    let phone = ident.phone.clone().flatten();
    if let Some((other, field)) =
        find_match(&s, &location, email.as_deref(), phone.as_deref(), Some(&id))
    {
        return Err(duplicate_error(&s, &other, field));
    }
    apply_fields(&s, &location, &mut c, &body, &now)?;
    set_identity(
        &mut c,
        ident.email.as_ref().map(|o| o.as_deref()),
        ident.phone.as_ref().map(|o| o.as_deref()),
    );
    let v = Value::Object(c);
    s.put_contact(v.clone());
    ok(json!({ "succeded": true, "contact": v }))
}

fn tags_body(body: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    check_body(body, &[("tags", Kind::StrArray)], &["tags"])?;
    let tags = normalize_tags(
        body["tags"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    if tags.is_empty() {
        return Err(ApiError::invalid(
            "tags must contain at least 1 non-empty tag, e.g. {\"tags\":[\"vip\"]}",
        ));
    }
    Ok(tags)
}

fn edit_tags(
    st: &SandboxState,
    id: &str,
    edit: impl FnOnce(&mut Vec<String>),
) -> Result<Vec<String>, ApiError> {
    let now = crate::util::iso(now_ms());
    let mut s = st.write();
    let Some(Value::Object(c)) = s.contacts.get_mut(id) else {
        return Err(contact_not_found(id));
    };
    let mut tags: Vec<String> = c
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    edit(&mut tags);
    c.insert("tags".into(), json!(tags));
    c.insert("dateUpdated".into(), json!(now));
    Ok(tags)
}

/// `POST /contacts/{contactId}/tags` (add-tags): 201 with all tags now on the contact.
pub(crate) async fn add_tags(
    State(st): State<SandboxState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let add = tags_body(&body)?;
    let tags = edit_tags(&st, &id, |tags| {
        for t in add {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
    })?;
    created(json!({ "tags": tags }))
}

/// `DELETE /contacts/{contactId}/tags` (remove-tags; the body rides on the DELETE): the tags left.
pub(crate) async fn remove_tags(
    State(st): State<SandboxState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let remove = tags_body(&body)?;
    let tags = edit_tags(&st, &id, |tags| tags.retain(|t| !remove.contains(t)))?;
    ok(json!({ "tags": tags }))
}

/// `GET /contacts/{contactId}/tasks` (get-all-tasks).
pub(crate) async fn tasks(State(st): State<SandboxState>, Path(id): Path<String>) -> ApiResult {
    let s = st.read();
    if !s.contacts.contains_key(&id) {
        return Err(contact_not_found(&id));
    }
    let tasks = s.tasks.get(&id).cloned().unwrap_or_default();
    ok(json!({ "tasks": tasks }))
}

fn matches_query(c: &Value, q: &str) -> bool {
    let q = q.to_lowercase();
    let qd: String = q.chars().filter(char::is_ascii_digit).collect();
    ["fullNameLowerCase", "emailLowerCase", "companyName", "city"]
        .iter()
        .any(|k| {
            c[*k]
                .as_str()
                .is_some_and(|v| v.to_lowercase().contains(&q))
        })
        || (qd.len() >= 3 && c["phone"].as_str().is_some_and(|p| p.contains(&qd)))
        || c["tags"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t.as_str() == Some(q.as_str())))
}

/// `GET /contacts/` (get-contacts, deprecated by HighLevel but in its official tool set).
///
/// Contacts come in creation order. Paging is by cursor: `meta.startAfterId`/`meta.startAfter`
/// of one page, passed back as query parameters, give the next. The official schema declares
/// `{contacts, count}`; HighLevel also sends `meta`, so both are here.
pub(crate) async fn list(
    State(st): State<SandboxState>,
    headers: HeaderMap,
    params: Params,
) -> ApiResult {
    let location = params.require("locationId")?;
    let limit = params.count("limit", 20, 1, 100)?;
    let start_after = params
        .number("startAfter", 0.0, f64::MAX)?
        .map(|n| n as i64);
    let query = params.get("query");
    let s = st.read();
    s.require_location(location)?;
    let all: Vec<&Value> = s
        .contact_order
        .iter()
        .filter_map(|id| s.contacts.get(id))
        .filter(|c| c["locationId"] == location)
        .filter(|c| query.is_none_or(|q| matches_query(c, q)))
        .collect();
    let mut start = 0;
    if let Some(after_id) = params.get("startAfterId") {
        start = all
            .iter()
            .position(|c| c["id"] == after_id)
            .map(|p| p + 1)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "startAfterId {after_id:?} is not a contact in this listing; pass meta.startAfterId from the previous page"
                ))
            })?;
    } else if let Some(after) = start_after {
        start = all
            .iter()
            .position(|c| added_ms(c) > after)
            .unwrap_or(all.len());
    }
    let page: Vec<&Value> = all.iter().skip(start).take(limit).copied().collect();
    let end = start + page.len();
    let current = start / limit + 1;
    let last = page.last();
    let next_url = if end < all.len() {
        let last = last.copied().unwrap_or(&Value::Null);
        let mut url = format!(
            "{}/contacts/?locationId={location}&limit={limit}&startAfterId={}&startAfter={}",
            super::origin(&headers),
            last["id"].as_str().unwrap_or(""),
            added_ms(last)
        );
        if let Some(q) = query {
            url.push_str("&query=");
            url.push_str(&encode(q));
        }
        Value::String(url)
    } else {
        Value::Null
    };
    ok(json!({
        "contacts": page,
        "count": all.len(),
        "meta": super::without_nulls(json!({
            "total": all.len(),
            "nextPageUrl": next_url,
            "startAfterId": last.map(|c| c["id"].clone()).unwrap_or(Value::Null),
            "startAfter": last.map(|c| json!(added_ms(c))).unwrap_or(Value::Null),
            "currentPage": current,
            "nextPage": if end < all.len() { json!(current + 1) } else { Value::Null },
            "prevPage": if current > 1 { json!(current - 1) } else { Value::Null },
        })),
    }))
}

fn added_ms(c: &Value) -> i64 {
    c["dateAdded"].as_str().and_then(parse_iso).unwrap_or(0)
}

/// Percent-encodes a query value.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
