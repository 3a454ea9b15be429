//! Project chores, run as `cargo xtask <command>` (alias in .cargo/config.toml).
//!
//! - `regenerate [--check]`: spec/ → generated/ through `codegen::generate`. Writes only files
//!   whose bytes changed (one writer, [`ensure_file_contents`]) and removes orphaned files under
//!   generated/schemas and generated/src/tools; never touches generated/src/lib.rs or
//!   generated/Cargo.toml. With `--check` nothing is written and a stale or orphaned file makes
//!   the command fail. On spec errors every diagnostic is printed and nothing is written.
//! - `bench-codegen`: times generation for the curated spec and for all official HighLevel files
//!   (median of N runs); run it with `cargo run --release -p xtask -- bench-codegen`.
//! - `bench [ARGS...]`: builds the server and the benchmark driver in release mode and runs the
//!   gateway benchmark (direct vs through the server, load test); see [`bench`] and BENCHMARKS.md.
//! - `tokens [--official DIR]`: o200k token counts of tools/list, discovery answers and tool
//!   results as a client receives them, as a markdown table; see [`tokens`].
//! - `diff [--base REF] [--format markdown|json] [--ack FILE]` and
//!   `drift --openapi DIR [--format markdown|json]`: the schema-review reports of the library half
//!   (`xtask::diff`, `xtask::drift`); see [`reports`].

