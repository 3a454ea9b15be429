//! Ranks requests against the catalog `serve --openapi` builds over HighLevel's official files
//! and prints the top hits, or times the search (`--bench`). For tuning the ranking:
//! `cargo run --release -p catalog --example search -- "strip the label off Dana"`.

use std::path::PathBuf;
use std::time::Instant;

use catalog::SearchIndex;
use runtime::ToolDef;

fn main() {
    let dir = std::env::var_os("HIGHLEVEL_OPENAPI_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/highlevel-openapi/apps")
        });
    let (official, _) = codegen::lower_official(&dir, &codegen::Policy::every_operation());
    let curated: Vec<ToolDef> = generated::tools().iter().map(|t| (*t).clone()).collect();
    let tools: Vec<ToolDef> = official
        .into_iter()
        .map(|t| {
            curated
                .iter()
                .find(|c| c.name == t.name)
                .cloned()
                .unwrap_or(t)
        })
        .collect();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--bench") {
        bench(&tools, &args[1..]);
        return;
    }
    let index = SearchIndex::new(&tools);
    for q in &args {
        println!("{q}\n  {}", SearchIndex::explain(q));
        for h in index.search(q, 5) {
            println!("  {:7.3} {}", h.score, tools[h.index].name);
        }
    }
}

fn bench(tools: &[ToolDef], queries: &[String]) {
    let mut builds = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let index = SearchIndex::new(tools);
        builds.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(index);
    }
    let index = SearchIndex::new(tools);
    let mut times = Vec::new();
    for _ in 0..20 {
        for q in queries {
            let t = Instant::now();
            std::hint::black_box(index.search(q, 5));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let p99 = |v: &Vec<f64>| v[(v.len() * 99 / 100).min(v.len() - 1)];
    println!(
        "{} tools; index build median {:.2} ms; search over {} calls: p50 {:.3} ms, p99 {:.3} ms",
        tools.len(),
        median(&mut builds),
        times.len(),
        median(&mut times),
        p99(&times)
    );
}
