//! Per-operation search hints (`hints.txt`): what each operation is for, in users' words, indexed
//! with the tool because HighLevel's own titles are often terse ("Get Contacts By BusinessId") or
//! name another thing (`products_list-invoices` lists products).

use std::collections::HashMap;
use std::sync::OnceLock;

/// Hint text by tool name, the app part without hyphens (`socialmediaposting_get-posts`), so a
/// hint finds its tool under either naming.
fn all() -> &'static HashMap<String, &'static str> {
    static H: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    H.get_or_init(|| {
        include_str!("hints.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(name, text)| (normalized(name.trim()), text.trim()))
            .collect()
    })
}

/// A tool name with the hyphens of its app part dropped.
pub(crate) fn normalized(name: &str) -> String {
    match name.split_once('_') {
        Some((app, op)) => format!("{}_{op}", app.replace('-', "")),
        None => name.to_owned(),
    }
}

/// The hint for the tool named `name`, if any.
pub(crate) fn hint(name: &str) -> Option<&'static str> {
    all().get(&normalized(name)).copied()
}

/// Every hinted tool name (app part without hyphens), for a test that each names a real tool.
pub(crate) fn hinted_tools() -> Vec<&'static str> {
    let mut v: Vec<&str> = all().keys().map(String::as_str).collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_a_hint_and_names_are_unique() {
        let lines = include_str!("hints.txt")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .count();
        assert_eq!(
            all().len(),
            lines,
            "a hint line without `=` or a name given twice"
        );
        assert_eq!(
            hint("social-media-posting_get-posts"),
            hint("socialmediaposting_get-posts")
        );
        assert!(hint("contacts_get-contact").is_some());
    }
}
