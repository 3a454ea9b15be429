//! Robustness: lower every operation of HighLevel's official OpenAPI files (../shared, 41 files,
//! 576 operations) with the every-operation policy and check the inventory invariants. Skips with
//! a printed reason when ../shared is absent.

use std::collections::BTreeSet;
use std::path::PathBuf;

use codegen::{Policy, Severity, lower_official, sanitize_name};
use runtime::{ParamIn, ToolDef};
use serde_json::Value;

/// `<basename>_<operationId>` of every operation, read straight from the files.
fn expected_names(dir: &PathBuf) -> Vec<String> {
    let mut names = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("apps folder is readable")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for f in files {
        let base = f.file_stem().unwrap().to_string_lossy().into_owned();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        for item in doc["paths"].as_object().unwrap().values() {
            for m in ["get", "post", "put", "patch", "delete"] {
                if let Some(id) = item.get(m).and_then(|o| o["operationId"].as_str()) {
                    names.push(sanitize_name(&format!("{}_{id}", base.replace('-', ""))));
                }
            }
        }
    }
    names
}

fn schema(text: &str) -> Value {
    serde_json::from_str(text).expect("schema text is JSON")
}

fn find<'a>(tools: &'a [ToolDef], name: &str) -> &'a ToolDef {
    tools
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tool {name}"))
}

#[test]
fn every_official_operation_lowers_to_a_valid_tool() {
    let Some(dir) = codegen::official_dir_or_skip() else {
        return;
    };
    let (tools, diags) = lower_official(&dir, &Policy::every_operation());
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "errors: {errors:#?}");

    let expected = expected_names(&dir);
    assert_eq!(expected.len(), 576, "the files hold 576 v2 operations");
    assert_eq!(tools.len(), 576, "one tool per operation");
    let names: BTreeSet<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names.len(), tools.len(), "tool names are unique");
    let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(
        names, expected,
        "names are `<basename without hyphens>_<operationId>`, sanitized"
    );
    assert!(names.contains("payments_create-integration-provider"));

    for t in &tools {
        assert!(
            runtime::is_valid_tool_name(&t.name) && t.name.len() <= codegen::MAX_NAME_LEN,
            "{}: invalid name",
            t.name
        );
        assert!(
            !t.description.trim().is_empty(),
            "{}: no description",
            t.name
        );
        assert!(!t.title.trim().is_empty(), "{}: no title", t.name);
        assert!(
            !t.description.contains("<br"),
            "{}: HTML left in description",
            t.name
        );

        let input = schema(&t.input_schema);
        jsonschema::draft202012::new(&input)
            .unwrap_or_else(|e| panic!("{}: inputSchema does not compile: {e}", t.name));
        assert_eq!(input["type"], "object", "{}", t.name);
        assert_eq!(input["additionalProperties"], false, "{}", t.name);
        for k in ["anyOf", "oneOf", "allOf", "$ref"] {
            assert!(input.get(k).is_none(), "{}: top-level {k}", t.name);
        }
        let props = input["properties"].as_object().expect("properties");
        // The Version and Authorization headers never reach the model (a body property that
        // happens to be called `version`, like agent-studio's agent version data, may).
        for p in props.keys() {
            assert!(
                p != "Version" && p != "Authorization",
                "{}: `{p}` is shown to the model",
                t.name
            );
        }
        for p in t.params.iter().filter(|p| p.location == ParamIn::Header) {
            assert!(
                !p.wire.eq_ignore_ascii_case("version")
                    && !p.wire.eq_ignore_ascii_case("authorization"),
                "{}: header `{}` is a tool argument",
                t.name,
                p.wire
            );
        }
        let text = t.input_schema.to_string();
        assert!(!text.contains("\"$ref\""), "{}: unresolved $ref", t.name);
        assert!(!text.contains("\"nullable\""), "{}: nullable left", t.name);
        if let Some(required) = input.get("required").and_then(Value::as_array) {
            let names: Vec<&str> = required.iter().filter_map(Value::as_str).collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted, "{}: required is sorted", t.name);
        }
        // Every path variable has a required argument or is filled from the location.
        for p in t.params.iter().filter(|p| p.location == ParamIn::Path) {
            assert!(p.required, "{}: path param {} not required", t.name, p.wire);
            assert!(
                t.path.contains(&format!("{{{}}}", p.wire)),
                "{}: path param {} not in template",
                t.name,
                p.wire
            );
        }
        if let Some(out) = &t.output_schema {
            let out = schema(out);
            jsonschema::draft202012::new(&out)
                .unwrap_or_else(|e| panic!("{}: outputSchema does not compile: {e}", t.name));
            assert_eq!(out["type"], "object", "{}: outputSchema root", t.name);
        }
        runtime::CompiledTool::new(t.clone()).expect("the executor accepts the tool");
    }

    // Q4: undeclared path variables become required string arguments, with a warning.
    let blog = find(&tools, "blogs_update-blog-post");
    assert_eq!(blog.path, "/blogs/posts/{postId}");
    let input = schema(&blog.input_schema);
    assert_eq!(input["properties"]["postId"]["type"], "string");
    assert!(
        input["required"]
            .as_array()
            .is_some_and(|r| r.contains(&Value::from("postId"))),
        "postId is required: {input}"
    );
    let warned = |needle: &str, what: &str| {
        assert!(
            diags.iter().any(|d| d.severity == Severity::Warning
                && d.message.contains(needle)
                && d.message.contains(what)),
            "expected a warning naming {needle} about {what}"
        );
    };
    warned("blogs_update-blog-post", "{postId}");
    // Q6: `type: any` costs nothing but a warning naming the operation.
    warned(
        "conversations_search-conversation",
        "not a JSON Schema type",
    );
    let search = find(&tools, "conversations_search-conversation");
    assert!(
        schema(&search.input_schema)["properties"]["startAfterDate"]
            .get("type")
            .is_none()
    );
    // Q7: dangling refs live in error responses only, which are never resolved: no warning.
    assert!(
        !diags.iter().any(|d| d.message.contains("BadRequestDTO")),
        "error responses are not resolved"
    );
    // Q1/Q2: the Version value comes from the header enum.
    assert_eq!(
        find(&tools, "contacts_get-contact").version.as_deref(),
        Some("2021-07-28")
    );
    assert_eq!(
        find(&tools, "calendars_get-calendar-events")
            .version
            .as_deref(),
        Some("2021-04-15")
    );
    // Q12: the empty-object search body becomes one free-form `body` argument.
    let search = find(&tools, "contacts_search-contacts-advanced");
    assert!(
        search
            .params
            .iter()
            .any(|p| p.location == ParamIn::BodyRoot)
    );
    // Q14: a body property named like a query parameter is renamed deterministically.
    let seg = tools
        .iter()
        .find(|t| {
            t.method == runtime::HttpMethod::Put && t.path == "/ad-publishing/google/segments"
        })
        .expect("ad-manager PUT segments");
    assert!(
        seg.params
            .iter()
            .any(|p| p.name == "body_type" && p.wire == "type")
    );
}

