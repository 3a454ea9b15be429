//! The MCP side: an rmcp [`ServerHandler`] written by hand over the [`ServedTools`].
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
    JsonObject, ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities,
    ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use runtime::{CallContext, LocationSlot};
use serde_json::Value;

use crate::compact;
use crate::credentials::Grant;
use crate::discovery::{self, Discovery};
use crate::gate;
use crate::ops::Outcome;
use crate::served::{Entry, ServedTools};
use crate::upstream::Upstream;

/// Default of `--max-result-chars`.
pub const DEFAULT_MAX_RESULT_CHARS: usize = 100_000;

/// Everything a call needs, shared by every session and transport.
#[derive(Debug)]
pub struct App {
    /// The served tools.
    pub tools: ServedTools,
    /// The upstream client.
    pub upstream: Upstream,
    /// Where tokens come from.
    pub credentials: crate::credentials::Credentials,
    /// Location id used when neither the argument nor the `locationId` header gives one.
    pub default_location_id: Option<String>,
    /// Discovery mode (`--discovery`): list meta-tools only; `None` lists every tool.
    pub discovery: Option<Discovery>,
    /// Longest text result in characters; longer ones are cut with a marker.
    pub max_result_chars: usize,
    /// Rate-limit pacing and metrics (see [`crate::ops`]).
    pub ops: crate::ops::Ops,
    /// Confirmation, dry run and audit of writes (off by default).
    pub safety: crate::gate::Safety,
    /// Several locations, `list_locations`, `search` and `fetch` (see [`crate::agency`]).
    pub agency: crate::agency::Agency,
    /// Ask the user directly before a gated write (see [`gate::elicit`]); `None` never asks.
    pub elicitation: Option<gate::elicit::AskUser>,
}

impl App {
    /// Builds an app from a catalog, upstream settings, credentials and an optional default
    /// location; fails when the upstream URL is unusable.
    pub fn new(
        tools: ServedTools,
        upstream: crate::upstream::UpstreamConfig,
        credentials: crate::credentials::Credentials,
        default_location_id: Option<String>,
    ) -> Result<Self, String> {
        Ok(Self {
            tools,
            upstream: Upstream::new(upstream)?,
            credentials,
            default_location_id,
            discovery: None,
            max_result_chars: DEFAULT_MAX_RESULT_CHARS,
            ops: crate::ops::Ops::default(),
            safety: crate::gate::Safety::default(),
            agency: crate::agency::Agency::default(),
            elicitation: None,
        })
    }

    /// The grant for a request (`parts` is `None` over stdio): the credentials seam's answer,
    /// narrowed to the server's location list when `--location-id` names several.
    pub async fn resolve_grant(
        &self,
        parts: Option<&http::request::Parts>,
    ) -> Result<Grant, crate::credentials::Rejection> {
        self.credentials
            .resolve(parts, self.default_location_id.as_deref())
            .await?
            .within(self.agency.allowed.as_deref())
    }

    /// Guards writes with `safety`; gated tools list the `confirm` argument.
    pub fn with_safety(mut self, safety: crate::gate::Safety) -> Self {
        self.tools
            .adjust_listing(|def, tool| safety.listing(def, tool));
        self.safety = safety;
        self
    }

    /// Switches on discovery mode (indexes the catalog for `search_operations`).
    pub fn with_discovery(mut self) -> Self {
        self.discovery = Some(Discovery::new(&self.tools));
        self
    }

    /// Sets the result cap (at least 1 character).
    pub fn with_max_result_chars(mut self, max: usize) -> Self {
        self.max_result_chars = max.max(1);
        self
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

/// The location id a call names in its own arguments, if any (checked against the grant).
fn explicit_location<'a>(tool: &runtime::ToolDef, args: &'a JsonObject) -> Option<&'a str> {
    let arg = match &tool.location {
        LocationSlot::None => return None,
        LocationSlot::Arg(name) => name.as_ref(),
        // altId names a location only when altType says so (it can name a company).
        LocationSlot::AltId
            if args
                .get("altType")
                .and_then(Value::as_str)
                .is_some_and(|t| t != "location") =>
        {
            return None;
        }
        LocationSlot::AltId => "altId",
    };
    args.get(arg)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
}

