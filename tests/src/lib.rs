//! Cross-crate tests live in tests/tests/ (fault, abuse, hardening, property and sandbox-effect
//! matrices); the release benchmark driver behind `cargo xtask bench` is the `bench` crate.
#![deny(missing_docs)]

use rmcp::model::CallToolResult;
use serde_json::Value;

/// The text blocks of a tool result, joined with line breaks.
pub fn text_of(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a tool result is marked `isError`.
pub fn is_error(r: &CallToolResult) -> bool {
    r.is_error == Some(true)
}

/// The result as JSON: structuredContent, else the text parsed, else null.
pub fn json_of(r: &CallToolResult) -> Value {
    r.structured_content
        .clone()
        .or_else(|| serde_json::from_str(&text_of(r)).ok())
        .unwrap_or(Value::Null)
}

/// `s` with its `%XX` escapes decoded (invalid escapes kept as they are), for tests that read
/// what went on the wire.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