#[test]
fn official_lowering_is_deterministic() {
    let Some(dir) = codegen::official_dir_or_skip() else {
        return;
    };
    let a = lower_official(&dir, &Policy::every_operation());
    let b = lower_official(&dir, &Policy::every_operation());
    assert_eq!(a, b);
}

/// The v3 files (42 files, 627 operations, every external `$ref` dangling) lower just as well:
/// the dangling refs sit in error responses, which are never resolved.
#[test]
fn v3_files_lower_too() {
    let Some(dir) = codegen::official_dir_or_skip().map(|d| d.join("v3")) else {
        return;
    };
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let (tools, diags) = lower_official(&dir, &Policy::every_operation());
    assert!(
        diags.iter().all(|d| d.severity == Severity::Warning),
        "{diags:#?}"
    );
    assert_eq!(tools.len(), 627);
    let names: BTreeSet<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names.len(), 627, "unique names");
    for t in &tools {
        assert!(runtime::is_valid_tool_name(&t.name), "{}", t.name);
        jsonschema::draft202012::new(&schema(&t.input_schema))
            .unwrap_or_else(|e| panic!("{}: inputSchema: {e}", t.name));
        if let Some(out) = &t.output_schema {
            jsonschema::draft202012::new(&schema(out))
                .unwrap_or_else(|e| panic!("{}: outputSchema: {e}", t.name));
        }
    }
    // Both spellings of the Version header are taken as the version, never as an argument.
    assert!(tools.iter().all(|t| {
        !t.params
            .iter()
            .any(|p| p.wire.eq_ignore_ascii_case("version") && p.location == ParamIn::Header)
    }));
}
