//! Payments: one order, and the transaction list with its filters and offset paging.
//!
//! Payments are scoped by `altId` + `altType=location` instead of `locationId`. The official
//! schema requires `altId` on both endpoints and `altType` only on the transaction list; the
//! sandbox checks `altType` wherever it is given. Order and transaction ids are 24-hex-digit
//! ids, as HighLevel's payments records are.

use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::SandboxState;
use crate::error::{ApiError, ApiResult, ok};
use crate::extract::Params;
use crate::store::Store;
use crate::util::parse_iso;

/// Checks `altId`/`altType` (and an optional `locationId` that must agree) and returns the
/// location id.
fn scope<'a>(s: &Store, params: &'a Params, alt_type_required: bool) -> Result<&'a str, ApiError> {
    let alt_id = params.require("altId")?;
    match params.get("altType") {
        None if alt_type_required => {
            return Err(ApiError::invalid(
                "altType should not be empty: pass altType=location",
            ));
        }
        None | Some("location") => {}
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "altType must be location for a sub-account token; got {other:?}"
            )));
        }
    }
    if let Some(loc) = params.get("locationId")
        && loc != alt_id
    {
        return Err(ApiError::bad_request(format!(
            "locationId {loc:?} does not match altId {alt_id:?}; pass the same location id in both"
        )));
    }
    s.require_location(alt_id)?;
    Ok(alt_id)
}

/// `GET /payments/orders/{orderId}` (get-order-by-id): the order object itself, not wrapped.
pub(crate) async fn order(
    State(st): State<SandboxState>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult {
    let s = st.read();
    let location = scope(&s, &params, false)?;
    match s.orders.get(&id) {
        Some(o) if o["altId"] == location => ok(o.clone()),
        _ => Err(ApiError::not_found(format!(
            "Order {id:?} not found in location {location:?}; order ids are the entityId of transactions with entityType order"
        ))),
    }
}

fn day(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some(raw) => parse_iso(raw).map(Some).ok_or_else(|| {
            ApiError::invalid(format!(
                "{name} must be a date like 2026-11-01 (YYYY-MM-DD); got {raw:?}"
            ))
        }),
    }
}

/// `GET /payments/transactions` (list-transactions): newest first, `limit` (default 10) and
/// `offset` paging, `totalCount` of all matches.
pub(crate) async fn transactions(State(st): State<SandboxState>, params: Params) -> ApiResult {
    let limit = params.count("limit", 10, 1, 100)?;
    let offset = params.count("offset", 0, 0, usize::MAX)?;
    let mode = params.one_of("paymentMode", &["live", "test"])?;
    let from = day(&params, "startAt")?;
    // A bare date as endAt includes that whole day.
    let to = day(&params, "endAt")?.map(|t| {
        if params.get("endAt").is_some_and(|r| r.len() == 10) {
            t + 86_399_999
        } else {
            t
        }
    });
    let search = params.get("search").map(str::to_lowercase);
    let s = st.read();
    let location = scope(&s, &params, true)?;
    let eq = |t: &Value, field: &str, param: &str| params.get(param).is_none_or(|v| t[field] == v);
    let all: Vec<&Value> = s
        .transactions
        .iter()
        .filter(|t| t["altId"] == location)
        .filter(|t| mode.is_none_or(|m| t["liveMode"] == (m == "live")))
        .filter(|t| eq(t, "contactId", "contactId"))
        .filter(|t| eq(t, "entityId", "entityId"))
        .filter(|t| eq(t, "subscriptionId", "subscriptionId"))
        .filter(|t| eq(t, "entitySourceType", "entitySourceType"))
        .filter(|t| eq(t, "entitySourceSubType", "entitySourceSubType"))
        .filter(|t| {
            let at = t["createdAt"].as_str().and_then(parse_iso).unwrap_or(0);
            from.is_none_or(|f| at >= f) && to.is_none_or(|e| at <= e)
        })
        .filter(|t| {
            search.as_ref().is_none_or(|q| {
                ["contactName", "contactEmail", "entitySourceName", "_id"]
                    .iter()
                    .any(|k| t[*k].as_str().is_some_and(|v| v.to_lowercase().contains(q)))
            })
        })
        .collect();
    let page: Vec<&Value> = all.iter().skip(offset).take(limit).copied().collect();
    ok(json!({ "data": page, "totalCount": all.len() }))
}
