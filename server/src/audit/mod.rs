//! The audit log: one JSON line per write attempt, append-only and hash-chained.
//!
//! Every record holds the hash of the record before it (`prev`) and its own `hash`, the SHA-256
//! of the line's bytes up to the `hash` field; so editing, removing or reordering a line breaks
//! the chain at that line, and [`verify`] names it. Records never hold a secret: the principal is
//! the credentials seam's loggable name, arguments appear as a redacted summary plus the SHA-256
//! of their canonical JSON.
//!
//! Writes are refused when the log cannot be written ([`AuditLog::append`] fails and the caller
//! does not send): a write that cannot be accounted for is not performed. Lines are written with
//! one `write` call each and not fsynced (a process crash loses nothing written; a power loss
//! may lose the last lines, which `verify` then reports as a short chain, not as tampering).
//! `highlevel-mcp audit list|export|verify` reads the file ([`read`], [`filter`], [`to_csv`]).
//! `--audit-retention-days` removes old records at start-up behind a checkpoint line that keeps
//! the chain verifiable ([`retention`]).
//!
//! The same lines can live in the grant store instead ([`AuditLog::in_store`], the default in
//! OAuth mode): one row per record, appended in a transaction that makes appenders on every
//! replica take turns, so replicas sharing a store write one chain ([`store`] reads it back).
//! The line and its hash are made by `chained` for both places and checked by one `Verifier`.
//! Retention is for the file only.

pub mod cli;
mod record;
pub mod retention;
pub mod store;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use oauth::store::Store;
pub use record::{Decision, Entry, Filter, args_digest, filter, rfc3339, summarize, to_csv};
use sha2::{Digest, Sha256};

/// The `prev` of the first record (the store's, so both places start alike).
pub const GENESIS: &str = oauth::store::AUDIT_GENESIS;

/// An open, append-only audit log: a file, or the audit table of the grant store.
#[derive(Debug)]
pub struct AuditLog {
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    File {
        path: PathBuf,
        state: Mutex<Chain>,
    },
    Store {
        store: Arc<dyn Store>,
        place: String,
    },
}

#[derive(Debug)]
struct Chain {
    file: File,
    prev: String,
    seq: u64,
}

/// The chain rule, the one place it is written: record number `seq` for `entry` after the
/// record whose hash is `prev`, as its line (no newline) and its hash, the SHA-256 of the line
/// up to the `hash` field with the closing brace.
fn chained(entry: &Entry, seq: u64, prev: &str) -> (String, String) {
    let mut line = entry.line_body(seq, prev);
    let hash = body_hash(&line);
    line.push_str(",\"hash\":\"");
    line.push_str(&hash);
    line.push_str("\"}");
    (line, hash)
}

/// The hash of a line whose body (everything before `,"hash":`) is `body`.
fn body_hash(body: &str) -> String {
    hex(&Sha256::new()
        .chain_update(body.as_bytes())
        .chain_update(b"}")
        .finalize())
}

impl AuditLog {
    /// Opens (or creates) the log at `path`, continuing its chain; fails saying why and what to do.
    pub fn open(path: &Path) -> Result<Self, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                format!(
                    "cannot create the audit log folder {}: {e}; pick a writable --audit-log",
                    dir.display()
                )
            })?;
        }
        let (mut prev, mut seq) = (GENESIS.to_owned(), 0);
        // Only a regular file has a chain to continue (a device such as /dev/full has none).
        if path.is_file() {
            let f = File::open(path)
                .map_err(|e| format!("cannot read the audit log {}: {e}", path.display()))?;
            for line in BufReader::new(f).lines() {
                let line =
                    line.map_err(|e| format!("cannot read the audit log {}: {e}", path.display()))?;
                if let Some((body, hash)) = split_hash(&line) {
                    let value =
                        serde_json::from_str::<serde_json::Value>(&format!("{body}}}")).ok();
                    // After a checkpoint the chain goes on from the last pruned record's hash.
                    prev = match value.as_ref().and_then(retention::Checkpoint::of) {
                        Some(cp) => cp.last_hash,
                        None => hash.to_owned(),
                    };
                    seq = value
                        .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64))
                        .unwrap_or(seq);
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                format!(
                    "cannot open the audit log {} for appending: {e}; pick a writable --audit-log",
                    path.display()
                )
            })?;
        Ok(Self {
            backend: Backend::File {
                path: path.to_owned(),
                state: Mutex::new(Chain { file, prev, seq }),
            },
        })
    }

    /// A log kept in `store`'s audit table; `place` names the store in messages (no password).
    pub fn in_store(store: Arc<dyn Store>, place: String) -> Self {
        Self {
            backend: Backend::Store { store, place },
        }
    }

    /// Where records go, for logs and messages.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::File { path, .. } => path.display().to_string(),
            Backend::Store { place, .. } => format!("the audit table of the store {place}"),
        }
    }

    /// Appends `entry` as the next record (its `seq`, `prev` and `hash` are set here) and returns
    /// its `seq`; fails when the record cannot be written.
    pub async fn append(&self, entry: &Entry) -> Result<u64, String> {
        match &self.backend {
            Backend::File { path, state } => append_file(path, state, entry),
            Backend::Store { store, place } => {
                let make = |prev: &str, seq: u64| chained(entry, seq, prev);
                store.append_audit(&entry.time, &make).await.map_err(|e| {
                    format!(
                        "cannot write the audit record to {place}: {e}; the write was not performed (check that the store is reachable and writable)"
                    )
                })
            }
        }
    }
}

