//! Test support: a request-recording upstream, hand-made tool definitions, an in-process server
//! and rmcp clients for both protocol eras.
#![allow(dead_code)]

pub mod registry;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
#[allow(unused_imports)] // each test binary uses a different subset
pub use tests::{is_error, json_of, text_of};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig, ProtocolVersion};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceExt};
use runtime::{Annotations, HttpMethod, LocationSlot, ParamDef, ParamIn, ToolDef};
use serde_json::{Value, json};
use server::guard::Allowlists;
use server::http::{HttpConfig, HttpServer};
use server::{App, Credentials, RetryPolicy, Secret, ServedTools, Upstream, UpstreamConfig};
use tokio_util::sync::CancellationToken;

/// One request the upstream received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Option<Value>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Canned {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delayed(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

#[derive(Default)]
struct UpstreamState {
    recorded: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Canned>>,
    /// Answers by path prefix, used for every matching request before the script.
    routes: Mutex<Vec<(String, Canned)>>,
}

/// The recording upstream on 127.0.0.1.
pub struct RecordingUpstream {
    pub url: String,
    state: Arc<UpstreamState>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl RecordingUpstream {
    pub async fn start() -> Self {
        let state = Arc::new(UpstreamState::default());
        let app = axum::Router::new()
            .fallback(record)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        Self {
            url: format!("http://{addr}"),
            state,
            _shutdown: tx,
        }
    }

    /// Queues answers, used in order; when the queue is empty the answer is 200 `{"ok":true,...}`.
    pub fn push(&self, c: Canned) {
        self.state.script.lock().unwrap().push_back(c);
    }

    /// Answers every request whose path starts with `prefix` with `c` (kept, not used up), so
    /// concurrent requests to different endpoints get their own answers.
    pub fn route(&self, prefix: &str, c: Canned) {
        self.state.routes.lock().unwrap().push((prefix.into(), c));
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.recorded.lock().unwrap().clone()
    }

    pub fn last(&self) -> Recorded {
        self.requests()
            .last()
            .cloned()
            .expect("upstream saw no request")
    }

    pub fn clear(&self) {
        self.state.recorded.lock().unwrap().clear();
        self.state.script.lock().unwrap().clear();
        self.state.routes.lock().unwrap().clear();
    }
}

async fn record(
    State(state): State<Arc<UpstreamState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body_json = if body.is_empty() {
        None
    } else {
        Some(
            serde_json::from_slice(&body)
                .unwrap_or(Value::String(String::from_utf8_lossy(&body).into_owned())),
        )
    };
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    state.recorded.lock().unwrap().push(Recorded {
        method: method.to_string(),
        path_and_query: path_and_query.clone(),
        headers,
        body: body_json,
    });
    let routed = state
        .routes
        .lock()
        .unwrap()
        .iter()
        .find(|(prefix, _)| path_and_query.starts_with(prefix.as_str()))
        .map(|(_, c)| c.clone());
    let canned = routed.or_else(|| state.script.lock().unwrap().pop_front());
    let canned = canned.unwrap_or_else(|| {
        Canned::json(
            200,
            json!({"ok": true, "method": method.as_str(), "path": path_and_query}),
        )
    });
    if !canned.delay.is_zero() {
        tokio::time::sleep(canned.delay).await;
    }
    let mut resp = (
        StatusCode::from_u16(canned.status).unwrap(),
        canned.body.clone(),
    )
        .into_response();
    for (k, v) in &canned.headers {
        resp.headers_mut()
            .insert::<axum::http::HeaderName>(k.parse().unwrap(), v.parse().unwrap());
    }
    resp
}

fn s(v: &'static str) -> Cow<'static, str> {
    Cow::Borrowed(v)
}

fn param(name: &'static str, location: ParamIn, required: bool) -> ParamDef {
    ParamDef {
        name: s(name),
        wire: s(name),
        location,
        required,
        default: None,
    }
}

const OBJECT_OUT: &str = r#"{"additionalProperties":true,"type":"object"}"#;

/// Hand-made tools standing in for the generated registry.
pub fn test_tools() -> Vec<ToolDef> {
    let base = |name: &'static str, method: HttpMethod, path: &'static str| ToolDef {
        name: s(name),
        app: s(name.split('_').next().unwrap()),
        operation_id: s(name.split_once('_').unwrap().1),
        title: s("A test tool"),
        description: s("A test tool."),
        annotations: Annotations {
            read_only: method == HttpMethod::Get,
            destructive: method == HttpMethod::Delete,
            idempotent: method != HttpMethod::Post,
            open_world: false,
        },
        scopes: Cow::Borrowed(&[]),
        agency_only: false,
        deprecated: false,
        method,
        path: s(path),
        version: Some(s("2021-07-28")),
        params: Cow::Owned(vec![]),
        location: LocationSlot::None,
        input_schema: s(r#"{"properties":{},"type":"object"}"#),
        output_schema: Some(s(OBJECT_OUT)),
        wrap_result: false,
        risk: runtime::Risk::NONE,
        body_encoding: runtime::BodyEncoding::Json,
    };
    let mut get_contact = base(
        "contacts_get-contact",
        HttpMethod::Get,
        "/contacts/{contactId}",
    );
    get_contact.title = s("Get a contact");
    get_contact.scopes = Cow::Owned(vec![s("contacts.readonly")]);
    get_contact.params = Cow::Owned(vec![param("contactId", ParamIn::Path, true)]);
    get_contact.input_schema = s(
        r#"{"properties":{"contactId":{"description":"Contact id.","type":"string"}},"required":["contactId"],"type":"object"}"#,
    );

    let mut create_contact = base("contacts_create-contact", HttpMethod::Post, "/contacts/");
    create_contact.scopes = Cow::Owned(vec![s("contacts.write")]);
    create_contact.params = Cow::Owned(vec![
        param("locationId", ParamIn::Body, true),
        param("firstName", ParamIn::Body, false),
        param("email", ParamIn::Body, false),
        param("tags", ParamIn::Body, false),
    ]);
    create_contact.location = LocationSlot::Arg(s("locationId"));
    create_contact.input_schema = s(
        r#"{"properties":{"email":{"type":"string"},"firstName":{"type":"string"},"locationId":{"type":"string"},"tags":{"items":{"type":"string"},"type":"array"}},"type":"object"}"#,
    );

    let mut search = base("contacts_get-contacts", HttpMethod::Get, "/contacts/");
    search.params = Cow::Owned(vec![
        param("locationId", ParamIn::Query, true),
        param("query", ParamIn::Query, false),
        param("limit", ParamIn::Query, false),
    ]);
    search.location = LocationSlot::Arg(s("locationId"));
    search.input_schema = s(
        r#"{"properties":{"limit":{"maximum":100,"minimum":1,"type":"integer"},"locationId":{"type":"string"},"query":{"type":"string"}},"type":"object"}"#,
    );

    let mut delete_event = base(
        "calendars_delete-event",
        HttpMethod::Delete,
        "/calendars/events/{eventId}",
    );
    delete_event.version = Some(s("2021-04-15"));
    delete_event.params = Cow::Owned(vec![param("eventId", ParamIn::Path, true)]);
    delete_event.input_schema =
        s(r#"{"properties":{"eventId":{"type":"string"}},"required":["eventId"],"type":"object"}"#);
    delete_event.output_schema = None;

    let mut orders = base("payments_list-orders", HttpMethod::Get, "/payments/orders");
    orders.params = Cow::Owned(vec![
        param("altId", ParamIn::Query, true),
        param("altType", ParamIn::Query, true),
    ]);
    orders.location = LocationSlot::AltId;
    orders.input_schema = s(
        r#"{"properties":{"altId":{"type":"string"},"altType":{"enum":["location"],"type":"string"}},"type":"object"}"#,
    );

    let mut tags = base(
        "locations_list-tags",
        HttpMethod::Get,
        "/locations/{locationId}/tags",
    );
    tags.params = Cow::Owned(vec![param("locationId", ParamIn::Path, true)]);
    tags.location = LocationSlot::Arg(s("locationId"));
    tags.input_schema = s(r#"{"properties":{"locationId":{"type":"string"}},"type":"object"}"#);
    tags.output_schema = Some(s(
        r#"{"properties":{"result":{"items":{},"type":"array"}},"type":"object"}"#,
    ));
    tags.wrap_result = true;

    vec![
        get_contact,
        create_contact,
        search,
        delete_event,
        orders,
        tags,
    ]
}

/// Options for an in-process server.
pub struct Setup {
    pub credentials: Credentials,
    pub default_location: Option<String>,
    pub http: HttpConfig,
    pub retry: RetryPolicy,
    pub timeout: Duration,
    pub max_response_bytes: usize,
    pub tools: Vec<ToolDef>,
    pub discovery: bool,
    pub max_result_chars: usize,
    pub safety: server::gate::Safety,
    pub agency: server::agency::Agency,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            credentials: Credentials::Forward,
            default_location: None,
            http: HttpConfig {
                bind: "127.0.0.1:0".parse().unwrap(),
                allowlists: Allowlists::default(),
                max_body_bytes: 4 * 1024 * 1024,
                sessions: false,
                ..HttpConfig::default()
            },
            retry: RetryPolicy {
                max_attempts: 3,
                budget: Duration::from_secs(5),
                base_backoff: Duration::from_millis(20),
            },
            timeout: Duration::from_secs(5),
            max_response_bytes: 8 * 1024 * 1024,
            tools: test_tools(),
            discovery: false,
            max_result_chars: server::handler::DEFAULT_MAX_RESULT_CHARS,
            safety: Default::default(),
            agency: Default::default(),
        }
    }
}

pub struct Harness {
    pub upstream: RecordingUpstream,
    pub server: HttpServer,
    pub url: String,
}

pub async fn start(setup: Setup) -> Harness {
    let upstream = RecordingUpstream::start().await;
    let server = start_server(setup, &upstream.url).await;
    let url = server.mcp_url();
    Harness {
        upstream,
        server,
        url,
    }
}

pub async fn start_server(setup: Setup, upstream_url: &str) -> HttpServer {
    let app = App {
        tools: ServedTools::new(setup.tools).expect("catalog"),
        upstream: Upstream::new(UpstreamConfig {
            base_url: upstream_url.to_owned(),
            timeout: setup.timeout,
            max_response_bytes: setup.max_response_bytes,
            retry: setup.retry,
        })
        .expect("upstream"),
        credentials: setup.credentials,
        default_location_id: setup.default_location,
        discovery: None,
        max_result_chars: setup.max_result_chars,
        ops: Default::default(),
        safety: Default::default(),
        agency: setup.agency,
        elicitation: None,
    }
    .with_safety(setup.safety);
    let app = if setup.discovery {
        app.with_discovery()
    } else {
        app
    };
    server::http::serve(Arc::new(app), setup.http, CancellationToken::new())
        .await
        .expect("serve")
}

pub type Client = RunningService<RoleClient, ClientConfig>;

fn transport(
    url: &str,
    bearer: Option<&str>,
    headers: &[(&str, &str)],
) -> StreamableHttpClientTransport<reqwest::Client> {
    let mut cfg = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
    if let Some(b) = bearer {
        cfg = cfg.auth_header(b.to_owned());
    }
    let mut map = std::collections::HashMap::new();
    for (k, v) in headers {
        map.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    cfg = cfg.custom_headers(map);
    StreamableHttpClientTransport::from_config(cfg)
}

/// A 2025-11-25 client (initialize handshake).
pub async fn legacy_client(url: &str, bearer: Option<&str>, headers: &[(&str, &str)]) -> Client {
    let mut config = ClientConfig::default();
    config.protocol_version = ProtocolVersion::V_2025_11_25;
    config
        .serve(transport(url, bearer, headers))
        .await
        .expect("2025-11-25 client connects")
}

/// A 2026-07-28 client (server/discover, stateless requests).
pub async fn modern_client(url: &str, bearer: Option<&str>, headers: &[(&str, &str)]) -> Client {
    ClientConfig::default()
        .serve_with_lifecycle(
            transport(url, bearer, headers),
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .expect("2026-07-28 client connects")
}

pub async fn call(client: &Client, tool: &str, args: Value) -> CallToolResult {
    let Value::Object(map) = args else {
        panic!("args must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(map))
        .await
        .expect("tools/call answered")
}

pub const PIT: &str = "pit-test-0123456789abcdef";

pub fn server_held(token: &str, api_key: Option<&str>) -> Credentials {
    Credentials::ServerHeld {
        token: Secret::new(token).unwrap(),
        api_key: api_key.and_then(Secret::new),
    }
}
