//! Discovery recall on requests phrased the way users talk (issue 12): the 399 requests of
//! `user-requests-tuning.tsv` and `user-requests-heldout.tsv` are run against the catalog as
//! `serve --openapi` builds it over HighLevel's official files (the 576 official operations, the
//! curated tools replacing their official twins), and recall@1, recall@5 and MRR are printed for
//! each half. The held-out half guards the ranking against over-fitting: its figures are held
//! above a floor, and its misses are printed only on request (`SHOW_HELDOUT_MISSES=1`), so that
//! whoever tunes the ranking on the tuning half does not tune on them by looking.
//!
//! `cargo test -p catalog --test user_requests_recall -- --nocapture` prints the figures. Skips
//! with a printed reason when ../shared (the official files) is absent.

use std::collections::BTreeSet;
use std::path::PathBuf;

use catalog::SearchIndex;
use runtime::ToolDef;

const TUNING: &str = include_str!("user-requests-tuning.tsv");
const HELD_OUT: &str = include_str!("user-requests-heldout.tsv");

/// How deep MRR looks: a right answer below this rank counts as not found.
const MRR_DEPTH: usize = 10;

fn official_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("HIGHLEVEL_OPENAPI_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/highlevel-openapi/apps")
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} is absent (HighLevel's official OpenAPI files; see server/README.md)",
            dir.display()
        );
        None
    }
}

/// The catalog as `serve --openapi` builds it: curated tools replace the official tool of the
/// same name.
fn served_tools(dir: &std::path::Path) -> Vec<ToolDef> {
    let (tools, diags) = codegen::lower_official(dir, &codegen::Policy::every_operation());
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "lowering errors:\n{}", errors.join("\n"));
    let curated: Vec<ToolDef> = generated::tools().iter().map(|t| (*t).clone()).collect();
    tools
        .into_iter()
        .map(|t| {
            curated
                .iter()
                .find(|c| c.name == t.name)
                .cloned()
                .unwrap_or(t)
        })
        .collect()
}

/// A tool name with the hyphens of its app part dropped, so the request files keep working when
/// tools take HighLevel's hosted names (`social-media-posting_x` is served as
/// `socialmediaposting_x` there).
fn normalized(name: &str) -> String {
    match name.split_once('_') {
        Some((app, op)) => format!("{}_{op}", app.replace('-', "")),
        None => name.to_owned(),
    }
}

/// (line number, request, acceptable answers) of a request file.
fn requests(file: &str, text: &str) -> Vec<(usize, String, Vec<String>)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (q, expected) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("{file}:{}: no tab between request and tools", i + 1));
        out.push((
            i + 1,
            q.to_owned(),
            expected.split('|').map(|s| normalized(s.trim())).collect(),
        ));
    }
    out
}

struct Figures {
    n: usize,
    at1: f64,
    at5: f64,
    mrr: f64,
    misses: Vec<String>,
}

fn measure(tools: &[ToolDef], index: &SearchIndex, file: &str, text: &str) -> Figures {
    let names: BTreeSet<String> = tools.iter().map(|t| normalized(&t.name)).collect();
    let reqs = requests(file, text);
    let (mut hit1, mut hit5, mut rr) = (0usize, 0usize, 0f64);
    let mut misses = Vec::new();
    for (line, q, expected) in &reqs {
        for e in expected {
            assert!(
                names.contains(e),
                "{file}:{line}: `{e}` is not a tool of the served catalog"
            );
        }
        let hits: Vec<String> = index
            .search(q, MRR_DEPTH)
            .iter()
            .map(|h| normalized(&tools[h.index].name))
            .collect();
        let rank = hits.iter().position(|n| expected.contains(n));
        if let Some(r) = rank {
            rr += 1.0 / (r + 1) as f64;
            hit1 += usize::from(r == 0);
            hit5 += usize::from(r < 5);
        }
        if rank != Some(0) {
            let shown = rank.map_or("not in top 10".to_owned(), |r| format!("rank {}", r + 1));
            misses.push(format!(
                "  {file}:{line} {q:?}: want {} ({shown}); top 3 {:?}",
                expected.join("|"),
                &hits[..hits.len().min(3)]
            ));
        }
    }
    let n = reqs.len() as f64;
    Figures {
        n: reqs.len(),
        at1: hit1 as f64 / n,
        at5: hit5 as f64 / n,
        mrr: rr / n,
        misses,
    }
}

