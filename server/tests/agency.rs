//! Several locations per connection, `list_locations`, and the connector tools `search` and
//! `fetch`, through real MCP clients against the sandbox and the recording upstream.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures::future::BoxFuture;
use rmcp::model::CallToolResult;
use serde_json::{Value, json};
use server::agency::{Agency, Profile};
use server::{Credentials, Grant, GrantSource, Locations, Rejection, Secret};

const DEMO: &str = sandbox::DEMO_LOCATION_ID;

fn agency(ids: &[&str], profile: Profile) -> Agency {
    let ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    Agency::new(&ids, profile, None).expect("agency settings")
}

/// The generated tools these tests call directly besides the agency tools.
fn generated(names: &[&str]) -> Vec<runtime::ToolDef> {
    generated::tools()
        .iter()
        .filter(|t| names.contains(&t.name.as_ref()))
        .map(|t| (*t).clone())
        .collect()
}

async fn sandbox_server(setup: Setup) -> (sandbox::Sandbox, server::http::HttpServer) {
    let sb = sandbox::Sandbox::start(sandbox::SandboxConfig::for_tests())
        .await
        .expect("sandbox");
    let server = start_server(setup, &sb.base_url()).await;
    (sb, server)
}

fn ok_json(r: &CallToolResult) -> Value {
    assert!(!is_error(r), "{}", text_of(r));
    let v = json_of(r);
    // Text and structuredContent say the same.
    let text: Value = serde_json::from_str(&text_of(r)).expect("text is JSON");
    assert_eq!(
        r.structured_content.as_ref(),
        Some(&text),
        "structuredContent"
    );
    v
}

/// An OAuth-like grant source: every request holds a grant for two locations.
#[derive(Debug)]
struct TwoLocations;

impl GrantSource for TwoLocations {
    fn resolve<'a>(
        &'a self,
        _parts: Option<&'a http::request::Parts>,
        _default: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Grant, Rejection>> {
        Box::pin(async {
            Ok(Grant {
                token: Secret::new("agency-token").expect("token"),
                tokens: None,
                locations: Locations {
                    default: Some(DEMO.to_owned()),
                    allowed: Some(vec![DEMO.to_owned(), "secondLoc".to_owned()]),
                },
                principal: "oauth:test".into(),
            })
        })
    }

    fn label(&self) -> &'static str {
        "two locations"
    }
}

