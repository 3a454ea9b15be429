//! Bad input never panics, and the YAML position index points at the right text.
//!
//! - Positions: for every YAML file under spec/ and the fixtures, every mapping key the index
//!   knows sits exactly at the reported line:col, and every key outside a flow collection
//!   (`{...}`, `[...]`) is known.
//! - Mutations: each fixture file with one line deleted, one line's indentation changed, or the
//!   text cut short is lowered and emitted; the generator must return (errors are fine), never
//!   panic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codegen::Diagnostics;
use codegen::load::{PosIndex, SourceFile, SpecSources, escape, parse_yaml};
use serde_json::Value;

fn yaml_files() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("../spec")];
    for e in std::fs::read_dir(root.join("tests/fixtures")).unwrap() {
        dirs.push(e.unwrap().path());
    }
    let mut files = Vec::new();
    for d in dirs {
        for sub in ["openapi", "tools"] {
            if let Ok(entries) = std::fs::read_dir(d.join(sub)) {
                for e in entries {
                    let p = e.unwrap().path();
                    if p.extension().is_some_and(|x| x == "yaml") {
                        files.push(p);
                    }
                }
            }
        }
    }
    files.sort();
    files
}

/// Checks every key under `ptr`; `in_flow` is true below a flow collection.
fn check_keys(
    file: &str,
    lines: &[&str],
    idx: &PosIndex,
    v: &Value,
    ptr: &str,
    in_flow: bool,
    checked: &mut usize,
) {
    let children: Vec<(String, &Value, Option<&str>)> = match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, c)| (format!("{ptr}/{}", escape(k)), c, Some(k.as_str())))
            .collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("{ptr}/{i}"), c, None))
            .collect(),
        _ => return,
    };
    for (child, c, key) in children {
        let mut flow = in_flow;
        if let Some(k) = key {
            match idx.key(&child) {
                Some((line, col)) => {
                    let text = &lines[line - 1][col - 1..];
                    let ok = text.starts_with(k)
                        || text.starts_with(&format!("'{k}'"))
                        || text.starts_with(&format!("\"{k}\""));
                    assert!(
                        ok,
                        "{file}:{line}:{col}: expected key `{k}` ({child}), found `{text}`"
                    );
                    *checked += 1;
                    if let Some((vl, vc)) = idx.get(&child) {
                        let vt = lines[vl - 1][vc - 1..].trim_start();
                        flow |= vt.starts_with('{') || vt.starts_with('[');
                    }
                }
                None => assert!(in_flow, "{file}: key {child} is not indexed"),
            }
        }
        check_keys(file, lines, idx, c, &child, flow, checked);
    }
}

#[test]
fn positions_point_at_the_keys() {
    let mut checked = 0;
    let files = yaml_files();
    assert!(files.len() >= 10, "found the spec and fixture YAML files");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut diags = Diagnostics::default();
        let Some((value, idx)) = parse_yaml(&text, &f.display().to_string(), &mut diags) else {
            continue; // the invalid_yaml fixture
        };
        let lines: Vec<&str> = text.lines().collect();
        check_keys(
            &f.display().to_string(),
            &lines,
            &idx,
            &value,
            "",
            false,
            &mut checked,
        );
    }
    assert!(checked > 500, "checked {checked} keys");
}

fn sources_from(texts: &BTreeMap<(String, String), String>) -> (SpecSources, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut sources = SpecSources::default();
    for ((sub, name), text) in texts {
        let display = format!("m/{sub}/{name}.yaml");
        if let Some((value, index)) = parse_yaml(text, &display, &mut diags) {
            let file = SourceFile {
                display,
                path: Path::new("m").join(sub).join(format!("{name}.yaml")),
                value,
                index,
            };
            let map = if sub == "openapi" {
                &mut sources.openapi
            } else {
                &mut sources.tools
            };
            map.insert(name.clone(), file);
        }
    }
    (sources, diags)
}

#[test]
fn mutated_specs_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good_minimal");
    let mut base = BTreeMap::new();
    for sub in ["openapi", "tools"] {
        base.insert(
            (sub.to_owned(), "contacts".to_owned()),
            std::fs::read_to_string(dir.join(sub).join("contacts.yaml")).unwrap(),
        );
    }
    let mut runs = 0;
    let mut failures = 0;
    for key in base.keys().cloned().collect::<Vec<_>>() {
        let lines: Vec<String> = base[&key].lines().map(str::to_owned).collect();
        for i in 0..lines.len() {
            let variants = [
                // delete the line
                lines
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, l)| l.clone())
                    .collect::<Vec<_>>(),
                // indent it two more spaces
                lines
                    .iter()
                    .enumerate()
                    .map(|(j, l)| if j == i { format!("  {l}") } else { l.clone() })
                    .collect(),
                // cut the text short
                lines[..i].to_vec(),
                // replace its value with something of the wrong type
                lines
                    .iter()
                    .enumerate()
                    .map(|(j, l)| match (j == i, l.split_once(": ")) {
                        (true, Some((k, _))) => format!("{k}: [1, {{a: 2}}]"),
                        _ => l.clone(),
                    })
                    .collect(),
            ];
            for v in variants {
                let mut texts = base.clone();
                texts.insert(key.clone(), v.join("\n"));
                let (sources, mut diags) = sources_from(&texts);
                let tools = codegen::lower::lower_spec(&sources, &mut diags);
                if diags.has_errors() {
                    failures += 1;
                    // Every error renders, with a location when it points into a file.
                    assert!(!diags.to_string().is_empty());
                } else {
                    codegen::emit::emit_all(&tools).expect("emitting lowered tools works");
                }
                runs += 1;
            }
        }
    }
    assert!(runs > 400, "{runs} mutations");
    assert!(
        failures > 50,
        "most mutations are caught ({failures} of {runs})"
    );
}
