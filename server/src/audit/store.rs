//! Reading the audit log kept in the grant store: `audit list|export|verify --store URL`.
//! Rows are read in seq order in bounded pages, each line checked by the same [`Verifier`] as
//! the file's lines, so a bad record is named by its seq.

use oauth::store::Store;
use serde_json::Value;

use super::{Verified, Verifier};

/// Rows per read: large enough to be quick, small enough to bound memory per query.
const PAGE: u32 = 1000;

/// Calls `each(seq, line)` for every record in seq order.
async fn walk(
    store: &dyn Store,
    mut each: impl FnMut(u64, &str) -> Result<(), String>,
) -> Result<(), String> {
    let mut after = 0;
    loop {
        let page = store
            .audit_lines(after, PAGE)
            .await
            .map_err(|e| format!("cannot read the audit records: {e}"))?;
        let Some(&(last, _)) = page.last() else {
            return Ok(());
        };
        for (seq, line) in &page {
            each(*seq, line)?;
        }
        after = last;
    }
}

/// Checks the chain in `store`; the error names the first bad record by its seq.
pub async fn verify(store: &dyn Store) -> Result<Verified, String> {
    let mut verifier = Verifier::new();
    let mut before = "the start of the chain".to_owned();
    walk(store, |seq, line| {
        let here = format!("record seq {seq}");
        verifier.feed(&here, &before, line)?;
        before = here;
        Ok(())
    })
    .await?;
    Ok(verifier.finish())
}

/// Every record in `store`, parsed (rows that are not JSON are skipped; `verify` reports them).
pub async fn read(store: &dyn Store) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    walk(store, |_, line| {
        if let Ok(v) = serde_json::from_str(line) {
            out.push(v);
        }
        Ok(())
    })
    .await?;
    Ok(out)
}
