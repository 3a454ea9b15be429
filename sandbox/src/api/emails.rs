//! Email builder templates: create a template (or folder) and list them.
//!
//! HighLevel's file declares the list answer as one template object; real clients read an array
//! under `builders`, so the sandbox answers `{builders: [template], total}` (every
//! member of the declared object is a member of each template).
//!
//! The file also lists `importProvider` as required for every create. It only means something
//! when importing (`type: import`), so the sandbox requires it (with `importURL`) for imports
//! only, as it already relaxes `subType`/`status` of a message send; any provider sent with
//! another type is still checked against HighLevel's three values.
//!
//! List defaults follow the file: 10 per page, newest `lastUpdated` first, archived ones hidden,
//! and only the current builder (`builderVersion` 2) unless asked for `1`. `originId` is taken
//! and not used: every template of the sandbox originates in its own location.

use axum::extract::State;
use serde_json::{Map, Value, json};

use crate::SandboxState;
use crate::error::{ApiError, ApiResult, created, ok};
use crate::extract::{JsonBody, Kind, Params, check_body, str_of};
use crate::util::{iso, now_ms, parse_iso};

/// Properties of HighLevel's `CreateBuilderDto`.
const CREATE_FIELDS: &[(&str, Kind)] = &[
    ("locationId", Kind::Str),
    ("title", Kind::Str),
    ("type", Kind::Str),
    ("updatedBy", Kind::Str),
    ("builderVersion", Kind::Str),
    ("name", Kind::Str),
    ("parentId", Kind::Str),
    ("templateDataUrl", Kind::Str),
    ("importProvider", Kind::Str),
    ("importURL", Kind::Str),
    ("templateSource", Kind::Str),
    ("isPlainText", Kind::Bool),
];

const TYPES: &[&str] = &["html", "folder", "import", "builder", "blank"];
const VERSIONS: &[&str] = &["1", "2"];
const PROVIDERS: &[&str] = &["mailchimp", "active_campaign", "kajabi"];

/// The `templateType` a created entry gets: imports arrive as HTML, blank and builder templates
/// are drag-and-drop builder templates.
fn template_type(kind: &str) -> &'static str {
    match kind {
        "folder" => "folder",
        "html" | "import" => "html",
        _ => "builder",
    }
}

