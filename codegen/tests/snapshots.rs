//! Snapshot tests: one fixture spec folder per case under tests/fixtures/<case>/ (openapi/ and
//! tools/). Good cases snapshot every generated file plus warnings; bad cases snapshot the
//! rendered diagnostics. Run with `INSTA_UPDATE=always` to record, then review the .snap files;
//! with `CI=true` insta never writes and a mismatch fails.

use std::path::PathBuf;

fn fixture(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(case)
}

/// All generated files of a good case, each under a `=== path` line, then the warnings.
fn good(case: &str) -> String {
    let out = match codegen::generate(&fixture(case)) {
        Ok(o) => o,
        Err(d) => panic!("fixture {case} should generate, got:\n{d}"),
    };
    let mut text = String::new();
    for (path, contents) in &out.files {
        text.push_str(&format!("=== {}\n{contents}", path.display()));
    }
    for w in &out.warnings {
        text.push_str(&format!("{w}\n"));
    }
    text
}

/// The rendered diagnostics of a bad case (which must fail).
fn bad(case: &str) -> String {
    match codegen::generate(&fixture(case)) {
        Ok(_) => panic!("fixture {case} should fail"),
        Err(d) => {
            assert!(d.has_errors(), "a failure must carry an error");
            // Paths outside the fixture folder differ per machine.
            d.to_string()
                .replace(env!("CARGO_MANIFEST_DIR"), "<codegen>")
        }
    }
}

#[test]
fn good_minimal() {
    insta::assert_snapshot!(good("good_minimal"));
}

#[test]
fn good_output_is_deterministic() {
    assert_eq!(good("good_minimal"), good("good_minimal"));
}

#[test]
fn unknown_operation() {
    insta::assert_snapshot!(bad("unknown_operation"));
}

#[test]
fn duplicate_tool() {
    insta::assert_snapshot!(bad("duplicate_tool"));
}

#[test]
fn missing_description() {
    insta::assert_snapshot!(bad("missing_description"));
}

#[test]
fn missing_annotations() {
    insta::assert_snapshot!(bad("missing_annotations"));
}

#[test]
fn unknown_key() {
    insta::assert_snapshot!(bad("unknown_key"));
}

#[test]
fn invalid_yaml() {
    insta::assert_snapshot!(bad("invalid_yaml"));
}

#[test]
fn location_mismatch() {
    insta::assert_snapshot!(bad("location_mismatch"));
}

#[test]
fn undeclared_path_var() {
    insta::assert_snapshot!(bad("undeclared_path_var"));
}

#[test]
fn bad_ref() {
    insta::assert_snapshot!(bad("bad_ref"));
}

#[test]
fn missing_spec_folder() {
    insta::assert_snapshot!(bad("no_such_fixture"));
}

/// The official-files policy on a small folder holding one of each quirk: every operation is a
/// tool, quirks become warnings naming the operation.
#[test]
fn official_quirks() {
    let (tools, diags) = codegen::lower_official(
        &fixture("official_quirks/apps"),
        &codegen::Policy::every_operation(),
    );
    let mut text = String::new();
    for t in &tools {
        text.push_str(&format!(
            "=== {} ({} {}) version={:?} location={:?} agency_only={} wrap_result={}\n",
            t.name,
            t.method.as_str(),
            t.path,
            t.version,
            t.location,
            t.agency_only,
            t.wrap_result
        ));
        for p in t.params.iter() {
            text.push_str(&format!(
                "  param {} <- {:?} `{}` required={} default={:?}\n",
                p.name, p.location, p.wire, p.required, p.default
            ));
        }
        text.push_str(&codegen::pretty(&codegen::tool_json(t)));
    }
    for d in &diags {
        text.push_str(&format!("{d}\n"));
    }
    insta::assert_snapshot!(text);
}

#[test]
fn bad_rename() {
    insta::assert_snapshot!(bad("bad_rename"));
}

#[test]
fn bad_app() {
    insta::assert_snapshot!(bad("bad_app"));
}
