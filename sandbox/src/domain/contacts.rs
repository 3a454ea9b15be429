//! Contact rules: the fields HighLevel derives from names and email, how tags and birth dates
//! are normalised, and how a contact is matched within a location (email first, then phone).

use serde_json::{Map, Value};

use crate::store::Store;
use crate::util::{iso, parse_iso};

/// Sets `k` to `v`, or removes `k` when `v` is empty: HighLevel leaves empty name and email
/// fields out of a contact rather than sending empty strings.
pub(crate) fn set_or_clear(m: &mut Map<String, Value>, k: &str, v: &str) {
    if v.is_empty() {
        m.remove(k);
    } else {
        m.insert(k.into(), Value::String(v.to_string()));
    }
}

/// Recomputes the lower-case and display-name fields HighLevel derives.
pub(crate) fn refresh_derived(c: &mut Map<String, Value>) {
    let first = c
        .get("firstName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let last = c
        .get("lastName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let full = format!("{first} {last}").trim().to_string();
    set_or_clear(c, "firstNameLowerCase", &first.to_lowercase());
    set_or_clear(c, "lastNameLowerCase", &last.to_lowercase());
    set_or_clear(c, "fullNameLowerCase", &full.to_lowercase());
    set_or_clear(c, "name", &full);
    set_or_clear(c, "contactName", &full);
    let email = c
        .get("email")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_lowercase();
    set_or_clear(c, "emailLowerCase", &email);
}

/// Normalised tags: trimmed, lower-cased, without empties or repeats, in first-seen order.
pub(crate) fn normalize_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_lowercase();
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// A birth date in any of the forms HighLevel accepts, stored as HighLevel returns it
/// (`1990-09-25T00:00:00.000Z`).
pub(crate) fn birth_date(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let parts: Vec<&str> = raw.split('/').collect();
    let ymd = match parts.as_slice() {
        [y, m, d] if y.len() == 4 => format!("{y}-{m:0>2}-{d:0>2}"),
        [m, d, y] if y.len() == 4 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => raw.to_string(),
    };
    parse_iso(&ymd).map(|ms| iso(ms - ms.rem_euclid(86_400_000)))
}

/// The existing contact in `location` that has this email (first) or phone, other than `except`,
/// with the field that matched (`"email"` or `"phone"`). Emails match case-insensitively;
/// phones are expected in E.164 already.
pub(crate) fn find_match(
    store: &Store,
    location: &str,
    email: Option<&str>,
    phone: Option<&str>,
    except: Option<&str>,
) -> Option<(String, &'static str)> {
    let hit = |id: Option<&String>| id.filter(|id| Some(id.as_str()) != except).cloned();
    if let Some(e) = email
        && let Some(id) = hit(store
            .by_email
            .get(&(location.to_string(), e.to_lowercase())))
    {
        return Some((id, "email"));
    }
    if let Some(p) = phone
        && let Some(id) = hit(store.by_phone.get(&(location.to_string(), p.to_string())))
    {
        return Some((id, "phone"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn derived_fields_follow_names_and_email() {
        let mut c =
            obj(json!({ "firstName": "Ada", "lastName": "LOVELACE", "email": "Ada@Example.COM" }));
        refresh_derived(&mut c);
        assert_eq!(c["name"], "Ada LOVELACE");
        assert_eq!(c["contactName"], "Ada LOVELACE");
        assert_eq!(c["firstNameLowerCase"], "ada");
        assert_eq!(c["lastNameLowerCase"], "lovelace");
        assert_eq!(c["fullNameLowerCase"], "ada lovelace");
        assert_eq!(c["emailLowerCase"], "ada@example.com");
    }

    #[test]
    fn derived_fields_disappear_with_their_source() {
        let mut c =
            obj(json!({ "firstName": "Ada", "lastName": "Lovelace", "email": "a@example.com" }));
        refresh_derived(&mut c);
        c.remove("lastName");
        c.remove("email");
        refresh_derived(&mut c);
        assert_eq!(c["name"], "Ada");
        assert!(!c.contains_key("lastNameLowerCase"));
        assert!(!c.contains_key("emailLowerCase"));
        c.remove("firstName");
        refresh_derived(&mut c);
        for k in [
            "name",
            "contactName",
            "fullNameLowerCase",
            "firstNameLowerCase",
        ] {
            assert!(!c.contains_key(k), "{k} should be gone: {c:?}");
        }
    }

    #[test]
    fn tags_are_trimmed_lowercased_and_unique_in_order() {
        let tags = normalize_tags([" VIP ", "new patient", "vip", "", "  ", "Referral"]);
        assert_eq!(tags, ["vip", "new patient", "referral"]);
    }

    #[test]
    fn birth_dates_accept_highlevels_three_forms() {
        let want = Some("1990-09-05T00:00:00.000Z".to_string());
        assert_eq!(birth_date("1990-09-05"), want);
        assert_eq!(birth_date("09/05/1990"), want);
        assert_eq!(birth_date("9/5/1990"), want);
        assert_eq!(birth_date("1990/9/5"), want);
        assert_eq!(birth_date(" 1990-09-05T13:45:00Z "), want);
        assert_eq!(birth_date("05.09.1990"), None);
        assert_eq!(birth_date("yesterday"), None);
    }

    fn store_with(contacts: &[(&str, &str, &str, &str)]) -> Store {
        let mut s = Store::empty(1);
        for (id, loc, email, phone) in contacts {
            let mut c = obj(json!({ "id": id, "locationId": loc, "email": email, "phone": phone }));
            refresh_derived(&mut c);
            s.put_contact(Value::Object(c));
        }
        s
    }

    #[test]
    fn matching_prefers_email_then_phone_within_the_location() {
        let s = store_with(&[
            ("a", "L1", "Ann@Example.com", "+15125550100"),
            ("b", "L1", "bob@example.com", "+15125550101"),
            ("c", "L2", "cat@example.com", "+15125550102"),
        ]);
        let m = |e, p, x| find_match(&s, "L1", e, p, x);
        assert_eq!(
            m(Some("ANN@example.COM"), Some("+15125550101"), None),
            Some(("a".to_string(), "email"))
        );
        assert_eq!(
            m(Some("nobody@example.com"), Some("+15125550101"), None),
            Some(("b".to_string(), "phone"))
        );
        // The contact being updated does not match itself.
        assert_eq!(
            m(Some("ann@example.com"), Some("+15125550101"), Some("a")),
            Some(("b".to_string(), "phone"))
        );
        assert_eq!(m(Some("ann@example.com"), None, Some("a")), None);
        // Another location's contacts never match.
        assert_eq!(m(Some("cat@example.com"), Some("+15125550102"), None), None);
        assert_eq!(m(None, None, None), None);
    }
}
