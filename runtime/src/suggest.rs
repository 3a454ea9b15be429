//! "Did you mean" help: edit distance between names, the nearest candidates, and safe echoes of
//! user input in messages.
//!
//! The generator (unknown operations in the overlay), tool selection (unknown `--tools` names)
//! and the server (unknown tool names in discovery calls) all suggest names the same way, from
//! here. The work is bounded: edit distance costs the product of the two lengths, so names longer
//! than [`MAX_NAME_CHARS`] (the longest valid MCP tool name) get no fuzzy match at all, and
//! [`clip`] keeps an over-long input from being echoed back whole.

use std::borrow::Cow;

/// The longest name worth comparing: MCP tool names are at most 128 characters.
pub const MAX_NAME_CHARS: usize = 128;

/// Levenshtein distance in characters, or `None` when either side is longer than
/// [`MAX_NAME_CHARS`] (no valid name is, and the cost would grow with the input).
pub fn distance(a: &str, b: &str) -> Option<usize> {
    if a.chars().nth(MAX_NAME_CHARS).is_some() || b.chars().nth(MAX_NAME_CHARS).is_some() {
        return None;
    }
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()])
}

/// Up to `take` of `candidates` within `max_distance` edits of `wanted`, nearest first (ties by
/// name). Empty when `wanted` is too long to compare.
pub fn within<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max_distance: usize,
    take: usize,
) -> Vec<&'a str> {
    if wanted.chars().nth(MAX_NAME_CHARS).is_some() {
        return Vec::new();
    }
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| distance(wanted, c).map(|d| (d, c)))
        .filter(|(d, _)| *d <= max_distance)
        .collect();
    scored.sort();
    scored.into_iter().take(take).map(|(_, c)| c).collect()
}

/// Up to five of `candidates` close to `wanted` (within a third of its length, at least 3 edits);
/// when none is close, the first five by name, so a help line always lists something.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let all: Vec<&str> = candidates.into_iter().collect();
    let limit = (wanted.chars().count() / 3).max(3);
    let near = within(wanted, all.iter().copied(), limit, 5);
    if !near.is_empty() {
        return near;
    }
    let mut first = all;
    first.sort_unstable();
    first.truncate(5);
    first
}

/// Names as "`a`, `b`".
pub fn backticked<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text` cut to `max_chars` characters with "…" and the full length, for echoing user input.
pub fn clip(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!(
            "{}… ({} characters)",
            &text[..cut],
            text.chars().count()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_and_refuses_long_names() {
        assert_eq!(distance("kitten", "sitting"), Some(3));
        assert_eq!(distance("", "abc"), Some(3));
        assert_eq!(distance("same", "same"), Some(0));
        assert_eq!(distance(&"x".repeat(129), "x"), None);
        assert_eq!(distance(&"x".repeat(128), "x"), Some(127));
    }

    #[test]
    fn closest_prefers_small_edits_then_falls_back_to_names() {
        let c = closest(
            "get-contactt",
            ["get-contact", "get-contacts", "delete-task"],
        );
        assert_eq!(c, vec!["get-contact", "get-contacts"]);
        let none_near = closest("zzzzzzzz", ["b", "a", "c"]);
        assert_eq!(none_near, vec!["a", "b", "c"]);
    }

    #[test]
    fn within_is_bounded_by_input_length() {
        let long = "a".repeat(500_000);
        assert!(within(&long, ["a", "aa"], usize::MAX, 5).is_empty());
        assert_eq!(
            within("cat", ["cut", "dog", "cart"], 1, 5),
            vec!["cart", "cut"]
        );
    }

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text() {
        assert_eq!(clip("short", 10), "short");
        let long = "é".repeat(20);
        let c = clip(&long, 5);
        assert_eq!(c, "ééééé… (20 characters)");
        assert_eq!(backticked(&["a", "b"]), "`a`, `b`");
    }
}