fn print(label: &str, f: &Figures, show_misses: bool) {
    println!(
        "{label}: {} requests, recall@1 = {:.3}, recall@5 = {:.3}, MRR = {:.3}",
        f.n, f.at1, f.at5, f.mrr
    );
    if show_misses {
        println!("not first ({}):\n{}", f.misses.len(), f.misses.join("\n"));
    }
}

#[test]
fn request_sets_are_big_and_disjoint() {
    let t = requests("user-requests-tuning.tsv", TUNING);
    let h = requests("user-requests-heldout.tsv", HELD_OUT);
    assert!(t.len() + h.len() >= 300, "the issue asks for at least 300");
    assert!(t.len() >= 150 && h.len() >= 150, "each half needs 150");
    let tq: BTreeSet<&str> = t.iter().map(|(_, q, _)| q.as_str()).collect();
    for (line, q, _) in &h {
        assert!(
            !tq.contains(q.as_str()),
            "user-requests-heldout.tsv:{line}: {q:?} is also a tuning request"
        );
    }
}

#[test]
fn recall_on_user_requests() {
    let Some(dir) = official_dir() else { return };
    let tools = served_tools(&dir);
    let index = SearchIndex::new(&tools);
    for h in catalog::hinted_tools() {
        assert!(
            tools.iter().any(|t| normalized(&t.name) == h),
            "catalog/src/hints.txt names `{h}`, which is not a tool of the served catalog"
        );
    }
    let tuning = measure(&tools, &index, "user-requests-tuning.tsv", TUNING);
    let held = measure(&tools, &index, "user-requests-heldout.tsv", HELD_OUT);
    print("tuning half", &tuning, true);
    print(
        "held-out half",
        &held,
        std::env::var_os("SHOW_HELDOUT_MISSES").is_some(),
    );
    // Regression floors: the figures reached, less a small margin for legitimate trade-offs.
    assert!(
        held.at5 >= HELD_OUT_AT5_FLOOR,
        "held-out recall@5 {:.3} fell below {HELD_OUT_AT5_FLOOR}",
        held.at5
    );
    assert!(
        tuning.at5 >= TUNING_AT5_FLOOR,
        "tuning recall@5 {:.3} fell below {TUNING_AT5_FLOOR}",
        tuning.at5
    );
}

/// Held-out recall@5 reached when tuning stopped (0.878, BENCHMARKS.md), less a margin of about
/// four requests for legitimate trade-offs.
const HELD_OUT_AT5_FLOOR: f64 = 0.86;
/// Tuning recall@5 reached (0.961), less a margin.
const TUNING_AT5_FLOOR: f64 = 0.94;

/// The catalog `serve --sandbox --discovery` searches: the whole API compiled in (our words),
/// ranked with the spec's `asks` and `aliases`. Needs no ../shared. Also printed without the
/// spec's search metadata, to show what it adds.
#[test]
fn recall_on_user_requests_over_the_compiled_api() {
    let tools: Vec<ToolDef> = generated::tools().iter().map(|t| (*t).clone()).collect();
    if tools.len() < 600 {
        eprintln!("skipped: only {} tools compiled in", tools.len());
        return;
    }
    let bare = SearchIndex::new(&tools);
    let index = SearchIndex::with_keywords(&tools, &generated::keywords);
    for (label, idx) in [("without asks/aliases", &bare), ("served", &index)] {
        let tuning = measure(&tools, idx, "user-requests-tuning.tsv", TUNING);
        let held = measure(&tools, idx, "user-requests-heldout.tsv", HELD_OUT);
        print(
            &format!("compiled API, {label}, tuning half"),
            &tuning,
            false,
        );
        print(
            &format!("compiled API, {label}, held-out half"),
            &held,
            false,
        );
        if label == "served" {
            assert!(
                held.at5 >= COMPILED_HELD_OUT_AT5_FLOOR,
                "held-out recall@5 {:.3} fell below {COMPILED_HELD_OUT_AT5_FLOOR}",
                held.at5
            );
        }
    }
}

/// Held-out recall@5 over the compiled API (0.918 when the keyword weight was chosen on the
/// tuning half), less a margin of about five requests.
const COMPILED_HELD_OUT_AT5_FLOOR: f64 = 0.89;
