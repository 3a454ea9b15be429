//! The git side of the diff: resolving the base revision and reading files as they were there.
//! Everything goes through the `git` command in the workspace; nothing in the repository is
//! written (the base spec is copied to a temporary folder that is removed afterwards).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `git -C root ARGS`; stdout on success, git's own message on failure.
fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| format!("error: cannot run git ({e}); install git and run from a clone"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "error: `git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The commit id `rev` names, or an error saying it does not exist.
pub fn resolve(root: &Path, rev: &str) -> Result<String, String> {
    if rev.starts_with('-') {
        return Err(format!(
            "error: `{rev}` is not a revision (it starts with `-`)"
        ));
    }
    let spec = format!("{rev}^{{commit}}");
    match git(root, &["rev-parse", "--verify", "--quiet", &spec]) {
        Ok(out) => Ok(String::from_utf8_lossy(&out).trim().to_owned()),
        Err(_) => Err(format!(
            "error: revision `{rev}` does not exist in {}\n   = help: pass a branch, tag or commit that exists (after `git fetch origin main`, `origin/main` does)",
            root.display()
        )),
    }
}

/// The default base: where the working branch left `main` (or `origin/main`).
pub fn default_base(root: &Path) -> Result<String, String> {
    for main in ["main", "origin/main"] {
        if let Ok(out) = git(root, &["merge-base", "HEAD", main]) {
            return Ok(String::from_utf8_lossy(&out).trim().to_owned());
        }
    }
    Err("error: no merge base with `main` or `origin/main`\n   = help: pass the revision to compare with, e.g. `--base HEAD~1`".to_owned())
}

/// The short form of a commit id, for titles.
pub fn short(root: &Path, commit: &str) -> String {
    git(root, &["rev-parse", "--short", commit])
        .map(|o| String::from_utf8_lossy(&o).trim().to_owned())
        .unwrap_or_else(|_| commit.chars().take(10).collect())
}

/// The text of `path` (relative to the repository root) at `commit`; `None` when absent there.
pub fn show(root: &Path, commit: &str, path: &str) -> Option<String> {
    git(root, &["show", &format!("{commit}:{path}")])
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A temporary folder removed when dropped.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies `spec/openapi` and `spec/tools` as they were at `commit` into a new temporary folder;
/// returns it and the number of files copied (0 when the revision has no spec/).
pub fn checkout_spec(root: &Path, commit: &str) -> Result<(TempDir, usize), String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp =
        TempDir(std::env::temp_dir().join(format!("xtask-diff-{}-{nanos}", std::process::id())));
    let list = git(
        root,
        &[
            "ls-tree",
            "-r",
            "-z",
            "--name-only",
            commit,
            "--",
            "spec/openapi",
            "spec/tools",
        ],
    )?;
    let mut count = 0;
    for dir in ["openapi", "tools"] {
        std::fs::create_dir_all(tmp.0.join("spec").join(dir))
            .map_err(|e| format!("error: cannot create a temporary folder: {e}"))?;
    }
    for name in list.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        // Only the files the loader reads, one level deep, as the loader does.
        let rel = Path::new(&name);
        if rel.components().count() != 3 {
            continue;
        }
        let bytes = git(root, &["show", &format!("{commit}:{name}")])?;
        std::fs::write(tmp.0.join(rel), bytes)
            .map_err(|e| format!("error: cannot write a temporary copy of {name}: {e}"))?;
        count += 1;
    }
    Ok((tmp, count))
}