/// `POST /emails/builder` (create-template): 201 with `{redirect: <new id>, traceId}`.
pub(crate) async fn create(State(st): State<SandboxState>, JsonBody(body): JsonBody) -> ApiResult {
    check_body(&body, CREATE_FIELDS, &["locationId", "type"])?;
    let kind = str_of(&body, "type").unwrap_or("");
    let mut problems = Vec::new();
    let mut enum_check = |name: &str, allowed: &[&str]| {
        if let Some(v) = str_of(&body, name)
            && !allowed.contains(&v)
        {
            problems.push(format!(
                "{name} must be one of the following values: {}; got {v:?}",
                allowed.join(", ")
            ));
        }
    };
    enum_check("type", TYPES);
    enum_check("builderVersion", VERSIONS);
    enum_check("importProvider", PROVIDERS);
    if kind == "import" {
        for k in ["importProvider", "importURL"] {
            if str_of(&body, k).is_none() {
                problems.push(format!(
                    "{k} should not be empty: an import needs the provider and the template's share URL"
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::unprocessable(problems));
    }
    let location = str_of(&body, "locationId").unwrap_or("").to_string();
    let mut s = st.write();
    s.require_location(&location)?;
    if let Some(parent) = str_of(&body, "parentId")
        && !s.marketing.email_templates.iter().any(|t| {
            t["id"] == parent
                && t["locationId"] == location.as_str()
                && t["templateType"] == "folder"
        })
    {
        return Err(ApiError::bad_request(format!(
            "parentId {parent:?} is not a template folder of location {location:?}; folders are the entries with templateType \"folder\" in GET /emails/builder?locationId={location}"
        )));
    }
    let id = s.rng.hex24();
    let trace = s.rng.uuid();
    // HighLevel answers the editor's name; a known user id is shown as its name.
    let editor = match str_of(&body, "updatedBy") {
        Some(by) => s
            .users
            .iter()
            .find(|(uid, _)| uid == by)
            .map_or(by.to_string(), |(_, name)| name.clone()),
        None => "API".to_string(),
    };
    let stored_type = template_type(kind);
    let name = str_of(&body, "name")
        .or_else(|| str_of(&body, "title"))
        .map_or_else(
            || {
                if stored_type == "folder" {
                    "Untitled folder".to_string()
                } else {
                    "Untitled template".to_string()
                }
            },
            str::to_string,
        );
    let now = iso(now_ms());
    let mut t = Map::new();
    t.insert("id".into(), json!(id));
    t.insert("name".into(), json!(name));
    t.insert("locationId".into(), json!(location));
    t.insert("templateType".into(), json!(stored_type));
    t.insert(
        "version".into(),
        json!(str_of(&body, "builderVersion").unwrap_or("2")),
    );
    t.insert("updatedBy".into(), json!(editor));
    t.insert(
        "isPlainText".into(),
        body.get("isPlainText").cloned().unwrap_or(json!(false)),
    );
    t.insert("archived".into(), json!(false));
    t.insert(
        "previewUrl".into(),
        json!(format!(
            "https://brightside-dental.example.com/email-previews/{id}.png"
        )),
    );
    t.insert("dateAdded".into(), json!(now));
    t.insert("lastUpdated".into(), json!(now));
    for k in [
        "parentId",
        "templateSource",
        "templateDataUrl",
        "importProvider",
        "importURL",
    ] {
        if let Some(v) = str_of(&body, k) {
            t.insert(k.into(), json!(v));
        }
    }
    s.marketing.email_templates.push(Value::Object(t));
    created(json!({ "redirect": id, "traceId": trace }))
}

fn flag(params: &Params, name: &str) -> Result<Option<bool>, ApiError> {
    Ok(params
        .one_of(name, &["true", "false"])?
        .map(|v| v == "true"))
}

/// `GET /emails/builder` (fetch-template).
pub(crate) async fn list(State(st): State<SandboxState>, params: Params) -> ApiResult {
    let location = params.require("locationId")?;
    let limit = params.count("limit", 10, 1, 100)?;
    let offset = params.count("offset", 0, 0, usize::MAX)?;
    let newest_first = params
        .one_of("sortByDate", &["asc", "desc"])?
        .unwrap_or("desc")
        == "desc";
    let archived = flag(&params, "archived")?.unwrap_or(false);
    let templates_only = flag(&params, "templatesOnly")?.unwrap_or(false);
    let version = params.one_of("builderVersion", VERSIONS)?.unwrap_or("2");
    let search = params.get("search").map(|q| q.trim().to_lowercase());
    let name = params.get("name").map(|n| n.trim().to_lowercase());
    let parent = params.get("parentId");
    let s = st.read();
    s.require_location(location)?;
    let text = |t: &Value, k: &str| t[k].as_str().unwrap_or("").to_lowercase();
    let mut found: Vec<&Value> = s
        .marketing
        .email_templates
        .iter()
        .filter(|t| t["locationId"] == location)
        .filter(|t| t["archived"] == archived)
        .filter(|t| {
            let folder = t["templateType"] == "folder";
            !(templates_only && folder) && (folder || t["version"] == version)
        })
        .filter(|t| search.as_ref().is_none_or(|q| text(t, "name").contains(q)))
        .filter(|t| name.as_ref().is_none_or(|n| text(t, "name") == *n))
        .filter(|t| parent.is_none_or(|p| t["parentId"] == p))
        .collect();
    let when = |t: &Value| t["lastUpdated"].as_str().and_then(parse_iso).unwrap_or(0);
    found.sort_by_key(|t| when(t));
    if newest_first {
        found.reverse();
    }
    let total = found.len();
    let builders: Vec<&Value> = found.into_iter().skip(offset).take(limit).collect();
    ok(json!({ "builders": builders, "total": total }))
}
