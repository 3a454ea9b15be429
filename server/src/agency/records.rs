//! The CRM records `search` and `fetch` deal in: their ids (`contact:<locationId>:<id>`), the
//! links that open them in HighLevel's web app, and the title and text a connector shows.
//!
//! An id names its kind and location, so `fetch` knows which endpoint to read and which location
//! to check against the grant before anything goes upstream. Every part is limited to HighLevel's
//! id alphabet (letters, digits, `-`, `_`), which also makes the ids safe inside app URLs.

use serde_json::{Map, Value, json};

/// The kinds of record `search` finds and `fetch` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A contact (`GET /contacts/{id}`).
    Contact,
    /// An opportunity (`GET /opportunities/{id}`).
    Opportunity,
    /// A conversation (its record from `GET /conversations/search?id=`, its messages).
    Conversation,
}

/// Every kind, in the order search results list them.
pub const KINDS: [Kind; 3] = [Kind::Contact, Kind::Opportunity, Kind::Conversation];

impl Kind {
    /// The word used in ids and metadata.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Contact => "contact",
            Kind::Opportunity => "opportunity",
            Kind::Conversation => "conversation",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        KINDS.into_iter().find(|k| k.name() == word)
    }

    /// The record's page in HighLevel's web app (`app` is e.g. `https://app.gohighlevel.com`,
    /// or an agency's white-label app domain).
    pub fn url(self, app: &str, location: &str, id: &str) -> String {
        let app = app.trim_end_matches('/');
        match self {
            Kind::Contact => format!("{app}/v2/location/{location}/contacts/detail/{id}"),
            Kind::Opportunity => {
                format!(
                    "{app}/v2/location/{location}/opportunities/list/{id}?tab=OpportunityDetails"
                )
            }
            Kind::Conversation => {
                format!("{app}/v2/location/{location}/conversations/conversations/{id}")
            }
        }
    }
}

/// Longest location or record id accepted in a connector id.
const MAX_PART: usize = 64;

/// Whether `s` can be one part of a connector id: 1 to 64 of `A-Z a-z 0-9 - _`.
pub fn valid_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_PART
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A record id as `search` hands it out: kind, location, HighLevel's own id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordId {
    /// What it points at.
    pub kind: Kind,
    /// The location (sub-account) it lives in.
    pub location: String,
    /// HighLevel's id of the record.
    pub id: String,
}

impl RecordId {
    /// Reads `contact:<locationId>:<id>` (and the other kinds); the error says what shape is
    /// expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shown = runtime::suggest::clip(text, 100);
        let shape = "ids look like `contact:<locationId>:<contactId>`, `opportunity:<locationId>:<opportunityId>` or `conversation:<locationId>:<conversationId>`: pass an id exactly as `search` returned it";
        let mut parts = text.trim().split(':');
        let (Some(kind), Some(location), Some(id), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("`{shown}` is not a record id; {shape}"));
        };
        let Some(kind) = Kind::parse(kind) else {
            return Err(format!(
                "`{shown}` names no known kind of record (`{}`); {shape}",
                runtime::suggest::clip(kind, 32)
            ));
        };
        if !valid_part(location) || !valid_part(id) {
            return Err(format!(
                "`{shown}` is not a record id: the location and record ids are 1 to {MAX_PART} letters, digits, `-` or `_`; {shape}"
            ));
        }
        Ok(Self {
            kind,
            location: location.to_owned(),
            id: id.to_owned(),
        })
    }
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.kind.name(), self.location, self.id)
    }
}

