//! One side of the diff: the tools of a spec folder, as the MCP tool JSON a client sees plus the
//! facts of the tool IR a client does not see but a reviewer should (wire names, the upstream
//! operation, its `Version`, scopes, deprecation).

use std::collections::BTreeMap;
use std::path::Path;

use codegen::{Diagnostics, Lowered};
use runtime::{HttpMethod, LocationSlot, ParamIn};
use serde_json::{Map, Value};

/// Where one argument travels upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    /// The name on the wire (path variable, query key, header or body property).
    pub name: String,
    /// `path`, `query`, `header`, `body` or `body` (the whole body).
    pub location: &'static str,
    /// JSON text sent when the argument is absent (an overlay default).
    pub default: Option<String>,
}

/// One tool as the diff sees it.
#[derive(Debug, Clone)]
pub struct ToolView {
    /// The MCP tool JSON (`name`, `title`, `description`, `annotations`, `inputSchema`,
    /// `outputSchema` and whatever keys the generator adds later).
    pub json: Map<String, Value>,
    /// Argument name → its wire mapping.
    pub wires: BTreeMap<String, Wire>,
    /// `GET /contacts/{contactId}`.
    pub operation: String,
    /// The `Version` header value.
    pub version: Option<String>,
    /// OAuth scopes, sorted.
    pub scopes: Vec<String>,
    /// Whether HighLevel marks the operation deprecated.
    pub deprecated: bool,
    /// Where the location id goes.
    pub location: String,
    /// The overlay file the tool comes from.
    pub source: String,
}

impl ToolView {
    /// The view of one lowered tool.
    pub fn new(l: &Lowered) -> Self {
        let def = &l.def;
        let json = match codegen::tool_json(def) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let wires = def
            .params
            .iter()
            .map(|p| {
                let wire = Wire {
                    name: p.wire.to_string(),
                    location: location_name(p.location),
                    default: p.default.as_ref().map(|d| d.to_string()),
                };
                (p.name.to_string(), wire)
            })
            .collect();
        let mut scopes: Vec<String> = def.scopes.iter().map(|s| s.to_string()).collect();
        scopes.sort();
        ToolView {
            json,
            wires,
            operation: format!("{} {}", method_name(def.method), def.path),
            version: def.version.as_ref().map(|v| v.to_string()),
            scopes,
            deprecated: def.deprecated,
            location: match &def.location {
                LocationSlot::None => "none".to_owned(),
                LocationSlot::Arg(a) => format!("argument `{a}`"),
                LocationSlot::AltId => "altId/altType".to_owned(),
            },
            source: l.source.clone(),
        }
    }

    /// The tool's `inputSchema` (an empty object when absent).
    pub fn input(&self) -> &Value {
        self.json.get("inputSchema").unwrap_or(&Value::Null)
    }
}

fn location_name(p: ParamIn) -> &'static str {
    match p {
        ParamIn::Path => "path",
        ParamIn::Query => "query",
        ParamIn::Header => "header",
        ParamIn::Body => "body",
        ParamIn::BodyRoot => "whole body",
    }
}

fn method_name(m: HttpMethod) -> &'static str {
    m.as_str()
}

/// Lowers the spec folder `spec_dir` (holding `openapi/` and `tools/`) to tool views by name.
/// Fails with every diagnostic (sorted) when the spec has errors.
pub fn load(spec_dir: &Path) -> Result<BTreeMap<String, ToolView>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let lowered = codegen::lower_spec_dir(spec_dir, &mut diags);
    diags.sort();
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(lowered
        .iter()
        .map(|l| (l.def.name.to_string(), ToolView::new(l)))
        .collect())
}
