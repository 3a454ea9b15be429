//! `cargo xtask diff`: what a change to spec/ means for the clients and prompts that use the tools.
//!
//! Both sides are lowered from spec/ with the working tree's generator: the base revision's
//! `spec/openapi` and `spec/tools` (read with git into a temporary folder) and the working tree's.
//! Lowering, rather than reading `generated/schemas` at the base, gives the tool IR too (wire
//! names for rename detection, the upstream operation, `Version`, scopes) and measures exactly
//! what the pull request's spec edits do. Tools are matched by name (a renamed tool by its
//! operation) and compared by [`compare`], each change classified by [`crate::Class`]. A
//! breaking change is acknowledged by naming the tool under a "Breaking" heading of the changelog
//! in a line the pull request adds ([`ack`]).

pub mod ack;
pub mod compare;
pub mod git;
pub mod render;
pub mod schema;
pub mod tools;

use std::path::{Path, PathBuf};

use crate::Class;

/// One difference in one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What it means for existing clients.
    pub class: Class,
    /// A stable slug (`argument-removed`, `enum-narrowed`, ...).
    pub kind: &'static str,
    /// What changed: an argument (`contactId`), a nested field (`filters[].field`), an output
    /// field (`output.contact.email`), an annotation or key; empty for the tool itself.
    pub subject: String,
    /// Why it is classified so, in one sentence.
    pub reason: String,
}

impl Change {
    /// A new change.
    pub fn new(class: Class, kind: &'static str, subject: &str, reason: String) -> Self {
        Change {
            class,
            kind,
            subject: subject.to_owned(),
            reason,
        }
    }
}

/// How a tool differs as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolStatus {
    /// Only in the working tree.
    Added,
    /// Only at the base.
    Removed,
    /// On both sides under a different name (the old name).
    Renamed(String),
    /// On both sides, with changes.
    Changed,
}

/// The changes of one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolDiff {
    /// The tool's name (the new name when renamed).
    pub name: String,
    /// Added, removed, renamed or changed.
    pub status: ToolStatus,
    /// Every change, in the order found.
    pub changes: Vec<Change>,
}

impl ToolDiff {
    /// The worst class among its changes.
    pub fn worst(&self) -> Class {
        self.changes
            .iter()
            .map(|c| c.class)
            .min()
            .unwrap_or(Class::Safe)
    }

    /// How many changes have class `class`.
    pub fn count(&self, class: Class) -> usize {
        self.changes.iter().filter(|c| c.class == class).count()
    }
}

/// The whole diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// What the base is called in the report (`abc1234`).
    pub base: String,
    /// What the other side is called (`working tree`).
    pub head: String,
    /// Tools at the base and in the working tree.
    pub tool_counts: (usize, usize),
    /// The tools that differ, by name.
    pub tools: Vec<ToolDiff>,
    /// Tools with a breaking change that the changelog acknowledges.
    pub acknowledged: Vec<String>,
    /// Where acknowledgements are read (`CHANGELOG.md`).
    pub ack_file: String,
}

impl Report {
    /// Tools with a breaking change that nobody acknowledged.
    pub fn unacknowledged(&self) -> Vec<&str> {
        self.tools
            .iter()
            .filter(|t| t.worst() == Class::Breaking && !self.acknowledged.contains(&t.name))
            .map(|t| t.name.as_str())
            .collect()
    }

    /// Changes of class `class` over all tools.
    pub fn count(&self, class: Class) -> usize {
        self.tools.iter().map(|t| t.count(class)).sum()
    }
}

/// Compares the tools of two spec folders (each holding `openapi/` and `tools/`), named
/// `old_name` and `new_name` in the report; nothing is acknowledged yet. Errors of either side
/// are returned as rendered diagnostics, saying which side.
pub fn diff_dirs(old: &Path, old_name: &str, new: &Path, new_name: &str) -> Result<Report, String> {
    let old_tools = tools::load(old)
        .map_err(|d| format!("error: the spec at {old_name} does not lower:\n\n{d}"))?;
    let new_tools = tools::load(new)
        .map_err(|d| format!("error: the spec in the {new_name} does not lower:\n\n{d}"))?;
    Ok(Report {
        base: old_name.to_owned(),
        head: new_name.to_owned(),
        tool_counts: (old_tools.len(), new_tools.len()),
        tools: compare::compare_sets(&old_tools, &new_tools),
        acknowledged: Vec::new(),
        ack_file: DEFAULT_ACK_FILE.to_owned(),
    })
}

/// What `cargo xtask diff` was asked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The revision to compare with; default: the merge base of HEAD and `main`.
    pub base: Option<String>,
    /// The changelog holding acknowledgements, relative to the workspace root.
    pub ack_file: Option<PathBuf>,
}

/// The default acknowledgement file.
pub const DEFAULT_ACK_FILE: &str = "CHANGELOG.md";

/// Runs the diff for the workspace at `root`: the base revision's spec/ against the working
/// tree's. Writes nothing (the base is read into a temporary folder that is removed).
pub fn run(root: &Path, opts: &Options) -> Result<Report, String> {
    let ack_rel = opts
        .ack_file
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_ACK_FILE));
    let ack_path = root.join(&ack_rel);
    // A missing default changelog acknowledges nothing; a missing file named by --ack is a mistake.
    let head_text = match std::fs::read_to_string(&ack_path) {
        Ok(t) => t,
        Err(_) if opts.ack_file.is_none() => String::new(),
        Err(e) => {
            return Err(format!(
                "error: cannot read the acknowledgement file {}: {e}",
                ack_path.display()
            ));
        }
    };
    let commit = match &opts.base {
        Some(rev) => git::resolve(root, rev)?,
        None => git::default_base(root)?,
    };
    let short = git::short(root, &commit);
    let base_name = match &opts.base {
        Some(rev) if rev != &short => format!("{rev} ({short})"),
        _ => short,
    };
    let (tmp, _files) = git::checkout_spec(root, &commit)?;
    let mut report = diff_dirs(
        &tmp.0.join("spec"),
        &base_name,
        &root.join("spec"),
        "working tree",
    )?;
    drop(tmp);

    let rel = ack_rel.to_string_lossy().replace('\\', "/");
    let base_text = git::show(root, &commit, &rel).unwrap_or_default();
    let acks = ack::Acks::parse(&base_text, &head_text);
    report.acknowledged = report
        .tools
        .iter()
        .filter(|t| t.worst() == Class::Breaking)
        .filter(|t| {
            // A renamed tool may be acknowledged under either name.
            acks.covers(&t.name)
                || matches!(&t.status, ToolStatus::Renamed(old) if acks.covers(old))
        })
        .map(|t| t.name.clone())
        .collect();
    report.ack_file = rel;
    Ok(report)
}
