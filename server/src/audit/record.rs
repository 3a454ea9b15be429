//! One audit record: its fields, its byte-exact line, the argument summary and digest, and the
//! reading side (filters, CSV) used by `highlevel-mcp audit`.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// What happened to a write attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A gated call answered with a preview and a token; nothing sent.
    Previewed,
    /// A gated call with a valid token, about to be sent.
    Confirmed,
    /// Refused (bad token, bad arguments, location not allowed); nothing sent.
    Refused,
    /// `--dry-run`: validated and previewed, not sent.
    DryRun,
    /// An ungated write, about to be sent.
    Sent,
    /// What came back for an earlier `confirmed` or `sent` record.
    Outcome,
}

impl Decision {
    /// The name written in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Previewed => "previewed",
            Decision::Confirmed => "confirmed",
            Decision::Refused => "refused",
            Decision::DryRun => "dry-run",
            Decision::Sent => "sent",
            Decision::Outcome => "outcome",
        }
    }
}

/// The fields of one record, before the chain fields are added.
#[derive(Debug, Clone)]
pub struct Entry {
    /// UTC time, RFC 3339 with milliseconds.
    pub time: String,
    /// Who called (the grant's loggable principal; never a token).
    pub principal: String,
    /// Location id the call used, when any.
    pub location: Option<String>,
    /// Tool name.
    pub tool: String,
    /// HTTP method.
    pub method: String,
    /// Path and query sent (or that would have been sent).
    pub path: String,
    /// Redacted summary of the arguments ([`summarize`]).
    pub args: Value,
    /// SHA-256 of the canonical JSON of the full arguments ([`args_digest`]).
    pub args_sha256: String,
    /// What was decided.
    pub decision: Decision,
    /// Why, for refusals and failures.
    pub reason: Option<String>,
    /// What the preflight checks found (`passed: ...`, `failed: ...`, `unverified ...`);
    /// `None` when no check applied or preflight is off.
    pub preflight: Option<String>,
    /// Upstream HTTP status (outcome records), 0 when none came back.
    pub status: Option<u16>,
    /// Ids created or changed, from the path and the response.
    pub ids: Vec<String>,
    /// Time spent so far, in microseconds.
    pub duration_us: u64,
}

impl Entry {
    /// The line up to (not including) the `hash` field and closing brace; keys in a fixed order.
    pub(super) fn line_body(&self, seq: u64, prev: &str) -> String {
        let q = |s: &str| Value::String(s.to_owned()).to_string();
        let mut s = String::with_capacity(512);
        let _ = write!(
            s,
            "{{\"seq\":{seq},\"time\":{},\"prev\":\"{prev}\",\"principal\":{},\"location\":{},\"tool\":{},\"method\":{},\"path\":{},\"decision\":\"{}\",\"reason\":{},\"preflight\":{},\"status\":{},\"ids\":{},\"duration_us\":{},\"args_sha256\":\"{}\",\"args\":{}",
            q(&self.time),
            q(&self.principal),
            self.location.as_deref().map_or("null".to_owned(), q),
            q(&self.tool),
            q(&self.method),
            q(&self.path),
            self.decision.as_str(),
            self.reason.as_deref().map_or("null".to_owned(), q),
            self.preflight.as_deref().map_or("null".to_owned(), q),
            self.status.map_or("null".to_owned(), |s| s.to_string()),
            json!(self.ids),
            self.duration_us,
            self.args_sha256,
            self.args,
        );
        s
    }
}

/// SHA-256 (hex) of the arguments' canonical JSON (keys sorted): the same arguments always
/// give the same digest, whatever order the client sent them in.
pub fn args_digest(args: &Map<String, Value>) -> String {
    let text = runtime::sorted(&Value::Object(args.clone())).to_string();
    super::hex(&Sha256::digest(text.as_bytes()))
}

/// Argument names whose values are never written (secrets), and those whose content is reduced
/// to a length (message text a customer reads).
const SECRET_WORDS: [&str; 6] = [
    "token",
    "password",
    "secret",
    "authorization",
    "apikey",
    "cvv",
];
const CONTENT_WORDS: [&str; 5] = ["message", "html", "body", "text", "note"];
const MAX_TEXT: usize = 48;

