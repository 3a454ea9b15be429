//! Message rules: HighLevel's message types and their numeric codes, the channel a send request
//! names (with the contact field it needs), and when do-not-disturb blocks a send.

use serde_json::Value;

/// Every `messageType` HighLevel knows; filters naming another one are rejected.
pub(crate) const MESSAGE_TYPES: &[&str] = &[
    "TYPE_CALL",
    "TYPE_SMS",
    "TYPE_RCS",
    "TYPE_EMAIL",
    "TYPE_SMS_REVIEW_REQUEST",
    "TYPE_WEBCHAT",
    "TYPE_SMS_NO_SHOW_REQUEST",
    "TYPE_CAMPAIGN_SMS",
    "TYPE_CAMPAIGN_CALL",
    "TYPE_CAMPAIGN_EMAIL",
    "TYPE_CAMPAIGN_VOICEMAIL",
    "TYPE_FACEBOOK",
    "TYPE_CAMPAIGN_FACEBOOK",
    "TYPE_CAMPAIGN_MANUAL_CALL",
    "TYPE_CAMPAIGN_MANUAL_SMS",
    "TYPE_GMB",
    "TYPE_CAMPAIGN_GMB",
    "TYPE_REVIEW",
    "TYPE_INSTAGRAM",
    "TYPE_WHATSAPP",
    "TYPE_CUSTOM_SMS",
    "TYPE_CUSTOM_EMAIL",
    "TYPE_CUSTOM_PROVIDER_SMS",
    "TYPE_CUSTOM_PROVIDER_EMAIL",
    "TYPE_IVR_CALL",
    "TYPE_ACTIVITY_CONTACT",
    "TYPE_ACTIVITY_INVOICE",
    "TYPE_ACTIVITY_PAYMENT",
    "TYPE_ACTIVITY_OPPORTUNITY",
    "TYPE_LIVE_CHAT",
    "TYPE_LIVE_CHAT_INFO_MESSAGE",
    "TYPE_ACTIVITY_APPOINTMENT",
    "TYPE_FACEBOOK_COMMENT",
    "TYPE_INSTAGRAM_COMMENT",
    "TYPE_CUSTOM_CALL",
    "TYPE_INTERNAL_COMMENT",
    "TYPE_ACTIVITY_EMPLOYEE_ACTION_LOG",
    "TYPE_TIKTOK",
    "TYPE_TIKTOK_COMMENT",
    "TYPE_ACTIVITY_WHATSAPP",
    "TYPE_FORM_SUBMISSION",
    "TYPE_SMS_REACTION",
];

/// HighLevel's numeric message `type` for a `messageType`.
pub(crate) fn message_type_number(t: &str) -> i64 {
    match t {
        "TYPE_CALL" => 1,
        "TYPE_SMS" => 2,
        "TYPE_EMAIL" => 3,
        "TYPE_FACEBOOK" => 11,
        "TYPE_GMB" => 14,
        "TYPE_INSTAGRAM" => 18,
        "TYPE_WHATSAPP" => 19,
        "TYPE_LIVE_CHAT" => 29,
        _ => 20,
    }
}

/// The channel of a send request's `type`: its `messageType`, and the contact field (`phone` or
/// `email`) it needs, if any. `None` for a type HighLevel does not send.
pub(crate) fn channel(t: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match t {
        "SMS" => ("TYPE_SMS", Some("phone")),
        "RCS" => ("TYPE_RCS", Some("phone")),
        "WhatsApp" => ("TYPE_WHATSAPP", Some("phone")),
        "Email" => ("TYPE_EMAIL", Some("email")),
        "IG" => ("TYPE_INSTAGRAM", None),
        "FB" => ("TYPE_FACEBOOK", None),
        "Custom" => ("TYPE_CUSTOM_SMS", None),
        "Live_Chat" => ("TYPE_LIVE_CHAT", None),
        "TIKTOK" => ("TYPE_TIKTOK", None),
        _ => return None,
    })
}

/// Whether `contact` has a non-empty string `field`.
pub(crate) fn contact_has(contact: &Value, field: &str) -> bool {
    contact[field].as_str().is_some_and(|v| !v.is_empty())
}

/// Whether do-not-disturb stops a send of type `t` to `contact`: `dnd` blocks every channel,
/// `dndSettings.<channel>.status: active` blocks one (RCS shares SMS's setting, Instagram
/// shares Facebook's; the other channels have none).
pub(crate) fn dnd_blocks(contact: &Value, t: &str) -> bool {
    let dnd_key = match t {
        "SMS" | "RCS" => Some("SMS"),
        "Email" => Some("Email"),
        "WhatsApp" => Some("WhatsApp"),
        "FB" | "IG" => Some("FB"),
        _ => None,
    };
    contact["dnd"] == true
        || dnd_key.is_some_and(|k| contact["dndSettings"][k]["status"] == "active")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn message_type_numbers_match_highlevel() {
        assert_eq!(message_type_number("TYPE_SMS"), 2);
        assert_eq!(message_type_number("TYPE_EMAIL"), 3);
        assert_eq!(message_type_number("TYPE_LIVE_CHAT"), 29);
        assert_eq!(message_type_number("TYPE_TIKTOK"), 20);
    }

    #[test]
    fn every_channel_maps_to_a_known_message_type() {
        for t in [
            "SMS",
            "RCS",
            "WhatsApp",
            "Email",
            "IG",
            "FB",
            "Custom",
            "Live_Chat",
            "TIKTOK",
        ] {
            let (mt, _) = channel(t).unwrap_or_else(|| panic!("{t} has no channel"));
            assert!(MESSAGE_TYPES.contains(&mt), "{t} -> {mt}");
        }
        assert_eq!(channel("Email"), Some(("TYPE_EMAIL", Some("email"))));
        assert_eq!(channel("WhatsApp"), Some(("TYPE_WHATSAPP", Some("phone"))));
        assert_eq!(channel("sms"), None);
    }

    #[test]
    fn contact_fields_must_be_non_empty_strings() {
        let c = json!({ "phone": "+15125550100", "email": "" });
        assert!(contact_has(&c, "phone"));
        assert!(!contact_has(&c, "email"));
        assert!(!contact_has(&c, "fax"));
    }

    #[test]
    fn dnd_blocks_all_channels_or_one() {
        let all = json!({ "dnd": true });
        assert!(
            ["SMS", "Email", "Custom", "TIKTOK"]
                .iter()
                .all(|t| dnd_blocks(&all, t))
        );
        let sms = json!({ "dnd": false, "dndSettings": { "SMS": { "status": "active" } } });
        assert!(dnd_blocks(&sms, "SMS"));
        assert!(dnd_blocks(&sms, "RCS"));
        assert!(!dnd_blocks(&sms, "Email"));
        let fb = json!({ "dndSettings": { "FB": { "status": "active" }, "Email": { "status": "inactive" } } });
        assert!(dnd_blocks(&fb, "IG"));
        assert!(!dnd_blocks(&fb, "Email"));
        assert!(!dnd_blocks(&json!({}), "SMS"));
    }
}
