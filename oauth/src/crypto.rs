//! Keys, randomness and hashing: the AEAD key that seals HighLevel tokens at rest, the random
//! tokens we hand out (stored only as SHA-256 hashes), and the PKCE S256 check.
//!
//! Sealed values are XChaCha20-Poly1305 with a fresh random 24-byte nonce, stored as
//! `nonce || ciphertext`; a random nonce this long never repeats in practice, so no counter has to
//! be kept in the store. The key is 32 random bytes, written and read as unpadded base64url.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

/// Environment variable that may hold the store key (base64url, as `keygen` prints it).
pub const KEY_ENV: &str = "HIGHLEVEL_MCP_STORE_KEY";

const NONCE_LEN: usize = 24;

/// How to make a key, repeated in every key error.
const HOW_TO_MAKE_ONE: &str = "make one with `highlevel-mcp keygen --out PATH` and pass it with --store-key-file PATH (or put the printed value in HIGHLEVEL_MCP_STORE_KEY)";

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Neither a key file nor the environment variable was given.
    #[error(
        "no store key: OAuth mode keeps HighLevel tokens encrypted and needs a 32-byte key; {HOW_TO_MAKE_ONE}"
    )]
    Missing,
    /// The key file could not be read.
    #[error("cannot read the store key file {path}: {source}; {HOW_TO_MAKE_ONE}")]
    Unreadable {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The value is not 32 bytes of base64url.
    #[error(
        "the store key from {from} is not a key made by `highlevel-mcp keygen` (expected 43 base64url characters encoding 32 bytes); {HOW_TO_MAKE_ONE}"
    )]
    Malformed {
        /// Where the value came from.
        from: String,
    },
}

/// The AEAD key for secrets at rest. `Debug` never shows it.
#[derive(Clone)]
pub struct StoreKey(XChaCha20Poly1305);

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey([redacted])")
    }
}

impl StoreKey {
    /// A fresh random key and its text form (what `keygen` writes).
    pub fn generate() -> (Self, String) {
        let bytes: [u8; 32] = random_bytes();
        let text = B64.encode(bytes);
        (Self(XChaCha20Poly1305::new((&bytes).into())), text)
    }

    /// Parses the text form; `from` names the source in the error.
    pub fn parse(text: &str, from: &str) -> Result<Self, KeyError> {
        let malformed = || KeyError::Malformed {
            from: from.to_owned(),
        };
        let bytes = B64.decode(text.trim()).map_err(|_| malformed())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| malformed())?;
        Ok(Self(XChaCha20Poly1305::new((&bytes).into())))
    }

    /// Loads the key from `file` if given, else from [`KEY_ENV`].
    pub fn load(file: Option<&Path>) -> Result<Self, KeyError> {
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| KeyError::Unreadable {
                path: path.display().to_string(),
                source,
            })?;
            return Self::parse(&text, &path.display().to_string());
        }
        match std::env::var(KEY_ENV) {
            Ok(v) if !v.trim().is_empty() => Self::parse(&v, KEY_ENV),
            _ => Err(KeyError::Missing),
        }
    }

    /// Encrypts `plain`, binding it to `context` (e.g. the grant id) so a sealed value cannot be
    /// moved to another row.
    pub fn seal(&self, plain: &[u8], context: &[u8]) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = random_bytes();
        let sealed = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context,
                },
            )
            // Encryption fails only for messages beyond ~256 GiB; ours are tokens.
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts what [`StoreKey::seal`] made with the same `context`; `None` when the key or the
    /// context differs or the value was altered.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.0
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context,
                },
            )
            .ok()
    }
}

/// `N` bytes from the operating system's generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS generator failing is not something a server can carry on through.
    getrandom::fill(&mut buf).expect("the operating system's random generator failed");
    buf
}

/// A new opaque token: `prefix` then 32 random bytes in base64url (256 bits).
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", B64.encode(random_bytes::<32>()))
}

/// A short random id (grants, clients): 16 random bytes in base64url.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", B64.encode(random_bytes::<16>()))
}

/// Lower-case hex SHA-256 of `value`: how our own tokens are stored and looked up.
pub fn token_hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// Whether `verifier` answers the S256 `challenge` (RFC 7636 §4.6), in constant time.
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    use subtle::ConstantTimeEq;
    let computed = B64.encode(Sha256::digest(verifier.as_bytes()));
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

/// Whether a PKCE code verifier has the RFC 7636 §4.1 shape: 43 to 128 unreserved characters.
pub fn pkce_verifier_well_formed(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Base64url without padding (for CSRF values and sealed form fields).
pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// Inverse of [`b64`].
pub fn unb64(text: &str) -> Option<Vec<u8>> {
    B64.decode(text).ok()
}

/// Constant-time string equality (passphrases, invite codes, CSRF values).
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let (key, text) = StoreKey::generate();
        let sealed = key.seal(b"pit-secret", b"grant-1");
        assert!(!sealed.windows(10).any(|w| w == b"pit-secret"));
        assert_eq!(
            key.open(&sealed, b"grant-1").as_deref(),
            Some(&b"pit-secret"[..])
        );
        assert_eq!(key.open(&sealed, b"grant-2"), None);
        let again = StoreKey::parse(&text, "test").expect("round trip");
        assert_eq!(
            again.open(&sealed, b"grant-1").as_deref(),
            Some(&b"pit-secret"[..])
        );
        let (other, _) = StoreKey::generate();
        assert_eq!(other.open(&sealed, b"grant-1"), None);
        let mut tampered = sealed.clone();
        *tampered.last_mut().expect("non-empty") ^= 1;
        assert_eq!(key.open(&tampered, b"grant-1"), None);
        assert_eq!(format!("{key:?}"), "StoreKey([redacted])");
    }

    #[test]
    fn malformed_keys_say_how_to_make_one() {
        let err = StoreKey::parse("too-short", "KEYFILE").expect_err("malformed");
        let msg = err.to_string();
        assert!(
            msg.contains("KEYFILE") && msg.contains("highlevel-mcp keygen"),
            "{msg}"
        );
    }

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_verifier_well_formed(verifier));
        assert!(pkce_s256_matches(verifier, challenge));
        assert!(!pkce_s256_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX",
            challenge
        ));
        assert!(!pkce_verifier_well_formed("short"));
    }

    #[test]
    fn token_hash_is_hex_sha256() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(new_token("hlmcp_at_").starts_with("hlmcp_at_"));
        assert_ne!(new_token(""), new_token(""));
    }
}
