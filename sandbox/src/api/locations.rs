//! Locations: the location record and its custom fields.

use axum::extract::{Path, State};
use serde_json::json;

use crate::SandboxState;
use crate::error::{ApiError, ApiResult, ok};
use crate::extract::Params;

fn location_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Location {id:?} not found; the sandbox serves location {:?}",
        crate::DEMO_LOCATION_ID
    ))
}

/// `GET /locations/{locationId}` (get-location).
pub(crate) async fn get_one(State(st): State<SandboxState>, Path(id): Path<String>) -> ApiResult {
    let s = st.read();
    let l = s.location(&id).ok_or_else(|| location_not_found(&id))?;
    ok(json!({ "location": l }))
}

/// `GET /locations/{locationId}/customFields` (get-custom-fields); `model` is `contact`,
/// `opportunity` or `all`; HighLevel's default is `contact`.
pub(crate) async fn custom_fields(
    State(st): State<SandboxState>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult {
    let model = params
        .one_of("model", &["contact", "opportunity", "all"])?
        .unwrap_or("contact");
    let s = st.read();
    if s.location(&id).is_none() {
        return Err(location_not_found(&id));
    }
    let fields: Vec<_> = s
        .custom_fields
        .iter()
        .filter(|f| f["locationId"] == id.as_str() && (model == "all" || f["model"] == model))
        .collect();
    ok(json!({ "customFields": fields }))
}
