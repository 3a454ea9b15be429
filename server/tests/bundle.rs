//! The desktop bundle (`deploy/mcpb/`): packed and validated by the official bundle CLI
//! (`@anthropic-ai/mcpb`, pinned, installed by `.ci/install-ship.sh`), unpacked again, and the
//! server started exactly as a bundle host would start it, from the unpacked manifest's
//! `mcp_config` with the user's settings filled in; then spoken to over MCP on stdio.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rmcp::ServiceExt;
use rmcp::model::ClientConfig;
use rmcp::transport::TokioChildProcess;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_highlevel-mcp");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The pinned CLI, or `None` (after saying why) when it is not installed outside CI.
fn mcpb_cli() -> Option<PathBuf> {
    let path = std::env::var_os("MCPB")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/tools/mcpb/node_modules/.bin/mcpb"));
    if path.is_file() {
        return Some(path);
    }
    let why = format!(
        "the MCP bundle CLI is not at {} (run .ci/install-ship.sh, or set MCPB)",
        path.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but {why}");
    }
    println!("skipped: {why}");
    None
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command starts");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// Replaces `${__dirname}` and `${user_config.KEY}` the way a bundle host does.
fn resolve(template: &str, dir: &Path, settings: &[(&str, &str)]) -> String {
    let mut s = template.replace("${__dirname}", &dir.display().to_string());
    for (key, value) in settings {
        s = s.replace(&format!("${{user_config.{key}}}"), value);
    }
    assert!(!s.contains("${"), "unresolved placeholder in {template:?}");
    s
}

#[tokio::test]
async fn the_packed_bundle_starts_from_its_manifest_and_speaks_mcp() {
    let Some(mcpb) = mcpb_cli() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let bundle = scratch.path().join("highlevel-mcp.mcpb");
    let packed = run(Command::new(workspace().join("deploy/mcpb/pack.sh"))
        .arg(BIN)
        .arg(&bundle)
        .env("MCPB", &mcpb));
    assert!(packed.contains("validation passes"), "{packed}");
    let unpacked = scratch.path().join("unpacked");
    run(Command::new(&mcpb)
        .arg("unpack")
        .arg(&bundle)
        .arg(&unpacked));
    let info = run(Command::new(&mcpb).arg("info").arg(&bundle));
    assert!(info.contains("Size:"), "{info}");

    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(unpacked.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["server"]["type"], "binary");
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"));
    for key in ["highlevel_token", "location_id"] {
        let setting = &manifest["user_config"][key];
        assert_eq!(setting["sensitive"], true, "{key} must be sensitive");
        assert_eq!(setting["required"], true, "{key} must be asked for");
    }

    // Start it as a host would: command, args and env from the unpacked manifest, with the
    // user's settings filled in (a made-up token: initialize and tools/list never reach HighLevel).
    let settings = [
        ("highlevel_token", "pit-bundle-test-token"),
        ("location_id", "bundleTestLocation"),
    ];
    let config = &manifest["server"]["mcp_config"];
    let mut cmd = tokio::process::Command::new(resolve(
        config["command"].as_str().unwrap(),
        &unpacked,
        &settings,
    ));
    for arg in config["args"].as_array().unwrap() {
        cmd.arg(resolve(arg.as_str().unwrap(), &unpacked, &settings));
    }
    for var in [
        "HIGHLEVEL_TOKEN",
        "HIGHLEVEL_MCP_LOCATION_ID",
        "HIGHLEVEL_MCP_TOKEN_FILE",
    ] {
        cmd.env_remove(var);
    }
    for (name, value) in config["env"].as_object().unwrap() {
        cmd.env(name, resolve(value.as_str().unwrap(), &unpacked, &settings));
    }
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .expect("the bundle's command starts");
    let client = ClientConfig::default()
        .serve(transport)
        .await
        .expect("initialize over stdio");
    let info = client.peer_info().expect("server info");
    let server = info.server_info.as_ref().expect("server name and version");
    assert_eq!(server.name, "highlevel-mcp");
    assert_eq!(server.version, env!("CARGO_PKG_VERSION"));
    let tools = client.list_all_tools().await.unwrap();
    // The bundle's command runs with the defaults: HighLevel's hosted set.
    assert_eq!(tools.len(), generated::hosted().len());
    assert!(tools.iter().any(|t| t.name == "contacts_get-contact"));
    client.cancel().await.unwrap();
}
