//! The spec against HighLevel's official files (skipped with a printed reason when ../shared is
//! absent): `spec/imported/` is exactly what `cargo xtask import` writes, the spec covers every
//! v2 and v3 operation once, and no model-facing text of ours is a copy of HighLevel's.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use codegen::Diagnostics;
use codegen::load::{load_official_dir, load_spec_dir};
use serde_json::Value;

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec")
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    if let Some(Value::Object(paths)) = doc.get("paths") {
        for (path, item) in paths {
            for m in METHODS {
                if item.get(m).is_some() {
                    out.insert((m.to_ascii_uppercase(), path.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn imported_facts_are_up_to_date_and_cover_every_operation() {
    let Some(apps) = codegen::official_dir_or_skip() else {
        return;
    };
    let mut diags = Diagnostics::default();
    let v2 = load_official_dir(&apps, &mut diags);
    let v3 = load_official_dir(&apps.join("v3"), &mut diags);
    let spec = load_spec_dir(&spec_dir(), &mut diags);
    assert!(!diags.has_errors(), "{diags}");

    let skip = codegen::import::curated_operations(&spec);
    let files = codegen::import::render(&codegen::import::import(&v2, &v3, &skip)).unwrap();
    for (name, text) in &files {
        let on_disk = std::fs::read_to_string(spec_dir().join("imported").join(name))
            .unwrap_or_else(|e| panic!("spec/imported/{name}: {e}; run `cargo xtask import`"));
        assert!(
            on_disk == *text,
            "spec/imported/{name} is stale; run `cargo xtask import`"
        );
    }
    assert_eq!(
        spec.imported.len(),
        files.len(),
        "spec/imported/ holds a file `cargo xtask import` would not write"
    );

    // Every operation of both folders, identified by method and path, is in the spec once.
    let official: BTreeSet<_> = v2
        .apps
        .values()
        .chain(v3.apps.values())
        .flat_map(|d| operations(&d.value))
        .collect();
    assert_eq!(
        official.len(),
        667,
        "HighLevel's v2 ∪ v3 files hold 667 operations"
    );
    let mut ours = Vec::new();
    for d in spec.openapi.values().chain(spec.imported.values()) {
        ours.extend(operations(&d.value));
    }
    let ours_set: BTreeSet<_> = ours.iter().cloned().collect();
    assert_eq!(
        ours.len(),
        ours_set.len(),
        "an operation is in the spec twice"
    );
    let missing: Vec<_> = official.difference(&ours_set).collect();
    assert!(missing.is_empty(), "not in spec/: {missing:?}");
}

/// Lower case, tags dropped, whitespace collapsed, final period dropped.
fn normalize(s: &str) -> String {
    let no_tags = codegen::strip_html(s);
    let words: Vec<&str> = no_tags.split_whitespace().collect();
    words
        .join(" ")
        .to_lowercase()
        .trim_end_matches('.')
        .to_owned()
}

/// Every string under a `description`, `summary` or `title` key (not under `properties`, where
/// such keys are property names).
fn words_in(v: &Value, in_names: bool, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let is_word =
                    !in_names && matches!(k.as_str(), "description" | "summary" | "title");
                match child {
                    Value::String(s) if is_word => out.push(s.clone()),
                    _ => words_in(child, !in_names && k == "properties", out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| words_in(c, false, out)),
        _ => {}
    }
}

/// Every model-facing text of an overlay entry: title, description, parameter descriptions,
/// asks and aliases.
fn overlay_texts(v: &Value, out: &mut Vec<String>) {
    for t in v
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for k in ["title", "description"] {
            if let Some(s) = t.get(k).and_then(Value::as_str) {
                out.push(s.to_owned());
            }
        }
        for k in ["asks", "aliases"] {
            for s in t.get(k).and_then(Value::as_array).into_iter().flatten() {
                out.extend(s.as_str().map(str::to_owned));
            }
        }
        if let Some(Value::Object(params)) = t.get("params") {
            for p in params.values() {
                out.extend(
                    p.get("description")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                );
            }
        }
    }
}

#[test]
fn no_model_facing_text_is_copied_from_highlevels_files() {
    let Some(apps) = codegen::official_dir_or_skip() else {
        return;
    };
    let mut diags = Diagnostics::default();
    let v2 = load_official_dir(&apps, &mut diags);
    let v3 = load_official_dir(&apps.join("v3"), &mut diags);
    let spec = load_spec_dir(&spec_dir(), &mut diags);
    let mut theirs = Vec::new();
    for d in v2.apps.values().chain(v3.apps.values()) {
        words_in(&d.value, false, &mut theirs);
    }
    // Three words or fewer ("Contact id", "Get contact") are names, not sentences.
    let theirs: BTreeSet<String> = theirs
        .iter()
        .map(|s| normalize(s))
        .filter(|s| s.split(' ').count() > 3)
        .collect();
    assert!(
        theirs.len() > 1000,
        "read HighLevel's texts: {}",
        theirs.len()
    );

    let mut ours = Vec::new();
    for (name, f) in &spec.tools {
        let mut texts = Vec::new();
        overlay_texts(&f.value, &mut texts);
        ours.extend(
            texts
                .into_iter()
                .map(|t| (format!("spec/tools/{name}.yaml"), t)),
        );
    }
    for (name, f) in &spec.openapi {
        let mut texts = Vec::new();
        words_in(&f.value, false, &mut texts);
        ours.extend(
            texts
                .into_iter()
                .map(|t| (format!("spec/openapi/{name}.yaml"), t)),
        );
    }
    assert!(ours.len() > 100, "read our texts: {}", ours.len());
    let copied: Vec<String> = ours
        .iter()
        .filter(|(_, t)| theirs.contains(&normalize(t)))
        .map(|(file, t)| format!("{file}: {t:?}"))
        .collect();
    assert!(
        copied.is_empty(),
        "texts copied from HighLevel's files (write them in our words):\n{}",
        copied.join("\n")
    );
}

#[test]
fn the_copy_check_catches_a_copy() {
    // The check above must be able to fail: HighLevel's own text, normalized, is caught.
    let theirs = normalize("Get Contacts By BusinessId <br/> for the given  business.");
    assert_eq!(theirs, "get contacts by businessid for the given business");
    assert_eq!(
        normalize("get contacts by BusinessId for the given business."),
        theirs
    );
}
