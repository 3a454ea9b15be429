//! Conversations: search, a conversation's messages, and sending a message.
//!
//! Sending appends an outbound message to the contact's conversation (created when the contact
//! has none) and updates the conversation's `lastMessage*` fields; an outbound reply marks the
//! conversation read (`unreadCount` 0), as replying in HighLevel's inbox does.
//!
//! `GET /conversations/{id}/messages` answers `{lastMessageId, nextPage, messages}` at the top
//! level, as the official schema declares. Messages come newest first; `lastMessageId` of one
//! page, passed back, gives the next.

use axum::extract::{Path, State};
use serde_json::{Map, Value, json};

use crate::SandboxState;
use crate::domain::messages::{
    MESSAGE_TYPES, channel, contact_has, dnd_blocks, message_type_number,
};
use crate::error::{ApiError, ApiResult, ok};
use crate::extract::{JsonBody, Kind, Params, check_body, str_of};
use crate::store::Store;
use crate::util::{iso, now_ms};

/// Properties of HighLevel's `SendMessageBodyDto`.
const SEND_FIELDS: &[(&str, Kind)] = &[
    ("type", Kind::Str),
    ("subType", Kind::Any),
    ("contactId", Kind::Str),
    ("appointmentId", Kind::Str),
    ("attachments", Kind::StrArray),
    ("emailFrom", Kind::Str),
    ("emailCc", Kind::StrArray),
    ("emailBcc", Kind::StrArray),
    ("html", Kind::Str),
    ("message", Kind::Str),
    ("subject", Kind::Str),
    ("replyMessageId", Kind::Str),
    ("templateId", Kind::Str),
    ("threadId", Kind::Str),
    ("scheduledTimestamp", Kind::Num),
    ("conversationProviderId", Kind::Str),
    ("emailTo", Kind::Str),
    ("customSubtypeId", Kind::Str),
    ("emailReplyMode", Kind::Str),
    ("fromNumber", Kind::Str),
    ("toNumber", Kind::Str),
    ("forward", Kind::Obj),
    ("status", Kind::Str),
    ("usesNativeSchedulingAi", Kind::Bool),
    ("optimizationPeriod", Kind::Str),
];

/// A conversation as search returns it: the stored record joined with its contact's current
/// name, email and phone, plus HighLevel's `sort` cursor.
fn view(s: &Store, c: &Value) -> Value {
    let mut v = c.clone();
    let contact = c["contactId"].as_str().and_then(|id| s.contacts.get(id));
    let get = |k: &str| {
        contact
            .and_then(|ct| ct[k].as_str())
            .unwrap_or("")
            .to_string()
    };
    let name = get("contactName");
    v["fullName"] = json!(name);
    v["contactName"] = json!(match contact.and_then(|ct| ct["companyName"].as_str()) {
        Some(company) if !name.is_empty() => format!("{name} ({company})"),
        _ => name.clone(),
    });
    v["email"] = json!(get("email"));
    v["phone"] = json!(get("phone"));
    v["sort"] = json!([c["lastMessageDate"]]);
    v
}

