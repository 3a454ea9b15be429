//! Tool selection and discovery over a set of [`runtime::ToolDef`]s.
//!
//! A server may hold hundreds of tools; a model's context holds far fewer. [`Selection`] narrows
//! the set the way an operator asks (toolsets per HighLevel app, an allowlist, read-only, agency
//! tools), and [`SearchIndex`] ranks the selected tools for a natural-language query so that a
//! discovery mode can list a handful of meta-tools instead of every schema.
#![deny(missing_docs)]

mod search;
mod select;

pub use search::{Hit, SearchIndex};
pub use select::{SelectError, Selection};