#[tokio::test]
async fn list_locations_names_each_location_of_the_grant() {
    // A server given two locations: both listed, the first the default, names from HighLevel.
    let (_sb, server) = sandbox_server(Setup {
        credentials: server_held("any-token-works", None),
        default_location: Some(DEMO.into()),
        agency: agency(&[DEMO, "secondLoc"], Profile::Default),
        ..Setup::default()
    })
    .await;
    let c = modern_client(&server.mcp_url(), None, &[]).await;
    let names: Vec<String> = c
        .list_all_tools()
        .await
        .expect("tools/list")
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(names.contains(&"list_locations".to_owned()), "{names:?}");
    assert!(!names.contains(&"search".to_owned()), "{names:?}");
    let v = ok_json(&call(&c, "list_locations", json!({})).await);
    assert_eq!(v["restricted"], true, "{v}");
    let locs = v["locations"].as_array().expect("locations");
    assert_eq!(locs.len(), 2, "{v}");
    assert_eq!(locs[0]["id"], DEMO);
    assert_eq!(locs[0]["name"], "Brightside Dental Studio");
    assert_eq!(locs[0]["default"], true);
    // The sandbox has no second location: the name is null and the reason is given.
    assert_eq!(locs[1]["id"], "secondLoc");
    assert_eq!(locs[1]["default"], false);
    assert!(locs[1]["name"].is_null(), "{v}");
    assert!(
        locs[1]["nameError"].as_str().unwrap().contains("404"),
        "{v}"
    );

    // An OAuth-like grant with its own two locations.
    let (_sb2, oauth) = sandbox_server(Setup {
        credentials: Credentials::External(Arc::new(TwoLocations)),
        discovery: true,
        ..Setup::default()
    })
    .await;
    let c = modern_client(&oauth.mcp_url(), None, &[]).await;
    let v = ok_json(&call(&c, "list_locations", json!({})).await);
    let ids: Vec<&str> = v["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [DEMO, "secondLoc"]);

    // Header mode with no list: what it knows, the header's location, and that it is not a limit.
    let (_sb3, header) = sandbox_server(Setup {
        discovery: true,
        ..Setup::default()
    })
    .await;
    let c = modern_client(&header.mcp_url(), Some(PIT), &[("locationId", DEMO)]).await;
    let v = ok_json(&call(&c, "list_locations", json!({})).await);
    assert_eq!(v["restricted"], false, "{v}");
    assert_eq!(v["locations"][0]["id"], DEMO, "{v}");
    assert_eq!(v["locations"][0]["name"], "Brightside Dental Studio");
    assert!(v["note"].as_str().unwrap().contains("not limited"), "{v}");
    let c = modern_client(&header.mcp_url(), Some(PIT), &[]).await;
    let v = ok_json(&call(&c, "list_locations", json!({})).await);
    assert_eq!(v["locations"], json!([]), "{v}");
    assert!(v["note"].as_str().unwrap().contains("No default"), "{v}");
}

#[tokio::test]
async fn a_location_outside_the_grant_is_refused_before_any_upstream_call() {
    for credentials in [server_held("pit-server", None), Credentials::Forward] {
        let h = start(Setup {
            credentials,
            default_location: Some("locA".into()),
            agency: agency(&["locA", "locB"], Profile::Default),
            discovery: true,
            ..Setup::default()
        })
        .await;
        let c = modern_client(&h.url, Some(PIT), &[]).await;
        let refused = [
            call(
                &c,
                "execute_operation",
                json!({"name": "contacts_get-contacts", "arguments": {"locationId": "locC"}}),
            )
            .await,
            call(&c, "search", json!({"query": "ada", "location": "locC"})).await,
            call(&c, "fetch", json!({"id": "contact:locC:c1"})).await,
        ];
        for r in &refused {
            assert!(is_error(r), "{}", text_of(r));
            let t = text_of(r);
            assert!(
                t.contains("`locC`") && t.contains("allowed: `locA`, `locB`"),
                "{t}"
            );
        }
        assert!(h.upstream.requests().is_empty(), "nothing went upstream");

        // A listed location goes through; none named uses the default.
        let r = call(
            &c,
            "execute_operation",
            json!({"name": "contacts_get-contacts", "arguments": {"locationId": "locB"}}),
        )
        .await;
        assert!(!is_error(&r), "{}", text_of(&r));
        assert_eq!(
            h.upstream.last().path_and_query,
            "/contacts/?locationId=locB"
        );
        call(
            &c,
            "execute_operation",
            json!({"name": "contacts_get-contacts", "arguments": {}}),
        )
        .await;
        assert_eq!(
            h.upstream.last().path_and_query,
            "/contacts/?locationId=locA"
        );

        // A `locationId` header outside the list is refused at the door (403, the list named).
        h.upstream.clear();
        let resp = reqwest::Client::new()
            .post(&h.url)
            .header("authorization", format!("Bearer {PIT}"))
            .header("locationId", "locC")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            .send()
            .await
            .expect("answered");
        assert_eq!(resp.status(), 403);
        let body = resp.text().await.unwrap();
        assert!(body.contains("`locA`, `locB`"), "{body}");
        assert!(h.upstream.requests().is_empty());
    }
}

#[tokio::test]
async fn search_finds_seeded_records_and_fetch_reads_them() {
    let (_sb, server) = sandbox_server(Setup {
        credentials: server_held("any-token-works", None),
        default_location: Some(DEMO.into()),
        tools: generated(&[
            "contacts_get-contacts",
            "opportunities_search-opportunity",
            "conversations_search-conversation",
        ]),
        discovery: true,
        ..Setup::default()
    })
    .await;
    let c = modern_client(&server.mcp_url(), None, &[]).await;
    let names: Vec<String> = c
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
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

    // A seeded contact, found by name.
    let run = |name: &'static str, args: Value| {
        let c = &c;
        async move {
            // execute_operation answers text only.
            let r = call(
                c,
                "execute_operation",
                json!({"name": name, "arguments": args}),
            )
            .await;
            assert!(!is_error(&r), "{}", text_of(&r));
            serde_json::from_str::<Value>(&text_of(&r)).expect("JSON text")
        }
    };
    let v = run("contacts_get-contacts", json!({"limit": 1})).await;
    let contact = &v["contacts"][0];
    let (cid, first, last) = (
        contact["id"].as_str().unwrap(),
        contact["firstName"].as_str().unwrap(),
        contact["lastName"].as_str().unwrap(),
    );
    let found = ok_json(&call(&c, "search", json!({"query": format!("{first} {last}")})).await);
    let want = format!("contact:{DEMO}:{cid}");
    let hit = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == want.as_str())
        .unwrap_or_else(|| panic!("{want} not in {found}"));
    assert!(hit["title"].as_str().unwrap().contains(first), "{hit}");
    assert_eq!(
        hit["url"],
        format!("https://app.gohighlevel.com/v2/location/{DEMO}/contacts/detail/{cid}")
    );
    assert_eq!(found["metadata"]["partial"], false, "{found}");
    assert_eq!(found["metadata"]["sources"].as_array().unwrap().len(), 3);

    let doc = ok_json(&call(&c, "fetch", json!({"id": want})).await);
    assert_eq!(doc["id"], want.as_str());
    assert_eq!(doc["url"], hit["url"]);
    let text = doc["text"].as_str().unwrap();
    assert!(text.contains(first) && text.contains(last), "{text}");
    assert!(text.contains(contact["email"].as_str().unwrap()), "{text}");
    assert_eq!(doc["metadata"]["kind"], "contact");
    assert_eq!(doc["metadata"]["locationId"], DEMO);

    // An opportunity and a conversation, found and read the same way.
    let v = run("opportunities_search-opportunity", json!({"limit": 1})).await;
    let opp = &v["opportunities"][0];
    let oid = format!("opportunity:{DEMO}:{}", opp["id"].as_str().unwrap());
    let found = ok_json(&call(&c, "search", json!({"query": opp["name"]})).await);
    assert!(
        found["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == oid.as_str()),
        "{oid} not in {found}"
    );
    let doc = ok_json(&call(&c, "fetch", json!({"id": oid})).await);
    assert!(
        doc["text"]
            .as_str()
            .unwrap()
            .contains(opp["name"].as_str().unwrap()),
        "{doc}"
    );
    assert!(doc["url"].as_str().unwrap().contains("/opportunities/"));

    let v = run("conversations_search-conversation", json!({"limit": 1})).await;
    let conv = &v["conversations"][0];
    let vid = format!("conversation:{DEMO}:{}", conv["id"].as_str().unwrap());
    let doc = ok_json(&call(&c, "fetch", json!({"id": vid})).await);
    let text = doc["text"].as_str().unwrap();
    assert!(text.starts_with("Conversation with "), "{text}");
    assert!(text.contains("Messages (newest first"), "{text}");
    assert!(doc["metadata"]["messagesShown"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn unknown_or_malformed_ids_are_clear_errors() {
    let (_sb, server) = sandbox_server(Setup {
        credentials: server_held("any-token-works", None),
        default_location: Some(DEMO.into()),
        agency: agency(&[], Profile::Connector),
        ..Setup::default()
    })
    .await;
    let c = modern_client(&server.mcp_url(), None, &[]).await;
    for (id, says) in [
        ("nonsense", "is not a record id"),
        ("invoice:loc:1", "no known kind of record"),
        ("contact:loc:a/b", "letters, digits"),
    ] {
        let r = call(&c, "fetch", json!({"id": id})).await;
        assert!(is_error(&r), "{id}");
        let t = text_of(&r);
        assert!(
            t.contains(says) && t.contains("contact:<locationId>:<contactId>"),
            "{id}: {t}"
        );
    }
    let r = call(&c, "fetch", json!({})).await;
    assert!(is_error(&r) && text_of(&r).contains("needs `id`"));
    let r = call(
        &c,
        "fetch",
        json!({"id": format!("contact:{DEMO}:noSuchContact1")}),
    )
    .await;
    assert!(is_error(&r));
    let t = text_of(&r);
    assert!(t.contains("cannot fetch") && t.contains("404"), "{t}");
    let r = call(&c, "search", json!({"query": "  "})).await;
    assert!(is_error(&r) && text_of(&r).contains("needs `query`"));
}

#[tokio::test]
async fn a_failing_source_does_not_sink_the_others() {
    let h = start(Setup {
        credentials: server_held("pit-server", None),
        default_location: Some("locA".into()),
        agency: agency(&[], Profile::Connector),
        ..Setup::default()
    })
    .await;
    h.upstream.route(
        "/contacts/",
        Canned::json(
            200,
            json!({"contacts": [{"id": "c1", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"}]}),
        ),
    );
    h.upstream.route(
        "/opportunities/search",
        Canned::json(500, json!({"message": "internal failure"})),
    );
    h.upstream.route(
        "/conversations/search",
        Canned::json(
            200,
            json!({"conversations": [{"id": "v1", "fullName": "Ada Lovelace"}]}),
        ),
    );
    let c = modern_client(&h.url, None, &[]).await;
    let v = ok_json(&call(&c, "search", json!({"query": "Ada"})).await);
    let ids: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["contact:locA:c1", "conversation:locA:v1"], "{v}");
    assert_eq!(
        v["results"][0]["title"],
        "Contact: Ada Lovelace <ada@example.com>"
    );
    assert_eq!(v["metadata"]["partial"], true);
    let failed = &v["metadata"]["sources"][1];
    assert_eq!(failed["source"], "opportunities");
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("500"),
        "{failed}"
    );
    // Each source got the location and the query under its own parameter names.
    let paths: Vec<String> = h
        .upstream
        .requests()
        .iter()
        .map(|r| r.path_and_query.clone())
        .collect();
    for want in [
        "/contacts/?locationId=locA&query=Ada&limit=5",
        "/opportunities/search?q=Ada&location_id=locA&limit=5",
        "/conversations/search?locationId=locA&query=Ada&limit=5",
    ] {
        assert!(paths.iter().any(|p| p == want), "{want} not in {paths:?}");
    }

    // Every source failing is an error naming each.
    h.upstream.clear();
    h.upstream
        .route("/", Canned::json(503, json!({"message": "down"})));
    let r = call(&c, "search", json!({"query": "Ada"})).await;
    assert!(is_error(&r), "{}", text_of(&r));
    let t = text_of(&r);
    assert!(
        t.contains("every source") && t.contains("opportunities in locA"),
        "{t}"
    );
}

#[tokio::test]
async fn a_slow_source_is_cut_at_the_deadline() {
    let mut settings = agency(&[], Profile::Connector);
    settings.search_deadline = Duration::from_millis(400);
    let h = start(Setup {
        credentials: server_held("pit-server", None),
        default_location: Some("locA".into()),
        agency: settings,
        ..Setup::default()
    })
    .await;
    h.upstream.route(
        "/contacts/",
        Canned::json(200, json!({"contacts": []})).delayed(Duration::from_secs(3)),
    );
    h.upstream.route("/", Canned::json(200, json!({})));
    let c = modern_client(&h.url, None, &[]).await;
    let started = std::time::Instant::now();
    let v = ok_json(&call(&c, "search", json!({"query": "Ada"})).await);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(v["metadata"]["sources"][0]["status"], "timed out", "{v}");
    assert_eq!(v["metadata"]["sources"][1]["status"], "ok", "{v}");
}

#[tokio::test]
async fn the_connector_profile_lists_only_search_fetch_and_list_locations() {
    let h = start(Setup {
        agency: agency(&[], Profile::Connector),
        ..Setup::default()
    })
    .await;
    let c = modern_client(&h.url, Some(PIT), &[]).await;
    let names: Vec<String> = c
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(names, ["search", "fetch", "list_locations"]);
    let err = c
        .call_tool(rmcp::model::CallToolRequestParams::new(
            "contacts_get-contact",
        ))
        .await
        .expect_err("not served in the connector profile");
    assert!(err.to_string().contains("unknown tool"), "{err}");
    assert!(h.upstream.requests().is_empty());
}

const BIN: &str = env!("CARGO_BIN_EXE_highlevel-mcp");

#[tokio::test]
async fn the_binary_takes_a_location_list_and_the_connector_profile() {
    use rmcp::ServiceExt;
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args([
        "stdio",
        "--sandbox",
        "--profile",
        "connector",
        "--location-id",
        &format!("{DEMO}, secondLoc"),
    ])
    .env_remove("HIGHLEVEL_TOKEN")
    .env("RUST_LOG", "warn");
    let (transport, _) = rmcp::transport::TokioChildProcess::builder(cmd)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn highlevel-mcp stdio");
    let c = rmcp::model::ClientConfig::default()
        .serve(transport)
        .await
        .expect("stdio handshake");
    let names: Vec<String> = c
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(names, ["search", "fetch", "list_locations"]);
    let v = ok_json(&call(&c, "list_locations", json!({})).await);
    assert_eq!(v["locations"][0]["id"], DEMO, "{v}");
    assert_eq!(v["locations"][1]["id"], "secondLoc", "{v}");
    let r = call(&c, "search", json!({"query": "a", "location": "thirdLoc"})).await;
    assert!(
        is_error(&r) && text_of(&r).contains("allowed: `"),
        "{}",
        text_of(&r)
    );
    let _ = c.cancel().await;

    for (args, expect) in [
        (vec!["--location-id", "a,,b"], "item 2 is empty"),
        (vec!["--location-id", "a,b,a"], "listed twice"),
        (vec!["--location-id", "a,b c"], "is not a location id"),
        (
            vec!["--profile", "connector", "--discovery"],
            "cannot be used with",
        ),
        (vec!["--app-url", "ftp://x"], "--app-url"),
    ] {
        let out = tokio::process::Command::new(BIN)
            .arg("stdio")
            .arg("--sandbox")
            .args(&args)
            .env_remove("HIGHLEVEL_TOKEN")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{args:?}: {err}");
    }
}
