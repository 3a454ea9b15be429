//! `--discovery` through a real MCP client: tools/list shows only the three meta-tools;
//! search_tools ranks, describe_tool returns the schema file's JSON, call_tool reaches every
//! curated tool with the same argument checks and upstream request as a direct call; field
//! selection and the size caps (call_tool's `max_chars` and the server-wide cap).

mod common;

use common::registry::*;
use common::*;
use serde_json::{Value, json};

fn discovery_setup() -> Setup {
    Setup {
        discovery: true,
        default_location: Some("LOC1".into()),
        ..generated_setup()
    }
}

fn json_text(r: &rmcp::model::CallToolResult) -> Value {
    serde_json::from_str(&text_of(r)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text_of(r)))
}

#[tokio::test]
async fn tools_list_shows_only_the_meta_tools() {
    let h = start(discovery_setup()).await;
    for client in [
        legacy_client(&h.url, Some(PIT), &[]).await,
        modern_client(&h.url, Some(PIT), &[]).await,
    ] {
        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["search_tools", "describe_tool", "call_tool"]);
        assert!(
            tools[0]
                .description
                .as_deref()
                .unwrap()
                .contains("21 available")
        );
        // call_tool reaches write and send tools, so it claims what the riskiest of them does.
        let hints = tools[2].annotations.as_ref().unwrap();
        assert_eq!(hints.read_only_hint, Some(false));
        assert_eq!(hints.destructive_hint, Some(true));
        assert_eq!(hints.open_world_hint, Some(true));
    }
}

