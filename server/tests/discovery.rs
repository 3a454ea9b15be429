//! `--discovery` through a real MCP client: tools/list shows the three meta-tools under
//! HighLevel's names (then search, fetch and list_locations, tested in agency.rs); search_operations ranks, browses an app and suggests apps when nothing
//! matches; describe_operation returns the schema file's JSON; execute_operation reaches every
//! curated tool with the same argument checks and upstream request as a direct call; field
//! selection and the size caps (execute_operation's `max_chars` and the server-wide cap); the
//! earlier names search_tools, describe_tool and call_tool still work.

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
async fn tools_list_shows_the_meta_tools_and_the_connector_tools() {
    let h = start(discovery_setup()).await;
    for client in [
        legacy_client(&h.url, Some(PIT), &[]).await,
        modern_client(&h.url, Some(PIT), &[]).await,
    ] {
        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "search_operations",
                "describe_operation",
                "execute_operation",
                "search",
                "fetch",
                "list_locations"
            ]
        );
        assert!(
            tools[0]
                .description
                .as_deref()
                .unwrap()
                .contains(&format!("operations ({})", ::generated::tools().len()))
        );
        // execute_operation reaches write and send tools, so it claims what the riskiest of them does.
        let hints = tools[2].annotations.as_ref().unwrap();
        assert_eq!(hints.read_only_hint, Some(false));
        assert_eq!(hints.destructive_hint, Some(true));
        assert_eq!(hints.open_world_hint, Some(true));
    }
}

