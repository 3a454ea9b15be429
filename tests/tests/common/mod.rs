//! Shared support for the cross-crate tests: an in-process server over the generated tools (or
//! any tool list), rmcp clients, and small helpers to read tool results.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;
#[allow(unused_imports)] // each test binary uses a different subset
pub use tests::{is_error, json_of, text_of};

use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig, ProtocolVersion};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use runtime::ToolDef;
use serde_json::Value;
use server::http::{HttpConfig, HttpServer};
use server::{App, Credentials, RetryPolicy, Secret, ServedTools, UpstreamConfig};
use tokio_util::sync::CancellationToken;

/// A bearer that the tests look for in every log and response: it must never appear.
pub const SECRET_TOKEN: &str = "pit-SECRET-9f8e7d6c5b4a-never-echo";

/// Every generated tool, owned (the catalog takes owned definitions).
pub fn generated_tools() -> Vec<ToolDef> {
    generated::tools().iter().map(|t| (*t).clone()).collect()
}

/// Options for an in-process server.
pub struct Opts {
    pub upstream: String,
    pub credentials: Credentials,
    pub location: Option<String>,
    pub timeout: Duration,
    pub max_response_bytes: usize,
    pub retry: RetryPolicy,
    pub max_body_bytes: usize,
    pub tools: Vec<ToolDef>,
}

impl Opts {
    /// Header mode (clients send their bearer), generated tools, generous limits.
    pub fn new(upstream: impl Into<String>) -> Self {
        Self {
            upstream: upstream.into(),
            credentials: Credentials::Forward,
            location: Some(sandbox::DEMO_LOCATION_ID.to_owned()),
            timeout: Duration::from_secs(10),
            max_response_bytes: 8 * 1024 * 1024,
            retry: RetryPolicy {
                max_attempts: 3,
                budget: Duration::from_secs(10),
                base_backoff: Duration::from_millis(20),
            },
            max_body_bytes: 4 * 1024 * 1024,
            tools: generated_tools(),
        }
    }
}

/// Starts the server on 127.0.0.1, a free port.
pub async fn start_server(opts: Opts) -> HttpServer {
    let app = App::new(
        ServedTools::new(opts.tools).expect("the tool list builds a catalog"),
        UpstreamConfig {
            base_url: opts.upstream,
            timeout: opts.timeout,
            max_response_bytes: opts.max_response_bytes,
            retry: opts.retry,
        },
        opts.credentials,
        opts.location,
    )
    .expect("upstream URL is valid");
    let config = HttpConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        max_body_bytes: opts.max_body_bytes,
        ..Default::default()
    };
    server::http::serve(Arc::new(app), config, CancellationToken::new())
        .await
        .expect("server starts")
}

/// Server-held credentials with no API key.
pub fn server_held(token: &str) -> Credentials {
    Credentials::ServerHeld {
        token: Secret::new(token).expect("non-empty token"),
        api_key: None,
    }
}

pub type Client = RunningService<RoleClient, ClientConfig>;

/// A 2025-11-25 rmcp client (initialize handshake, then stateless JSON requests).
pub async fn client(url: &str, bearer: Option<&str>) -> Client {
    let mut cfg = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
    if let Some(b) = bearer {
        cfg = cfg.auth_header(b.to_owned());
    }
    let mut config = ClientConfig::default();
    config.protocol_version = ProtocolVersion::V_2025_11_25;
    config
        .serve(StreamableHttpClientTransport::from_config(cfg))
        .await
        .expect("client connects")
}

/// Calls a tool; a protocol error (not an isError result) is returned as `Err(message)`.
pub async fn try_call(client: &Client, tool: &str, args: Value) -> Result<CallToolResult, String> {
    let Value::Object(map) = args else {
        panic!("args must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(map))
        .await
        .map_err(|e| e.to_string())
}

/// Calls a tool and expects an answer (success or isError).
pub async fn call(client: &Client, tool: &str, args: Value) -> CallToolResult {
    try_call(client, tool, args.clone())
        .await
        .unwrap_or_else(|e| panic!("{tool} {args}: no tools/call answer: {e}"))
}

/// A `tracing` writer into a shared buffer, so a test can read every log line afterwards.
#[derive(Clone, Default)]
pub struct LogBuffer(pub Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl LogBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
