//! `--openapi DIR`: every operation of HighLevel's official OpenAPI files served as a tool through
//! the same executor as the compiled tools, and the selection flags (toolsets, tools, read-only,
//! agency) through a real MCP client. Tests that need ../shared/highlevel-openapi/apps skip with a
//! printed reason when it is absent.

mod common;

use std::collections::BTreeMap;

use catalog::Selection;
use common::*;
use runtime::{CallContext, CompiledTool, ToolDef};
use serde_json::{Map, Value, json};

fn load(dir: Option<&std::path::Path>, selection: Selection) -> Vec<ToolDef> {
    server::sources::load(dir, &selection).expect("tools load")
}

fn all() -> Selection {
    Selection {
        agency: true,
        ..Selection::default()
    }
}

/// A value satisfying `schema` (enough for the schemas HighLevel's files lower to).
fn sample(schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > 6 {
        return json!({});
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = r
            .strip_prefix('#')
            .and_then(|p| root.pointer(p))
            .unwrap_or(&Value::Null);
        return sample(target, root, depth + 1);
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    if let Some(e) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return e.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return sample(first, root, depth + 1);
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ => "object",
    };
    match ty {
        "string" => match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2026-01-01T00:00:00Z"),
            Some("date") => json!("2026-01-01"),
            Some("email") => json!("a@example.com"),
            Some("uri") | Some("url") => json!("https://example.com"),
            _ => json!("x1"),
        },
        "integer" | "number" => schema.get("minimum").cloned().unwrap_or(json!(1)),
        "boolean" => json!(true),
        "array" => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            Value::Array(
                (0..min.max(1))
                    .map(|_| sample(&items, root, depth + 1))
                    .collect(),
            )
        }
        "null" => Value::Null,
        _ => {
            let mut out = Map::new();
            let props = schema.get("properties").cloned().unwrap_or(json!({}));
            for req in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let s = props.get(req).cloned().unwrap_or(json!({"type": "string"}));
                out.insert(req.to_owned(), sample(&s, root, depth + 1));
            }
            Value::Object(out)
        }
    }
}

/// For each app, one tool whose sample arguments pass the tool's own checks (GET first), with
/// those arguments and the request the executor builds from them.
fn samples(
    tools: &[ToolDef],
) -> BTreeMap<String, (String, Map<String, Value>, runtime::UpstreamRequest)> {
    let mut by_app: BTreeMap<String, Vec<&ToolDef>> = BTreeMap::new();
    for t in tools {
        by_app.entry(t.app.to_string()).or_default().push(t);
    }
    let mut out = BTreeMap::new();
    for (app, mut list) in by_app {
        list.sort_by_key(|t| (t.method != runtime::HttpMethod::Get, t.params.len()));
        for t in list {
            let compiled = CompiledTool::new(t.clone()).expect("compiles");
            let root = Value::Object(compiled.input_schema.clone());
            let Value::Object(args) = sample(&root, &root, 0) else {
                continue;
            };
            if let Ok(req) = compiled.prepare(
                &args,
                CallContext {
                    location_id: Some("LOC1"),
                },
            ) {
                out.insert(app.clone(), (t.name.to_string(), args, req));
                break;
            }
        }
    }
    out
}

#[tokio::test]
async fn serves_all_576_official_operations_and_calls_one_per_app() {
    let Some(dir) = codegen::official_dir_or_skip() else {
        return;
    };
    let tools = load(Some(&dir), all());
    // The 576 v2 operations, each replaced by its compiled twin, plus the compiled tools the
    // v2 folder lacks (the v3-only operations): the whole compiled API.
    assert_eq!(
        tools.len(),
        generated::tools().len(),
        "576 official operations with compiled twins swapped in, plus the v3-only ones"
    );
    // Curated tools keep their reviewed metadata.
    let curated = generated::tools();
    for c in curated.iter() {
        let served = tools
            .iter()
            .find(|t| t.name == c.name)
            .expect("curated tool served");
        assert_eq!(served, *c, "{} is the curated definition", c.name);
    }
    let picks = samples(&tools);
    let apps: std::collections::BTreeSet<&str> = tools.iter().map(|t| t.app.as_ref()).collect();
    assert_eq!(
        apps.len(),
        42,
        "41 official v2 files and chat-widget, an app only v3 has"
    );
    assert_eq!(
        picks.len(),
        apps.len(),
        "a callable sample for every app; missing: {:?}",
        apps.iter()
            .filter(|a| !picks.contains_key(**a))
            .collect::<Vec<_>>()
    );

    let h = start(Setup {
        tools: tools.clone(),
        default_location: Some("LOC1".into()),
        ..Setup::default()
    })
    .await;
    let client = modern_client(&h.url, Some(PIT), &[]).await;
    let listed = client.list_all_tools().await.unwrap();
    assert_eq!(listed.len(), generated::tools().len());

    for (app, (name, args, expected)) in &picks {
        h.upstream.clear();
        let r = call(&client, name, Value::Object(args.clone())).await;
        assert!(!is_error(&r), "{app}: {name} failed: {}", text_of(&r));
        let got = h.upstream.last();
        let def = tools.iter().find(|t| t.name == *name).unwrap();
        assert_eq!(got.method, def.method.as_str(), "{name} method");
        assert_eq!(got.path_and_query, expected.path_and_query, "{name} path");
        // The path template's fixed prefix is what HighLevel's file says.
        let prefix = def.path.split('{').next().unwrap();
        assert!(
            got.path_and_query.starts_with(prefix),
            "{name}: {} does not start with {prefix}",
            got.path_and_query
        );
        assert_eq!(
            got.header("version"),
            def.version.as_deref(),
            "{name} Version header"
        );
        assert_eq!(
            got.header("authorization"),
            Some(format!("Bearer {PIT}").as_str())
        );
    }
}

