//! Where HighLevel's official OpenAPI files are on this machine.
//!
//! Tests, benchmarks and xtask all read the same folder, so the lookup lives here once:
//! `$HIGHLEVEL_OPENAPI_DIR` when set (a clone of HighLevel's docs repository anywhere), else the
//! `apps/` folder of `../shared/highlevel-openapi` beside the workspace, where the project's
//! machines and CI keep it. Callers that can run without the files skip with [`official_dir`]'s
//! reason instead of failing, so a fresh clone's tests pass.

use std::path::PathBuf;

/// The environment variable that points at a folder of HighLevel's official OpenAPI files.
pub const OFFICIAL_DIR_ENV: &str = "HIGHLEVEL_OPENAPI_DIR";

/// The folder that would be used: `$HIGHLEVEL_OPENAPI_DIR`, else
/// `<workspace>/../shared/highlevel-openapi/apps`. It may not exist.
pub fn official_dir_candidate() -> PathBuf {
    match std::env::var_os(OFFICIAL_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/highlevel-openapi/apps")
        }
    }
}

/// The folder of HighLevel's official files, or why it cannot be used (a sentence for a
/// "skipped: …" line that says how to provide it).
pub fn official_dir() -> Result<PathBuf, String> {
    let dir = official_dir_candidate();
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!(
            "{} is absent: HighLevel's official OpenAPI files are expected there (set {OFFICIAL_DIR_ENV} to the `apps` folder of a clone of HighLevel's highlevel-api-docs repository)",
            dir.display()
        ))
    }
}

/// [`official_dir`] for tests: the folder, or `None` after printing `skipped: <reason>`.
pub fn official_dir_or_skip() -> Option<PathBuf> {
    match official_dir() {
        Ok(dir) => Some(dir),
        Err(reason) => {
            eprintln!("skipped: {reason}");
            None
        }
    }
}
