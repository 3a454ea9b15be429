//! The library half of xtask: the schema-review reports, kept apart from `main.rs` so tests can
//! drive them without a process.
//!
//! - [`diff`]: the tools at a git revision against the working tree, each change classified as
//!   breaking, needs-attention or safe (`cargo xtask diff`).
//! - [`drift`]: the facts in `spec/openapi/` against a folder of HighLevel's official OpenAPI
//!   files (`cargo xtask drift`).
//!
//! Both render Markdown (for a pull-request comment or an issue) and JSON, from one report value.
#![deny(missing_docs)]

pub mod class;
pub mod diff;
pub mod drift;
mod markdown;

pub use class::{Class, Format};
