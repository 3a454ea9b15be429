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

pub mod cli;
mod record;
pub mod retention;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use record::{Decision, Entry, Filter, args_digest, filter, rfc3339, summarize, to_csv};
use sha2::{Digest, Sha256};

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An open, append-only audit file.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    state: Mutex<Chain>,
}

#[derive(Debug)]
struct Chain {
    file: File,
    prev: String,
    seq: u64,
    buf: String,
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
            path: path.to_owned(),
            state: Mutex::new(Chain {
                file,
                prev,
                seq,
                buf: String::with_capacity(1024),
            }),
        })
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `entry` as the next record (its `seq`, `prev` and `hash` are set here) and returns
    /// its `seq`; fails when the line cannot be written.
    pub fn append(&self, entry: &Entry) -> Result<u64, String> {
        let mut chain = self
            .state
            .lock()
            .map_err(|_| "the audit log is unusable after an earlier failure".to_owned())?;
        let seq = chain.seq + 1;
        let body = entry.line_body(seq, &chain.prev);
        let hash = hex(&Sha256::digest(format!("{body}}}").as_bytes()));
        let Chain { buf, file, .. } = &mut *chain;
        buf.clear();
        buf.push_str(&body);
        buf.push_str(",\"hash\":\"");
        buf.push_str(&hash);
        buf.push_str("\"}\n");
        file.write_all(buf.as_bytes()).map_err(|e| {
            format!(
                "cannot write the audit log {}: {e}; the write was not performed (free space or fix permissions, or start with another --audit-log)",
                self.path.display()
            )
        })?;
        chain.prev = hash;
        chain.seq = seq;
        Ok(seq)
    }
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
    let mut prev = GENESIS.to_owned();
    let mut next_seq: Option<u64> = None;
    let mut out = Verified {
        records: 0,
        checkpoint: None,
    };
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let at = i + 1;
        let Some((body, hash)) = split_hash(&line) else {
            return Err(format!(
                "record {at} (line {at}) is not an audit record (no trailing hash): the file was edited"
            ));
        };
        let value: serde_json::Value = serde_json::from_str(&format!("{body}}}")).map_err(|e| {
            format!("record {at} (line {at}) is not JSON ({e}): the file was edited")
        })?;
        if value.get("prev").and_then(serde_json::Value::as_str) != Some(prev.as_str()) {
            return Err(format!(
                "record {at} (line {at}) does not follow record {}: its `prev` is not the hash before it (a record was removed, inserted or reordered)",
                at - 1
            ));
        }
        let actual = hex(&Sha256::digest(format!("{body}}}").as_bytes()));
        if actual != hash {
            return Err(format!(
                "record {at} (line {at}) was altered: its content does not match its hash"
            ));
        }
        let seq = value.get("seq").and_then(serde_json::Value::as_u64);
        if let (Some(want), Some(got)) = (next_seq, seq)
            && want != got
        {
            return Err(format!(
                "record {at} (line {at}) has seq {got} where {want} was expected (records were removed or renumbered)"
            ));
        }
        next_seq = seq.map(|s| s + 1);
        let checkpoint = retention::Checkpoint::of(&value);
        match checkpoint {
            Some(cp) if at == 1 => {
                prev = cp.last_hash.clone();
                out.checkpoint = Some(cp);
            }
            Some(_) => {
                return Err(format!(
                    "record {at} (line {at}) is a retention checkpoint, which only the first line may be: the file was edited"
                ));
            }
            None => {
                prev = hash.to_owned();
                out.records += 1;
            }
        }
    }
    Ok(out)
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

    #[test]
    fn chain_continues_across_opens_and_shows_edits() {
        let dir = std::env::temp_dir().join(format!("audit-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("a.jsonl");
        let log = AuditLog::open(&path).expect("open");
        assert_eq!(log.append(&entry("a")).expect("1"), 1);
        drop(log);
        let log = AuditLog::open(&path).expect("reopen");
        assert_eq!(log.append(&entry("b")).expect("2"), 2);
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
