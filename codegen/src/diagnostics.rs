//! Errors and warnings about the input, with file:line:col, the key path and a help line.
//!
//! Every stage pushes into one [`Diagnostics`] list instead of returning at the first problem, so a
//! user sees every mistake of a run at once, sorted by file and line, rendered like rustc:
//!
//! ```text
//! error: tool `contacts_get-contactt` names unknown operation `get-contactt`
//!   --> spec/tools/contacts.yaml:14:16 (tools[2].operation)
//!    = help: contacts.yaml has `get-contact`, `get-contacts`
//! ```

use std::fmt;

/// How bad a diagnostic is: errors stop generation, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Generation fails and nothing is written.
    Error,
    /// Reported; the output is still produced (e.g. a quirk worked around in one operation).
    Warning,
}

/// Where in the input a diagnostic points.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Span {
    /// The file as shown to the user (e.g. `spec/tools/contacts.yaml`).
    pub file: String,
    /// 1-based line, when known (YAML sources always have it; JSON sources do not).
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub col: Option<usize>,
    /// The key path inside the document, e.g. `tools[2].operation`.
    pub key_path: Option<String>,
}

/// One problem found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Where it is, when it points into a file.
    pub span: Option<Span>,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error.
    pub fn error(message: impl Into<String>, span: Option<Span>) -> Self {
        Self {
            severity: Severity::Error,
            message: message.into(),
            span,
            help: None,
        }
    }

    /// A new warning.
    pub fn warning(message: impl Into<String>, span: Option<Span>) -> Self {
        Self {
            severity: Severity::Warning,
            message: message.into(),
            span,
            help: None,
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn sort_key(&self) -> (String, usize, usize, Severity, &str) {
        match &self.span {
            Some(s) => (
                s.file.clone(),
                s.line.unwrap_or(0),
                s.col.unwrap_or(0),
                self.severity,
                &self.message,
            ),
            None => (String::new(), 0, 0, self.severity, &self.message),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{level}: {}", self.message)?;
        if let Some(span) = &self.span {
            write!(f, "  --> {}", span.file)?;
            if let Some(line) = span.line {
                write!(f, ":{line}")?;
                if let Some(col) = span.col {
                    write!(f, ":{col}")?;
                }
            }
            if let Some(path) = &span.key_path {
                write!(f, " ({path})")?;
            }
            writeln!(f)?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "   = help: {help}")?;
        }
        Ok(())
    }
}

/// A list of diagnostics; the error type of [`crate::generate`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Sorts by file, line, column, severity and message, and drops exact duplicates.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.0.dedup();
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    /// The warnings only.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| !d.is_error())
    }
}

impl fmt::Display for Diagnostics {
    /// Every diagnostic, separated by blank lines, then a one-line summary.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        let errors = self.errors().count();
        let warnings = self.0.len() - errors;
        write!(f, "{errors} error(s), {warnings} warning(s)")
    }
}

impl std::error::Error for Diagnostics {}

/// Renders a JSON pointer into `doc` (`/tools/2/operation`) as a readable key path
/// (`tools[2].operation`); an index is written `[2]` only where `doc` has an array.
pub fn key_path(doc: &serde_json::Value, pointer: &str) -> String {
    let mut out = String::new();
    let mut node = Some(doc);
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        let in_array = node.is_some_and(serde_json::Value::is_array);
        node = node.and_then(|n| match n {
            serde_json::Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            serde_json::Value::Object(m) => m.get(&seg),
            _ => None,
        });
        if in_array {
            out.push('[');
            out.push_str(&seg);
            out.push(']');
        } else if seg.bytes().next().is_some_and(|b| !b.is_ascii_digit())
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'$')
        {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        } else {
            out.push_str(&format!("[{seg:?}]"));
        }
    }
    out
}

/// Up to five names close to `wanted` for "did you mean" help lines (see [`runtime::suggest`]).
pub use runtime::suggest::closest;

/// Formats names as "`a`, `b`".
pub fn list(names: &[&str]) -> String {
    runtime::suggest::backticked(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_read_like_code() {
        let doc = serde_json::json!({"tools": [0, 1, {"operation": 1}], "r": {"200": {}}});
        assert_eq!(key_path(&doc, "/tools/2/operation"), "tools[2].operation");
        assert_eq!(key_path(&doc, "/r/200"), "r[\"200\"]");
        assert_eq!(
            key_path(&doc, "/paths/~1contacts~1{id}/get"),
            "paths[\"/contacts/{id}\"].get"
        );
    }
}
