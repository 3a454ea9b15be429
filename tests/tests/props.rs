//! Property tests, bounded to a few seconds: (1) for every generated tool, any arguments its
//! inputSchema accepts (hostile strings with `/ ? # @ % .` and unicode included) become a
//! well-formed upstream request: the right method, the template's literal segments and segment
//! count, each path argument as exactly one segment, a parseable query holding only the tool's
//! query parameters, and the `Version` header; (2) random JSON values, JSON-RPC-shaped messages
//! and byte strings POSTed to `/mcp` never get a 5xx and never take the server down.

mod common;

use std::sync::OnceLock;

use common::*;
use proptest::prelude::*;
use runtime::{CallContext, CompiledTool, ParamIn};
use serde_json::{Map, Value, json};

const CASES: u32 = 256;

/// Characters that try to break out of a path segment or a query value.
const HOSTILE: &[char] = &[
    '/', '?', '#', '@', '%', '.', '&', '=', '+', ' ', ':', ';', '\\', 'a', 'Z', '0', '-', '_', '~',
    'é', '漢', '🦀', '\u{202e}',
];

fn hostile_string() -> BoxedStrategy<String> {
    proptest::collection::vec(proptest::sample::select(HOSTILE), 1..12)
        .prop_map(|v| v.into_iter().collect())
        .boxed()
}

/// A strategy for values `schema` accepts (the subset of JSON Schema the generator emits:
/// type (or a list of types), enum, minimum/maximum, items, properties/required).
fn value_for(schema: &Value) -> BoxedStrategy<Value> {
    if let Some(e) = schema["enum"].as_array() {
        return proptest::sample::select(e.clone()).boxed();
    }
    if let Some(alts) = schema["anyOf"].as_array().filter(|a| !a.is_empty()) {
        return proptest::strategy::Union::new(alts.iter().map(value_for)).boxed();
    }
    let types: Vec<String> = match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => vec!["string".to_owned()],
    };
    let strategies: Vec<BoxedStrategy<Value>> = types
        .iter()
        .map(|t| match t.as_str() {
            "null" => Just(Value::Null).boxed(),
            "boolean" => any::<bool>().prop_map(Value::from).boxed(),
            "integer" | "number" => {
                let lo = schema["minimum"].as_f64().unwrap_or(-1e6) as i64;
                let hi = schema["maximum"].as_f64().unwrap_or(1e9) as i64;
                if t == "integer" {
                    (lo..=hi).prop_map(Value::from).boxed()
                } else {
                    prop_oneof![
                        (lo..=hi).prop_map(Value::from),
                        (lo as f64..hi as f64).prop_map(|f| json!(f)),
                    ]
                    .boxed()
                }
            }
            "array" => proptest::collection::vec(value_for(&schema["items"]), 0..3)
                .prop_map(Value::Array)
                .boxed(),
            "object" => object_for(schema),
            _ => hostile_string().prop_map(Value::String).boxed(),
        })
        .collect();
    proptest::strategy::Union::new(strategies).boxed()
}

/// Required properties always, optional ones half the time.
fn object_for(schema: &Value) -> BoxedStrategy<Value> {
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let props: Vec<(String, Value)> = schema["properties"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = props
        .into_iter()
        .map(|(k, s)| {
            let key = k.clone();
            let v = value_for(&s).prop_map(move |v| Some((key.clone(), v)));
            if required.contains(&k) {
                v.boxed()
            } else {
                prop_oneof![Just(None), v].boxed()
            }
        })
        .collect();
    fields
        .prop_map(|kvs| Value::Object(kvs.into_iter().flatten().collect::<Map<_, _>>()))
        .boxed()
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The checks on one prepared request; `Err` says what is wrong.
fn check(compiled: &CompiledTool, args: &Map<String, Value>) -> Result<(), String> {
    let tool = &compiled.def;
    let req = compiled
        .prepare(
            args,
            CallContext {
                location_id: Some("LOC123"),
            },
        )
        .map_err(|e| format!("schema-valid arguments refused: {e}"))?;
    if req.method != tool.method.as_str() {
        return Err(format!("method {}", req.method));
    }
    let pq = &req.path_and_query;
    if pq.contains('#') || pq.chars().any(|c| !c.is_ascii_graphic()) {
        return Err(format!("unsafe characters in {pq:?}"));
    }
    let (path, query) = match pq.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (pq.as_str(), None),
    };
    let literal_prefix = &tool.path[..tool.path.find('{').unwrap_or(tool.path.len())];
    if !path.starts_with(literal_prefix) {
        return Err(format!("{path} does not start with {literal_prefix}"));
    }
    let template: Vec<&str> = tool.path.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    if segs.len() != template.len() {
        return Err(format!(
            "{path}: {} segments, template {} has {}",
            segs.len(),
            tool.path,
            template.len()
        ));
    }
    for (t, s) in template.iter().zip(&segs) {
        if let Some(var) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            let p = tool
                .params
                .iter()
                .find(|p| p.location == ParamIn::Path && p.wire == var)
                .ok_or("template variable without parameter")?;
            let want = args.get(p.name.as_ref()).map(scalar_text);
            let got = percent_decode(s);
            if want.is_some() && got != want {
                return Err(format!("segment {s} decodes to {got:?}, argument {want:?}"));
            }
        } else if t != s {
            return Err(format!("literal segment {t} became {s}"));
        }
    }
    if let Some(q) = query {
        let wires: Vec<&str> = tool
            .params
            .iter()
            .filter(|p| p.location == ParamIn::Query)
            .map(|p| p.wire.as_ref())
            .collect();
        for pair in q.split('&') {
            let (k, v) = pair
                .split_once('=')
                .ok_or(format!("query pair {pair:?} has no ="))?;
            let k = percent_decode(k).ok_or(format!("query key {k:?} does not decode"))?;
            percent_decode(v).ok_or(format!("query value {v:?} does not decode"))?;
            if !wires.contains(&k.as_str()) {
                return Err(format!(
                    "query key {k:?} is not a query parameter of the tool"
                ));
            }
        }
    }
    if let Some(v) = &tool.version
        && !req
            .headers
            .iter()
            .any(|(k, hv)| k == "Version" && hv == v.as_ref())
    {
        return Err(format!("no Version: {v} header: {:?}", req.headers));
    }
    if req
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    {
        return Err("an Authorization header came from the arguments".to_owned());
    }
    Ok(())
}

