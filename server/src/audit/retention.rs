//! Retention (`--audit-retention-days N`): at start-up, records older than N days are removed
//! from the front of the audit log and replaced by one checkpoint line, so the file stays
//! verifiable.
//!
//! Kept records are copied byte for byte, so their hashes and `prev` links do not change. The
//! first kept record's `prev` is the hash of the last removed one; the checkpoint carries that
//! hash (`last_hash`) and the removed range (`pruned`, `first_seq`, `seq` = the last removed
//! seq, `last_time`, `cutoff`), and is itself hashed like a record (starting from the genesis
//! hash). [`super::verify`] accepts a checkpoint only as the first line, checks its hash and
//! continues the chain from its `last_hash`, so an edited record, an edited checkpoint or a
//! removed checkpoint still fails verification, and `audit verify` reports what was pruned.
//!
//! Like the chain, the checkpoint is unkeyed: it shows edits, not a rewrite by someone who
//! recomputes every hash. A log that does not verify is never pruned (pruning would hide the
//! bad record inside the checkpoint); the server then starts with the log as it is and says why.
//! The file is rewritten through a temporary file and a rename, so a crash leaves either the old
//! or the new file. Only one process may write an audit file (as for appending).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::{GENESIS, rfc3339, split_hash};

/// The `decision` of a checkpoint line.
pub const CHECKPOINT: &str = "checkpoint";

/// What a checkpoint says was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Records removed so far (all prunes together).
    pub pruned: u64,
    /// Seq of the first removed record.
    pub first_seq: u64,
    /// Seq of the last removed record; the next record's seq is one more.
    pub seq: u64,
    /// Time of the last removed record.
    pub last_time: String,
    /// Records before this time were removed.
    pub cutoff: String,
    /// Hash of the last removed record: the next record's `prev`.
    pub last_hash: String,
}

impl Checkpoint {
    /// The checkpoint of a parsed line, when it is one.
    pub fn of(v: &Value) -> Option<Self> {
        if v.get("decision").and_then(Value::as_str) != Some(CHECKPOINT) {
            return None;
        }
        let n = |k: &str| v.get(k).and_then(Value::as_u64);
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            pruned: n("pruned")?,
            first_seq: n("first_seq")?,
            seq: n("seq")?,
            last_time: s("last_time")?,
            cutoff: s("cutoff")?,
            last_hash: s("last_hash")?,
        })
    }

    /// The checkpoint's line (hash included, newline excluded).
    fn line(&self, now: &str) -> String {
        let q = |s: &str| Value::String(s.to_owned()).to_string();
        let body = format!(
            "{{\"seq\":{},\"time\":{},\"prev\":\"{GENESIS}\",\"decision\":\"{CHECKPOINT}\",\"pruned\":{},\"first_seq\":{},\"last_time\":{},\"cutoff\":{},\"last_hash\":{}",
            self.seq,
            q(now),
            self.pruned,
            self.first_seq,
            q(&self.last_time),
            q(&self.cutoff),
            q(&self.last_hash),
        );
        let hash = super::body_hash(&body);
        format!("{body},\"hash\":\"{hash}\"}}")
    }
}

