//! Narrowing a catalog: toolsets (one per HighLevel app), an allowlist of tool names, read-only
//! mode and agency-only tools. Unknown names are errors that list what exists, because a typo in a
//! deployment flag should fail at start-up, not silently serve nothing.

use std::collections::BTreeSet;

use runtime::ToolDef;

/// What an operator asked to expose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only tools of these apps (`contacts`, `calendars`, ...); `None` means every app.
    pub toolsets: Option<BTreeSet<String>>,
    /// Only these tool names; `None` means every tool.
    pub tools: Option<BTreeSet<String>>,
    /// Drop every tool that is not annotated read-only, whatever else is set.
    pub read_only: bool,
    /// Keep tools that only an agency token can call (hidden by default).
    pub agency: bool,
}

/// A selection that names something the catalog does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// `--toolsets` named unknown apps.
    #[error("unknown toolset(s) {}: available toolsets are {}", list(.unknown), list(.available))]
    UnknownToolsets {
        /// The names not found.
        unknown: Vec<String>,
        /// Every app in the catalog.
        available: Vec<String>,
    },
    /// `--tools` named unknown tools.
    #[error("unknown tool name(s) {}: {}tool names look like `contacts_get-contact`; {} tools are available (see generated/TOOLS.md, or search_operations in --discovery mode)", list(.unknown), did_you_mean(.suggestions), .available)]
    UnknownTools {
        /// The names not found.
        unknown: Vec<String>,
        /// How many tools the catalog has.
        available: usize,
        /// Catalog names close to the unknown ones (typos).
        suggestions: Vec<String>,
    },
}

fn did_you_mean(items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("did you mean {}? ", list(items))
    }
}

/// Up to three of `available` within a quarter of `wanted`'s length in edits, nearest first.
fn near<'a>(wanted: &str, available: impl Iterator<Item = &'a str>) -> Vec<String> {
    let limit = (wanted.chars().count() / 4).max(1);
    runtime::suggest::within(wanted, available, limit, 3)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn list(items: &[String]) -> String {
    runtime::suggest::backticked(items)
}

impl Selection {
    /// Parses comma-separated flag values (`"contacts, calendars"`); empty means "not set".
    pub fn parse_list(value: Option<&str>) -> Option<BTreeSet<String>> {
        let set: BTreeSet<String> = value?
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        (!set.is_empty()).then_some(set)
    }

    /// Whether one tool passes the selection (names are not checked here; see [`Selection::apply`]).
    pub fn admits(&self, tool: &ToolDef) -> bool {
        if self.read_only && !tool.annotations.read_only {
            return false;
        }
        if tool.agency_only && !self.agency {
            return false;
        }
        if let Some(sets) = &self.toolsets
            && !sets.contains(tool.app.as_ref())
        {
            return false;
        }
        if let Some(names) = &self.tools
            && !names.contains(tool.name.as_ref())
        {
            return false;
        }
        true
    }

    /// Keeps the admitted tools, after checking that every named toolset and tool exists.
    pub fn apply(&self, tools: Vec<ToolDef>) -> Result<Vec<ToolDef>, SelectError> {
        if let Some(sets) = &self.toolsets {
            let available: BTreeSet<&str> = tools.iter().map(|t| t.app.as_ref()).collect();
            let unknown: Vec<String> = sets
                .iter()
                .filter(|s| !available.contains(s.as_str()))
                .cloned()
                .collect();
            if !unknown.is_empty() {
                return Err(SelectError::UnknownToolsets {
                    unknown,
                    available: available.into_iter().map(str::to_owned).collect(),
                });
            }
        }
        if let Some(names) = &self.tools {
            let available: BTreeSet<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
            let unknown: Vec<String> = names
                .iter()
                .filter(|s| !available.contains(s.as_str()))
                .cloned()
                .collect();
            if !unknown.is_empty() {
                let mut suggestions: Vec<String> = Vec::new();
                for u in &unknown {
                    for n in near(u, available.iter().copied()) {
                        if !suggestions.contains(&n) {
                            suggestions.push(n);
                        }
                    }
                }
                return Err(SelectError::UnknownTools {
                    unknown,
                    available: available.len(),
                    suggestions,
                });
            }
        }
        Ok(tools.into_iter().filter(|t| self.admits(t)).collect())
    }
}
