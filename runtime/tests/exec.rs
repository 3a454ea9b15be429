//! Tests of the executor: argument checks, location filling, path/query/body mapping, and that
//! no argument can change the request's path or host.

use std::borrow::Cow;

use runtime::{
    Annotations, ArgError, CallContext, CompiledTool, HttpMethod, LocationSlot, ParamDef, ParamIn,
    ToolDef, build_request,
};
use serde_json::{Map, Value, json};

fn param(name: &'static str, wire: &'static str, location: ParamIn, required: bool) -> ParamDef {
    ParamDef {
        name: Cow::Borrowed(name),
        wire: Cow::Borrowed(wire),
        location,
        required,
        default: None,
    }
}

fn tool(method: HttpMethod, path: &'static str, params: Vec<ParamDef>, schema: Value) -> ToolDef {
    ToolDef {
        name: "test_tool".into(),
        app: "test".into(),
        operation_id: "tool".into(),
        title: "Test".into(),
        description: "A test tool.".into(),
        annotations: Annotations::default(),
        scopes: Cow::Borrowed(&[]),
        agency_only: false,
        deprecated: false,
        method,
        path: path.into(),
        version: Some("2021-07-28".into()),
        params: params.into(),
        location: LocationSlot::None,
        input_schema: schema.to_string().into(),
        output_schema: None,
        wrap_result: false,
        risk: runtime::Risk::NONE,
        body_encoding: runtime::BodyEncoding::Json,
    }
}

fn args(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("test arguments must be an object"),
    }
}

fn get_contact() -> ToolDef {
    tool(
        HttpMethod::Get,
        "/contacts/{contactId}",
        vec![param("contactId", "contactId", ParamIn::Path, true)],
        json!({"type":"object","properties":{"contactId":{"type":"string"}},"required":["contactId"],"additionalProperties":false}),
    )
}

#[test]
fn path_parameters_cannot_escape_their_segment() {
    let t = get_contact();
    for (id, expected) in [
        ("abc123", "/contacts/abc123"),
        ("../locations/x", "/contacts/..%2Flocations%2Fx"),
        ("a%2Fb", "/contacts/a%252Fb"),
        ("x?admin=1", "/contacts/x%3Fadmin%3D1"),
        ("x#frag", "/contacts/x%23frag"),
        ("user@evil.example", "/contacts/user%40evil.example"),
        (
            "https://evil.example/steal",
            "/contacts/https%3A%2F%2Fevil.example%2Fsteal",
        ),
        ("..", "/contacts/%2E%2E"),
        (".", "/contacts/%2E"),
        ("...", "/contacts/..."),
        ("a b", "/contacts/a%20b"),
    ] {
        let req = build_request(
            &t,
            &args(json!({ "contactId": id })),
            CallContext::default(),
        )
        .expect("valid arguments");
        assert_eq!(req.path_and_query, expected, "id {id:?}");
        // One segment after /contacts/, no query, no fragment, no authority.
        let tail = req.path_and_query.strip_prefix("/contacts/").unwrap();
        assert!(!tail.contains(['/', '?', '#', '@']), "{tail}");
    }
}

#[test]
fn version_header_is_sent_and_authorization_never_is() {
    let req = build_request(
        &get_contact(),
        &args(json!({"contactId":"c1"})),
        CallContext::default(),
    )
    .unwrap();
    assert_eq!(req.method, "GET");
    assert_eq!(
        req.headers,
        vec![("Version".to_owned(), "2021-07-28".to_owned())]
    );
    assert!(req.body.is_none());
}

#[test]
fn query_arrays_repeat_and_values_are_encoded() {
    let t = tool(
        HttpMethod::Get,
        "/things/",
        vec![
            param("ids", "userIds", ParamIn::Query, false),
            param("q", "query", ParamIn::Query, false),
            param("limit", "limit", ParamIn::Query, false),
        ],
        json!({"type":"object"}),
    );
    let req = build_request(
        &t,
        &args(json!({"ids":["a","b&c"],"q":"jo hn=1","limit":20})),
        CallContext::default(),
    )
    .unwrap();
    assert_eq!(
        req.path_and_query,
        "/things/?userIds=a&userIds=b%26c&query=jo%20hn%3D1&limit=20"
    );
}

#[test]
fn body_params_and_location_from_context() {
    let mut t = tool(
        HttpMethod::Post,
        "/contacts/",
        vec![
            param("locationId", "locationId", ParamIn::Body, true),
            param("email", "email", ParamIn::Body, false),
        ],
        json!({"type":"object"}),
    );
    t.location = LocationSlot::Arg("locationId".into());
    let ctx = CallContext {
        location_id: Some("LOC1"),
    };
    let req = build_request(&t, &args(json!({"email":"a@b.c"})), ctx).unwrap();
    assert_eq!(req.body, Some(json!({"locationId":"LOC1","email":"a@b.c"})));
    // The argument wins over the header.
    let req = build_request(&t, &args(json!({"locationId":"ARG"})), ctx).unwrap();
    assert_eq!(req.body, Some(json!({"locationId":"ARG"})));
    // Neither: a message telling both ways to give it.
    let err = build_request(&t, &args(json!({})), CallContext::default()).unwrap_err();
    assert!(matches!(err, ArgError::MissingLocation { .. }));
    let text = err.to_string();
    assert!(
        text.contains("`locationId` argument") && text.contains("locationId` HTTP header"),
        "{text}"
    );
}

#[test]
fn alt_id_slot_sets_alt_type() {
    let mut t = tool(
        HttpMethod::Get,
        "/payments/transactions",
        vec![
            param("altId", "altId", ParamIn::Query, true),
            param("altType", "altType", ParamIn::Query, true),
        ],
        json!({"type":"object"}),
    );
    t.location = LocationSlot::AltId;
    let req = build_request(
        &t,
        &args(json!({})),
        CallContext {
            location_id: Some("L"),
        },
    )
    .unwrap();
    assert_eq!(
        req.path_and_query,
        "/payments/transactions?altId=L&altType=location"
    );
}

#[test]
fn schema_violations_name_each_field() {
    let t = tool(
        HttpMethod::Get,
        "/contacts/{contactId}",
        vec![
            param("contactId", "contactId", ParamIn::Path, true),
            param("limit", "limit", ParamIn::Query, false),
        ],
        json!({"type":"object","properties":{"contactId":{"type":"string"},"limit":{"type":"number"}},"required":["contactId"],"additionalProperties":false}),
    );
    let compiled = CompiledTool::new(t).unwrap();
    let err = compiled
        .prepare(
            &args(json!({"limit":"ten","bogus":1})),
            CallContext::default(),
        )
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("contactId"), "{text}");
    assert!(text.contains("`limit`"), "{text}");
    assert!(text.contains("bogus"), "{text}");
    let ArgError::Invalid { problems, .. } = err else {
        panic!("expected Invalid")
    };
    assert_eq!(problems.len(), 3, "{problems:?}");
}

#[test]
fn empty_or_missing_path_value_is_refused() {
    let err = build_request(
        &get_contact(),
        &args(json!({"contactId":""})),
        CallContext::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("contactId"), "{err}");
}

#[test]
fn body_root_carries_the_whole_body() {
    let t = tool(
        HttpMethod::Post,
        "/contacts/search",
        vec![param("body", "body", ParamIn::BodyRoot, true)],
        json!({"type":"object"}),
    );
    let req = build_request(
        &t,
        &args(json!({"body":{"query":"x","pageLimit":5}})),
        CallContext::default(),
    )
    .unwrap();
    assert_eq!(req.body, Some(json!({"query":"x","pageLimit":5})));
}