mod bench;
mod reports;
mod tokens;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "highlevel-mcp project chores")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate generated/ from spec/.
    Regenerate {
        /// Write nothing; fail when generated/ is stale or has orphaned files.
        #[arg(long)]
        check: bool,
    },
    /// Time the generator on the curated spec and on the official HighLevel files.
    BenchCodegen {
        /// Runs per measurement (the median is reported).
        #[arg(long, default_value_t = 15)]
        runs: usize,
        /// Folder of official files (default: $HIGHLEVEL_OPENAPI_DIR, else <workspace>/../shared/highlevel-openapi/apps).
        #[arg(long)]
        official: Option<PathBuf>,
    },
    /// Count the tokens a model pays for tools/list, discovery and tool results (markdown table).
    Tokens {
        /// Folder of official files (default: $HIGHLEVEL_OPENAPI_DIR, else <workspace>/../shared/highlevel-openapi/apps).
        #[arg(long)]
        official: Option<PathBuf>,
    },
    /// Benchmark the server against the direct sandbox call (release build; see BENCHMARKS.md).
    Bench {
        /// Passed to the driver: --seconds S (per cell), --load N (load-test calls).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Classify the tool changes since a git revision (exit 1: unacknowledged breaking change).
    Diff(reports::DiffArgs),
    /// Compare spec/openapi with a folder of HighLevel's official OpenAPI files.
    Drift(reports::DriftArgs),
    /// Write spec/imported/ (facts only) from HighLevel's official v2 and v3 folders.
    Import {
        /// Write nothing; fail when spec/imported/ differs from a fresh import.
        #[arg(long)]
        check: bool,
        /// The `apps/` folder of HighLevel's files; `v3/` inside it is read too (default:
        /// $HIGHLEVEL_OPENAPI_DIR, else <workspace>/../shared/highlevel-openapi/apps).
        #[arg(long)]
        official: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    match cli.command {
        Command::Regenerate { check } => match regenerate(&root, check) {
            Ok(report) => {
                for w in &report.warnings {
                    eprintln!("{w}");
                }
                if check {
                    if report.changes.is_empty() {
                        println!("generated/ is up to date ({} files)", report.files);
                        ExitCode::SUCCESS
                    } else {
                        eprintln!("generated/ is stale; run `cargo xtask regenerate`:");
                        for c in &report.changes {
                            eprintln!("  {c}");
                        }
                        ExitCode::FAILURE
                    }
                } else {
                    for c in &report.changes {
                        println!("  {c}");
                    }
                    println!(
                        "regenerated generated/: {} files, {} changed",
                        report.files,
                        report.changes.len()
                    );
                    ExitCode::SUCCESS
                }
            }
            Err(msg) => {
                eprintln!("{msg}");
                eprintln!("nothing was written");
                ExitCode::FAILURE
            }
        },
        Command::BenchCodegen { runs, official } => {
            let official = official.unwrap_or_else(codegen::locate::official_dir_candidate);
            bench(&root, &official, runs.max(1))
        }
        Command::Bench { args } => bench::run(&root, &args),
        Command::Diff(args) => reports::diff(&root, &args),
        Command::Drift(args) => reports::drift(&root, &args),
        Command::Import { check, official } => {
            let official = official.unwrap_or_else(codegen::locate::official_dir_candidate);
            match import(&root, &official, check) {
                Ok(changes) if check && !changes.is_empty() => {
                    eprintln!("spec/imported/ is stale; run `cargo xtask import`:");
                    changes.iter().for_each(|c| eprintln!("  {c}"));
                    ExitCode::FAILURE
                }
                Ok(changes) => {
                    changes.iter().for_each(|c| println!("  {c}"));
                    println!("spec/imported/: {} file(s) changed", changes.len());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Tokens { official } => match tokens::run(official) {
            Ok(table) => {
                println!("{table}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// The workspace root (xtask lives one level below it).
fn workspace_root() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    dir.parent().map(Path::to_path_buf).unwrap_or(dir)
}

/// `cargo xtask import`: HighLevel's v2 and v3 folders → `spec/imported/<app>.yaml`.
fn import(root: &Path, official: &Path, check: bool) -> Result<Vec<String>, String> {
    if !official.is_dir() {
        return Err(format!(
            "{} is not a folder; pass --official with the `apps/` folder of HighLevel's files",
            official.display()
        ));
    }
    let mut diags = codegen::Diagnostics::default();
    let v2 = codegen::load::load_official_dir(official, &mut diags);
    let v3 = codegen::load::load_official_dir(&official.join("v3"), &mut diags);
    let spec = codegen::load::load_spec_dir(&root.join("spec"), &mut diags);
    if diags.has_errors() {
        return Err(diags.to_string());
    }
    let skip = codegen::import::curated_operations(&spec);
    let docs = codegen::import::import(&v2, &v3, &skip);
    let files = codegen::import::render(&docs)?;
    let dir = root.join("spec/imported");
    let mut changes = Vec::new();
    for (name, text) in &files {
        if let Some(c) = ensure_file_contents(&dir.join(name), text, check)? {
            changes.push(format!("{c} spec/imported/{name}"));
        }
    }
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !files.contains_key(&name) {
                changes.push(format!("D spec/imported/{name} (orphaned)"));
                if !check {
                    std::fs::remove_file(e.path())
                        .map_err(|err| format!("cannot remove {}: {err}", e.path().display()))?;
                }
            }
        }
    }
    changes.sort();
    Ok(changes)
}

/// What a regenerate run did (or, with `--check`, would do).
struct Report {
    files: usize,
    /// One line per written/stale (`M`), new (`A`) or removed/orphaned (`D`) file.
    changes: Vec<String>,
    warnings: Vec<codegen::Diagnostic>,
}

/// Generated folders the generator owns entirely: files here that it did not produce are orphans.
const OWNED_DIRS: [&str; 2] = ["schemas", "src/tools"];

fn regenerate(root: &Path, check: bool) -> Result<Report, String> {
    let output = codegen::generate(&root.join("spec")).map_err(|d| d.to_string())?;
    let out_dir = root.join("generated");
    let mut changes = Vec::new();
    for (rel, contents) in &output.files {
        if let Some(change) = ensure_file_contents(&out_dir.join(rel), contents, check)? {
            changes.push(format!("{change} generated/{}", rel.display()));
        }
    }
    for dir in OWNED_DIRS {
        let mut existing = Vec::new();
        list_files(&out_dir.join(dir), &mut existing)
            .map_err(|e| format!("cannot list generated/{dir}: {e}"))?;
        for path in existing {
            let rel = path.strip_prefix(&out_dir).unwrap_or(&path).to_path_buf();
            if output.files.contains_key(&rel) {
                continue;
            }
            changes.push(format!("D generated/{} (orphaned)", rel.display()));
            if !check {
                std::fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            }
        }
        if !check {
            remove_empty_dirs(&out_dir.join(dir));
        }
    }
    changes.sort();
    Ok(Report {
        files: output.files.len(),
        changes,
        warnings: output.warnings,
    })
}

/// The one writer: writes `contents` to `path` only when the bytes differ. Returns `A` (new) or
/// `M` (changed) when the file is (or, with `check`, would be) written, `None` when up to date.
fn ensure_file_contents(
    path: &Path,
    contents: &str,
    check: bool,
) -> Result<Option<&'static str>, String> {
    let change = match std::fs::read(path) {
        Ok(old) if old == contents.as_bytes() => return Ok(None),
        Ok(_) => "M",
        Err(_) => "A",
    };
    if !check {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(path, contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(Some(change))
}

fn list_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            list_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn remove_empty_dirs(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                remove_empty_dirs(&path);
                // Fails (and is left alone) unless empty.
                let _ = std::fs::remove_dir(&path);
            }
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, Duration) {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(f());
        samples.push(start.elapsed());
    }
    let min = *samples.iter().min().unwrap_or(&Duration::ZERO);
    let max = *samples.iter().max().unwrap_or(&Duration::ZERO);
    (median(samples), min, max)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn bench(root: &Path, official: &Path, runs: usize) -> ExitCode {
    if cfg!(debug_assertions) {
        eprintln!(
            "note: this is a debug build; figures for BENCHMARKS.md come from `cargo run --release -p xtask -- bench-codegen`"
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "generator benchmark: median of {runs} runs (min..max), {cores} cores, single-threaded"
    );
    let spec = root.join("spec");
    match codegen::generate(&spec) {
        Ok(out) => {
            let tools = out
                .files
                .keys()
                .filter(|p| p.starts_with("schemas"))
                .count();
            let (med, min, max) = time(runs, || codegen::generate(&spec));
            println!(
                "curated spec/ ({tools} tools, {} files): load+lower+emit {} ({}..{})",
                out.files.len(),
                ms(med),
                ms(min),
                ms(max)
            );
        }
        Err(d) => {
            eprintln!("{d}");
            return ExitCode::FAILURE;
        }
    }
    if !official.is_dir() {
        println!("official files: skipped ({} is absent)", official.display());
        return ExitCode::SUCCESS;
    }
    let policy = codegen::Policy::every_operation();
    let (tools, diags) = codegen::lower_official(official, &policy);
    let (med, min, max) = time(runs, || codegen::lower_official(official, &policy));
    println!(
        "official ({} tools, {} warnings): load+lower {} ({}..{})",
        tools.len(),
        diags.len(),
        ms(med),
        ms(min),
        ms(max)
    );
    match codegen::generate_official(official, &policy) {
        Ok(out) => {
            let (med, min, max) = time(runs, || codegen::generate_official(official, &policy));
            println!(
                "official ({} files out): load+lower+emit {} ({}..{})",
                out.files.len(),
                ms(med),
                ms(min),
                ms(max)
            );
        }
        Err(d) => {
            eprintln!("{d}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stale or orphaned file under generated/ fails `cargo test` (rust-analyzer's pattern).
    #[test]
    fn generated_is_up_to_date() {
        let root = workspace_root();
        let report = match regenerate(&root, true) {
            Ok(r) => r,
            Err(msg) => panic!("spec/ has errors:\n{msg}"),
        };
        assert!(
            report.changes.is_empty(),
            "generated/ is stale; run `cargo xtask regenerate`:\n{}",
            report.changes.join("\n")
        );
    }

    /// A scratch workspace root holding a copy of one codegen fixture as its spec/.
    fn scratch_root(case: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("xtask-{case}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let src = workspace_root().join("codegen/tests/fixtures").join(case);
        for sub in ["openapi", "tools"] {
            let dir = root.join("spec").join(sub);
            std::fs::create_dir_all(&dir).unwrap();
            for entry in std::fs::read_dir(src.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
            }
        }
        std::fs::create_dir_all(root.join("generated/src")).unwrap();
        std::fs::write(root.join("generated/src/lib.rs"), "// hand-written\n").unwrap();
        root
    }

    #[test]
    fn spec_errors_write_nothing() {
        let root = scratch_root("unknown_operation");
        let err = match regenerate(&root, false) {
            Ok(_) => panic!("a broken overlay must fail"),
            Err(e) => e,
        };
        assert!(err.contains("unknown operation `get-contactt`"), "{err}");
        assert!(err.contains("tools/contacts.yaml:9:16"), "{err}");
        let mut files = Vec::new();
        list_files(&root.join("generated"), &mut files).unwrap();
        assert_eq!(files, vec![root.join("generated/src/lib.rs")]);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn regenerate_writes_then_check_passes_and_orphans_are_removed() {
        let root = scratch_root("good_minimal");
        let first = regenerate(&root, false).unwrap();
        assert!(first.changes.iter().all(|c| c.starts_with("A ")));
        assert!(
            root.join("generated/schemas/contacts/contacts_get-contact.json")
                .is_file()
        );
        assert!(regenerate(&root, true).unwrap().changes.is_empty());

        // A stale file and an orphan are reported by --check and fixed by regenerate.
        let stale = root.join("generated/TOOLS.md");
        std::fs::write(&stale, "edited by hand\n").unwrap();
        let orphan = root.join("generated/schemas/old/old_tool.json");
        std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
        std::fs::write(&orphan, "{}\n").unwrap();
        let check = regenerate(&root, true).unwrap();
        assert_eq!(
            check.changes,
            vec![
                "D generated/schemas/old/old_tool.json (orphaned)".to_owned(),
                "M generated/TOOLS.md".to_owned()
            ]
        );
        assert!(orphan.exists(), "--check must not delete");
        regenerate(&root, false).unwrap();
        assert!(!orphan.exists() && !orphan.parent().unwrap().exists());
        assert!(regenerate(&root, true).unwrap().changes.is_empty());
        // The hand-written lib.rs is never touched.
        assert_eq!(
            std::fs::read_to_string(root.join("generated/src/lib.rs")).unwrap(),
            "// hand-written\n"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn ensure_file_contents_writes_only_changes() {
        let dir = std::env::temp_dir().join(format!("xtask-ensure-{}", std::process::id()));
        let path = dir.join("a/b.txt");
        assert_eq!(ensure_file_contents(&path, "x", true), Ok(Some("A")));
        assert!(!path.exists(), "--check must not write");
        assert_eq!(ensure_file_contents(&path, "x", false), Ok(Some("A")));
        assert_eq!(ensure_file_contents(&path, "x", false), Ok(None));
        assert_eq!(ensure_file_contents(&path, "y", true), Ok(Some("M")));
        assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some("x"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
