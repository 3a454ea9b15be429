//! Tool selection and discovery over a set of [`runtime::ToolDef`]s.
//!
//! A server may hold hundreds of tools; a model's context holds far fewer. [`Selection`] narrows
//! the set the way an operator asks (toolsets per HighLevel app, an allowlist, read-only, agency
//! tools), and [`SearchIndex`] ranks the selected tools for a natural-language query so that a
//! discovery mode can list a handful of meta-tools instead of every schema.
#![deny(missing_docs)]

mod hints;
mod query;
mod search;
mod select;
mod text;
mod thesaurus;

pub use search::{Hit, SearchIndex};

/// Tools the built-in search hints are written for (app part without hyphens); for a test that
/// each names a real tool.
#[doc(hidden)]
pub fn hinted_tools() -> Vec<&'static str> {
    hints::hinted_tools()
}
pub use select::{SelectError, Selection};
