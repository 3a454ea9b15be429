//! The HighLevel tool registry generated from `spec/` by `cargo xtask regenerate`.
//!
//! Only this file and Cargo.toml are written by hand; everything under `src/tools/` (one module
//! per app, one file per tool, and the `TOOLS` registry in `src/tools/mod.rs`) is generator
//! output, as are `schemas/` and `TOOLS.md`. The server serves [`tools()`]: by default the
//! [`hosted()`] ones, every one through a selection or discovery.
#![deny(missing_docs)]

pub use runtime::ToolDef;

// `rustfmt::skip` so `cargo fmt` never fights the generator's (prettyplease) formatting.
#[rustfmt::skip]
pub mod tools;

/// Every generated tool, sorted by name.
pub fn tools() -> &'static [&'static ToolDef] {
    tools::TOOLS
}

/// The names served by default: the tools HighLevel's hosted MCP server lists (its "Top 36").
pub fn hosted() -> &'static [&'static str] {
    tools::HOSTED
}

/// Search metadata of one tool: requests in users' own words, then synonyms (empty when the
/// spec gives none).
pub fn keywords(name: &str) -> &'static [&'static str] {
    tools::KEYWORDS
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .map(|i| tools::KEYWORDS[i].1)
        .unwrap_or(&[])
}
