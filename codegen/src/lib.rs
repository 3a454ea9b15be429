//! The generator: HighLevel OpenAPI documents (plus our tool overlay) → [`runtime::ToolDef`] →
//! generated Rust, JSON schema files and a catalog.
//!
//! Stages: [`load`] (the only file-system access; parse with positions) → [`lower`] (resolve
//! `$ref`s lazily, join the overlay to operations, validate, build the IR) → `emit` (pure: IR in,
//! files out; behind the default `emit` feature). Problems are collected as [`Diagnostics`] and
//! all reported at once.
//!
//! Two entry points:
//! - [`generate`]: our `spec/` folder → every file under `generated/` (used by `cargo xtask
//!   regenerate`);
//! - [`lower_official`]: a folder of HighLevel's official JSON files → tools in memory, the same
//!   IR the server executes (for serving the whole API at run time).
#![deny(missing_docs)]

pub mod diagnostics;
#[cfg(feature = "emit")]
pub mod emit;
pub mod import;
pub mod load;
pub mod locate;
pub mod lower;
pub mod risk;
mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use diagnostics::{Diagnostic, Diagnostics, Severity, Span};
pub use locate::{OFFICIAL_DIR_ENV, official_dir, official_dir_or_skip};
pub use lower::{Lowered, MAX_NAME_LEN, Policy, lower_official, sanitize_name, tool_name};
pub use runtime::{pretty, tool_json};
pub use schema::strip_html;

/// The files of one generation run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    /// File contents keyed by path relative to the `generated/` crate folder
    /// (`schemas/contacts/contacts_get-contact.json`, `src/tools/mod.rs`, `TOOLS.md`).
    pub files: BTreeMap<PathBuf, String>,
    /// Warnings (schema quirks worked around); generation succeeded anyway.
    pub warnings: Vec<Diagnostic>,
}

/// Lowers the curated spec in `spec_dir` (holding `openapi/` and `tools/`) to tools sorted by
/// name; errors (and warnings) go to `diags`.
pub fn lower_spec_dir(spec_dir: &Path, diags: &mut Diagnostics) -> Vec<Lowered> {
    let sources = load::load_spec_dir(spec_dir, diags);
    let mut tools = lower::lower_spec(&sources, diags);
    risk::apply_overlay(&sources, &mut tools, diags);
    tools
}

/// Generates every output file from the curated spec in `spec_dir`.
///
/// Fails with all diagnostics (sorted, warnings included) when any error exists; then nothing
/// should be written.
#[cfg(feature = "emit")]
pub fn generate(spec_dir: &Path) -> Result<Output, Diagnostics> {
    let mut diags = Diagnostics::default();
    let tools = lower_spec_dir(spec_dir, &mut diags);
    finish(tools, diags)
}

/// Generates the output files for every operation of a folder of official HighLevel files
/// (what the benchmark times; the server lowers such a folder with [`lower_official`] instead).
#[cfg(feature = "emit")]
pub fn generate_official(dir: &Path, policy: &Policy) -> Result<Output, Diagnostics> {
    let mut diags = Diagnostics::default();
    let sources = load::load_official_dir(dir, &mut diags);
    let tools = lower::lower_official_sources(&sources, policy, &mut diags);
    finish(tools, diags)
}

#[cfg(feature = "emit")]
fn finish(tools: Vec<Lowered>, mut diags: Diagnostics) -> Result<Output, Diagnostics> {
    diags.sort();
    if diags.has_errors() {
        return Err(diags);
    }
    match emit::emit_all(&tools) {
        Ok(files) => Ok(Output {
            files,
            warnings: diags.0,
        }),
        Err(e) => {
            diags.push(Diagnostic::error(e, None));
            Err(diags)
        }
    }
}