#[test]
fn agency_tools_are_hidden_unless_asked_for() {
    let Some(dir) = codegen::official_dir_or_skip() else {
        return;
    };
    let with = load(Some(&dir), all());
    let without = load(Some(&dir), Selection::default());
    let agency: Vec<&ToolDef> = with.iter().filter(|t| t.agency_only).collect();
    assert!(
        !agency.is_empty(),
        "the official files have agency-only operations"
    );
    assert_eq!(without.len(), with.len() - agency.len());
    assert!(without.iter().all(|t| !t.agency_only));
}

#[test]
fn a_missing_openapi_folder_fails_with_a_hint() {
    let err = server::sources::load(
        Some(std::path::Path::new("/nonexistent/apps")),
        &Selection::default(),
    )
    .unwrap_err();
    assert!(err.contains("not a folder"), "{err}");
    assert!(err.contains("highlevel-api-docs"), "{err}");
}

#[test]
fn unknown_toolsets_and_tools_fail_listing_what_exists() {
    let err = server::sources::load(
        None,
        &Selection {
            toolsets: Selection::parse_list(Some("contacts,nope")),
            ..Selection::default()
        },
    )
    .unwrap_err();
    assert!(err.contains("`nope`"), "{err}");
    assert!(
        err.contains("`calendars`") && err.contains("`contacts`"),
        "{err}"
    );
    let err = server::sources::load(
        None,
        &Selection {
            tools: Selection::parse_list(Some("contacts_get-contactt")),
            ..Selection::default()
        },
    )
    .unwrap_err();
    assert!(err.contains("contacts_get-contactt"), "{err}");
}

async fn listed_names(selection: Selection) -> Vec<String> {
    let h = start(Setup {
        tools: load(None, selection),
        ..Setup::default()
    })
    .await;
    let client = legacy_client(&h.url, Some(PIT), &[]).await;
    client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect()
}

#[tokio::test]
async fn toolsets_tools_and_read_only_narrow_tools_list() {
    let names = listed_names(Selection {
        toolsets: Selection::parse_list(Some("contacts,calendars")),
        ..Selection::default()
    })
    .await;
    assert!(!names.is_empty());
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("contacts_") || n.starts_with("calendars_")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.starts_with("calendars_")));

    let names = listed_names(Selection {
        tools: Selection::parse_list(Some("contacts_get-contact, calendars_get-calendar-events")),
        ..Selection::default()
    })
    .await;
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["calendars_get-calendar-events", "contacts_get-contact"]
    );

    // Read-only wins over an allowlist that names a write tool.
    let names = listed_names(Selection {
        tools: Selection::parse_list(Some("contacts_get-contact,contacts_create-contact")),
        read_only: true,
        ..Selection::default()
    })
    .await;
    assert_eq!(names, ["contacts_get-contact"]);

    let names = listed_names(Selection {
        read_only: true,
        ..Selection::default()
    })
    .await;
    let defs = server::sources::curated();
    assert!(!names.is_empty());
    for n in &names {
        let d = defs.iter().find(|d| d.name == *n).unwrap();
        assert!(d.annotations.read_only, "{n} is not read-only");
    }
    assert!(names.len() < defs.len(), "the curated set has write tools");
}

#[tokio::test]
async fn a_tool_outside_the_selection_cannot_be_called() {
    let h = start(Setup {
        tools: load(
            None,
            Selection {
                read_only: true,
                ..Selection::default()
            },
        ),
        ..Setup::default()
    })
    .await;
    let client = legacy_client(&h.url, Some(PIT), &[]).await;
    let err = client
        .call_tool(
            rmcp::model::CallToolRequestParams::new("contacts_create-contact")
                .with_arguments(Map::new()),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown tool"), "{err}");
    assert!(h.upstream.requests().is_empty());
}

#[test]
fn a_broken_openapi_file_fails_with_its_diagnostics() {
    let dir = std::env::temp_dir().join(format!("hl-openapi-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("contacts.json"), "{ not json").unwrap();
    let err = server::sources::official(&dir).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        err.contains("error(s) while reading HighLevel's OpenAPI files"),
        "{err}"
    );
    assert!(
        err.contains("contacts.json"),
        "the diagnostic names the file: {err}"
    );

    let empty = std::env::temp_dir().join(format!("hl-openapi-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let err = server::sources::official(&empty).unwrap_err();
    std::fs::remove_dir_all(&empty).unwrap();
    assert!(err.contains("no operations found"), "{err}");
}

#[test]
fn lowering_warnings_are_reported_not_fatal() {
    let Some(dir) = codegen::official_dir_or_skip() else {
        return;
    };
    let loaded = server::sources::official(&dir).unwrap();
    assert!(
        !loaded.warnings.is_empty(),
        "HighLevel's files have known quirks"
    );
    assert!(loaded.warnings.iter().all(|w| w.starts_with("warning: ")));
    // Every v2 operation has a compiled twin.
    assert_eq!(loaded.curated_replaced, 576);
}
