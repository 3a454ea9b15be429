//! Locations: the location record and its custom fields.

use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::SandboxState;
use crate::error::{ApiError, ApiResult, ok};
use crate::extract::Params;

fn location_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Location {id:?} not found; the sandbox serves location {:?}",
        crate::DEMO_LOCATION_ID
    ))
}

/// Checks a custom field value against the field's `dataType` and returns it as stored: options
/// must be one of the field's `picklistOptions` (matched case-insensitively, stored as
/// spelled there), numbers may come as numeric strings, dates must parse. `Err` says what fits.
pub(crate) fn coerce_custom_value(field: &Value, value: Value) -> Result<Value, String> {
    let name = field["name"].as_str().unwrap_or("");
    let options: Vec<&str> = field["picklistOptions"]
        .as_array()
        .map(|o| o.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match field["dataType"].as_str().unwrap_or("") {
        "SINGLE_OPTIONS" | "RADIO" => {
            let given = value.as_str().unwrap_or("");
            options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(given.trim()))
                .map(|o| Value::String((*o).to_string()))
                .ok_or_else(|| {
                    format!("{name} must be one of: {}; got {value}", options.join(", "))
                })
        }
        "NUMERICAL" | "MONETORY" => match &value {
            Value::Number(_) => Ok(value),
            Value::String(s) if s.trim().parse::<f64>().is_ok() => {
                Ok(serde_json::json!(s.trim().parse::<f64>().unwrap_or(0.0)))
            }
            _ => Err(format!("{name} must be a number; got {value}")),
        },
        "DATE" => match value.as_str().and_then(crate::util::parse_iso) {
            Some(_) => Ok(value),
            None => Err(format!(
                "{name} must be a date like 2026-11-23; got {value}"
            )),
        },
        "TEXT" | "LARGE_TEXT" => match &value {
            Value::String(_) => Ok(value),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            _ => Err(format!("{name} must be text; got {value}")),
        },
        _ => Ok(value),
    }
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
