//! [`Secret`]: a credential that never shows itself in `Debug`, `Display` or logs, plus the
//! `Authorization: Bearer` parser. Server-held tokens and API keys are compared in constant time.

use std::fmt;
use std::path::Path;

use subtle::ConstantTimeEq;

/// A credential that must never be logged or echoed; `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value, trimming surrounding whitespace (files usually end with a newline).
    /// Returns `None` when nothing is left.
    pub fn new(value: impl AsRef<str>) -> Option<Self> {
        let v = value.as_ref().trim();
        (!v.is_empty()).then(|| Self(v.to_owned()))
    }

    /// Reads a secret from a file holding exactly one non-empty line (surrounding blank lines and
    /// whitespace are ignored); the error names the file but never the content. A second line
    /// is refused rather than guessed at: sent as one header value it would be dropped, and the
    /// server would call HighLevel with no token at all.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        match lines.as_slice() {
            [] => Err(format!(
                "{} is empty: put the secret on its first line and nothing else",
                path.display()
            )),
            [one] => Self::new(one).ok_or_else(|| format!("{} is empty", path.display())),
            more => Err(format!(
                "{} holds {} non-empty lines; it must hold exactly one: the secret alone",
                path.display(),
                more.len()
            )),
        }
    }

    /// The secret itself; call only where it is put on the wire or compared.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short, stable, non-reversible tag for logs and audit records (the first 12 hex digits
    /// of the SHA-256 of the value): tells two tokens apart without revealing either.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.0.as_bytes());
        digest[..6].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Compares with `candidate` in time independent of where they differ.
    pub fn matches(&self, candidate: &str) -> bool {
        // `ct_eq` on slices of different lengths returns false at once; the length of the key
        // is not a secret worth hiding, its content is.
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Extracts the token from an `Authorization: Bearer <token>` header value.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_and_display_hide_the_value() {
        let s = Secret::new(" pit-123 \n").expect("non-empty");
        assert_eq!(s.expose(), "pit-123");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        assert!(Secret::new("  \n").is_none());
    }

    #[test]
    fn secret_files_hold_exactly_one_line() {
        let dir = std::env::temp_dir().join(format!("hl-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).expect("write");
            p
        };
        let one = Secret::from_file(&write("one", "\n  pit-abc  \n\n")).expect("one line");
        assert_eq!(one.expose(), "pit-abc");
        let two = Secret::from_file(&write("two", "pit-abc\npit-def\n")).expect_err("two");
        assert!(two.contains("2 non-empty lines"), "{two}");
        assert!(!two.contains("pit-"), "{two}");
        assert!(Secret::from_file(&write("blank", " \n\n")).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn secret_matches_only_the_exact_value() {
        let s = Secret::new("key-1").expect("non-empty");
        assert!(s.matches("key-1"));
        assert!(!s.matches("key-2"));
        assert!(!s.matches("key-1 "));
        assert!(!s.matches(""));
    }

    #[test]
    fn bearer_parses_the_scheme_case_insensitively() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer   abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }
}
