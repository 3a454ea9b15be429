//! Lowering: OpenAPI operations (plus the overlay, for our curated spec) → [`runtime::ToolDef`].
//!
//! Two entry points share one operation lowering (`operation::lower_operation`):
//!
//! - [`lower_spec`]: our `spec/` folder. Only operations named by an overlay entry become tools;
//!   the overlay supplies title, description, annotations, scopes, location mode and parameter
//!   overrides, and every problem is an error.
//! - [`lower_official`]: a folder of HighLevel's official files with a [`Policy`] (by default
//!   every operation is a tool). Metadata is derived; a quirk costs at most that operation and is
//!   reported as a warning naming it.
//!
//! What lowering does to an operation (quirk numbers from ../shared/notes/spec-quirks.md):
//! `Version` and `Authorization` header parameters are dropped (the Version enum value becomes
//! [`ToolDef::version`], Q1/Q3); undeclared `{vars}` in the path become required string
//! parameters (Q4, an error in our own spec); path parameters are always required (Q5); a JSON
//! object body is spread into top-level arguments (a name already used by a path/query/header
//! parameter becomes `body_<name>`, Q14) while any other body becomes one `body` argument (Q12);
//! descriptions fall back to the summary (Q24) and lose their HTML (Q23); names are
//! `<app>_<operationId>` with every character outside `[A-Za-z0-9_.-]` replaced by `-`
//! (`payments_create-integration provider` → `payments_create-integration-provider`, Q9).
//!
//! The submodules, in pipeline order: `operation` (one OpenAPI operation → arguments, with
//! `payload` for its request body and success response), `tool` (arguments plus metadata → a
//! [`ToolDef`]), `official` and `overlay` (the two entry points), `fields` (typed, located reads
//! of overlay keys). This module holds what they share: the public types, tool naming and the
//! walk over a document's operations.

mod fields;
mod official;
mod operation;
mod overlay;
mod payload;
mod tool;

use runtime::{HttpMethod, ToolDef, sorted};
use serde_json::Value;

use crate::load::{SourceFile, escape};

pub use official::{lower_official, lower_official_sources};
pub use overlay::lower_spec;

/// Which official operations become tools, for [`lower_official`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Keep operations marked `deprecated: true`.
    pub include_deprecated: bool,
    /// Keep operations only an agency token can call (security lists only `Agency-Access*`).
    pub include_agency_only: bool,
    /// Keep operations whose request body is not JSON (multipart or form-urlencoded uploads).
    /// The executor sends JSON, so such tools reach the upstream in the wrong encoding.
    pub include_non_json_bodies: bool,
}

impl Policy {
    /// Every operation is a tool (the robustness-test policy).
    pub fn every_operation() -> Self {
        Self {
            include_deprecated: true,
            include_agency_only: true,
            include_non_json_bodies: true,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::every_operation()
    }
}

/// A lowered tool and the file it came from (named in generated headers).
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// The tool.
    pub def: ToolDef,
    /// The overlay file (curated) or official file it was lowered from, as displayed.
    pub source: String,
    /// Listed by HighLevel's hosted MCP server, so served by default (`hosted: true`).
    pub hosted: bool,
    /// Search metadata from the overlay: requests in users' words (`asks`), then synonyms
    /// (`aliases`). Not shown to the model in tools/list; the discovery catalog ranks with it.
    pub keywords: Vec<String>,
}

/// The one naming rule: `<app without hyphens>_<operationId>`, sanitized. HighLevel's hosted
/// server names its tools this way (`socialmediaposting_get-posts`), so prompts written for it
/// find the same names here.
pub fn tool_name(app: &str, operation_id: &str) -> String {
    sanitize_name(&format!("{}_{operation_id}", app.replace('-', "")))
}

/// Replaces every character outside `[A-Za-z0-9_.-]` with `-` (Q9: HighLevel's one operationId
/// with a space, `create-integration provider`).
pub fn sanitize_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Longest tool name we emit; several MCP clients cap names at 64 characters.
pub const MAX_NAME_LEN: usize = 64;

/// Compact JSON with keys sorted: the text stored in [`ToolDef::input_schema`].
pub fn canonical(v: &Value) -> String {
    sorted(v).to_string()
}

/// How strict to be, and how to name things in messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Curated,
    Official,
}

const METHODS: [(&str, HttpMethod); 5] = [
    ("get", HttpMethod::Get),
    ("post", HttpMethod::Post),
    ("put", HttpMethod::Put),
    ("patch", HttpMethod::Patch),
    ("delete", HttpMethod::Delete),
];

/// Where an operation lives in its document.
struct OpRef<'a> {
    doc: &'a SourceFile,
    path: &'a str,
    method: HttpMethod,
    method_key: &'static str,
    op: &'a Value,
}

impl OpRef<'_> {
    fn ptr(&self) -> String {
        format!("/paths/{}/{}", escape(self.path), self.method_key)
    }
}

/// Every (path, method, operation) of a document, in document order.
fn operations(doc: &SourceFile) -> Vec<OpRef<'_>> {
    let mut out = Vec::new();
    if let Some(Value::Object(paths)) = doc.value.get("paths") {
        for (path, item) in paths {
            for (key, method) in METHODS {
                if let Some(op) = item.get(key).filter(|o| o.is_object()) {
                    out.push(OpRef {
                        doc,
                        path,
                        method,
                        method_key: key,
                        op,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitized() {
        assert_eq!(
            sanitize_name("payments_create-integration provider"),
            "payments_create-integration-provider"
        );
    }
}