#[tokio::test]
async fn a_read_only_selection_makes_call_tool_read_only() {
    let tools = server::sources::load(
        None,
        &catalog::Selection {
            read_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    let h = start(Setup {
        tools,
        ..discovery_setup()
    })
    .await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    let listed = c.list_all_tools().await.unwrap();
    let hints = listed[2].annotations.as_ref().unwrap();
    assert_eq!(listed[2].name, "call_tool");
    assert_eq!(hints.read_only_hint, Some(true));
    assert_eq!(hints.destructive_hint, Some(false));
    let r = call(
        &c,
        "call_tool",
        json!({"name": "contacts_create-contact", "arguments": {}}),
    )
    .await;
    assert!(
        is_error(&r) && text_of(&r).contains("unknown tool"),
        "{}",
        text_of(&r)
    );
}

#[tokio::test]
async fn search_ranks_and_checks_its_limit() {
    let h = start(discovery_setup()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    let r = call(&c, "search_tools", json!({"query": "get contact by id"})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    let v = json_text(&r);
    let tools = v["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 5, "default limit");
    assert_eq!(tools[0]["name"], "contacts_get-contact");
    assert_eq!(tools[0]["readOnly"], true);
    assert!(tools[0]["summary"].as_str().unwrap().len() <= 160);
    assert!(r.structured_content.is_none());

    let r = call(
        &c,
        "search_tools",
        json!({"query": "text a customer", "limit": 1}),
    )
    .await;
    let v = json_text(&r);
    assert_eq!(v["tools"].as_array().unwrap().len(), 1);
    assert_eq!(v["tools"][0]["name"], "conversations_send-a-new-message");
    assert_eq!(v["tools"][0]["readOnly"], false);

    for bad in [json!(0), json!(21), json!("5")] {
        let r = call(
            &c,
            "search_tools",
            json!({"query": "contact", "limit": bad}),
        )
        .await;
        assert!(is_error(&r), "limit {bad} accepted");
        assert!(text_of(&r).contains("from 1 to 20"), "{}", text_of(&r));
    }
    let r = call(&c, "search_tools", json!({})).await;
    assert!(is_error(&r) && text_of(&r).contains("needs `query`"));
}

#[tokio::test]
async fn describe_tool_returns_the_schema_file() {
    let h = start(discovery_setup()).await;
    let c = modern_client(&h.url, Some(PIT), &[]).await;
    let files = schema_files();
    for (name, file) in &files {
        let r = call(&c, "describe_tool", json!({"name": name})).await;
        assert!(!is_error(&r), "{name}: {}", text_of(&r));
        assert_eq!(
            &json_text(&r),
            file,
            "describe_tool {name} == its schema file"
        );
    }
    let r = call(
        &c,
        "describe_tool",
        json!({"name": "contacts_get-contactt"}),
    )
    .await;
    assert!(is_error(&r));
    let t = text_of(&r);
    assert!(t.contains("unknown tool `contacts_get-contactt`"), "{t}");
    assert!(
        t.contains("`contacts_get-contact`"),
        "closest names offered: {t}"
    );
}

#[tokio::test]
async fn call_tool_reaches_every_tool_with_the_same_request_as_a_direct_call() {
    let h = start(discovery_setup()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    for case in cases() {
        h.upstream.clear();
        let r = call(
            &c,
            "call_tool",
            json!({"name": case.tool, "arguments": case.args}),
        )
        .await;
        assert!(!is_error(&r), "{}: {}", case.tool, text_of(&r));
        let got = h.upstream.last();
        assert_eq!(got.method, case.method, "{}", case.tool);
        assert_eq!(got.path_and_query, case.path, "{}", case.tool);
        assert_eq!(got.header("version"), Some(case.version), "{}", case.tool);
        assert_eq!(got.body, case.body, "{}", case.tool);
        // The JSON text is the result; no second copy as structuredContent.
        assert!(r.structured_content.is_none());
        assert!(json_text(&r).is_object());
    }
}

#[tokio::test]
async fn call_tool_checks_arguments_like_a_direct_call() {
    let h = start(discovery_setup()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    let args = json!({"contactId": 42});
    let via = call(
        &c,
        "call_tool",
        json!({"name": "contacts_get-contact", "arguments": args}),
    )
    .await;
    // Direct calls still work in discovery mode (for clients that remember names).
    let direct = call(&c, "contacts_get-contact", args).await;
    assert!(is_error(&via) && is_error(&direct));
    assert_eq!(text_of(&via), text_of(&direct));
    assert!(
        h.upstream.requests().is_empty(),
        "bad arguments never reach HighLevel"
    );

    let r = call(
        &c,
        "call_tool",
        json!({"name": "contacts_get-contact", "arguments": [1]}),
    )
    .await;
    assert!(is_error(&r) && text_of(&r).contains("must be an object"));
    let r = call(&c, "call_tool", json!({"name": "contact_get"})).await;
    assert!(is_error(&r));
    assert!(
        text_of(&r).contains("unknown tool `contact_get`"),
        "{}",
        text_of(&r)
    );
    assert!(text_of(&r).contains("closest"), "{}", text_of(&r));
    let r = call(
        &c,
        "call_tool",
        json!({"name": "contacts_get-contact", "arguments": {"contactId": "c1"}, "fields": ["a..b"]}),
    )
    .await;
    assert!(is_error(&r) && text_of(&r).contains("empty segment"));
    let r = call(
        &c,
        "call_tool",
        json!({"name": "contacts_get-contact", "arguments": {"contactId": "c1"}, "max_chars": 0}),
    )
    .await;
    assert!(is_error(&r) && text_of(&r).contains("positive integer"));
}

fn big_contacts(n: usize) -> Value {
    let contacts: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": format!("c{i}"), "email": format!("p{i}@example.com"),
                   "firstName": "Pat", "lastName": "Example", "tags": ["vip", "lead"],
                   "customFields": [{"id": "f1", "value": "some long custom value"}]})
        })
        .collect();
    json!({"contacts": contacts, "meta": {"total": n, "nextPageUrl": null}})
}

#[tokio::test]
async fn fields_select_dot_paths_and_max_chars_truncates_visibly() {
    let h = start(discovery_setup()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    let body = big_contacts(50);
    let full_len = body.to_string().chars().count();

    h.upstream.push(Canned::json(200, body.clone()));
    let r = call(
        &c,
        "call_tool",
        json!({"name": "contacts_get-contacts", "arguments": {}, "fields": ["contacts.id", "meta.total"]}),
    )
    .await;
    assert!(!is_error(&r), "{}", text_of(&r));
    let v = json_text(&r);
    assert_eq!(v["meta"], json!({"total": 50}));
    assert_eq!(v["contacts"].as_array().unwrap().len(), 50);
    assert_eq!(v["contacts"][7], json!({"id": "c7"}));
    assert!(text_of(&r).len() < full_len / 4);

    h.upstream.push(Canned::json(200, body.clone()));
    let r = call(
        &c,
        "call_tool",
        json!({"name": "contacts_get-contacts", "arguments": {}, "fields": ["nope"]}),
    )
    .await;
    assert!(
        text_of(&r).contains("fields matched nothing: nope"),
        "{}",
        text_of(&r)
    );
    assert!(text_of(&r).contains("top-level keys: contacts, meta"));

    h.upstream.push(Canned::json(200, body));
    let r = call(
        &c,
        "call_tool",
        json!({"name": "contacts_get-contacts", "arguments": {}, "max_chars": 500}),
    )
    .await;
    let t = text_of(&r);
    assert!(!is_error(&r));
    assert!(
        t.ends_with(&format!(
            "…[truncated: 500 of {full_len} chars; pass fields or a smaller limit]"
        )),
        "{t}"
    );
    assert_eq!(t.split('…').next().unwrap().chars().count(), 500);
    assert!(r.structured_content.is_none());
}

#[tokio::test]
async fn the_server_wide_cap_applies_to_directly_listed_tools() {
    let h = start(Setup {
        max_result_chars: 300,
        ..generated_setup()
    })
    .await;
    let c = legacy_client(&h.url, Some(PIT), &[("locationId", "LOC1")]).await;
    let body = big_contacts(20);
    let full_len = body.to_string().chars().count();
    h.upstream.push(Canned::json(200, body));
    let r = call(&c, "contacts_get-contacts", json!({})).await;
    assert!(!is_error(&r));
    let t = text_of(&r);
    assert!(
        t.contains(&format!("…[truncated: 300 of {full_len} chars;")),
        "{t}"
    );
    // A cut text is not JSON, so the structured copy (which would contradict it) is dropped.
    assert!(r.structured_content.is_none());

    // A small answer is untouched and keeps its structuredContent.
    h.upstream.push(Canned::json(
        200,
        json!({"contacts": [], "meta": {"total": 0}}),
    ));
    let r = call(&c, "contacts_get-contacts", json!({})).await;
    assert!(r.structured_content.is_some());
    assert_eq!(json_text(&r), json!({"contacts": [], "meta": {"total": 0}}));
}
