//! Runtime types shared by `codegen`, `generated` and `server`.
//!
//! The generator lowers HighLevel's OpenAPI documents (our curated `spec/` or a folder of the
//! official files) into [`ToolDef`] values. At build time those values are emitted as Rust statics
//! into the `generated` crate; at run time the same values can be built in memory. Either way the
//! server hands them to one executor, [`build_request`], which checks nothing about HTTP and
//! everything about turning a tool call into an [`UpstreamRequest`]. Keeping this crate small and
//! free of HTTP clients keeps the dependency graph `server → generated → runtime` acyclic.
#![deny(missing_docs)]

mod exec;
mod ir;
mod mcp;
pub mod parts;
pub mod suggest;

pub use exec::{ArgError, CallContext, CompiledTool, UpstreamRequest, build_request};
pub use ir::{
    Annotations, BodyEncoding, HttpMethod, LocationSlot, ParamDef, ParamIn, Risk, Str, ToolDef,
    is_valid_tool_name,
};
pub use mcp::{RISK_META_KEY, pretty, sorted, tool_json};