/// A string field of `v`, trimmed, when it is non-empty.
fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A scalar field as text (strings, numbers, booleans).
fn scalar(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The person a contact (or a conversation, which carries its contact's fields) is about.
fn person(v: &Value) -> Option<String> {
    if let Some(n) = text(v, "contactName").or_else(|| text(v, "fullName")) {
        return Some(n.to_owned());
    }
    let first_last = [text(v, "firstName"), text(v, "lastName")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !first_last.is_empty() {
        return Some(first_last);
    }
    ["companyName", "email", "phone"]
        .iter()
        .find_map(|k| text(v, k))
        .map(str::to_owned)
}

/// The one-line title of a record of `kind`.
pub fn title(kind: Kind, v: &Value) -> String {
    match kind {
        Kind::Contact => {
            let name = person(v).unwrap_or_else(|| "(no name)".to_owned());
            match text(v, "email") {
                Some(e) if e != name => format!("Contact: {name} <{e}>"),
                _ => format!("Contact: {name}"),
            }
        }
        Kind::Opportunity => {
            let name = text(v, "name").unwrap_or("(no name)");
            let facts: Vec<String> = [scalar(v, "status"), scalar(v, "monetaryValue")]
                .into_iter()
                .flatten()
                .collect();
            if facts.is_empty() {
                format!("Opportunity: {name}")
            } else {
                format!("Opportunity: {name} ({})", facts.join(", "))
            }
        }
        Kind::Conversation => {
            let who = person(v).unwrap_or_else(|| "(unknown contact)".to_owned());
            format!("Conversation with {who}")
        }
    }
}

/// `label: value` lines for the fields of `v` that are present.
fn lines(v: &Value, fields: &[(&str, &str)]) -> Vec<String> {
    fields
        .iter()
        .filter_map(|(label, key)| scalar(v, key).map(|x| format!("{label}: {x}")))
        .collect()
}

/// Longest message body quoted in a conversation's text, in characters.
const MAX_BODY_CHARS: usize = 1000;

/// The readable text of a record (for conversations, `messages` are its newest messages).
pub fn body(kind: Kind, v: &Value, messages: &[Value]) -> String {
    let mut out = vec![title(kind, v)];
    match kind {
        Kind::Contact => {
            out.extend(lines(
                v,
                &[
                    ("Email", "email"),
                    ("Phone", "phone"),
                    ("Company", "companyName"),
                    ("Type", "type"),
                    ("Source", "source"),
                    ("Assigned to (user id)", "assignedTo"),
                    ("Do not disturb", "dnd"),
                    ("Added", "dateAdded"),
                    ("Updated", "dateUpdated"),
                ],
            ));
            let address: Vec<&str> = ["address1", "city", "state", "postalCode", "country"]
                .iter()
                .filter_map(|k| text(v, k))
                .collect();
            if !address.is_empty() {
                out.push(format!("Address: {}", address.join(", ")));
            }
            if let Some(tags) = v.get("tags").and_then(Value::as_array)
                && !tags.is_empty()
            {
                let tags: Vec<&str> = tags.iter().filter_map(Value::as_str).collect();
                out.push(format!("Tags: {}", tags.join(", ")));
            }
        }
        Kind::Opportunity => {
            out.extend(lines(
                v,
                &[
                    ("Status", "status"),
                    ("Value", "monetaryValue"),
                    ("Pipeline id", "pipelineId"),
                    ("Stage id", "pipelineStageId"),
                    ("Source", "source"),
                    ("Assigned to (user id)", "assignedTo"),
                    ("Contact id", "contactId"),
                    ("Created", "createdAt"),
                    ("Updated", "updatedAt"),
                    ("Last status change", "lastStatusChangeAt"),
                ],
            ));
            if let Some(c) = v.get("contact")
                && let Some(who) = person(&json!({
                    "contactName": c.get("name"),
                    "email": c.get("email"),
                    "phone": c.get("phone"),
                }))
            {
                out.push(format!("Contact: {who}"));
            }
        }
        Kind::Conversation => {
            out.extend(lines(
                v,
                &[
                    ("Email", "email"),
                    ("Phone", "phone"),
                    ("Channel", "type"),
                    ("Contact id", "contactId"),
                    ("Unread messages", "unreadCount"),
                    ("Last message at", "lastMessageDate"),
                ],
            ));
            if messages.is_empty() {
                if let Some(last) = text(v, "lastMessageBody") {
                    out.push(format!("Last message: {}", clip(last)));
                }
            } else {
                out.push(format!("Messages (newest first, {}):", messages.len()));
                for m in messages {
                    let head: Vec<String> = ["dateAdded", "direction", "messageType"]
                        .iter()
                        .filter_map(|k| scalar(m, k))
                        .collect();
                    let body = text(m, "body").map(clip).unwrap_or_default();
                    out.push(format!("- [{}] {body}", head.join(" ")));
                }
            }
        }
    }
    out.join("\n")
}

fn clip(s: &str) -> String {
    runtime::suggest::clip(s, MAX_BODY_CHARS).into_owned()
}

/// A few fields worth keeping as `fetch` metadata, besides kind and location.
pub fn metadata(id: &RecordId, v: &Value, messages: usize) -> Value {
    let keys: &[&str] = match id.kind {
        Kind::Contact => &["email", "phone", "tags", "dateAdded", "dateUpdated"],
        Kind::Opportunity => &[
            "status",
            "monetaryValue",
            "pipelineId",
            "pipelineStageId",
            "contactId",
            "updatedAt",
        ],
        Kind::Conversation => &["contactId", "type", "lastMessageDate", "unreadCount"],
    };
    let mut m = Map::new();
    m.insert("kind".into(), json!(id.kind.name()));
    m.insert("locationId".into(), json!(id.location));
    m.insert("recordId".into(), json!(id.id));
    for k in keys {
        if let Some(x) = v.get(*k).filter(|x| !x.is_null()) {
            m.insert((*k).to_owned(), x.clone());
        }
    }
    if id.kind == Kind::Conversation {
        m.insert("messagesShown".into(), json!(messages));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_bad_ones_say_the_shape() {
        let id = RecordId::parse("contact:loc_1:abc-2").expect("valid");
        assert_eq!((id.kind, id.location.as_str()), (Kind::Contact, "loc_1"));
        assert_eq!(id.to_string(), "contact:loc_1:abc-2");
        for bad in [
            "",
            "contact:loc",
            "contact:loc:id:extra",
            "invoice:loc:id",
            "contact::id",
            "contact:loc:../x",
            "contact:loc:a b",
        ] {
            let e = RecordId::parse(bad).expect_err(bad);
            assert!(e.contains("contact:<locationId>:<contactId>"), "{bad}: {e}");
        }
        assert!(
            RecordId::parse("invoice:l:i")
                .expect_err("kind")
                .contains("`invoice`")
        );
        assert!(RecordId::parse(&format!("contact:l:{}", "x".repeat(65))).is_err());
    }

    #[test]
    fn urls_open_the_record_in_the_app() {
        let app = "https://app.gohighlevel.com/";
        assert_eq!(
            Kind::Contact.url(app, "L", "C"),
            "https://app.gohighlevel.com/v2/location/L/contacts/detail/C"
        );
        assert!(
            Kind::Opportunity
                .url(app, "L", "O")
                .contains("/opportunities/list/O")
        );
        assert!(
            Kind::Conversation
                .url(app, "L", "V")
                .ends_with("/v2/location/L/conversations/conversations/V")
        );
    }

    #[test]
    fn titles_and_text_use_what_is_there() {
        let c = json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "tags": ["vip"], "city": "London"});
        assert_eq!(
            title(Kind::Contact, &c),
            "Contact: Ada Lovelace <ada@example.com>"
        );
        let t = body(Kind::Contact, &c, &[]);
        assert!(
            t.contains("Tags: vip") && t.contains("Address: London"),
            "{t}"
        );
        assert_eq!(title(Kind::Contact, &json!({})), "Contact: (no name)");
        let o = json!({"name": "Implants", "status": "open", "monetaryValue": 4200});
        assert_eq!(
            title(Kind::Opportunity, &o),
            "Opportunity: Implants (open, 4200)"
        );
        let v = json!({"fullName": "Ada Lovelace", "type": "TYPE_PHONE"});
        let msgs = [json!({"direction": "inbound", "messageType": "TYPE_SMS", "body": "hello"})];
        let t = body(Kind::Conversation, &v, &msgs);
        assert!(t.starts_with("Conversation with Ada Lovelace"), "{t}");
        assert!(t.contains("- [inbound TYPE_SMS] hello"), "{t}");
    }
}
