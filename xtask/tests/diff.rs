//! Snapshot tests of `cargo xtask diff`: the fixture spec `tests/fixtures/diff/before` against each
//! folder beside it (the same spec after one kind of change), Markdown and JSON. Plus the git side:
//! acknowledgements, a revision that does not exist, and a base whose spec does not lower, in a
//! scratch repository.

use std::path::PathBuf;

use xtask::diff::{self, Report};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff")
}

/// The report of `before` against the fixture folder `case`.
fn report(case: &str) -> Report {
    match diff::diff_dirs(
        &fixtures().join("before"),
        "before",
        &fixtures().join(case),
        case,
    ) {
        Ok(r) => r,
        Err(e) => panic!("fixture {case} should lower:\n{e}"),
    }
}

fn snapshot(case: &str) {
    let r = report(case);
    insta::assert_snapshot!(format!("{case}_markdown"), diff::render::markdown(&r));
    insta::assert_snapshot!(
        format!("{case}_json"),
        codegen::pretty(&diff::render::json(&r))
    );
}

#[test]
fn unchanged_spec_has_no_changes() {
    let r = report("before");
    assert!(r.tools.is_empty(), "{:?}", r.tools);
    assert!(diff::render::markdown(&r).contains("No tool changed."));
}

#[test]
fn tools_added_removed() {
    snapshot("tools_added_removed");
}

#[test]
fn tool_renamed() {
    snapshot("tool_renamed");
}

#[test]
fn arguments() {
    snapshot("arguments");
}

#[test]
fn required() {
    snapshot("required");
}

#[test]
fn types_formats() {
    snapshot("types_formats");
}

#[test]
fn enums() {
    snapshot("enums");
}

#[test]
fn bounds() {
    snapshot("bounds");
}

#[test]
fn output() {
    snapshot("output");
}

#[test]
fn annotations() {
    snapshot("annotations");
}

#[test]
fn text_only() {
    snapshot("text_only");
}

#[test]
fn upstream() {
    snapshot("upstream");
}

/// A key of the tool JSON the diff has no rule for (a `risk` class, say) is reported, never
/// ignored.
#[test]
fn unknown_tool_keys_need_attention() {
    let old = diff::tools::load(&fixtures().join("before")).expect("fixture lowers");
    let mut new = old.clone();
    let tool = new.get_mut("contacts_get-contact").expect("fixture tool");
    tool.json.insert("risk".into(), serde_json::json!("read"));
    let annotations = tool.json["annotations"]
        .as_object_mut()
        .expect("annotations");
    annotations.insert("x-audience".into(), serde_json::json!("staff"));
    let diffs = diff::compare::compare_sets(&old, &new);
    assert_eq!(diffs.len(), 1);
    let kinds: Vec<(&str, &str, xtask::Class)> = diffs[0]
        .changes
        .iter()
        .map(|c| (c.kind, c.subject.as_str(), c.class))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                "annotation-changed",
                "x-audience",
                xtask::Class::NeedsAttention
            ),
            ("key-changed", "risk", xtask::Class::NeedsAttention),
        ]
    );
    assert!(
        diffs[0].changes[1].reason.contains("`\"read\"`"),
        "{:?}",
        diffs[0].changes[1]
    );
}

#[test]
fn nested() {
    snapshot("nested");
}
