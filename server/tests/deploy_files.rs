//! The shipping files are checked against what they describe: `server.json` against the MCP
//! registry's published schema (a copy in `tests/fixtures/mcp-registry/`), the names and
//! versions in the registry entry, README, Dockerfile and bundle manifest against each other and
//! the crate, and every flag and `HIGHLEVEL_*` variable the Dockerfile, docker-compose file and
//! Kubernetes manifests use against the binary's own command-line definition (then the whole
//! configuration is parsed by clap, so a value of the wrong shape fails too).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use serde_json::{Value, json};
use server::cli::Cli;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json_file(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every YAML document of a file, as JSON values.
fn yaml_docs(path: &str) -> Vec<Value> {
    let text = read(path);
    text.split("\n---\n")
        .map(|doc| yaml_serde::from_str::<Value>(doc).unwrap_or_else(|e| panic!("{path}: {e}")))
        .filter(|v| !v.is_null())
        .collect()
}

fn registry_schema() -> jsonschema::Validator {
    let schema = json_file("server/tests/fixtures/mcp-registry/server.schema.2025-12-11.json");
    jsonschema::draft7::new(&schema).expect("the registry schema compiles")
}

fn problems(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn server_json_follows_the_registry_schema() {
    let validator = registry_schema();
    let doc = json_file("server.json");
    assert_eq!(
        doc["$schema"],
        "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
    );
    let found = problems(&validator, &doc);
    assert!(found.is_empty(), "server.json: {found:#?}");

    // The schema really checks: a few ways of getting it wrong are each caught.
    let mut too_long = doc.clone();
    too_long["description"] = json!("x".repeat(101));
    let mut no_slash = doc.clone();
    no_slash["name"] = json!("highlevel-mcp");
    let mut bad_remote = doc.clone();
    bad_remote["remotes"][0]["url"] = json!("ftp://example.com/mcp");
    let mut latest = doc.clone();
    latest["packages"][0]["version"] = json!("latest");
    for (what, bad) in [
        ("description over 100 chars", too_long),
        ("name without a namespace", no_slash),
        ("remote URL that is not http(s)", bad_remote),
        ("package version `latest`", latest),
    ] {
        assert!(
            !problems(&validator, &bad).is_empty(),
            "the schema let through a {what}"
        );
    }
}

#[test]
fn names_and_versions_agree_everywhere() {
    let doc = json_file("server.json");
    let name = doc["name"].as_str().unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(doc["version"], version, "server.json version");

    // The registry's ownership checks: an OCI image's label, and the README's `mcp-name:` line.
    let readme = read("README.md");
    // The registry wants the token followed by a boundary, not glued to more name characters.
    let token = format!("mcp-name: {name}");
    let owned = readme.match_indices(&token).any(|(at, _)| {
        readme[at + token.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || "._/-".contains(c)))
    });
    assert!(
        owned,
        "README.md needs `{token}` (the registry's ownership check)"
    );
    let dockerfile = read("Dockerfile");
    assert!(
        dockerfile.contains(&format!("io.modelcontextprotocol.server.name=\"{name}\"")),
        "Dockerfile LABEL io.modelcontextprotocol.server.name must be {name}"
    );

    let oci = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["registryType"] == "oci")
        .expect("an OCI package");
    let image = oci["identifier"].as_str().unwrap();
    assert!(image.ends_with(&format!(":{version}")), "{image}");
    // The OCI package runs the image's entrypoint with `stdio`, which must be a subcommand.
    assert_eq!(oci["packageArguments"][0]["value"], "stdio");
    assert!(Cli::command().find_subcommand("stdio").is_some());
    for var in oci["environmentVariables"].as_array().unwrap() {
        assert_known_env(var["name"].as_str().unwrap(), "server.json");
    }

    let manifest = json_file("deploy/mcpb/manifest.json");
    assert_eq!(manifest["version"], version, "bundle manifest version");
    assert_eq!(manifest["server"]["mcp_config"]["args"], json!(["stdio"]));
    for key in ["highlevel_token", "location_id"] {
        assert_eq!(manifest["user_config"][key]["sensitive"], true, "{key}");
    }
    for var in manifest["server"]["mcp_config"]["env"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert_known_env(var, "deploy/mcpb/manifest.json");
    }
    // The same image everywhere it is named.
    for file in [
        "deploy/compose/docker-compose.yml",
        "deploy/kubernetes/deployment.yaml",
    ] {
        assert!(read(file).contains(image), "{file} must run {image}");
    }
}

