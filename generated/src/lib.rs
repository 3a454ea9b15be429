//! The HighLevel tool registry generated from `spec/` by `cargo xtask regenerate`.
//!
//! Only this file and Cargo.toml are written by hand; everything under `src/tools/` (one module
//! per app, one file per tool, and the `TOOLS` registry in `src/tools/mod.rs`) is generator
//! output, as are `schemas/` and `TOOLS.md`. The server serves exactly [`tools()`].
#![deny(missing_docs)]

pub use runtime::ToolDef;

// `rustfmt::skip` so `cargo fmt` never fights the generator's (prettyplease) formatting.
#[rustfmt::skip]
pub mod tools;

/// Every generated tool, sorted by name.
pub fn tools() -> &'static [&'static ToolDef] {
    tools::TOOLS
}
