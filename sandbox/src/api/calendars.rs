//! Calendars: events in a time range, and the notes of an appointment.
//!
//! Event times are ISO-8601 strings in the location's UTC offset, as HighLevel sends them (its
//! schema says `object`; see spec-quirks.md). `startTime`/`endTime` query parameters are epoch
//! milliseconds; an event is returned when it starts inside the inclusive range.

use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::SandboxState;
use crate::error::{ApiError, ApiResult, ok};
use crate::extract::Params;
use crate::util::parse_iso;

fn epoch_ms(params: &Params, name: &str) -> Result<i64, ApiError> {
    let raw = params.require(name)?;
    raw.parse::<i64>().map_err(|_| {
        ApiError::invalid(format!(
            "{name} must be epoch milliseconds as a number string, like 1795392000000; got {raw:?}"
        ))
    })
}

/// `GET /calendars/events` (get-calendar-events).
pub(crate) async fn events(State(st): State<SandboxState>, params: Params) -> ApiResult {
    let location = params.require("locationId")?;
    let start = epoch_ms(&params, "startTime")?;
    let end = epoch_ms(&params, "endTime")?;
    if end < start {
        return Err(ApiError::invalid(format!(
            "endTime ({end}) must not be before startTime ({start})"
        )));
    }
    let calendar = params.get("calendarId");
    let user = params.get("userId");
    let group = params.get("groupId");
    if calendar.is_none() && user.is_none() && group.is_none() {
        return Err(ApiError::invalid(
            "Either calendarId, userId or groupId is required: pass one to choose whose events to list",
        ));
    }
    let s = st.read();
    s.require_location(location)?;
    if let Some(c) = calendar
        && !s
            .calendars
            .iter()
            .any(|cal| cal["id"] == c && cal["locationId"] == location)
    {
        return Err(ApiError::bad_request(format!(
            "calendarId {c:?} is not a calendar of location {location:?}"
        )));
    }
    let events: Vec<&Value> = s
        .events
        .iter()
        .filter(|e| e["locationId"] == location)
        .filter(|e| calendar.is_none_or(|c| e["calendarId"] == c))
        .filter(|e| group.is_none_or(|g| e["groupId"] == g))
        .filter(|e| {
            user.is_none_or(|u| {
                e["assignedUserId"] == u
                    || e["users"]
                        .as_array()
                        .is_some_and(|list| list.iter().any(|x| x == u))
            })
        })
        .filter(|e| {
            let t = e["startTime"]
                .as_str()
                .and_then(parse_iso)
                .unwrap_or(i64::MIN);
            t >= start && t <= end
        })
        .collect();
    ok(json!({ "events": events }))
}

/// `GET /calendars/appointments/{appointmentId}/notes` (get-appointment-notes); `limit` (at most
/// 20) and `offset` are required, as in the official schema.
pub(crate) async fn notes(
    State(st): State<SandboxState>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult {
    params.require("limit")?;
    params.require("offset")?;
    let limit = params.count("limit", 10, 1, 20)?;
    let offset = params.count("offset", 0, 0, usize::MAX)?;
    let s = st.read();
    if !s.events.iter().any(|e| e["id"] == id.as_str()) {
        return Err(ApiError::not_found(format!(
            "Appointment {id:?} not found; appointment ids are the ids of calendar events"
        )));
    }
    let all = s.notes.get(&id).map(Vec::as_slice).unwrap_or(&[]);
    let page: Vec<&Value> = all.iter().skip(offset).take(limit).collect();
    ok(json!({
        "notes": page,
        "hasMore": offset + page.len() < all.len(),
    }))
}
