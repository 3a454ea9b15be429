//! `cargo xtask drift`: a fixture pair (tests/fixtures/drift/spec against .../official/apps, one
//! difference per kind of drift) snapshotted as Markdown and JSON; folders that are not
//! HighLevel's files refused; and the report on this repository's spec/ against HighLevel's real
//! files when they are on this machine (skipped, saying why, when they are not).

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::Class;
use xtask::drift::{self, render};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/drift")
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn fixture_pair() {
    let r = match drift::run(&fixtures().join("spec"), &fixtures().join("official/apps")) {
        Ok(r) => r,
        Err(e) => panic!("the fixture pair should compare:\n{e}"),
    };
    insta::assert_snapshot!("fixture_markdown", render::markdown(&r));
    insta::assert_snapshot!("fixture_json", codegen::pretty(&render::json(&r)));
    // Every kind of drift the fixture was written to show is found.
    let kinds: std::collections::BTreeSet<&str> = r
        .apps
        .iter()
        .flat_map(|a| &a.items)
        .map(|i| i.kind)
        .collect();
    for kind in [
        "app-removed",
        "operation-removed",
        "operation-moved",
        "operation-renamed",
        "deprecated",
        "version-changed",
        "parameter-added",
        "parameter-removed",
        "required-changed",
        "enum-changed",
        "type-changed",
        "field-added",
        "field-removed",
        "request-body-removed",
    ] {
        assert!(kinds.contains(kind), "no `{kind}` in {kinds:?}");
    }
    let contacts = &r.apps[1];
    assert_eq!(
        contacts.not_in_spec,
        vec!["GET /contacts/{contactId}/notes (get-notes)"]
    );
    assert_eq!(r.uncovered, vec![("blogs".to_owned(), 2)]);
    // The field HighLevel added through the shared schemas file was found there.
    assert!(
        contacts
            .items
            .iter()
            .any(|i| i.subject == "body.address.zip")
    );
    // The spec's comment turns its deliberate deviation into a documented one.
    let dob = contacts
        .items
        .iter()
        .find(|i| i.subject == "body.dateOfBirth")
        .unwrap();
    assert_eq!(
        dob.documented.as_deref(),
        Some("HighLevel declares an object here; the API takes a date string.")
    );
}

/// The error of `drift::run` against `dir`, which must fail.
fn refused(dir: &Path) -> String {
    match drift::run(&fixtures().join("spec"), dir) {
        Ok(_) => panic!("{} must be refused", dir.display()),
        Err(e) => e,
    }
}

#[test]
fn folders_that_are_not_highlevels_files_are_refused() {
    let missing = refused(&fixtures().join("no-such-folder"));
    assert!(missing.contains("is not a folder"), "{missing}");
    let no_json = refused(&fixtures().join("spec/openapi"));
    assert!(no_json.contains("holds no *.json files"), "{no_json}");
    let not_openapi = refused(&fixtures().join("not_openapi"));
    assert!(
        not_openapi.contains("not_openapi/package.json is not an OpenAPI 3 document"),
        "{not_openapi}"
    );
    let bad_json = refused(&fixtures().join("bad_json"));
    assert!(bad_json.contains("invalid JSON"), "{bad_json}");
    assert!(
        bad_json.contains("bad_json/contacts.json:2"),
        "located: {bad_json}"
    );
    // The parent of the apps folder (a common slip) has no JSON of its own.
    let parent = refused(&fixtures().join("official"));
    assert!(parent.contains("help: pass the `apps` folder"), "{parent}");
    for e in [missing, no_json, not_openapi, bad_json, parent] {
        assert!(e.starts_with("error: "), "{e}");
    }
}

#[test]
fn spec_apps_absent_from_the_folder_are_refused() {
    let other = std::env::temp_dir().join(format!("xtask-drift-other-{}", std::process::id()));
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(
        fixtures().join("official/apps/blogs.json"),
        other.join("blogs.json"),
    )
    .unwrap();
    let e = refused(&other);
    let _ = std::fs::remove_dir_all(&other);
    assert!(
        e.contains("none of spec/'s apps (calendars, contacts) has a file"),
        "{e}"
    );
}

/// The binary: exit status 2 and an empty stdout for a folder that is not HighLevel's files.
#[test]
fn the_command_fails_cleanly_on_a_wrong_folder() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["drift", "--openapi"])
        .arg(fixtures().join("not_openapi"))
        .output()
        .expect("xtask runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an OpenAPI 3 document"));
}

/// This repository's spec/ against HighLevel's files: every spec app is found upstream, every
/// spec operation is matched, and the figures are printed (run with --nocapture to read them).
#[test]
fn spec_against_highlevels_files() {
    // `$HIGHLEVEL_OPENAPI_DIR`, else ../shared beside the workspace; skipped, saying why, if absent.
    let Some(dir) = codegen::official_dir_or_skip() else {
        return;
    };
    let r = match drift::run(&workspace().join("spec"), &dir) {
        Ok(r) => r,
        Err(e) => panic!("drift against {} failed:\n{e}", dir.display()),
    };
    let spec_apps: Vec<&str> = r.apps.iter().map(|a| a.app.as_str()).collect();
    assert_eq!(
        spec_apps,
        vec![
            "calendars",
            "contacts",
            "conversations",
            "locations",
            "opportunities",
            "payments"
        ]
    );
    for a in &r.apps {
        assert!(a.official_operations > a.spec_operations, "{}", a.app);
        for i in &a.items {
            assert!(
                !matches!(
                    i.kind,
                    "operation-removed" | "operation-moved" | "version-changed"
                ),
                "spec/ and HighLevel disagree on an operation: {i:?}"
            );
            assert!(i.line.is_some(), "every finding names a line: {i:?}");
        }
    }
    assert!(r.uncovered.len() >= 30, "{:?}", r.uncovered);
    let json = render::json(&r);
    println!("drift figures: {}", json["summary"]);
    assert_eq!(json["summary"]["breaking"], r.count(Class::Breaking));
}
