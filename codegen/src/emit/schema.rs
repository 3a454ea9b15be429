//! `schemas/<app>/<tool>.json`: one canonical MCP tool JSON per tool, the pull-request review
//! surface. JSON has no comments, so these files carry no header (README and TOOLS.md say they are
//! generated).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::lower::Lowered;
use runtime::{pretty, tool_json};

/// The schema file of every tool.
pub fn emit(tools: &[Lowered]) -> BTreeMap<PathBuf, String> {
    tools
        .iter()
        .map(|t| {
            let path = PathBuf::from(format!("schemas/{}/{}.json", t.def.app, t.def.name));
            (path, pretty(&tool_json(&t.def)))
        })
        .collect()
}
