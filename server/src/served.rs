//! The tools: the tools this server serves, compiled once at startup.
//!
//! A catalog is built from any list of [`ToolDef`] values: the generated registry today, tools
//! lowered at run time from OpenAPI files later. Each tool's MCP listing entry (an rmcp [`Tool`])
//! is built here once, so `tools/list` is a clone of ready values and matches the generated
//! schema files field for field.

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::model::Tool;
use runtime::{CompiledTool, ToolDef};

/// One served tool: the compiled definition and its MCP listing entry.
#[derive(Debug)]
pub struct Entry {
    /// The definition with its schemas compiled.
    pub compiled: CompiledTool,
    /// What `tools/list` shows for it.
    pub listing: Tool,
}

/// Every served tool, in the order given, with a name index.
#[derive(Debug, Default)]
pub struct ServedTools {
    entries: Vec<Arc<Entry>>,
    listing: Vec<Tool>,
    by_name: HashMap<String, usize>,
}

impl ServedTools {
    /// Compiles `defs`; fails listing every tool whose schema does not parse or whose name repeats.
    pub fn new(defs: impl IntoIterator<Item = ToolDef>) -> Result<Self, String> {
        let mut served = ServedTools::default();
        let mut problems = Vec::new();
        for def in defs {
            if !runtime::is_valid_tool_name(&def.name) {
                problems.push(format!(
                    "`{}` is not a valid MCP tool name (1 to 128 of A-Z a-z 0-9 _ - .)",
                    def.name
                ));
                continue;
            }
            if served.by_name.contains_key(def.name.as_ref()) {
                problems.push(format!("tool `{}` appears twice", def.name));
                continue;
            }
            match CompiledTool::new(def) {
                Ok(compiled) => {
                    let listing = match listing_for(&compiled) {
                        Ok(l) => l,
                        Err(e) => {
                            problems.push(e);
                            continue;
                        }
                    };
                    served
                        .by_name
                        .insert(compiled.def.name.to_string(), served.entries.len());
                    served.listing.push(listing.clone());
                    served.entries.push(Arc::new(Entry { compiled, listing }));
                }
                Err(e) => problems.push(e),
            }
        }
        if problems.is_empty() {
            Ok(served)
        } else {
            Err(format!(
                "the tool set has {} problem(s):\n- {}",
                problems.len(),
                problems.join("\n- ")
            ))
        }
    }

    /// The generated registry (`generated::tools()`).
    pub fn generated() -> Result<Self, String> {
        Self::new(generated::tools().iter().map(|t| (*t).clone()))
    }

    /// Replaces the listing entry of every tool for which `f` returns one (the write guard adds
    /// its `confirm` argument this way).
    pub fn adjust_listing(&mut self, f: impl Fn(&ToolDef, &Tool) -> Option<Tool>) {
        for (i, entry) in self.entries.iter_mut().enumerate() {
            if let Some(t) = f(&entry.compiled.def, &entry.listing) {
                self.listing[i] = t.clone();
                if let Some(e) = Arc::get_mut(entry) {
                    e.listing = t;
                }
            }
        }
    }

    /// The tool named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Entry>> {
        self.by_name.get(name).map(|&i| &self.entries[i])
    }

    /// Every tool, in catalog order.
    pub fn entries(&self) -> &[Arc<Entry>] {
        &self.entries
    }

    /// Every listing entry, in catalog order.
    pub fn listing(&self) -> &[Tool] {
        &self.listing
    }

    /// Number of tools.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the catalog has no tools.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The MCP `Tool` for a definition: [`runtime::tool_json`] read back as rmcp's type.
fn listing_for(compiled: &CompiledTool) -> Result<Tool, String> {
    serde_json::from_value(runtime::tool_json(&compiled.def)).map_err(|e| {
        format!(
            "tool `{}` does not render as an MCP tool: {e}",
            compiled.def.name
        )
    })
}