#[tokio::test]
async fn a_read_only_selection_makes_execute_operation_read_only() {
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
    assert_eq!(listed[2].name, "execute_operation");
    assert_eq!(hints.read_only_hint, Some(true));
    assert_eq!(hints.destructive_hint, Some(false));
    let r = call(
        &c,
        "execute_operation",
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
    let r = call(&c, "search_operations", json!({"query": "get contact"})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    let v = json_text(&r);
    let tools = v["operations"].as_array().unwrap();
    assert_eq!(tools.len(), 5, "default limit");
    assert_eq!(tools[0]["name"], "contacts_get-contact");
    assert_eq!(tools[0]["readOnly"], true);
    assert!(tools[0]["summary"].as_str().unwrap().len() <= 160);
    assert!(r.structured_content.is_none());

    let r = call(
        &c,
        "search_operations",
        json!({"query": "text a customer", "limit": 1}),
    )
    .await;
    let v = json_text(&r);
    assert_eq!(v["operations"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["operations"][0]["name"],
        "conversations_send-a-new-message"
    );
    assert_eq!(v["operations"][0]["readOnly"], false);

    for bad in [json!(0), json!(21), json!("5")] {
        let r = call(
            &c,
            "search_operations",
            json!({"query": "contact", "limit": bad}),
        )
        .await;
        assert!(is_error(&r), "limit {bad} accepted");
        assert!(text_of(&r).contains("from 1 to 20"), "{}", text_of(&r));
    }
    let r = call(&c, "search_operations", json!({"query": 5})).await;
    assert!(is_error(&r) && text_of(&r).contains("`query` must be a string"));
}

#[tokio::test]
async fn search_browses_apps_and_always_offers_a_next_step() {
    let h = start(discovery_setup()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    // No arguments: the apps, each with its number of operations.
    let v = json_text(&call(&c, "search_operations", json!({})).await);
    let apps = v["apps"].as_array().unwrap();
    assert!(
        apps.iter()
            .any(|a| a[0] == "contacts" && a[1].as_u64() > Some(0)),
        "{v}"
    );
    // An app and no query: that app's operations, name and title, paged.
    let v = json_text(
        &call(
            &c,
            "search_operations",
            json!({"app": "contacts", "query": ""}),
        )
        .await,
    );
    let ops = v["operations"].as_array().unwrap();
    assert_eq!(v["total"].as_u64(), Some(ops.len() as u64), "{v}");
    assert!(
        ops.iter()
            .all(|o| o[0].as_str().unwrap().starts_with("contacts_"))
    );
    assert!(
        ops.iter()
            .any(|o| o[0] == "contacts_get-contact" && o[1].is_string())
    );
    let v = json_text(
        &call(
            &c,
            "search_operations",
            json!({"app": "contacts", "limit": 2}),
        )
        .await,
    );
    assert_eq!(v["operations"].as_array().unwrap().len(), 2);
    assert_eq!(v["next_offset"], 2);
    let v = json_text(
        &call(
            &c,
            "search_operations",
            json!({"app": "contacts", "limit": 2, "offset": 2}),
        )
        .await,
    );
    assert_ne!(v["operations"][0][0], "contacts_get-contact");
    // An app and a query: the search stays in the app.
    let v = json_text(
        &call(
            &c,
            "search_operations",
            json!({"app": "calendars", "query": "appointment"}),
        )
        .await,
    );
    let ops = v["operations"].as_array().unwrap();
    assert!(!ops.is_empty());
    assert!(
        ops.iter()
            .all(|o| o["name"].as_str().unwrap().starts_with("calendars_")),
        "{v}"
    );
    // An unknown app names the closest ones.
    let r = call(&c, "search_operations", json!({"app": "contact"})).await;
    assert!(
        is_error(&r) && text_of(&r).contains("`contacts`"),
        "{}",
        text_of(&r)
    );
    // Nothing found: the closest apps and how to browse them.
    let v = json_text(&call(&c, "search_operations", json!({"query": "zebra xylophone"})).await);
    assert_eq!(v["operations"].as_array().unwrap().len(), 0);
    assert!(!v["closest_apps"].as_array().unwrap().is_empty(), "{v}");
    assert!(v["next"].as_str().unwrap().contains("\"app\""));
    let v = json_text(&call(&c, "search_operations", json!({"query": "kalendars qwxz"})).await);
    assert_eq!(v["closest_apps"][0][0], "calendars", "{v}");
}

#[tokio::test]
async fn the_earlier_meta_tool_names_still_work_but_are_not_listed() {
    let h = start(discovery_setup()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    let v = json_text(&call(&c, "search_tools", json!({"query": "get contact"})).await);
    assert_eq!(v["operations"][0]["name"], "contacts_get-contact");
    let r = call(&c, "describe_tool", json!({"name": "contacts_get-contact"})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    let r = call(&c, "call_tool", json!({"name": "contact_get"})).await;
    assert!(
        is_error(&r) && text_of(&r).contains("closest"),
        "{}",
        text_of(&r)
    );
    let listed = c.list_all_tools().await.unwrap();
    assert!(
        listed
            .iter()
            .all(|t| !t.name.ends_with("_tool") && t.name != "search_tools")
    );
}

#[tokio::test]
async fn describe_operation_returns_the_schema_file() {
    let h = start(discovery_setup()).await;
    let c = modern_client(&h.url, Some(PIT), &[]).await;
    let files = schema_files();
    for (name, file) in &files {
        let r = call(&c, "describe_operation", json!({"name": name})).await;
        assert!(!is_error(&r), "{name}: {}", text_of(&r));
        assert_eq!(
            &json_text(&r),
            file,
            "describe_operation {name} == its schema file"
        );
    }
    let r = call(
        &c,
        "describe_operation",
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
async fn execute_operation_reaches_every_tool_with_the_same_request_as_a_direct_call() {
    let h = start(discovery_setup()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    for case in cases() {
        h.upstream.clear();
        let r = call(
            &c,
            "execute_operation",
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
async fn execute_operation_checks_arguments_like_a_direct_call() {
    let h = start(discovery_setup()).await;
    let c = legacy_client(&h.url, Some(PIT), &[]).await;
    let args = json!({"contactId": 42});
    let via = call(
        &c,
        "execute_operation",
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
        "execute_operation",
        json!({"name": "contacts_get-contact", "arguments": [1]}),
    )
    .await;
    assert!(is_error(&r) && text_of(&r).contains("must be an object"));
    let r = call(&c, "execute_operation", json!({"name": "contact_get"})).await;
    assert!(is_error(&r));
    assert!(
        text_of(&r).contains("unknown tool `contact_get`"),
        "{}",
        text_of(&r)
    );
    assert!(text_of(&r).contains("closest"), "{}", text_of(&r));
    let r = call(
        &c,
        "execute_operation",
        json!({"name": "contacts_get-contact", "arguments": {"contactId": "c1"}, "fields": ["a..b"]}),
    )
    .await;
    assert!(is_error(&r) && text_of(&r).contains("empty segment"));
    let r = call(
        &c,
        "execute_operation",
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
        "execute_operation",
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
        "execute_operation",
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
        "execute_operation",
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
