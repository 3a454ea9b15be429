//! The audit part of the store contract, run against both backends: records appended through
//! several handles at once (other processes, as far as the store can tell) form one gapless
//! chain in which every record links to the hash of the one before, and pages read back in
//! order. The line format here is the test's own; the store only keeps the chain.

use std::sync::Arc;

use oauth::crypto::token_hash;
use oauth::store::{AUDIT_GENESIS, Store};
use oauth::test_support::PostgresServer;

const HANDLES: usize = 4;
const EACH: usize = 25;

/// The test's line: `seq|prev|payload`; its hash is the SHA-256 of the line.
fn make(payload: String) -> impl Fn(&str, u64) -> (String, String) + Send + Sync {
    move |prev, seq| {
        let line = format!("{seq}|{prev}|{payload}");
        let hash = token_hash(&line);
        (line, hash)
    }
}

async fn audit_contract(handles: Vec<Arc<dyn Store>>) {
    assert!(
        handles[0].audit_lines(0, 10).await.unwrap().is_empty(),
        "a new store has no audit records"
    );
    let mut tasks = Vec::new();
    for (h, store) in handles.iter().enumerate() {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..EACH {
                let maker = make(format!("h{h}-{i}"));
                seqs.push(
                    store
                        .append_audit("2026-01-01T00:00:00.000Z", &maker)
                        .await
                        .expect("append"),
                );
            }
            seqs
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.extend(t.await.expect("appender"));
    }
    seqs.sort_unstable();
    let total = (HANDLES * EACH) as u64;
    assert_eq!(
        seqs,
        (1..=total).collect::<Vec<_>>(),
        "every append got its own seq, none skipped"
    );

    // Read back in pages of 7 and walk the chain.
    let (mut after, mut prev, mut seen) = (0, AUDIT_GENESIS.to_owned(), 0u64);
    loop {
        let page = handles[1].audit_lines(after, 7).await.unwrap();
        assert!(page.len() <= 7, "a page holds at most its limit");
        let Some(last) = page.last() else { break };
        after = last.0;
        for (seq, line) in page {
            seen += 1;
            assert_eq!(seq, seen, "records come back in seq order");
            let mut parts = line.splitn(3, '|');
            assert_eq!(parts.next(), Some(seq.to_string().as_str()), "{line}");
            assert_eq!(
                parts.next(),
                Some(prev.as_str()),
                "record {seq} links to the hash of record {}",
                seq - 1
            );
            prev = token_hash(&line);
        }
    }
    assert_eq!(seen, total, "every record reads back");
    let tail = handles[2].audit_lines(total - 1, 10).await.unwrap();
    assert_eq!(tail.len(), 1, "after_seq skips what came before");

    // The next append continues from the last hash, through any handle.
    let maker = make("last".into());
    let next = handles[3].append_audit("t", &maker).await.unwrap();
    assert_eq!(next, total + 1);
    let line = &handles[0].audit_lines(total, 1).await.unwrap()[0].1;
    assert_eq!(line, &format!("{next}|{prev}|last"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_appenders_share_one_audit_chain() {
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("sqlite:{}", dir.path().join("grants.db").display());
    let mut handles = Vec::new();
    for _ in 0..HANDLES {
        handles.push(oauth::store::open(&spec).await.expect("sqlite store"));
    }
    audit_contract(handles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_appenders_share_one_audit_chain() {
    let Some(pg) = PostgresServer::start("postgres_appenders_share_one_audit_chain") else {
        return;
    };
    let url = pg.create_database("audit").await;
    let mut handles = Vec::new();
    for _ in 0..HANDLES {
        handles.push(oauth::store::open(&url).await.expect("postgres store"));
    }
    audit_contract(handles).await;
}
