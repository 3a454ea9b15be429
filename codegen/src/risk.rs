//! Risk classes: which writes are destructive, outbound, money or bulk.
//!
//! [`derive`] is the one place the rules live; lowering calls it for every operation (curated and
//! official alike). [`apply_overlay`] then lets an overlay entry replace the derived classes with
//! `risk: [outbound]` (or `risk: []` for none), because words in a path are only a guess.
//!
//! The rules, from the method, the path and the operationId (split into lower-case words):
//!
//! - reads (`GET`, and `POST` operations whose id starts with get/list/search) carry no risk;
//! - **destructive**: `DELETE`, and `PUT` on a whole record (a path ending in `{id}`), which
//!   overwrites what it does not mention;
//! - **outbound**: an id with the word `send`, `POST /conversations/messages`, social posts
//!   (writes under `/social-media-posting/.../posts`) and review replies (`reply`/`replies`);
//! - **money**: a path or id word `payment(s)`, `charge(s)`, `refund(s)`, `transaction(s)`,
//!   `order(s)` or `text2pay`;
//! - **bulk**: a path or id word `bulk` or `batch`.

use runtime::{HttpMethod, Risk};
use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, list};
use crate::load::SpecSources;
use crate::lower::{Lowered, sanitize_name};

const MONEY_WORDS: [&str; 11] = [
    "payment",
    "payments",
    "charge",
    "charges",
    "refund",
    "refunds",
    "transaction",
    "transactions",
    "order",
    "orders",
    "text2pay",
];

/// Lower-case words of a path and an operationId (split on anything not a letter or digit).
fn words(path: &str, operation_id: &str) -> Vec<String> {
    format!("{path} {operation_id}")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The risk classes the rules give an operation.
pub fn derive(method: HttpMethod, path: &str, operation_id: &str) -> Risk {
    let id = operation_id.to_ascii_lowercase();
    if method == HttpMethod::Get
        || (method == HttpMethod::Post
            && ["get", "list", "search"].iter().any(|p| id.starts_with(p)))
    {
        return Risk::NONE;
    }
    let w = words(path, operation_id);
    let has = |word: &str| w.iter().any(|x| x == word);
    let whole_record = path.trim_end_matches('/').ends_with('}');
    let social_post = path.starts_with("/social-media-posting/") && has("posts");
    Risk {
        destructive: method == HttpMethod::Delete || (method == HttpMethod::Put && whole_record),
        outbound: id.split('-').any(|x| x == "send")
            || (method == HttpMethod::Post && path == "/conversations/messages")
            || (social_post && method != HttpMethod::Delete)
            || has("reply")
            || has("replies"),
        money: MONEY_WORDS.iter().any(|m| has(m)),
        bulk: has("bulk") || has("batch"),
    }
}

/// Replaces the derived classes of every curated tool whose overlay entry has `risk:`; a value
/// that is not a list of class names is an error pointing at it.
pub fn apply_overlay(sources: &SpecSources, tools: &mut [Lowered], diags: &mut Diagnostics) {
    for (app, file) in &sources.tools {
        let Some(Value::Array(entries)) = file.value.get("tools") else {
            continue;
        };
        for (i, e) in entries.iter().enumerate() {
            let Some(value) = e.get("risk") else {
                continue;
            };
            let ptr = format!("/tools/{i}/risk");
            let Some(items) = value.as_array() else {
                diags.push(
                    Diagnostic::error("`risk` must be a list", Some(file.span(&ptr))).with_help(
                        format!(
                            "write e.g. `risk: [outbound]` or `risk: []`; classes: {}",
                            list(&Risk::NAMES)
                        ),
                    ),
                );
                continue;
            };
            let mut risk = Risk::NONE;
            let mut ok = true;
            for (j, item) in items.iter().enumerate() {
                if !item.as_str().is_some_and(|n| risk.set(n)) {
                    ok = false;
                    diags.push(
                        Diagnostic::error(
                            format!("unknown risk class {item}"),
                            Some(file.span(&format!("{ptr}/{j}"))),
                        )
                        .with_help(format!("use {}", list(&Risk::NAMES))),
                    );
                }
            }
            let name = match e.get("name").and_then(Value::as_str) {
                Some(n) => n.to_owned(),
                None => {
                    let op = e.get("operation").and_then(Value::as_str).unwrap_or("");
                    sanitize_name(&format!("{app}_{op}"))
                }
            };
            if let (true, Some(t)) = (ok, tools.iter_mut().find(|t| t.def.name == name)) {
                t.def.risk = risk;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HttpMethod::*;

    fn names(m: HttpMethod, path: &str, id: &str) -> Vec<&'static str> {
        derive(m, path, id).names()
    }

    #[test]
    fn rules_classify_highlevel_operations() {
        assert!(names(Get, "/payments/orders/{orderId}", "get-order-by-id").is_empty());
        assert!(names(Post, "/contacts/search", "search-contacts-advanced").is_empty());
        assert_eq!(
            names(Delete, "/contacts/{contactId}", "delete-contact"),
            ["destructive"]
        );
        assert_eq!(
            names(Put, "/contacts/{contactId}", "update-contact"),
            ["destructive"]
        );
        // A PUT on a sub-resource action is not a whole-record overwrite.
        assert!(names(Put, "/calendars/events/{id}/status", "set-status").is_empty());
        assert!(names(Patch, "/contacts/{contactId}", "patch-contact").is_empty());
        assert_eq!(
            names(Post, "/conversations/messages", "send-a-new-message"),
            ["outbound"]
        );
        assert_eq!(
            names(Post, "/invoices/{invoiceId}/send", "send-invoice"),
            ["outbound"]
        );
        assert_eq!(
            names(
                Post,
                "/social-media-posting/{locationId}/posts",
                "create-post"
            ),
            ["outbound"]
        );
        assert_eq!(
            names(Post, "/reputation/reviews/{id}/reply", "reply-to-review"),
            ["outbound"]
        );
        assert_eq!(
            names(
                Post,
                "/payments/orders/{orderId}/record-payment",
                "record-order-payment"
            ),
            ["money"]
        );
        assert_eq!(
            names(Post, "/invoices/text2pay", "text2pay-invoice"),
            ["money"]
        );
        assert_eq!(
            names(
                Post,
                "/contacts/bulk/tags/update/{type}",
                "add-remove-tags-bulk"
            ),
            ["bulk"]
        );
        assert_eq!(
            names(Delete, "/payments/coupon", "delete-coupon"),
            ["destructive", "money"]
        );
        assert!(names(Post, "/contacts/", "create-contact").is_empty());
    }
}
