//! Which rate-limit budget a call draws on.
//!
//! HighLevel counts requests per app and per resource, the resource being the location (or the
//! agency) the call acts on. So a call's budget is its location: the one in its arguments when
//! the model gave one (the argument wins, as it does for the request itself), else the
//! `locationId` header or the server's default. A call with no location at all (an agency call,
//! or a lookup by id with no default set) draws on a budget named after its token, whose 64-bit
//! hash is all that is kept, never the token itself.

use std::hash::{Hash, Hasher};

use rmcp::model::JsonObject;
use runtime::{LocationSlot, ToolDef};
use serde_json::Value;

use crate::credentials::Secret;

/// The limiter key for this call: `location:<id>` or `token:<hash>`.
pub(crate) fn budget_key(
    tool: &ToolDef,
    args: &JsonObject,
    location: Option<&str>,
    token: &Secret,
) -> String {
    let from_args = match &tool.location {
        LocationSlot::Arg(name) => args.get(name.as_ref()).and_then(Value::as_str),
        LocationSlot::AltId => match args.get("altType").and_then(Value::as_str) {
            None | Some("location") => args.get("altId").and_then(Value::as_str),
            Some(_) => None,
        },
        LocationSlot::None => None,
    };
    match from_args
        .or(location)
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        Some(id) => format!("location:{id}"),
        None => {
            let mut h = std::hash::DefaultHasher::new();
            token.expose().hash(&mut h);
            format!("token:{:016x}", h.finish())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tool(name: &str) -> &'static ToolDef {
        generated::tools()
            .iter()
            .find(|t| t.name == name)
            .copied()
            .expect("a generated tool")
    }

    fn args(v: Value) -> JsonObject {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn the_argument_wins_then_the_header_then_the_token() {
        let token = Secret::new("pit-abc").unwrap();
        let t = tool("contacts_get-contacts");
        assert!(matches!(t.location, LocationSlot::Arg(_)));
        assert_eq!(
            budget_key(t, &args(json!({"locationId": "L1"})), Some("L2"), &token),
            "location:L1"
        );
        assert_eq!(
            budget_key(t, &args(json!({})), Some("L2"), &token),
            "location:L2"
        );
        let by_token = budget_key(t, &args(json!({})), None, &token);
        assert!(by_token.starts_with("token:") && !by_token.contains("pit-abc"));
        assert_eq!(by_token, budget_key(t, &args(json!({})), None, &token));
        let other = Secret::new("pit-xyz").unwrap();
        assert_ne!(by_token, budget_key(t, &args(json!({})), None, &other));
    }

    #[test]
    fn alt_id_counts_only_when_it_names_a_location() {
        let token = Secret::new("pit-abc").unwrap();
        let t = tool("payments_list-transactions");
        assert_eq!(t.location, LocationSlot::AltId);
        assert_eq!(
            budget_key(
                t,
                &args(json!({"altId": "L9", "altType": "location"})),
                None,
                &token
            ),
            "location:L9"
        );
        assert_eq!(
            budget_key(
                t,
                &args(json!({"altId": "C1", "altType": "company"})),
                Some("L2"),
                &token
            ),
            "location:L2"
        );
    }
}
