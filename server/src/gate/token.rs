//! Confirmation tokens: HMAC-SHA256 with a per-process random key over the tool, the digest of
//! the exact arguments, the principal, an expiry and a nonce; single use, tracked in memory.
//!
//! The token also carries short tags of the tool, arguments and principal (covered by the MAC)
//! so a refusal can say *which* binding failed. A restart forgets the key, so tokens issued
//! before it are refused as unknown, which is the safe side.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

const PREFIX: &str = "hlc1.";
const TAG: usize = 6;
/// Most unexpired tokens remembered as used; past it new confirmations are refused until some
/// expire (bounds memory whatever a client does).
const MAX_USED: usize = 100_000;

/// What a token is bound to.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    /// Tool name.
    pub tool: &'a str,
    /// SHA-256 hex of the canonical arguments (without `confirm`).
    pub args_sha256: &'a str,
    /// The grant's principal.
    pub principal: &'a str,
}

/// Issues and redeems tokens.
#[derive(Debug)]
pub struct Tokens {
    key: [u8; 32],
    ttl: Duration,
    used: Mutex<HashMap<[u8; 8], u64>>,
}

fn hmac(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    // RFC 2104 with SHA-256 (block size 64).
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

fn tag(s: &str) -> [u8; TAG] {
    let d = Sha256::digest(s.as_bytes());
    let mut t = [0u8; TAG];
    t.copy_from_slice(&d[..TAG]);
    t
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl Tokens {
    /// A token store with a fresh random key; fails when the OS has no randomness.
    pub fn new(ttl: Duration) -> Result<Self, String> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| format!("no randomness for the token key: {e}"))?;
        Ok(Self {
            key,
            ttl,
            used: Mutex::new(HashMap::new()),
        })
    }

    /// How long a token stays valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn mac(&self, b: &Binding<'_>, expiry: u64, nonce: &[u8; 8]) -> [u8; 32] {
        let msg = format!(
            "{}\n{}\n{}\n{expiry}\n{}",
            b.tool,
            b.args_sha256,
            b.principal,
            super::super::audit::hex(nonce)
        );
        hmac(&self.key, msg.as_bytes())
    }

    /// A token for `b`, valid for the configured time.
    pub fn issue(&self, b: &Binding<'_>) -> Result<String, String> {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| format!("no randomness for a token: {e}"))?;
        let expiry = now_ms() + (self.ttl.as_millis() as u64).max(1);
        let mut raw = Vec::with_capacity(8 + 8 + 3 * TAG + 32);
        raw.extend_from_slice(&expiry.to_be_bytes());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&tag(b.tool));
        raw.extend_from_slice(&tag(b.args_sha256));
        raw.extend_from_slice(&tag(b.principal));
        raw.extend_from_slice(&self.mac(b, expiry, &nonce));
        Ok(format!("{PREFIX}{}", super::super::audit::hex(&raw)))
    }

    /// Redeems `token` for `b` once; the error says which check failed and what to do.
    pub fn redeem(&self, token: &str, b: &Binding<'_>) -> Result<(), String> {
        let again = "call the tool again without `confirm` to get a new preview and token";
        let raw = token
            .trim()
            .strip_prefix(PREFIX)
            .and_then(unhex)
            .filter(|r| r.len() == 16 + 3 * TAG + 32)
            .ok_or_else(|| {
                format!("`confirm` is not a confirmation token from this server; {again}")
            })?;
        let expiry = u64::from_be_bytes(raw[0..8].try_into().unwrap_or_default());
        let nonce: [u8; 8] = raw[8..16].try_into().unwrap_or_default();
        let tags = &raw[16..16 + 3 * TAG];
        if tags[..TAG] != tag(b.tool) {
            return Err(format!(
                "this confirmation token was issued for another tool, not `{}`; {again}",
                b.tool
            ));
        }
        if tags[2 * TAG..] != tag(b.principal) {
            return Err(format!(
                "this confirmation token was issued to another caller (grant), not to `{}`; {again}",
                b.principal
            ));
        }
        if tags[TAG..2 * TAG] != tag(b.args_sha256) {
            return Err(format!(
                "the arguments differ from the ones previewed, so this token does not cover them; {again}"
            ));
        }
        let mac = self.mac(b, expiry, &nonce);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            &raw[16 + 3 * TAG..],
            &mac[..],
        )) {
            return Err(format!(
                "this confirmation token is not valid here (altered, or issued before the server restarted); {again}"
            ));
        }
        let now = now_ms();
        if now > expiry {
            return Err(format!(
                "this confirmation token expired {:.1} s ago (tokens last {:.0} s); {again}",
                (now - expiry) as f64 / 1000.0,
                self.ttl.as_secs_f64()
            ));
        }
        let mut used = self
            .used
            .lock()
            .map_err(|_| "confirmation tokens are unavailable; restart the server".to_owned())?;
        if used.contains_key(&nonce) {
            return Err(format!(
                "this confirmation token was already used; the write was performed once; {again} to do it again"
            ));
        }
        if used.len() >= MAX_USED {
            used.retain(|_, exp| *exp >= now);
            if used.len() >= MAX_USED {
                return Err(
                    "too many confirmations in flight; wait a few minutes and preview again".into(),
                );
            }
        }
        used.insert(nonce, expiry);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b<'a>(tool: &'a str, args: &'a str, who: &'a str) -> Binding<'a> {
        Binding {
            tool,
            args_sha256: args,
            principal: who,
        }
    }

    #[test]
    fn a_token_works_once_and_only_for_what_it_binds() {
        let t = Tokens::new(Duration::from_secs(60)).expect("tokens");
        let tok = t.issue(&b("t", "d1", "p")).expect("issue");
        assert!(
            t.redeem(&tok, &b("u", "d1", "p"))
                .unwrap_err()
                .contains("another tool")
        );
        assert!(
            t.redeem(&tok, &b("t", "d2", "p"))
                .unwrap_err()
                .contains("arguments differ")
        );
        assert!(
            t.redeem(&tok, &b("t", "d1", "q"))
                .unwrap_err()
                .contains("another caller")
        );
        assert!(
            t.redeem("nonsense", &b("t", "d1", "p"))
                .unwrap_err()
                .contains("not a confirmation")
        );
        let other = Tokens::new(Duration::from_secs(60)).expect("other key");
        assert!(
            other
                .redeem(&tok, &b("t", "d1", "p"))
                .unwrap_err()
                .contains("not valid here")
        );
        t.redeem(&tok, &b("t", "d1", "p")).expect("first use");
        assert!(
            t.redeem(&tok, &b("t", "d1", "p"))
                .unwrap_err()
                .contains("already used")
        );
        let mut flipped = tok.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).expect("utf8");
        assert!(
            t.redeem(&flipped, &b("t", "d1", "p"))
                .unwrap_err()
                .contains("not valid here")
        );
    }
}
