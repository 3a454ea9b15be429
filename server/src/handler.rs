//! The MCP side: an rmcp [`ServerHandler`] written by hand over the [`Catalog`].
//!
//! `tools/list` returns the catalog's ready-made listing. `tools/call` finds the tool (an unknown
//! name is a protocol error), picks the credential and the location id for this call, lets the
//! runtime executor check the arguments and build the request (bad arguments become an `isError`
//! result naming each field), sends it through the [`Upstream`] client and logs one line with the
//! tool, status and duration. The HTTP request behind a call, when there is one, is reached
//! through the `http::request::Parts` that rmcp puts into the request context's extensions.

use std::sync::Arc;
use std::time::Instant;

use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use runtime::CallContext;

use crate::catalog::Catalog;
use crate::credentials::{Credentials, Secret, bearer};
use crate::upstream::Upstream;

/// Everything a call needs, shared by every session and transport.
#[derive(Debug)]
pub struct App {
    /// The served tools.
    pub catalog: Catalog,
    /// The upstream client.
    pub upstream: Upstream,
    /// Where tokens come from.
    pub credentials: Credentials,
    /// Location id used when neither the argument nor the `locationId` header gives one.
    pub default_location_id: Option<String>,
}

impl App {
    /// Builds an app from a catalog, upstream settings, credentials and an optional default
    /// location; fails when the upstream URL is unusable.
    pub fn new(
        catalog: Catalog,
        upstream: crate::upstream::UpstreamConfig,
        credentials: Credentials,
        default_location_id: Option<String>,
    ) -> Result<Self, String> {
        Ok(Self {
            catalog,
            upstream: Upstream::new(upstream)?,
            credentials,
            default_location_id,
        })
    }
}

/// The rmcp handler; cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct HighLevelMcp {
    app: Arc<App>,
}

impl HighLevelMcp {
    /// A handler serving `app`.
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

/// The `locationId` header, when the call came over HTTP with one.
fn header_location(parts: Option<&http::request::Parts>) -> Option<&str> {
    parts?
        .headers
        .get("locationid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

impl ServerHandler for HighLevelMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("highlevel-mcp", env!("CARGO_PKG_VERSION"))
                    .with_title("HighLevel CRM"),
            )
            .with_instructions(
                "Tools for the HighLevel CRM API v2, one per operation, named <app>_<operationId>. \
                 Tools scoped to a sub-account take a locationId argument; when it is left out the \
                 server uses the locationId HTTP header or its configured default.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(
            self.app.catalog.listing().to_vec(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.app.catalog.get(name).map(|e| e.listing.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(entry) = self.app.catalog.get(&request.name) else {
            return Err(McpError::invalid_params(
                format!(
                    "unknown tool `{}`: call tools/list for the {} tools this server has",
                    request.name,
                    self.app.catalog.len()
                ),
                None,
            ));
        };
        let started = Instant::now();
        let tool = &entry.compiled.def;
        let parts = context.extensions.get::<http::request::Parts>();

        let token = match &self.app.credentials {
            Credentials::ServerHeld { token, .. } => token.clone(),
            Credentials::Forward => {
                // The HTTP layer refuses requests without a bearer before rmcp sees them, so a
                // missing one here means a transport without headers (which needs a server token).
                let found = parts
                    .and_then(|p| p.headers.get(http::header::AUTHORIZATION))
                    .and_then(|v| v.to_str().ok())
                    .and_then(bearer)
                    .and_then(Secret::new);
                match found {
                    Some(t) => t,
                    None => {
                        return Ok(CallToolResponse::from(CallToolResult::error(vec![
                            ContentBlock::text(
                                "no HighLevel token for this call: send `Authorization: Bearer <Private Integration Token>` with the request, or start the server with HIGHLEVEL_TOKEN / --token-file",
                            ),
                        ])));
                    }
                }
            }
        };

        let location = header_location(parts).or(self.app.default_location_id.as_deref());
        let args = request.arguments.unwrap_or_default();
        let prepared = entry.compiled.prepare(
            &args,
            CallContext {
                location_id: location,
            },
        );
        let req = match prepared {
            Ok(r) => r,
            Err(e) => {
                tracing::info!(
                    tool = %tool.name,
                    status = "invalid-arguments",
                    duration_ms = started.elapsed().as_millis() as u64,
                    "tool call refused"
                );
                return Ok(CallToolResponse::from(CallToolResult::error(vec![
                    ContentBlock::text(e.to_string()),
                ])));
            }
        };
        let (result, stats) = self.app.upstream.call(tool, &req, &token).await;
        tracing::info!(
            tool = %tool.name,
            method = req.method,
            status = stats.status,
            attempts = stats.attempts,
            is_error = result.is_error.unwrap_or(false),
            duration_ms = started.elapsed().as_millis() as u64,
            "tool call"
        );
        Ok(CallToolResponse::from(result))
    }
}
