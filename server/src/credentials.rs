//! Credentials: where the upstream bearer token comes from and how HTTP clients prove who they are.
//!
//! Two modes. In header mode (HighLevel-compatible, the default for `serve`) each MCP client sends
//! its own `Authorization: Bearer <Private Integration Token>` and we forward it to the upstream
//! host only. In server-held mode the token lives with the server (`HIGHLEVEL_TOKEN` or
//! `--token-file`) and, optionally, HTTP clients must present a separate server API key, compared
//! in constant time. Secrets are wrapped in [`Secret`], whose `Debug` never shows the value.

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

    /// Reads a secret from a file; the error names the file but never the content.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::new(text).ok_or_else(|| {
            format!(
                "{} is empty: put the secret on its first line and nothing else",
                path.display()
            )
        })
    }

    /// The secret itself; call only where it is put on the wire or compared.
    pub fn expose(&self) -> &str {
        &self.0
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

/// How the server obtains the HighLevel token for a call.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// Header mode: forward each HTTP client's own `Authorization: Bearer` token upstream.
    Forward,
    /// Server-held mode: one token for every call.
    ServerHeld {
        /// The HighLevel token sent upstream.
        token: Secret,
        /// When set, HTTP clients must present this key (`Authorization: Bearer` or `X-API-Key`).
        api_key: Option<Secret>,
    },
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
