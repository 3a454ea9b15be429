//! The HighLevel tool registry generated from `spec/` by `cargo xtask regenerate`.
//!
//! Only this file and Cargo.toml are written by hand; everything under `src/tools/` and the
//! `registry.rs` file is generator output. The server serves exactly [`tools`].
#![deny(missing_docs)]

pub use runtime::ToolDef;

/// Every generated tool, sorted by name.
pub fn tools() -> &'static [&'static ToolDef] {
    &[]
}