impl ServerHandler for HighLevelMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("highlevel-mcp", env!("CARGO_PKG_VERSION"))
                    .with_title("HighLevel CRM"),
            )
            .with_instructions(if self.app.agency.connector_only() {
                "Search the HighLevel CRM: search finds contacts, opportunities and conversations in \
                 this connection's locations and returns ids; fetch reads one record by id; \
                 list_locations shows the locations (sub-accounts) this connection may use."
            } else if self.app.discovery.is_some() {
                "Operations of the HighLevel CRM API v2, found on demand: search_operations finds \
                 one for a task (or lists an app's operations), describe_operation shows its \
                 inputSchema, execute_operation runs it. Operations scoped to a sub-account take a \
                 locationId argument; when it is left out the server uses the locationId HTTP \
                 header or its configured default. list_locations shows the locations this \
                 connection may use; search and fetch find and read contacts, opportunities and \
                 conversations across them."
            } else {
                "Tools for the HighLevel CRM API v2, one per operation, named <app>_<operationId>. \
                 Tools scoped to a sub-account take a locationId argument; when it is left out the \
                 server uses the locationId HTTP header or its configured default."
            })
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let agency = &self.app.agency;
        let discovery = self.app.discovery.as_ref();
        let mut tools = match discovery {
            _ if agency.connector_only() => Vec::new(),
            Some(d) => d.listing().to_vec(),
            None => self.app.tools.listing().to_vec(),
        };
        tools.extend_from_slice(agency.offered(discovery.is_some()));
        Ok(ListToolsResult::with_all_items(tools))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        let agency = &self.app.agency;
        if let Some(t) = agency
            .offered(self.app.discovery.is_some())
            .iter()
            .find(|t| t.name == name)
        {
            return Some(t.clone());
        }
        if agency.connector_only() {
            return None;
        }
        if let Some(t) = self.app.discovery.as_ref().and_then(|d| d.get(name)) {
            return Some(t.clone());
        }
        self.app.tools.get(name).map(|e| e.listing.clone())
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let parts = context.extensions.get::<http::request::Parts>();
        let args = request.arguments.take().unwrap_or_default();
        let asking = self.asking(&context, &request);
        let asking = asking.as_ref();
        let agency = &self.app.agency;
        if agency.offers(&request.name, self.app.discovery.is_some()) {
            let result = crate::agency::call(&self.app, &request.name, &args, parts).await;
            return Ok(cap_result(
                result,
                self.app.max_result_chars,
                "the server caps results at --max-result-chars; search with more precise words",
            )
            .into());
        }
        if let Some(d) = self
            .app
            .discovery
            .as_ref()
            .filter(|_| !agency.connector_only())
        {
            match discovery::meta_name(&request.name) {
                Some(discovery::SEARCH) => return Ok(self.search_operations(d, &args).into()),
                Some(discovery::DESCRIBE) => return Ok(self.describe_operation(d, &args).into()),
                Some(discovery::CALL) => {
                    return Ok(self.call_by_name(d, &args, parts, asking).await);
                }
                _ => {}
            }
        }
        let entry = self
            .app
            .tools
            .get(&request.name)
            .filter(|_| !agency.connector_only());
        let Some(entry) = entry else {
            return Err(McpError::invalid_params(
                format!(
                    "unknown tool `{}`: call tools/list for the tools this server has",
                    runtime::suggest::clip(&request.name, runtime::suggest::MAX_NAME_CHARS),
                ),
                None,
            ));
        };
        Ok(match self.execute(entry, args, parts, asking).await {
            CallToolResponse::Complete(result) => CallToolResponse::from(cap_result(
                result,
                self.app.max_result_chars,
                "the server caps results at --max-result-chars; narrow the query or lower its limit",
            )),
            other => other,
        })
    }
}

