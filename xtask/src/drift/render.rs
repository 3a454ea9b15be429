//! The drift report as Markdown (an issue body: totals, a table by app, then each app's findings
//! with the spec line to edit) and as JSON.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::Report;
use crate::Class;
use crate::markdown::{cell, code};

/// One finding: kind, operation, subject, what HighLevel says and the line to edit.
fn line(i: &super::Item) -> String {
    let mut what = String::new();
    for part in [&i.operation, &i.subject] {
        if !part.is_empty() {
            what.push(' ');
            what.push_str(&code(part));
        }
    }
    format!(
        "{}{}: {} ({})",
        i.kind,
        what,
        cell(&i.detail),
        code(&i.location())
    )
}

/// The report as Markdown.
pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## Drift: spec/openapi against HighLevel's official files\n"
    );
    let spec_ops: usize = r.apps.iter().map(|a| a.spec_operations).sum();
    let not_in_spec: usize = r.apps.iter().map(|a| a.not_in_spec.len()).sum();
    let uncovered_ops: usize = r.uncovered.iter().map(|u| u.1).sum();
    let _ = writeln!(
        s,
        "{} apps in spec/ ({spec_ops} operations): {} breaking, {} needing attention, {} safe, \
         {} documented deviations. Those apps have {not_in_spec} more operations upstream that \
         spec/ does not describe; {} other official apps ({uncovered_ops} operations) are not \
         covered.\n",
        r.apps.len(),
        r.count(Class::Breaking),
        r.count(Class::NeedsAttention),
        r.count(Class::Safe),
        r.documented(),
        r.uncovered.len(),
    );
    s.push_str(
        "| App | Spec operations | Official operations | Breaking | Needs attention | Safe | Documented |\n",
    );
    s.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for a in &r.apps {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            a.app,
            a.spec_operations,
            a.official_operations,
            a.count(Class::Breaking),
            a.count(Class::NeedsAttention),
            a.count(Class::Safe),
            a.documented()
        );
    }
    for a in &r.apps {
        let official = if a.official_file.is_empty() {
            "no official file".to_owned()
        } else {
            code(&a.official_file)
        };
        let _ = writeln!(s, "\n### {} ({} ↔ {official})\n", a.app, code(&a.spec_file));
        if a.items.is_empty() {
            s.push_str("No drift in the operations spec/ describes.\n");
        }
        let undocumented = |c: Class| {
            a.items
                .iter()
                .filter(move |i| i.class == c && i.documented.is_none())
        };
        for c in [Class::Breaking, Class::NeedsAttention] {
            for i in undocumented(c) {
                let _ = writeln!(s, "- **{}** {}", c.label(), line(i));
            }
        }
        // HighLevel offering more than spec/ describes is the common case: folded.
        let safe: Vec<_> = undocumented(Class::Safe).collect();
        if !safe.is_empty() {
            let _ = writeln!(
                s,
                "\n<details><summary>{} safe (HighLevel offers more than spec/ describes)</summary>\n",
                safe.len()
            );
            for i in safe {
                let _ = writeln!(s, "- {}", line(i));
            }
            s.push_str("\n</details>\n");
        }
        let documented: Vec<_> = a.items.iter().filter(|i| i.documented.is_some()).collect();
        if !documented.is_empty() {
            let _ = writeln!(
                s,
                "\n<details><summary>{} documented deviations (spec/ says why)</summary>\n",
                documented.len()
            );
            for i in documented {
                let why = i.documented.as_deref().unwrap_or_default();
                let _ = writeln!(s, "- {} — spec: {}", line(i), cell(why));
            }
            s.push_str("\n</details>\n");
        }
        if !a.not_in_spec.is_empty() {
            let _ = writeln!(
                s,
                "\n<details><summary>{} operations upstream not in spec/</summary>\n",
                a.not_in_spec.len()
            );
            for op in &a.not_in_spec {
                let _ = writeln!(s, "- {}", code(op));
            }
            s.push_str("\n</details>\n");
        }
    }
    if !r.uncovered.is_empty() {
        let names: Vec<String> = r
            .uncovered
            .iter()
            .map(|(a, n)| format!("{a} ({n})"))
            .collect();
        let _ = writeln!(s, "\nNot covered by spec/: {}.", names.join(", "));
    }
    s
}

/// The report as a JSON value.
pub fn json(r: &Report) -> Value {
    let apps: Vec<Value> = r
        .apps
        .iter()
        .map(|a| {
            let items: Vec<Value> = a
                .items
                .iter()
                .map(|i| {
                    json!({
                        "class": i.class.slug(),
                        "kind": i.kind,
                        "operation": i.operation,
                        "subject": i.subject,
                        "detail": i.detail,
                        "file": i.file,
                        "line": i.line,
                        "documented": i.documented,
                    })
                })
                .collect();
            json!({
                "app": a.app,
                "spec_file": a.spec_file,
                "official_file": a.official_file,
                "spec_operations": a.spec_operations,
                "official_operations": a.official_operations,
                "items": items,
                "not_in_spec": a.not_in_spec,
            })
        })
        .collect();
    let uncovered: Vec<Value> = r
        .uncovered
        .iter()
        .map(|(a, n)| json!({"app": a, "operations": n}))
        .collect();
    json!({
        "official": r.official,
        "summary": {
            "apps": r.apps.len(),
            "breaking": r.count(Class::Breaking),
            "needs-attention": r.count(Class::NeedsAttention),
            "safe": r.count(Class::Safe),
            "documented": r.documented(),
            "not_in_spec": r.apps.iter().map(|a| a.not_in_spec.len()).sum::<usize>(),
            "uncovered_apps": r.uncovered.len(),
            "uncovered_operations": r.uncovered.iter().map(|u| u.1).sum::<usize>(),
        },
        "apps": apps,
        "uncovered": uncovered,
    })
}
