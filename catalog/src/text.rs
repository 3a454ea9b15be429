//! Words and stems: the one tokenizer that tools and requests both go through, so that a word
//! meets itself whatever its case, hyphenation or ending ("Block-Slots", "blocked", "block").

/// Lower-case words of `text`, split at non-alphanumerics and camelCase humps.
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            cur.extend(c.to_lowercase());
        } else {
            prev_lower = false;
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A light suffix stripper: plurals, -ing, -ed and a final -e, applied the same way to tools
/// and requests so "schedules", "scheduled" and "scheduling" meet.
pub(crate) fn stem(word: &str) -> String {
    let mut w = word.to_owned();
    if w.len() > 4 && w.ends_with("ies") {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.len() > 4
        && w.ends_with("es")
        && ["s", "x", "ch", "sh"]
            .iter()
            .any(|e| w[..w.len() - 2].ends_with(e))
    {
        w.truncate(w.len() - 2);
    } else if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        w.pop();
    }
    if w.len() > 5 && w.ends_with("ing") {
        w.truncate(w.len() - 3);
    } else if w.len() > 4 && w.ends_with("ed") {
        w.truncate(w.len() - 2);
    }
    if w.len() > 4 && w.ends_with('e') {
        w.pop();
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_meet() {
        assert_eq!(stem("schedules"), stem("scheduling"));
        assert_eq!(stem("scheduled"), stem("schedule"));
        assert_eq!(stem("opportunities"), "opportunity");
        assert_eq!(stem("contacts"), "contact");
        assert_eq!(stem("messages"), stem("message"));
        assert_eq!(stem("address"), "address");
    }

    #[test]
    fn words_split_camel_and_kebab() {
        assert_eq!(
            words("get-contactsByBusinessId now"),
            ["get", "contacts", "by", "business", "id", "now"]
        );
    }
}
