//! Ranks requests against the catalog `serve --openapi` builds over HighLevel's official files
//! and prints the top hits, or times the search (`--bench`). For tuning the ranking:
//! `cargo run --release -p catalog --example search -- "strip the label off Dana"`.

use std::time::Instant;

use catalog::SearchIndex;
use runtime::ToolDef;

fn main() {
    // The catalog the server searches: the whole API as compiled in.
    let tools: Vec<ToolDef> = generated::tools().iter().map(|t| (*t).clone()).collect();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--bench") {
        bench(&tools, &args[1..]);
        return;
    }
    let index = SearchIndex::with_keywords(&tools, &generated::keywords);
    for q in &args {
        println!("{q}\n  {}", SearchIndex::explain(q));
        for h in index.search(q, 5) {
            println!("  {:7.3} {}", h.score, tools[h.index].name);
        }
    }
}

/// CPU time of this process so far (user + system), in milliseconds (Linux; clock ticks of 10 ms).
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0)
}

/// Resident memory of this process in KiB (Linux), to see what an index adds.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn bench(tools: &[ToolDef], queries: &[String]) {
    // Ten indexes kept alive at once, so freed memory the allocator reuses does not hide the cost.
    let before = rss_kib();
    let kept: Vec<SearchIndex> = (0..10).map(|_| SearchIndex::new(tools)).collect();
    let after = rss_kib();
    if let (Some(b), Some(a)) = (before, after) {
        println!(
            "RSS per index: {} KiB (10 indexes: {b} -> {a} KiB)",
            a.saturating_sub(b) / 10
        );
    }
    println!(
        "index heap (approximate, counted): {} KiB",
        kept[0].approx_bytes() / 1024
    );
    drop(kept);
    let mut builds = Vec::new();
    let cpu_before = cpu_ms();
    for _ in 0..21 {
        let t = Instant::now();
        let index = SearchIndex::new(tools);
        builds.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(index);
    }
    if let (Some(a), Some(b)) = (cpu_before, cpu_ms()) {
        println!(
            "index build CPU time: {:.1} ms per build (mean of 21)",
            (b - a) / 21.0
        );
    }
    let index = SearchIndex::new(tools);
    let mut times = Vec::new();
    let cpu_before = cpu_ms();
    for _ in 0..20 {
        for q in queries {
            let t = Instant::now();
            std::hint::black_box(index.search(q, 5));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    if let (Some(a), Some(b)) = (cpu_before, cpu_ms()) {
        println!(
            "search CPU time: {:.3} ms per call (mean)",
            (b - a) / times.len() as f64
        );
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
