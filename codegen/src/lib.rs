//! Placeholder; see the codegen issue.
#![deny(missing_docs)]