/// `GET /conversations/search` (search-conversation).
pub(crate) async fn search(State(st): State<SandboxState>, params: Params) -> ApiResult {
    let location = params.require("locationId")?;
    let limit = params.count("limit", 20, 1, 100)?;
    let sort = params.one_of("sort", &["asc", "desc"])?.unwrap_or("desc");
    params.one_of(
        "sortBy",
        &[
            "last_manual_message_date",
            "last_message_date",
            "score_profile",
            "overdue_at",
            "due_at",
        ],
    )?;
    let status = params
        .one_of("status", &["all", "read", "unread", "starred", "recents"])?
        .unwrap_or("all");
    let direction = params.one_of("lastMessageDirection", &["inbound", "outbound"])?;
    let last_type = params.one_of("lastMessageType", MESSAGE_TYPES)?;
    let after = params.number("startAfterDate", 0.0, f64::MAX)?;
    let start_date = params.number("startDate", 0.0, f64::MAX)?;
    let end_date = params.number("endDate", 0.0, f64::MAX)?;
    let assigned: Option<Vec<&str>> = params.get("assignedTo").map(|a| a.split(',').collect());
    let followers: Option<Vec<&str>> = params.get("followers").map(|a| a.split(',').collect());
    let mentions: Option<Vec<&str>> = params.get("mentions").map(|a| a.split(',').collect());
    // Every message the sandbox knows is sent by a person (app or API), none by automation.
    let action = params.one_of("lastMessageAction", &["automated", "manual"])?;
    let query = params.get("query").map(str::to_lowercase);
    let s = st.read();
    s.require_location(location)?;
    let mut all: Vec<Value> = s
        .conversation_order
        .iter()
        .filter_map(|id| s.conversations.get(id))
        .filter(|c| c["locationId"] == location)
        .filter(|c| {
            params
                .get("contactId")
                .is_none_or(|id| c["contactId"] == id)
        })
        .filter(|c| params.get("id").is_none_or(|id| c["id"] == id))
        .filter(|c| direction.is_none_or(|d| c["lastMessageDirection"] == d))
        .filter(|c| last_type.is_none_or(|t| c["lastMessageType"] == t))
        .filter(|c| match status {
            "read" => c["unreadCount"].as_i64() == Some(0),
            "unread" => c["unreadCount"].as_i64().unwrap_or(0) > 0,
            "starred" => c["starred"] == true,
            _ => true,
        })
        .filter(|c| {
            // `unassigned` selects conversations nobody is assigned to.
            assigned
                .as_ref()
                .is_none_or(|list| match c["assignedTo"].as_str() {
                    Some(a) => list.contains(&a),
                    None => list.contains(&"unassigned"),
                })
        })
        .filter(|c| {
            followers.as_ref().is_none_or(|list| {
                c["followers"].as_array().is_some_and(|f| {
                    f.iter()
                        .any(|x| x.as_str().is_some_and(|x| list.contains(&x)))
                })
            })
        })
        // The sandbox records no mentions.
        .filter(|_| mentions.is_none())
        .filter(|_| action != Some("automated"))
        .filter(|c| {
            // startDate/endDate bound when the conversation was created.
            let t = c["dateAdded"].as_f64().unwrap_or(0.0);
            start_date.is_none_or(|d| t >= d) && end_date.is_none_or(|d| t <= d)
        })
        .map(|c| view(&s, c))
        .filter(|c| {
            query.as_ref().is_none_or(|q| {
                let hit = |v: &Value| v.as_str().is_some_and(|v| v.to_lowercase().contains(q));
                [
                    "fullName",
                    "contactName",
                    "email",
                    "phone",
                    "lastMessageBody",
                ]
                .iter()
                .any(|k| hit(&c[*k]))
                    || c["id"]
                        .as_str()
                        .and_then(|id| s.messages.get(id))
                        .is_some_and(|msgs| msgs.iter().any(|m| hit(&m["body"])))
            })
        })
        .collect();
    let date = |c: &Value| c["lastMessageDate"].as_f64().unwrap_or(0.0);
    all.sort_by(|a, b| {
        let o = date(a).total_cmp(&date(b));
        if sort == "asc" { o } else { o.reverse() }
    });
    let total = all.len();
    let page: Vec<Value> = all
        .into_iter()
        .filter(|c| {
            after.is_none_or(|a| {
                if sort == "asc" {
                    date(c) > a
                } else {
                    date(c) < a
                }
            })
        })
        .take(limit)
        .collect();
    ok(json!({ "conversations": page, "total": total }))
}