/// Removes the records of the log at `path` whose `time` is before `cutoff` (RFC 3339 UTC, as
/// the records hold it) from the front of the file; returns how many were removed. Stops at the
/// first record at or after `cutoff`, so a record out of time order is kept with what follows.
pub fn prune(path: &Path, cutoff: &str) -> Result<usize, String> {
    if !path.is_file() {
        return Ok(0);
    }
    super::verify(path).map_err(|e| {
        format!(
            "the audit log {} was not pruned because it does not verify ({e}); pruning would hide that record: keep the file as evidence, move it aside, and start again",
            path.display()
        )
    })?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the audit log {}: {e}", path.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let parsed = |l: &str| serde_json::from_str::<Value>(l).ok();
    let old = lines
        .first()
        .and_then(|l| parsed(l))
        .and_then(|v| Checkpoint::of(&v));
    let records = &lines[usize::from(old.is_some())..];
    let mut removed = 0;
    let mut last: Option<Value> = None;
    for line in records {
        let Some(v) = parsed(line) else { break };
        if v.get("time")
            .and_then(Value::as_str)
            .is_none_or(|t| t >= cutoff)
        {
            break;
        }
        last = Some(v);
        removed += 1;
    }
    let Some(last) = last else {
        return Ok(0);
    };
    let first_seq = match &old {
        Some(c) => c.first_seq,
        None => parsed(records[0])
            .and_then(|v| v.get("seq").and_then(Value::as_u64))
            .unwrap_or(1),
    };
    let field = |k: &str| last.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let checkpoint = Checkpoint {
        pruned: old.as_ref().map_or(0, |c| c.pruned) + removed as u64,
        first_seq,
        seq: last.get("seq").and_then(Value::as_u64).unwrap_or(0),
        last_time: field("time"),
        cutoff: cutoff.to_owned(),
        last_hash: split_hash(records[removed - 1])
            .map(|(_, h)| h.to_owned())
            .unwrap_or_default(),
    };
    let mut out = checkpoint.line(&rfc3339(SystemTime::now()));
    out.push('\n');
    for line in &records[removed..] {
        out.push_str(line);
        out.push('\n');
    }
    replace(path, out.as_bytes())?;
    Ok(removed)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`.
fn replace(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".pruning");
    let tmp = std::path::PathBuf::from(tmp);
    let fail = |e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        format!(
            "cannot rewrite the audit log {} while pruning: {e}; it was left as it was",
            path.display()
        )
    };
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(fail)?;
    f.write_all(bytes).map_err(fail)?;
    f.sync_all().map_err(fail)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(fail)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Prunes records older than `keep` at start-up; never stops the start (a log that cannot be
/// pruned is kept whole and the reason logged).
pub fn prune_at_start(path: &Path, keep: Duration) {
    let cutoff = rfc3339(
        SystemTime::now()
            .checked_sub(keep)
            .unwrap_or(SystemTime::UNIX_EPOCH),
    );
    match prune(path, &cutoff) {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            removed = n,
            cutoff = %cutoff,
            path = %path.display(),
            "audit retention: pruned old records behind a checkpoint"
        ),
        Err(e) => tracing::error!("audit retention: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AuditLog, Decision, Entry, verify, verify_detail};
    use super::*;

    /// Runs an append to its end (a file append never waits, but the method is async).
    fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    fn entry(time: &str, tool: &str) -> Entry {
        Entry {
            time: time.into(),
            principal: "server".into(),
            location: Some("L1".into()),
            tool: tool.into(),
            method: "POST".into(),
            path: "/x".into(),
            args: serde_json::json!({"n": tool}),
            args_sha256: "ab".into(),
            decision: Decision::Sent,
            reason: None,
            preflight: None,
            status: None,
            ids: vec![],
            duration_us: 1,
        }
    }

    fn log_with(name: &str, times: &[&str]) -> (std::path::PathBuf, tempdir::Dir) {
        let dir = tempdir::Dir::new(name);
        let path = dir.0.join("audit.jsonl");
        let log = AuditLog::open(&path).expect("open");
        for (i, t) in times.iter().enumerate() {
            block_on(log.append(&entry(t, &format!("t{}", i + 1)))).expect("append");
        }
        (path, dir)
    }

    mod tempdir {
        /// A folder removed when dropped.
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new(name: &str) -> Self {
                let p = std::env::temp_dir()
                    .join(format!("audit-retention-{}-{name}", std::process::id()));
                let _ = std::fs::remove_dir_all(&p);
                std::fs::create_dir_all(&p).expect("dir");
                Self(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    const OLD: [&str; 5] = [
        "2020-01-01T00:00:00.000Z",
        "2020-01-02T00:00:00.000Z",
        "2020-01-03T00:00:00.000Z",
        "2030-01-01T00:00:00.000Z",
        "2030-01-02T00:00:00.000Z",
    ];

    #[test]
    fn pruned_logs_still_verify_and_keep_their_records_byte_for_byte() {
        let (path, _dir) = log_with("keep", &OLD);
        let before = std::fs::read_to_string(&path).expect("read");
        assert_eq!(prune(&path, "2025-01-01T00:00:00.000Z"), Ok(3));
        let after = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = after.lines().collect();
        assert_eq!(lines.len(), 3, "{after}");
        assert_eq!(lines[1..], before.lines().collect::<Vec<_>>()[3..]);
        let cp = Checkpoint::of(&serde_json::from_str(lines[0]).expect("json")).expect("cp");
        assert_eq!((cp.pruned, cp.first_seq, cp.seq), (3, 1, 3));
        assert_eq!(cp.last_time, OLD[2]);
        let detail = verify_detail(&path).expect("verifies");
        assert_eq!(detail.records, 2);
        assert_eq!(detail.checkpoint, Some(cp));
        // Nothing older left: a second prune changes nothing.
        assert_eq!(prune(&path, "2025-01-01T00:00:00.000Z"), Ok(0));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), after);
        // The chain continues from the kept records after a reopen.
        let log = AuditLog::open(&path).expect("reopen");
        assert_eq!(
            block_on(log.append(&entry("2030-01-03T00:00:00.000Z", "t6"))).expect("6"),
            6
        );
        assert_eq!(verify(&path), Ok(3));
    }

    #[test]
    fn a_second_prune_merges_the_checkpoints_and_an_empty_tail_keeps_the_chain() {
        let (path, _dir) = log_with("merge", &OLD);
        assert_eq!(prune(&path, "2020-01-02T12:00:00.000Z"), Ok(2));
        assert_eq!(prune(&path, "2031-01-01T00:00:00.000Z"), Ok(3));
        let cp = verify_detail(&path).expect("ok").checkpoint.expect("cp");
        assert_eq!((cp.pruned, cp.first_seq, cp.seq), (5, 1, 5));
        assert_eq!(verify(&path), Ok(0));
        let log = AuditLog::open(&path).expect("reopen");
        assert_eq!(
            block_on(log.append(&entry("2031-02-01T00:00:00.000Z", "t6"))).expect("6"),
            6
        );
        assert_eq!(verify(&path), Ok(1));
    }

    #[test]
    fn edits_after_a_prune_are_still_found() {
        let (path, _dir) = log_with("tamper", &OLD);
        prune(&path, "2025-01-01T00:00:00.000Z").expect("prune");
        let good = std::fs::read_to_string(&path).expect("read");
        let cases: [(&str, String); 4] = [
            (
                "a kept record",
                good.replacen("\"n\":\"t5\"", "\"n\":\"t9\"", 1),
            ),
            (
                "the checkpoint",
                good.replacen("\"pruned\":3", "\"pruned\":1", 1),
            ),
            ("the checkpoint's link", {
                let h = good.split("\"last_hash\":\"").nth(1).expect("h")[..64].to_owned();
                good.replacen(&h, &"f".repeat(64), 1)
            }),
            (
                "no checkpoint",
                good.lines().skip(1).map(|l| format!("{l}\n")).collect(),
            ),
        ];
        for (what, text) in cases {
            assert_ne!(text, good, "{what}: the edit applies");
            std::fs::write(&path, &text).expect("write");
            let err = verify(&path).expect_err(what);
            assert!(err.starts_with("record "), "{what}: {err}");
            // A log that does not verify is never pruned.
            let refused = prune(&path, "2031-01-01T00:00:00.000Z").expect_err(what);
            assert!(refused.contains("was not pruned"), "{refused}");
            assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
        }
        // A checkpoint anywhere but the first line is an edit.
        let lines: Vec<&str> = good.lines().collect();
        std::fs::write(&path, format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2])).expect("w");
        assert!(verify(&path).is_err());
    }
}
