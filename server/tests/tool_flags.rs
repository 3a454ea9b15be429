//! The tool flags on the built binary: `--openapi` (and HIGHLEVEL_MCP_OPENAPI), `--toolsets`,
//! `--tools`, `--read-only`, `--agency`, `--discovery`, `--max-result-chars`, through rmcp's
//! child-process client over stdio against the built-in sandbox; start-up errors that list what
//! exists; `--help` naming every flag.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use common::*;
use rmcp::ServiceExt;
use rmcp::model::ClientConfig;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_highlevel-mcp");

async fn stdio_client(args: &[&str], envs: &[(&str, &str)]) -> Client {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("stdio")
        .args(args)
        .arg("--sandbox")
        .env_remove("HIGHLEVEL_TOKEN")
        .env("RUST_LOG", "warn");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let (transport, _) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn highlevel-mcp stdio");
    ClientConfig::default()
        .serve(transport)
        .await
        .expect("stdio handshake")
}

#[tokio::test]
async fn discovery_over_stdio_searches_and_calls_the_sandbox() {
    let c = stdio_client(&["--discovery", "--toolsets", "contacts"], &[]).await;
    let names: Vec<String> = c
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
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
    let r = call(
        &c,
        "search_operations",
        json!({"query": "find contacts", "limit": 20}),
    )
    .await;
    let v: Value = serde_json::from_str(&text_of(&r)).unwrap();
    let found: Vec<&str> = v["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|n| n.starts_with("contacts_")),
        "{found:?}"
    );
    let r = call(
        &c,
        "execute_operation",
        json!({"name": "contacts_get-contacts", "arguments": {"limit": 3}, "fields": ["contacts.id"]}),
    )
    .await;
    assert!(!is_error(&r), "{}", text_of(&r));
    let v: Value = serde_json::from_str(&text_of(&r)).unwrap();
    let contacts = v["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 3);
    assert!(
        contacts
            .iter()
            .all(|c| c.as_object().unwrap().len() == 1 && c["id"].is_string())
    );
    // Outside the toolset: not callable.
    let r = call(
        &c,
        "execute_operation",
        json!({"name": "opportunities_get-pipelines"}),
    )
    .await;
    assert!(is_error(&r) && text_of(&r).contains("unknown tool"));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn max_result_chars_caps_direct_results() {
    let c = stdio_client(&["--max-result-chars", "200"], &[]).await;
    let r = call(&c, "contacts_get-contacts", json!({"limit": 5})).await;
    assert!(!is_error(&r), "{}", text_of(&r));
    assert!(
        text_of(&r).contains("…[truncated: 200 of "),
        "{}",
        text_of(&r)
    );
    assert!(r.structured_content.is_none());
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn openapi_from_the_environment_with_read_only_and_agency() {
    let Some(dir) = codegen::official_dir_or_skip() else {
        return;
    };
    let expected = server::sources::load(
        Some(&dir),
        &catalog::Selection {
            read_only: true,
            agency: true,
            ..Default::default()
        },
    )
    .unwrap()
    .len();
    let dir = dir.to_str().unwrap().to_owned();
    let c = stdio_client(
        &[],
        &[
            ("HIGHLEVEL_MCP_OPENAPI", &dir),
            ("HIGHLEVEL_MCP_READ_ONLY", "true"),
            ("HIGHLEVEL_MCP_AGENCY", "true"),
            // Without a selection only HighLevel's hosted set is listed.
            ("HIGHLEVEL_MCP_TOOLSETS", "all"),
        ],
    )
    .await;
    let tools = c.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), expected);
    assert!(tools.len() > 200 && tools.len() < 576, "{}", tools.len());
    assert!(
        tools
            .iter()
            .all(|t| t.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true))
    );
    // Curated twins keep their reviewed definition.
    let curated = tools
        .iter()
        .find(|t| t.name == "contacts_get-contact")
        .unwrap();
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../generated/schemas/contacts/contacts_get-contact.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(serde_json::to_value(curated).unwrap(), file);
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn bad_tool_flags_fail_at_start_up_saying_what_exists() {
    for (args, expect) in [
        (
            vec!["--toolsets", "contacts,nope"],
            "unknown toolset(s) `nope`: available toolsets are",
        ),
        (
            vec!["--tools", "contacts_get-contactt"],
            "unknown tool name(s) `contacts_get-contactt`",
        ),
        (vec!["--openapi", "/nonexistent/apps"], "highlevel-api-docs"),
        (vec!["--max-result-chars", "0"], "0"),
        (
            vec!["--read-only", "--tools", "contacts_create-contact"],
            "leaves no tools",
        ),
    ] {
        let out = tokio::process::Command::new(BIN)
            .arg("serve")
            .args(&args)
            .arg("--port")
            .arg("0")
            .stdin(Stdio::null())
            .output()
            .await
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{args:?}: {err}");
    }
}

#[tokio::test]
async fn help_names_every_tool_flag() {
    for sub in ["serve", "stdio"] {
        let out = tokio::process::Command::new(BIN)
            .args([sub, "--help"])
            .output()
            .await
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        for flag in [
            "--openapi",
            "HIGHLEVEL_MCP_OPENAPI",
            "--toolsets",
            "--tools ",
            "--read-only",
            "--agency",
            "--discovery",
            "--max-result-chars",
            "--profile",
            "--app-url",
        ] {
            assert!(help.contains(flag), "{sub} --help lacks {flag}");
        }
    }
}
