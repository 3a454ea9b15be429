//! Redaction of the upstream token from anything the server sends back or logs.
//!
//! HighLevel (or a proxy in front of it) may echo the bearer in an error message. The token is
//! removed from the raw upstream body before anything is parsed, cut or logged, in every form it
//! can take there: as written, JSON-escaped (a token with `"` or `\` appears escaped inside a JSON
//! string) and with `/` escaped. Text that was already cut by someone else may still end with the
//! start of the token or begin with its end, so [`Redactor::scrub_text`] also removes any prefix
//! or suffix of at least [`MIN_FRAGMENT`] characters found at the edges of a cut.

use std::borrow::Cow;

/// Shortest token fragment treated as a leak at a cut edge: shorter ones are too common to
/// mean anything (and too short to help an attacker).
pub const MIN_FRAGMENT: usize = 8;

const MASK: &str = "[redacted]";

/// The forms of one secret to remove.
#[derive(Debug, Clone)]
pub struct Redactor {
    forms: Vec<String>,
    token: String,
}

impl Redactor {
    /// A redactor for `token`; a token shorter than 4 characters is not redacted (it would mask
    /// ordinary text and protect nothing).
    pub fn new(token: &str) -> Self {
        let mut forms = Vec::new();
        if token.chars().count() >= 4 {
            forms.push(token.to_owned());
            let escaped = serde_json::to_string(token).unwrap_or_default();
            let escaped = escaped[1..escaped.len().saturating_sub(1).max(1)].to_owned();
            for f in [escaped.clone(), escaped.replace('/', "\\/")] {
                if !forms.contains(&f) {
                    forms.push(f);
                }
            }
            // Longest first, so a form that contains another is replaced whole.
            forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        }
        Self {
            forms,
            token: token.to_owned(),
        }
    }

    /// `body` with every whole form of the token replaced.
    pub fn scrub_bytes<'a>(&self, body: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out: Cow<'a, [u8]> = Cow::Borrowed(body);
        for form in &self.forms {
            let needle = form.as_bytes();
            if find(&out, needle).is_some() {
                out = Cow::Owned(replace_all(&out, needle, MASK.as_bytes()));
            }
        }
        out
    }

    /// `text` with every whole form replaced, and any token prefix of at least [`MIN_FRAGMENT`]
    /// characters that ends the text or stands before a `…` cut marker, and any token suffix of
    /// that length that starts the text.
    pub fn scrub_text(&self, text: &str) -> String {
        if self.forms.is_empty() {
            return text.to_owned();
        }
        let mut out = String::from_utf8_lossy(&self.scrub_bytes(text.as_bytes())).into_owned();
        let cuts: Vec<usize> = out
            .match_indices('…')
            .map(|(i, _)| i)
            .chain([out.len()])
            .collect();
        for &cut in cuts.iter().rev() {
            if let Some(n) = self.prefix_before(&out[..cut]) {
                out.replace_range(cut - n..cut, MASK);
            }
        }
        if let Some(n) = self.suffix_after(&out) {
            out.replace_range(..n, MASK);
        }
        out
    }

    /// Length in bytes of the longest token prefix (≥ MIN_FRAGMENT chars) that `text` ends with.
    fn prefix_before(&self, text: &str) -> Option<usize> {
        let t = &self.token;
        let mut ends: Vec<usize> = t
            .char_indices()
            .map(|(i, _)| i)
            .skip(MIN_FRAGMENT)
            .collect();
        ends.push(t.len());
        ends.into_iter()
            .rev()
            .find(|&end| text.ends_with(&t[..end]))
    }

    /// Length in bytes of the longest token suffix (≥ MIN_FRAGMENT chars) that `text` starts with.
    fn suffix_after(&self, text: &str) -> Option<usize> {
        let t = &self.token;
        let count = t.chars().count();
        if count < MIN_FRAGMENT {
            return None;
        }
        t.char_indices()
            .take(count - MIN_FRAGMENT + 1)
            .map(|(i, _)| &t[i..])
            .find(|s| text.starts_with(s))
            .map(str::len)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn replace_all(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut rest = hay;
    while let Some(i) = find(rest, needle) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(with);
        rest = &rest[i + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "pit-0123456789abcdefghijklmn";

    #[test]
    fn whole_tokens_go_in_every_form() {
        let r = Redactor::new(TOKEN);
        let body = format!("{{\"message\":\"bad token {TOKEN}\"}}");
        assert!(!String::from_utf8_lossy(&r.scrub_bytes(body.as_bytes())).contains("0123456789"));
        let odd = "pit-\"quoted\\slash/abc";
        let r = Redactor::new(odd);
        let json = serde_json::json!({ "echo": odd }).to_string();
        let scrubbed = String::from_utf8_lossy(&r.scrub_bytes(json.as_bytes())).into_owned();
        assert!(!scrubbed.contains("quoted"), "{scrubbed}");
        assert!(scrubbed.contains(MASK));
    }

    #[test]
    fn fragments_at_a_cut_go_too() {
        let r = Redactor::new(TOKEN);
        let cut = format!("token {}…", &TOKEN[..20]);
        assert_eq!(r.scrub_text(&cut), "token [redacted]…");
        let tail = format!("token {}", &TOKEN[..9]);
        assert_eq!(r.scrub_text(&tail), "token [redacted]");
        let head = format!("{} was refused", &TOKEN[10..]);
        assert_eq!(r.scrub_text(&head), "[redacted] was refused");
        // Seven characters is below the floor: ordinary text stays.
        let short = format!("token {}", &TOKEN[..7]);
        assert_eq!(r.scrub_text(&short), short);
    }

    #[test]
    fn short_tokens_are_left_alone() {
        let r = Redactor::new("abc");
        assert_eq!(r.scrub_text("abc abc"), "abc abc");
    }
}