fn append_file(path: &Path, state: &Mutex<Chain>, entry: &Entry) -> Result<u64, String> {
    let mut chain = state
        .lock()
        .map_err(|_| "the audit log is unusable after an earlier failure".to_owned())?;
    let seq = chain.seq + 1;
    let (mut line, hash) = chained(entry, seq, &chain.prev);
    line.push('\n');
    chain.file.write_all(line.as_bytes()).map_err(|e| {
        format!(
            "cannot write the audit log {}: {e}; the write was not performed (free space or fix permissions, or start with another --audit-log)",
            path.display()
        )
    })?;
    chain.prev = hash;
    chain.seq = seq;
    Ok(seq)
}

/// A line split into its body (without the closing brace) and its hash, when it has the shape
/// this module writes.
fn split_hash(line: &str) -> Option<(&str, &str)> {
    let at = line.rfind(",\"hash\":\"")?;
    let hash = line[at + 9..].strip_suffix("\"}")?;
    (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then(|| (&line[..at], hash))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// What [`verify_detail`] found in an intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Records checked (the checkpoint not counted).
    pub records: usize,
    /// The retention checkpoint the file starts with, when records were pruned.
    pub checkpoint: Option<retention::Checkpoint>,
}

/// Checks a chain one line at a time, wherever the lines come from.
#[derive(Debug)]
pub(crate) struct Verifier {
    prev: String,
    next_seq: Option<u64>,
    first: bool,
    out: Verified,
}

impl Verifier {
    pub(crate) fn new() -> Self {
        Self {
            prev: GENESIS.to_owned(),
            next_seq: None,
            first: true,
            out: Verified {
                records: 0,
                checkpoint: None,
            },
        }
    }

    /// Checks the next line; `here` names it in an error (`record 3 (line 3)`, `record seq 3`),
    /// `before` names the one before it.
    pub(crate) fn feed(&mut self, here: &str, before: &str, line: &str) -> Result<(), String> {
        let Some((body, hash)) = split_hash(line) else {
            return Err(format!(
                "{here} is not an audit record (no trailing hash): the log was edited"
            ));
        };
        let value: serde_json::Value = serde_json::from_str(&format!("{body}}}"))
            .map_err(|e| format!("{here} is not JSON ({e}): the log was edited"))?;
        if value.get("prev").and_then(serde_json::Value::as_str) != Some(self.prev.as_str()) {
            return Err(format!(
                "{here} does not follow {before}: its `prev` is not the hash before it (a record was removed, inserted or reordered)"
            ));
        }
        if body_hash(body) != hash {
            return Err(format!(
                "{here} was altered: its content does not match its hash"
            ));
        }
        let seq = value.get("seq").and_then(serde_json::Value::as_u64);
        if let (Some(want), Some(got)) = (self.next_seq, seq)
            && want != got
        {
            return Err(format!(
                "{here} has seq {got} where {want} was expected (records were removed or renumbered)"
            ));
        }
        self.next_seq = seq.map(|s| s + 1);
        let first = std::mem::replace(&mut self.first, false);
        match retention::Checkpoint::of(&value) {
            Some(cp) if first => {
                self.prev = cp.last_hash.clone();
                self.out.checkpoint = Some(cp);
            }
            Some(_) => {
                return Err(format!(
                    "{here} is a retention checkpoint, which only the first record may be: the log was edited"
                ));
            }
            None => {
                self.prev = hash.to_owned();
                self.out.records += 1;
            }
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Verified {
        self.out
    }
}

/// Checks the chain of the file at `path`: `Ok(n)` records, or the first bad record (1-based line
/// number) and what is wrong with it.
pub fn verify(path: &Path) -> Result<usize, String> {
    verify_detail(path).map(|v| v.records)
}

/// [`verify`], also returning the retention checkpoint. A checkpoint is accepted only as the
/// first line, with the genesis `prev` and its own hash intact; the record after it must link to
/// its `last_hash` and carry the next `seq`.
pub fn verify_detail(path: &Path) -> Result<Verified, String> {
    let f = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut verifier = Verifier::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let at = i + 1;
        verifier.feed(
            &format!("record {at} (line {at})"),
            &format!("record {}", at - 1),
            &line,
        )?;
    }
    Ok(verifier.finish())
}

/// Every record of the file at `path`, parsed (lines that are not JSON are skipped; `verify`
/// reports them).
pub fn read(path: &Path) -> Result<Vec<serde_json::Value>, String> {
    let f = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for line in BufReader::new(f).lines() {
        let line = line.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if let Ok(v) = serde_json::from_str(&line) {
            out.push(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(tool: &str) -> Entry {
        Entry {
            time: "2026-01-01T00:00:00.000Z".into(),
            principal: "server".into(),
            location: Some("loc".into()),
            tool: tool.into(),
            method: "DELETE".into(),
            path: "/x/1".into(),
            args: serde_json::json!({"id": "1"}),
            args_sha256: "ab".into(),
            decision: Decision::Sent,
            reason: None,
            preflight: None,
            status: Some(200),
            ids: vec!["1".into()],
            duration_us: 5,
        }
    }

    #[tokio::test]
    async fn chain_continues_across_opens_and_shows_edits() {
        let dir = std::env::temp_dir().join(format!("audit-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("a.jsonl");
        let log = AuditLog::open(&path).expect("open");
        assert_eq!(log.append(&entry("a")).await.expect("1"), 1);
        drop(log);
        let log = AuditLog::open(&path).expect("reopen");
        assert_eq!(log.append(&entry("b")).await.expect("2"), 2);
        assert_eq!(verify(&path), Ok(2));
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replacen("\"tool\":\"b\"", "\"tool\":\"c\"", 1)).expect("edit");
        let err = verify(&path).expect_err("edited");
        assert!(err.starts_with("record 2 "), "{err}");
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(&path, format!("{}\n", lines[1])).expect("cut");
        assert!(verify(&path).expect_err("cut").contains("does not follow"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