/// The arguments with secrets replaced, message text reduced to its length, long strings cut
/// and long lists shortened: enough to see what a write did, not a copy of what it carried.
pub fn summarize(args: &Map<String, Value>) -> Value {
    fn walk(key: &str, v: &Value, depth: usize) -> Value {
        let k = key.to_ascii_lowercase();
        if SECRET_WORDS.iter().any(|w| k.contains(w)) {
            return json!("[redacted]");
        }
        match v {
            Value::String(s) if CONTENT_WORDS.iter().any(|w| k.contains(w)) => {
                json!(format!("[{} chars]", s.chars().count()))
            }
            Value::String(s) if s.chars().count() > MAX_TEXT => {
                let cut: String = s.chars().take(MAX_TEXT).collect();
                json!(format!("{cut}…[{} chars]", s.chars().count()))
            }
            Value::Object(_) | Value::Array(_) if depth >= 3 => json!("[…]"),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), walk(k, v, depth + 1)))
                    .collect(),
            ),
            Value::Array(a) => {
                let mut out: Vec<Value> =
                    a.iter().take(5).map(|v| walk(key, v, depth + 1)).collect();
                if a.len() > 5 {
                    out.push(json!(format!("…[{} items]", a.len())));
                }
                Value::Array(out)
            }
            other => other.clone(),
        }
    }
    walk("", &Value::Object(args.clone()), 0)
}

/// `t` as RFC 3339 UTC with milliseconds (`2026-01-31T12:00:00.000Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Which records `audit list` and `audit export` show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this tool.
    pub tool: Option<String>,
    /// Only this principal.
    pub principal: Option<String>,
    /// Only records at or after this RFC 3339 time (compared as text, both UTC).
    pub since: Option<String>,
    /// Only records before this RFC 3339 time.
    pub until: Option<String>,
}

/// The records of `all` that pass `f`.
pub fn filter(all: Vec<Value>, f: &Filter) -> Vec<Value> {
    let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    all.into_iter()
        .filter(|v| f.tool.as_ref().is_none_or(|t| field(v, "tool") == *t))
        .filter(|v| {
            f.principal
                .as_ref()
                .is_none_or(|p| field(v, "principal") == *p)
        })
        .filter(|v| f.since.as_ref().is_none_or(|s| field(v, "time") >= *s))
        .filter(|v| f.until.as_ref().is_none_or(|u| field(v, "time") < *u))
        .collect()
}

/// The CSV columns of `audit export --format csv`.
pub const CSV_COLUMNS: [&str; 15] = [
    "seq",
    "time",
    "principal",
    "location",
    "tool",
    "method",
    "path",
    "decision",
    "reason",
    "preflight",
    "status",
    "ids",
    "duration_us",
    "args_sha256",
    "hash",
];

/// `records` as CSV (RFC 4180 quoting), header first; `ids` joined with spaces.
pub fn to_csv(records: &[Value]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push('\n');
    for r in records {
        let cells: Vec<String> = CSV_COLUMNS
            .iter()
            .map(|c| {
                let text = match r.get(*c) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Array(a)) => a
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(" "),
                    Some(other) => other.to_string(),
                };
                if text.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", text.replace('"', "\"\""))
                } else {
                    text
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_hides_secrets_and_message_text() {
        let args = json!({"apiKey": "k", "message": "hello there", "id": "c1",
            "tags": ["a","b","c","d","e","f"]});
        let s = summarize(args.as_object().expect("obj"));
        assert_eq!(s["apiKey"], "[redacted]");
        assert_eq!(s["message"], "[11 chars]");
        assert_eq!(s["id"], "c1");
        assert_eq!(s["tags"].as_array().map(Vec::len), Some(6));
    }

    #[test]
    fn times_are_rfc3339_utc() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn digest_ignores_key_order() {
        let a = json!({"a": 1, "b": [1, 2]});
        let b = json!({"b": [1, 2], "a": 1});
        assert_eq!(
            args_digest(a.as_object().expect("a")),
            args_digest(b.as_object().expect("b"))
        );
    }
}
