//! The diff report as Markdown (a pull-request comment: the summary table first, then each tool)
//! and as JSON (the same facts, for scripts).

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Report, ToolDiff, ToolStatus};
use crate::Class;
use crate::markdown::{cell, code};

/// The kind of a text-only edit, listed on one line per tool.
const TEXT: &str = "text-changed";

fn status(t: &ToolDiff) -> String {
    match &t.status {
        ToolStatus::Added => "added".to_owned(),
        ToolStatus::Removed => "removed".to_owned(),
        ToolStatus::Renamed(from) => format!("renamed from {}", code(from)),
        ToolStatus::Changed => "changed".to_owned(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The report as Markdown.
pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Tool changes: {} → {}\n", code(&r.base), r.head);
    let _ = write!(
        s,
        "{} before, {} after. ",
        plural(r.tool_counts.0, "tool", "tools"),
        r.tool_counts.1,
    );
    if r.tools.is_empty() {
        s.push_str("No tool changed.\n");
        return s;
    }
    let _ = writeln!(
        s,
        "{} differ: {} breaking, {} needing attention, {} safe.\n",
        plural(r.tools.len(), "tool", "tools"),
        r.count(Class::Breaking),
        r.count(Class::NeedsAttention),
        r.count(Class::Safe),
    );
    // New tools say nothing more than their name: one line for all of them keeps a report of a
    // large addition within a pull-request comment's size.
    let (added, others): (Vec<&ToolDiff>, Vec<&ToolDiff>) =
        r.tools.iter().partition(|t| t.status == ToolStatus::Added);
    if !others.is_empty() {
        s.push_str("| Tool | Status | Breaking | Needs attention | Safe |\n");
        s.push_str("| --- | --- | ---: | ---: | ---: |\n");
    }
    for t in &others {
        let mut breaking = t.count(Class::Breaking).to_string();
        if r.acknowledged.contains(&t.name) {
            breaking.push_str(" (acknowledged)");
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            code(&t.name),
            status(t),
            breaking,
            t.count(Class::NeedsAttention),
            t.count(Class::Safe)
        );
    }
    if !added.is_empty() {
        let names: Vec<String> = added.iter().map(|t| code(&t.name)).collect();
        let _ = writeln!(
            s,
            "\n**Added ({}, safe):** {}.",
            added.len(),
            names.join(", ")
        );
    }
    let missing = r.unacknowledged();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|n| code(n)).collect();
        let _ = writeln!(
            s,
            "\n**Breaking and not acknowledged:** {}. If that is intended, name each tool in a line \
             under a `### Breaking` heading of `{}` in this pull request.",
            names.join(", "),
            r.ack_file
        );
    }
    for t in &others {
        let _ = writeln!(s, "\n### {} ({})\n", code(&t.name), status(t));
        let mut changes: Vec<_> = t.changes.iter().filter(|c| c.kind != TEXT).collect();
        changes.sort_by_key(|c| c.class);
        for c in changes {
            let subject = if c.subject.is_empty() {
                String::new()
            } else {
                format!(" {}", code(&c.subject))
            };
            let _ = writeln!(
                s,
                "- **{}** {}{}: {}",
                c.class.label(),
                c.kind,
                subject,
                cell(&c.reason)
            );
        }
        // Text-only edits on one line: there are many and they never break anything.
        let text: Vec<String> = t
            .changes
            .iter()
            .filter(|c| c.kind == TEXT)
            .map(|c| {
                if c.subject.is_empty() {
                    "the tool".to_owned()
                } else {
                    code(&c.subject)
                }
            })
            .collect();
        if !text.is_empty() {
            let _ = writeln!(
                s,
                "- **Safe** {TEXT} (descriptions, titles): {}",
                text.join(", ")
            );
        }
    }
    s
}

/// The report as a JSON value.
pub fn json(r: &Report) -> Value {
    let tools: Vec<Value> = r
        .tools
        .iter()
        .map(|t| {
            let (status, from) = match &t.status {
                ToolStatus::Added => ("added", None),
                ToolStatus::Removed => ("removed", None),
                ToolStatus::Renamed(f) => ("renamed", Some(f.clone())),
                ToolStatus::Changed => ("changed", None),
            };
            let changes: Vec<Value> = t
                .changes
                .iter()
                .map(|c| {
                    json!({
                        "class": c.class.slug(),
                        "kind": c.kind,
                        "subject": c.subject,
                        "reason": c.reason,
                    })
                })
                .collect();
            json!({
                "name": t.name,
                "status": status,
                "renamed_from": from,
                "worst": t.worst().slug(),
                "acknowledged": r.acknowledged.contains(&t.name),
                "changes": changes,
            })
        })
        .collect();
    json!({
        "base": r.base,
        "head": r.head,
        "tools_at_base": r.tool_counts.0,
        "tools_at_head": r.tool_counts.1,
        "summary": {
            "tools_changed": r.tools.len(),
            "breaking": r.count(Class::Breaking),
            "needs-attention": r.count(Class::NeedsAttention),
            "safe": r.count(Class::Safe),
            "unacknowledged": r.unacknowledged(),
        },
        "ack_file": r.ack_file,
        "acknowledged": r.acknowledged,
        "tools": tools,
    })
}
