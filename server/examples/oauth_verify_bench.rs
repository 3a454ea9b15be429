//! Added latency of OAuth token validation per MCP call, against header mode in the same run.
//!
//! Resolves the credentials of one request the way the `/mcp` guard does, many times, in header
//! mode (`Credentials::Forward`: parse the bearer, fingerprint it) and in OAuth mode
//! (`Credentials::External`: hash the bearer, look the token and its grant up in a SQLite store,
//! check expiry, revocation and audience, unseal the HighLevel token). Prints p50/p90/p99 of each
//! and the p50 difference, which is what OAuth adds to every call. Run with
//! `cargo run --release -p server --example oauth_verify_bench [ITERATIONS]`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth::store::{GrantRecord, TokenKind, TokenRecord};
use oauth::{AuthServer, Gate, OAuthConfig, StoreKey};
use server::Credentials;
use server::oauth_mode::OAuthGrants;

fn parts(bearer: &str) -> http::request::Parts {
    http::Request::builder()
        .uri("/mcp")
        .header("authorization", format!("Bearer {bearer}"))
        .body(())
        .expect("request")
        .into_parts()
        .0
}

async fn sample(
    credentials: &Credentials,
    parts: &http::request::Parts,
    n: usize,
) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let grant = credentials
            .resolve(Some(parts), None)
            .await
            .expect("resolves");
        out.push(t.elapsed());
        std::hint::black_box(grant);
    }
    out.sort();
    out
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let dir = std::env::temp_dir().join(format!("hlmcp-oauth-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = oauth::store::open(&format!("sqlite:{}", dir.join("bench.db").display()))
        .await
        .expect("store");
    let (key, _) = StoreKey::generate();
    let gate = Gate {
        passphrase: Some("bench passphrase".into()),
        invite_codes: vec![],
    };
    let config =
        OAuthConfig::new("http://127.0.0.1:8080", "http://127.0.0.1:9", gate).expect("config");
    let server = AuthServer::new(config, store.clone(), key.clone())
        .await
        .expect("server");

    // One grant with one live access token, as the connect page and /token would leave them.
    let now = oauth::now();
    let grant_id = "g_bench".to_owned();
    store
        .put_grant(&GrantRecord {
            id: grant_id.clone(),
            client_id: "c_bench".into(),
            client_name: "bench".into(),
            resource: server.resource(),
            scope: "highlevel".into(),
            locations: vec!["loc1".into()],
            default_location: Some("loc1".into()),
            upstream_kind: "pit".into(),
            upstream_secret: key.seal(b"pit-bench-0000-0000", grant_id.as_bytes()),
            created_at: now,
            revoked_at: None,
            revoked_reason: None,
            upstream_version: 0,
            upstream_expires_at: None,
        })
        .await
        .expect("grant");
    let access = oauth::crypto::new_token("hlmcp_at_");
    store
        .put_token(&TokenRecord {
            token_hash: oauth::crypto::token_hash(&access),
            grant_id,
            kind: TokenKind::Access,
            client_id: "c_bench".into(),
            expires_at: now + 3600,
            created_at: now,
            used_at: None,
            revoked_at: None,
        })
        .await
        .expect("token");

    let header = Credentials::Forward;
    let external = Credentials::External(Arc::new(OAuthGrants::new(server)));
    let header_parts = parts("pit-bench-0000-0000");
    let oauth_parts = parts(&access);
    // Warm up both paths (connections, caches), then measure them alternately in rounds so
    // both see the same machine load.
    sample(&header, &header_parts, 2_000).await;
    sample(&external, &oauth_parts, 2_000).await;
    let (mut h, mut o) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        h.extend(sample(&header, &header_parts, n / 10).await);
        o.extend(sample(&external, &oauth_parts, n / 10).await);
    }
    h.sort();
    o.sort();
    println!("iterations per mode: {}", h.len());
    println!(
        "header mode  p50 {:>8.2} µs  p90 {:>8.2} µs  p99 {:>8.2} µs",
        pct(&h, 0.5),
        pct(&h, 0.9),
        pct(&h, 0.99)
    );
    println!(
        "oauth mode   p50 {:>8.2} µs  p90 {:>8.2} µs  p99 {:>8.2} µs",
        pct(&o, 0.5),
        pct(&o, 0.9),
        pct(&o, 0.99)
    );
    println!(
        "added by OAuth validation, p50: {:.2} µs",
        pct(&o, 0.5) - pct(&h, 0.5)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
