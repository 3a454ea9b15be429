//! `cargo xtask diff` against git history, in scratch repositories made from the diff fixtures:
//! the default base, acknowledgements in the changelog, and the bad inputs (a revision that does
//! not exist, a base whose spec does not lower), each an error that writes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::diff::{self, Options};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff")
}

fn git(root: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=xtask test",
            "-c",
            "user.email=xtask@example.invalid",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Replaces `root/spec` with a copy of the fixture folder `case`.
fn put_spec(root: &Path, case: &str) {
    let _ = std::fs::remove_dir_all(root.join("spec"));
    for sub in ["openapi", "tools"] {
        let dir = root.join("spec").join(sub);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            fixtures().join(case).join(sub).join("contacts.yaml"),
            dir.join("contacts.yaml"),
        )
        .unwrap();
    }
}

/// A scratch repository on branch `main` whose one commit holds `spec/` = the `before` fixture.
struct Repo(PathBuf);

impl Repo {
    fn new(name: &str) -> Self {
        let root =
            std::env::temp_dir().join(format!("xtask-diff-git-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        git(&root, &["init", "-q", "-b", "main"]);
        put_spec(&root, "before");
        git(&root, &["add", "-A"]);
        git(&root, &["commit", "-q", "-m", "base"]);
        Repo(root)
    }

    fn run(&self, base: Option<&str>) -> Result<diff::Report, String> {
        let opts = Options {
            base: base.map(str::to_owned),
            ack_file: None,
        };
        diff::run(&self.0, &opts)
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const CHANGELOG: &str = "# Changelog\n\n## Unreleased\n\n### Breaking\n\n";

#[test]
fn breaking_changes_pass_only_when_the_changelog_names_them() {
    let repo = Repo::new("ack");
    put_spec(&repo.0, "arguments");
    let r = repo.run(Some("HEAD")).unwrap();
    assert_eq!(
        r.unacknowledged(),
        vec!["contacts_create-contact", "contacts_get-contacts"]
    );
    std::fs::write(
        repo.0.join("CHANGELOG.md"),
        format!("{CHANGELOG}- `contacts_create-contact`: `email` is now `emailAddress`.\n\n### Added\n\n- contacts_get-contacts\n"),
    )
    .unwrap();
    let r = repo.run(Some("HEAD")).unwrap();
    assert_eq!(r.acknowledged, vec!["contacts_create-contact"]);
    assert_eq!(
        r.unacknowledged(),
        vec!["contacts_get-contacts"],
        "named outside Breaking"
    );
    assert!(diff::render::markdown(&r).contains("| 4 (acknowledged) |"));
}

#[test]
fn changelog_lines_already_at_the_base_do_not_acknowledge() {
    let repo = Repo::new("old-ack");
    std::fs::write(
        repo.0.join("CHANGELOG.md"),
        format!("{CHANGELOG}- contacts_get-contacts: an older break.\n"),
    )
    .unwrap();
    git(&repo.0, &["add", "-A"]);
    git(&repo.0, &["commit", "-q", "-m", "changelog"]);
    put_spec(&repo.0, "arguments");
    let r = repo.run(Some("HEAD")).unwrap();
    assert!(r.acknowledged.is_empty(), "{:?}", r.acknowledged);
    assert!(r.unacknowledged().contains(&"contacts_get-contacts"));
}

#[test]
fn default_base_is_where_the_branch_left_main() {
    let repo = Repo::new("merge-base");
    git(&repo.0, &["checkout", "-q", "-b", "feature"]);
    put_spec(&repo.0, "tools_added_removed");
    git(&repo.0, &["commit", "-q", "-am", "feature work"]);
    let main = git(&repo.0, &["rev-parse", "--short", "main"]);
    let r = repo.run(None).unwrap();
    assert_eq!(r.base, main.trim());
    let names: Vec<&str> = r.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["contacts_delete-contact", "contacts_get-all-tasks"]
    );
}

/// The scratch repository is exactly as it was: the diff writes nothing.
fn assert_untouched(repo: &Repo, before: &str) {
    assert_eq!(
        git(&repo.0, &["status", "--porcelain", "--untracked-files=all"]),
        before
    );
}

#[test]
fn a_revision_that_does_not_exist_is_an_error() {
    let repo = Repo::new("no-rev");
    let status = git(&repo.0, &["status", "--porcelain", "--untracked-files=all"]);
    for rev in ["no-such-branch", "HEAD~5", "--output=x"] {
        let err = repo.run(Some(rev)).unwrap_err();
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains(rev), "{err}");
    }
    assert!(
        repo.run(Some("no-such-branch"))
            .unwrap_err()
            .contains("does not exist")
    );
    assert_untouched(&repo, &status);
}

#[test]
fn a_base_whose_spec_does_not_lower_shows_its_located_errors() {
    let repo = Repo::new("broken-base");
    let overlay = repo.0.join("spec/tools/contacts.yaml");
    let good = std::fs::read_to_string(&overlay).unwrap();
    std::fs::write(
        &overlay,
        good.replace("operation: add-tags", "operation: add-tagz"),
    )
    .unwrap();
    git(&repo.0, &["commit", "-q", "-am", "broken"]);
    std::fs::write(&overlay, &good).unwrap();
    let status = git(&repo.0, &["status", "--porcelain", "--untracked-files=all"]);
    let err = repo.run(Some("HEAD")).unwrap_err();
    assert!(err.contains("the spec at HEAD"), "{err}");
    assert!(err.contains("does not lower"), "{err}");
    assert!(err.contains("unknown operation `add-tagz`"), "{err}");
    assert!(
        err.contains("--> spec/tools/contacts.yaml:4"),
        "the error is located: {err}"
    );
    assert_untouched(&repo, &status);
}

/// The binary: exit status 2 and an empty stdout on bad input, so a workflow posts nothing.
#[test]
fn the_command_fails_cleanly_on_a_missing_revision() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["diff", "--base", "no-such-revision-anywhere"])
        .output()
        .expect("xtask runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("revision `no-such-revision-anywhere` does not exist"),
        "{stderr}"
    );
}