/// A JSON value quoted back in an error message, cut short so a huge input is not echoed whole.
fn echo(v: &Value) -> String {
    runtime::suggest::clip(&v.to_string(), 100).into_owned()
}

fn error_result(text: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text.into())])
}

/// Cuts an over-long text result (see [`compact`]); a cut result drops `structuredContent`.
fn cap_result(mut result: CallToolResult, max_chars: usize, hint: &str) -> CallToolResult {
    let mut cut = false;
    for c in result.content.iter_mut() {
        if let Some(t) = c.as_text()
            && let Some(short) = compact::cap(&t.text, max_chars, hint)
        {
            *c = ContentBlock::text(short);
            cut = true;
        }
    }
    if cut {
        result.structured_content = None;
    }
    result
}

impl HighLevelMcp {
    /// How this call's user can be asked to confirm a gated write, if at all: by rounds on
    /// 2026-07-28 (any transport), live where the transport carries server-to-client requests.
    fn asking<'a>(
        &self,
        context: &RequestContext<RoleServer>,
        request: &'a CallToolRequestParams,
    ) -> Option<gate::elicit::Asking<'a>> {
        let wait = self.app.elicitation.as_ref()?;
        let modern = context
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        if modern {
            let form = context
                .client_capabilities()
                .and_then(|c| c.elicitation)
                .is_some_and(|e| e.form.is_some() || e.url.is_none());
            return form.then_some(gate::elicit::Asking::Rounds(gate::elicit::Rounds {
                responses: request.input_responses.as_ref(),
                state: request.request_state.as_deref(),
            }));
        }
        if !wait.live {
            return None;
        }
        gate::elicit::Asker::for_peer(&context.peer, wait.timeout).map(gate::elicit::Asking::Live)
    }

    /// Runs one catalog tool: credential, location, argument checks, upstream call, log line.
    async fn execute(
        &self,
        entry: &Entry,
        mut args: JsonObject,
        parts: Option<&http::request::Parts>,
        asking: Option<&gate::elicit::Asking<'_>>,
    ) -> CallToolResponse {
        let started = Instant::now();
        let tool = &entry.compiled.def;
        // The guard resolved the grant for HTTP requests; stdio (no parts) resolves here.
        let resolved;
        let grant = match parts.and_then(|p| p.extensions.get::<Grant>()) {
            Some(g) => g,
            None => match self.app.resolve_grant(parts).await {
                Ok(g) => {
                    resolved = g;
                    &resolved
                }
                Err(rejection) => {
                    let ops = &self.app.ops;
                    ops.finished(tool, Outcome::NoCredentials, None, started);
                    return error_result(rejection.message).into();
                }
            },
        };
        let confirm = self.app.safety.take_confirm(tool, &mut args);
        let location = explicit_location(tool, &args).or(grant.locations.default.as_deref());
        let call = |req| gate::Call {
            def: tool,
            args: &args,
            principal: &grant.principal,
            location,
            req,
            started,
        };
        if let Some(named) = explicit_location(tool, &args)
            && let Err(e) = grant.locations.admit(named)
        {
            let ops = &self.app.ops;
            ops.finished(tool, Outcome::LocationRefused, None, started);
            if let Some(unlogged) = self.app.safety.refused(&call(None), &e).await {
                return unlogged.into();
            }
            return error_result(e).into();
        }
        // HighLevel marketplace grants: the location's own token, refreshed when due.
        let token = match grant.token_for(location).await {
            Ok(t) => t,
            Err(message) => {
                let ops = &self.app.ops;
                ops.finished(tool, Outcome::NoCredentials, None, started);
                return error_result(message).into();
            }
        };
        let token = &token;
        let prepared = entry.compiled.prepare(
            &args,
            CallContext {
                location_id: grant.locations.default.as_deref(),
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
                let ops = &self.app.ops;
                ops.finished(tool, Outcome::InvalidArguments, None, started);
                if let Some(unlogged) = self.app.safety.refused(&call(None), &e.to_string()).await {
                    return unlogged.into();
                }
                return error_result(e.to_string()).into();
            }
        };
        let ticket = if self.app.safety.is_active() {
            let reader = gate::Reader {
                tools: &self.app.tools,
                upstream: &self.app.upstream,
                token,
                location: grant.locations.default.as_deref(),
            };
            match self
                .app
                .safety
                .before_send(&call(Some(&req)), confirm, reader, asking)
                .await
            {
                Ok(t) => Some(t),
                Err(answer) => return answer,
            }
        } else {
            None
        };
        // ops: wait for a slot under HighLevel's per-location rate limit (or explain a refusal).
        let pace = self.app.ops.pace(tool, &args, location, token, started);
        if let Err(refused) = pace.await {
            return refused.into();
        }
        let (result, stats) = self.app.upstream.call(tool, &req, token).await;
        let ops = &self.app.ops;
        ops.finished(
            tool,
            Outcome::from_result(&result),
            Some(stats.status),
            started,
        );
        if let Some(ticket) = ticket {
            self.app
                .safety
                .after_send(ticket, &call(Some(&req)), &result, stats.status)
                .await;
        }
        tracing::info!(
            tool = %tool.name,
            method = req.method,
            status = stats.status,
            attempts = stats.attempts,
            is_error = result.is_error.unwrap_or(false),
            duration_ms = started.elapsed().as_millis() as u64,
            "tool call"
        );
        result.into()
    }

    fn search_operations(&self, d: &Discovery, args: &JsonObject) -> CallToolResult {
        let query = match args.get("query") {
            None | Some(Value::Null) => "",
            Some(Value::String(q)) => q.as_str(),
            Some(other) => {
                return error_result(format!(
                    "`query` must be a string saying what you want to do, e.g. \"get contact by id\"; got {}",
                    echo(other)
                ));
            }
        };
        let chars = query.chars().count();
        if chars > discovery::MAX_QUERY_CHARS {
            return error_result(format!(
                "`query` is {chars} characters; keep it under {} (say what you want to do in a sentence)",
                discovery::MAX_QUERY_CHARS
            ));
        }
        let app = match args.get("app") {
            None | Some(Value::Null) => None,
            Some(Value::String(a)) if a.trim().is_empty() => None,
            Some(Value::String(a)) => match d.app(a) {
                Ok(app) => Some(app),
                Err(near) => {
                    return error_result(format!(
                        "no app `{}`; closest: {} (search_operations with no arguments lists every app)",
                        runtime::suggest::clip(a, 64),
                        runtime::suggest::backticked(&near)
                    ));
                }
            },
            Some(other) => {
                return error_result(format!(
                    "`app` must be an app name such as \"contacts\"; got {}",
                    echo(other)
                ));
            }
        };
        let listing = query.trim().is_empty();
        let (default, max) = if listing {
            (discovery::DEFAULT_LIST_LIMIT, discovery::MAX_LIST_LIMIT)
        } else {
            (discovery::DEFAULT_LIMIT, discovery::MAX_LIMIT)
        };
        let limit = match positive(args.get("limit"), "limit", 1, max) {
            Ok(n) => n.unwrap_or(default),
            Err(e) => return error_result(e),
        };
        let offset = match positive(args.get("offset"), "offset", 0, usize::MAX) {
            Ok(n) => n.unwrap_or(0),
            Err(e) => return error_result(e),
        };
        let answer = d.search(
            &self.app.tools,
            discovery::SearchRequest {
                query,
                app,
                limit,
                offset,
            },
        );
        CallToolResult::success(vec![ContentBlock::text(answer.to_string())])
    }

    fn unknown_tool(&self, d: &Discovery, name: &str) -> CallToolResult {
        let near = d.closest(&self.app.tools, name);
        let near = if near.is_empty() {
            "use search_operations to find one".to_owned()
        } else {
            format!(
                "closest: {}",
                near.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        error_result(format!(
            "unknown tool `{}` (or not in this server's selection); {near}",
            runtime::suggest::clip(name, runtime::suggest::MAX_NAME_CHARS)
        ))
    }

    fn describe_operation(&self, d: &Discovery, args: &JsonObject) -> CallToolResult {
        let Some(name) = args.get("name").and_then(Value::as_str) else {
            return error_result(
                "describe_operation needs `name`: an operation name from search_operations, e.g. {\"name\": \"contacts_get-contact\"}",
            );
        };
        match self.app.tools.get(name) {
            Some(e) => CallToolResult::success(vec![ContentBlock::text(
                runtime::tool_json(&e.compiled.def).to_string(),
            )]),
            None => self.unknown_tool(d, name),
        }
    }

    async fn call_by_name(
        &self,
        d: &Discovery,
        args: &JsonObject,
        parts: Option<&http::request::Parts>,
        asking: Option<&gate::elicit::Asking<'_>>,
    ) -> CallToolResponse {
        let Some(name) = args.get("name").and_then(Value::as_str) else {
            return error_result(
                "execute_operation needs `name` (from search_operations) and `arguments` (an object matching the operation's inputSchema)",
            ).into();
        };
        let Some(entry) = self.app.tools.get(name) else {
            return self.unknown_tool(d, name).into();
        };
        let tool_args = match args.get("arguments") {
            None | Some(Value::Null) => JsonObject::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => {
                return error_result(format!(
                    "`arguments` must be an object of the operation's arguments (see describe_operation); got {}",
                    echo(other)
                ))
                .into();
            }
        };
        let fields = match args.get("fields") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => match compact::parse_fields(a) {
                Ok(f) if f.is_empty() => None,
                Ok(f) => Some(f),
                Err(e) => return error_result(e).into(),
            },
            Some(other) => {
                return error_result(format!(
                    "`fields` must be a list of dot paths such as [\"contact.email\"]; got {}",
                    echo(other)
                ))
                .into();
            }
        };
        let max_chars = match args.get("max_chars") {
            None | Some(Value::Null) => self.app.max_result_chars,
            Some(v) => match v.as_u64() {
                Some(n) if n >= 1 => (n as usize).min(self.app.max_result_chars),
                _ => {
                    return error_result(format!(
                        "`max_chars` must be a positive integer; got {}",
                        echo(v)
                    ))
                    .into();
                }
            },
        };
        let mut result = match self.execute(entry, tool_args, parts, asking).await {
            CallToolResponse::Complete(r) => r,
            // A question for the user (2026-07-28): the retry brings the answer.
            other => return other,
        };
        if result.is_error != Some(true) {
            // execute_operation declares no output schema: the JSON text is the result, and the text alone
            // is what reaches the model once (no second copy as structuredContent).
            let value = result.structured_content.take().or_else(|| {
                result
                    .content
                    .first()
                    .and_then(|c| c.as_text())
                    .and_then(|t| serde_json::from_str::<Value>(&t.text).ok())
            });
            if let (Some(paths), Some(value)) = (&fields, value) {
                let value = if entry.compiled.def.wrap_result {
                    value.get("result").cloned().unwrap_or(value)
                } else {
                    value
                };
                let (selected, unmatched) = compact::select(&value, paths);
                let mut text = selected.to_string();
                if !unmatched.is_empty() {
                    let keys = match &value {
                        Value::Object(m) => m.keys().cloned().collect::<Vec<_>>().join(", "),
                        _ => "none (the result is not an object)".to_owned(),
                    };
                    text.push_str(&format!(
                        "\n(fields matched nothing: {}; top-level keys: {keys})",
                        unmatched.join(", ")
                    ));
                }
                result.content = vec![ContentBlock::text(text)];
            }
        }
        cap_result(result, max_chars, "pass fields or a smaller limit").into()
    }
}

/// An optional integer argument within `min..=max`, or a message saying what was wrong.
fn positive(
    v: Option<&Value>,
    name: &str,
    min: usize,
    max: usize,
) -> Result<Option<usize>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ if max == usize::MAX => Err(format!(
                "`{name}` must be an integer of at least {min}; got {}",
                echo(v)
            )),
            _ => Err(format!(
                "`{name}` must be an integer from {min} to {max}; got {}",
                echo(v)
            )),
        },
    }
}