#[test]
fn schema_valid_arguments_build_well_formed_requests() {
    let mut tested = 0;
    for tool in generated::tools() {
        // The strategies model types, enums, required and numeric bounds; schemas with string or
        // array length rules or patterns are covered by tests/every_tool.rs's sample calls.
        if ["\"pattern\"", "Length\"", "Items\"", "\"minProperties\"", "\"maxProperties\""]
            .iter()
            .any(|k| tool.input_schema.contains(k))
            // A file's base64 is checked beyond its schema (server/tests/body_encodings.rs).
            || tool.body_encoding != runtime::BodyEncoding::Json
        {
            continue;
        }
        let schema: Value = serde_json::from_str(&tool.input_schema).unwrap();
        let strategy = object_for(&schema);
        let compiled = CompiledTool::new((*tool).clone()).expect("generated schemas compile");
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: CASES,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        let result = runner.run(&strategy, |args| {
            let Value::Object(args) = args else {
                unreachable!()
            };
            check(&compiled, &args).map_err(TestCaseError::fail)
        });
        if let Err(e) = result {
            panic!("{}: {e}", tool.name);
        }
        tested += 1;
    }
    // Most of the API: every tool but those whose schemas carry length or pattern rules.
    assert!(
        tested * 10 >= generated::tools().len() * 8,
        "only {tested} of {} tools",
        generated::tools().len()
    );
}

/// One server and runtime for all fuzz cases.
struct Fuzz {
    rt: tokio::runtime::Runtime,
    url: String,
    health: String,
    http: reqwest::Client,
}

fn fuzz() -> &'static Fuzz {
    static F: OnceLock<Fuzz> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (url, health) = rt.block_on(async {
            // The upstream is a closed port: calls that get that far fail fast, which is fine.
            let closed = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let mut o = Opts::new(format!("http://{closed}"));
            o.retry.max_attempts = 1;
            let srv = start_server(o).await;
            let url = srv.mcp_url();
            let health = format!("http://{}/healthz", srv.local_addr());
            // Kept running for the life of the test binary.
            std::mem::forget(srv);
            (url, health)
        });
        Fuzz {
            rt,
            url,
            health,
            http: reqwest::Client::new(),
        }
    })
}

fn post_status(body: Vec<u8>) -> Result<u16, String> {
    let f = fuzz();
    f.rt.block_on(async {
        let r = f
            .http
            .post(&f.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("authorization", "Bearer fuzz")
            .header("mcp-protocol-version", "2025-11-25")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("no answer: {e}"))?;
        Ok(r.status().as_u16())
    })
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn rpc_shaped() -> impl Strategy<Value = Value> {
    let methods = proptest::sample::select(vec![
        "initialize",
        "tools/list",
        "tools/call",
        "ping",
        "server/discover",
        "notifications/initialized",
        "resources/list",
        "prompts/get",
        "",
        "tools/call\u{0}",
    ]);
    let tools: Vec<String> = generated::tools()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    (
        methods,
        any_json(),
        any_json(),
        proptest::sample::select(tools),
        proptest::option::of(any_json()),
    )
        .prop_map(|(m, id, params, tool, args)| {
            let params = if m == "tools/call" {
                json!({"name": tool, "arguments": args.unwrap_or(params)})
            } else {
                params
            };
            json!({"jsonrpc": "2.0", "id": id, "method": m, "params": params})
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_json_never_gets_a_5xx(v in any_json()) {
        let status = post_status(v.to_string().into_bytes()).map_err(TestCaseError::fail)?;
        prop_assert!(status < 500, "HTTP {} for {}", status, v);
    }

    #[test]
    fn random_jsonrpc_never_gets_a_5xx(v in rpc_shaped()) {
        let status = post_status(v.to_string().into_bytes()).map_err(TestCaseError::fail)?;
        prop_assert!(status < 500, "HTTP {} for {}", status, v);
    }

    #[test]
    fn random_bytes_never_get_a_5xx(b in proptest::collection::vec(any::<u8>(), 0..512)) {
        let status = post_status(b.clone()).map_err(TestCaseError::fail)?;
        prop_assert!(status < 500, "HTTP {} for {:?}", status, String::from_utf8_lossy(&b));
    }
}

/// After all that, the server is still up.
#[test]
fn server_survives_the_fuzzing() {
    // Runs in any order with the fuzz tests; a burst of its own makes the point either way.
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&any_json(), |v| {
            let _ = post_status(v.to_string().into_bytes());
            Ok(())
        })
        .unwrap();
    let f = fuzz();
    let ok = f.rt.block_on(async {
        f.http
            .get(&f.health)
            .send()
            .await
            .map(|r| r.status().is_success())
    });
    assert_eq!(ok.ok(), Some(true), "/healthz answers after fuzzing");
    let status = post_status(
        json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}})
            .to_string()
            .into_bytes(),
    )
    .unwrap();
    assert_eq!(status, 200);
}