/// Environment variables the binary reads outside clap.
const EXTRA_ENV: &[&str] = &["HIGHLEVEL_TOKEN", "RUST_LOG"];

/// `env name -> (long flag, takes a value)` for one subcommand, from clap's definition.
fn env_flags(sub: &str) -> BTreeMap<String, (String, bool)> {
    let cmd = Cli::command();
    let sub = cmd
        .find_subcommand(sub)
        .unwrap_or_else(|| panic!("no subcommand `{sub}`"));
    sub.get_arguments()
        .filter_map(|a| {
            let env = a.get_env()?.to_str()?.to_owned();
            let takes_value = a.get_action().takes_values();
            Some((env, (a.get_long()?.to_owned(), takes_value)))
        })
        .collect()
}

fn assert_known_env(name: &str, file: &str) {
    let known = ["serve", "stdio", "health", "sandbox"]
        .iter()
        .any(|s| env_flags(s).contains_key(name));
    assert!(
        known || EXTRA_ENV.contains(&name),
        "{file} sets {name}, which highlevel-mcp does not read"
    );
}

/// Checks one container's configuration: `args` (subcommand and flags) and `env` as the
/// binary would see them, by mapping each variable to its flag and letting clap parse it all.
fn check_config(file: &str, args: &[String], env: &BTreeMap<String, String>) {
    let sub = args.first().map(String::as_str).unwrap_or("serve");
    let flags = env_flags(sub);
    let mut argv = vec!["highlevel-mcp".to_owned()];
    argv.extend(args.iter().cloned());
    if args.is_empty() {
        argv.push(sub.to_owned());
    }
    for (name, value) in env {
        if !name.starts_with("HIGHLEVEL_") {
            continue;
        }
        if EXTRA_ENV.contains(&name.as_str()) {
            continue;
        }
        let Some((long, takes_value)) = flags.get(name) else {
            panic!("{file} sets {name}, which `highlevel-mcp {sub}` does not read");
        };
        argv.push(format!("--{long}"));
        if *takes_value {
            argv.push(value.clone());
        } else {
            assert!(
                matches!(value.as_str(), "true" | "1"),
                "{file}: {name} is a switch; set it to true"
            );
        }
    }
    if let Err(e) = <Cli as clap::Parser>::try_parse_from(&argv) {
        panic!("{file}: `{}` does not parse:\n{e}", argv.join(" "));
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| match s {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn compose_uses_only_flags_and_variables_the_binary_has() {
    let doc = &yaml_docs("deploy/compose/docker-compose.yml")[0];
    let service = &doc["services"]["highlevel-mcp"];
    let env: BTreeMap<String, String> = service["environment"]
        .as_object()
        .expect("environment as a map")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map(str::to_owned).unwrap_or(v.to_string()),
            )
        })
        .collect();
    assert!(
        env.contains_key("HIGHLEVEL_MCP_RATE_LIMIT"),
        "replicas share Redis"
    );
    assert!(
        env.get("HIGHLEVEL_MCP_STORE")
            .is_some_and(|s| s.starts_with("postgres://")),
        "replicas share the OAuth store in Postgres"
    );
    check_config(
        "deploy/compose/docker-compose.yml",
        &strings(&service["command"]),
        &env,
    );
    // The health check runs the binary's own `health` subcommand.
    let test = strings(&service["healthcheck"]["test"]);
    assert_eq!(test[..3], ["CMD", "/highlevel-mcp", "health"]);
    let mut argv = vec!["highlevel-mcp".to_owned()];
    argv.extend(test[2..].iter().cloned());
    <Cli as clap::Parser>::try_parse_from(&argv).expect("the health check parses");
}