/// `GET /conversations/{conversationId}/messages` (get-messages).
pub(crate) async fn messages(
    State(st): State<SandboxState>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult {
    let limit = params.count("limit", 20, 1, 100)?;
    let types: Option<Vec<&str>> = match params.get("type") {
        None => None,
        Some(list) => {
            let types: Vec<&str> = list.split(',').map(str::trim).collect();
            if let Some(bad) = types.iter().find(|t| !MESSAGE_TYPES.contains(t)) {
                return Err(ApiError::invalid(format!(
                    "type must be a comma-separated list of message types such as TYPE_SMS,TYPE_EMAIL; {bad:?} is not one"
                )));
            }
            Some(types)
        }
    };
    let s = st.read();
    if !s.conversations.contains_key(&id) {
        return Err(ApiError::not_found(format!(
            "Conversation {id:?} not found; find conversations with GET /conversations/search?locationId=..."
        )));
    }
    let all: Vec<&Value> = s
        .messages
        .get(&id)
        .map(|m| m.iter().rev().collect())
        .unwrap_or_default();
    let all: Vec<&Value> = all
        .into_iter()
        .filter(|m| {
            types
                .as_ref()
                .is_none_or(|t| t.iter().any(|t| m["messageType"] == *t))
        })
        .collect();
    let start = match params.get("lastMessageId") {
        None => 0,
        Some(last) => all.iter().position(|m| m["id"] == last).map(|p| p + 1).ok_or_else(|| {
            ApiError::bad_request(format!(
                "lastMessageId {last:?} is not a message of this conversation; pass lastMessageId from the previous page"
            ))
        })?,
    };
    let page: Vec<&Value> = all.iter().skip(start).take(limit).copied().collect();
    let next = start + page.len() < all.len();
    ok(super::without_nulls(json!({
        "lastMessageId": page.last().map(|m| m["id"].clone()).unwrap_or(Value::Null),
        "nextPage": next,
        "messages": page,
    })))
}

/// `POST /conversations/messages` (send-a-new-message).
///
/// The official schema also lists `subType` and `status` as required; HighLevel accepts sends
/// without them, and so does the sandbox.
pub(crate) async fn send(State(st): State<SandboxState>, JsonBody(body): JsonBody) -> ApiResult {
    check_body(&body, SEND_FIELDS, &["type", "contactId"])?;
    let kind = str_of(&body, "type").unwrap_or("");
    let Some((message_type, needs)) = channel(kind) else {
        return Err(ApiError::invalid(format!(
            "type must be one of the following values: SMS, RCS, Email, WhatsApp, IG, FB, Custom, Live_Chat, TIKTOK; got {kind:?}"
        )));
    };
    let status = match str_of(&body, "status") {
        None => None,
        Some(s @ ("delivered" | "failed" | "pending" | "read")) => Some(s),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "status must be one of the following values: delivered, failed, pending, read; got {other:?}"
            )));
        }
    };
    let text = str_of(&body, "message")
        .or_else(|| str_of(&body, "html"))
        .unwrap_or("");
    let has_attachments = body
        .get("attachments")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if text.is_empty() && !has_attachments {
        return Err(ApiError::invalid(if kind == "Email" {
            "html or message should not be empty: an Email needs a body".to_string()
        } else {
            format!("message should not be empty: a {kind} message needs text or attachments")
        }));
    }
    let contact_id = str_of(&body, "contactId").unwrap_or("").to_string();
    let now = now_ms();
    let mut s = st.write();
    let Some(contact) = s.contacts.get(&contact_id) else {
        return Err(ApiError::bad_request(format!(
            "Contact {contact_id:?} not found; contactId must be the id of a contact in this location"
        )));
    };
    if let Some(field) = needs
        && !contact_has(contact, field)
    {
        return Err(ApiError::bad_request(format!(
            "Contact {contact_id:?} has no {field}, so a {kind} message cannot be sent; add one with PUT /contacts/{contact_id}"
        )));
    }
    if dnd_blocks(contact, kind) {
        return Err(ApiError::bad_request(format!(
            "Cannot send a {kind} message: contact {contact_id:?} has do-not-disturb enabled for this channel; clear dnd/dndSettings with PUT /contacts/{contact_id} if the contact agreed"
        )));
    }
    let location = contact["locationId"].as_str().unwrap_or("").to_string();
    let scheduled = body
        .get("scheduledTimestamp")
        .and_then(Value::as_f64)
        .is_some_and(|t| (t * 1000.0) as i64 > now);
    let status = status.unwrap_or(if scheduled { "scheduled" } else { "delivered" });

    let conversation_id = match s.conversation_of.get(&contact_id) {
        Some(id) => id.clone(),
        None => {
            let id = s.new_id();
            s.conversations.insert(
                id.clone(),
                json!({
                    "id": id,
                    "contactId": contact_id,
                    "locationId": location,
                    "lastMessageBody": "",
                    "lastMessageType": message_type,
                    "type": if kind == "Email" { "TYPE_EMAIL" } else { "TYPE_PHONE" },
                    "unreadCount": 0,
                    "starred": false,
                    "inbox": true,
                    "deleted": false,
                    "dateAdded": now,
                    "dateUpdated": now,
                    "tags": [],
                    "followers": [],
                }),
            );
            s.conversation_order.push(id.clone());
            s.conversation_of.insert(contact_id.clone(), id.clone());
            id
        }
    };
    let message_id = s.new_id();
    let mut m = Map::new();
    m.insert("id".into(), json!(message_id));
    m.insert("type".into(), json!(message_type_number(message_type)));
    m.insert("messageType".into(), json!(message_type));
    m.insert("locationId".into(), json!(location));
    m.insert("contactId".into(), json!(contact_id));
    m.insert("conversationId".into(), json!(conversation_id));
    m.insert("dateAdded".into(), json!(iso(now)));
    m.insert("body".into(), json!(text));
    m.insert("direction".into(), json!("outbound"));
    m.insert("status".into(), json!(status));
    m.insert(
        "contentType".into(),
        json!(
            if str_of(&body, "html").is_some() && str_of(&body, "message").is_none() {
                "text/html"
            } else {
                "text/plain"
            }
        ),
    );
    m.insert(
        "attachments".into(),
        body.get("attachments").cloned().unwrap_or(json!([])),
    );
    m.insert("source".into(), json!("api"));
    let mut answer = json!({
        "conversationId": conversation_id,
        "messageId": message_id,
        "msg": "Message queued successfully.",
        "status": status,
    });
    if kind == "Email" {
        let email_id = s.new_id();
        let mut email = json!({ "messageIds": [email_id] });
        if let Some(subject) = str_of(&body, "subject") {
            email["subject"] = json!(subject);
        }
        m.insert("meta".into(), json!({ "email": email }));
        answer["emailMessageId"] = json!(email_id);
    }
    if let Some(Value::Object(c)) = s.conversations.get_mut(&conversation_id) {
        c.insert("lastMessageBody".into(), json!(text));
        c.insert("lastMessageType".into(), json!(message_type));
        c.insert("lastMessageDirection".into(), json!("outbound"));
        c.insert("lastMessageDate".into(), json!(now));
        c.insert("dateUpdated".into(), json!(now));
        c.insert("unreadCount".into(), json!(0));
    }
    s.messages
        .entry(conversation_id)
        .or_default()
        .push(Value::Object(m));
    ok(answer)
}