#[test]
fn kubernetes_manifests_use_only_flags_and_variables_the_binary_has() {
    let secret = yaml_docs("deploy/kubernetes/secret.example.yaml")
        .into_iter()
        .find(|d| d["kind"] == "Secret")
        .expect("a Secret");
    let deployment = yaml_docs("deploy/kubernetes/deployment.yaml")
        .into_iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Deployment");
    assert!(deployment["spec"]["replicas"].as_u64().unwrap() >= 2);
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let mut env = BTreeMap::new();
    for var in container["env"].as_array().unwrap() {
        let name = var["name"].as_str().unwrap().to_owned();
        let value = match (&var["value"], &var["valueFrom"]["secretKeyRef"]) {
            (Value::String(v), _) => v.clone(),
            (_, r) if r.is_object() => {
                assert_eq!(
                    r["name"], secret["metadata"]["name"],
                    "{name}: which Secret"
                );
                let key = r["key"].as_str().unwrap();
                secret["stringData"][key]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: the Secret has no key `{key}`"))
                    .to_owned()
            }
            _ => panic!("{name}: neither value nor secretKeyRef"),
        };
        env.insert(name, value);
    }
    assert!(
        env.get("HIGHLEVEL_MCP_STORE")
            .is_some_and(|s| s.starts_with("postgres://")),
        "replicas share the OAuth store in Postgres"
    );
    assert!(
        env.get("HIGHLEVEL_MCP_RATE_LIMIT")
            .is_some_and(|s| s.starts_with("redis://")),
        "replicas share Redis"
    );
    check_config(
        "deploy/kubernetes/deployment.yaml",
        &strings(&container["args"]),
        &env,
    );
    // Files named by *_FILE variables come from the mounted Secret.
    let mount = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    for (name, value) in &env {
        if name.ends_with("_FILE") {
            let key = value
                .strip_prefix(&format!("{mount}/"))
                .unwrap_or_else(|| panic!("{name}={value} is not under {mount}"));
            assert!(
                secret["stringData"][key].is_string(),
                "{name}: no key {key}"
            );
        }
    }
    // Probes hit the endpoints the server has.
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    let port = env["HIGHLEVEL_MCP_PORT"].parse::<u64>().unwrap();
    let ports = container["ports"].as_array().unwrap();
    assert!(ports.iter().any(|p| p["containerPort"] == port));
    let metrics_port: u64 = env["HIGHLEVEL_MCP_METRICS"]
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ports.iter().any(|p| p["containerPort"] == metrics_port));
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);

    let service = &yaml_docs("deploy/kubernetes/service.yaml")[0];
    assert_eq!(
        service["spec"]["selector"],
        deployment["spec"]["selector"]["matchLabels"]
    );
    let listed = strings(&yaml_docs("deploy/kubernetes/kustomization.yaml")[0]["resources"]);
    for file in &listed {
        assert!(
            root().join("deploy/kubernetes").join(file).is_file(),
            "kustomization lists {file}"
        );
    }
}

#[test]
fn the_dockerfile_sets_only_variables_the_binary_reads() {
    let dockerfile = read("Dockerfile");
    // ENV lines of the final stage, joined across continuations.
    let final_stage = dockerfile.rsplit("\nFROM scratch\n").next().unwrap();
    let joined = final_stage.replace("\\\n", " ");
    let mut env = BTreeMap::new();
    for line in joined.lines().filter(|l| l.starts_with("ENV ")) {
        for pair in line[4..].split_whitespace() {
            let (k, v) = pair.split_once('=').expect("ENV KEY=value");
            env.insert(k.to_owned(), v.to_owned());
        }
    }
    assert!(env.contains_key("HIGHLEVEL_MCP_BIND"), "{env:?}");
    check_config("Dockerfile", &["serve".to_owned()], &env);
    assert!(final_stage.contains("USER 65532:65532"), "runs as non-root");
    assert!(final_stage.contains("CMD [\"/highlevel-mcp\", \"health\"]"));
}
