//! Three `highlevel-mcp serve --auth oauth` processes sharing one Postgres store and one Redis
//! rate limiter, in front of one sandbox with its rate limit on: what a load-balanced
//! deployment relies on. A grant made through one replica works through the others; revoking
//! it (`grants revoke`, a fourth process) stops it on all of them within a bounded time; a burst
//! of 400 calls for one location spread over the replicas never makes the sandbox answer 429
//! and loses no call; killing a replica mid-burst loses no acknowledged write.
//!
//! Postgres and Redis are real servers started for the test (`oauth::test_support`,
//! `limiter::test_support`); without them the tests print `skipped: ...` (and fail under
//! `CI=true`). To keep the wall time short, the sandbox allows 300 calls per 10 s and the
//! replicas pace to 270 (HighLevel's rule with a larger budget; the 30 spare slots absorb the
//! delay between reserving a slot and the request reaching the sandbox on a loaded machine).
//! 400 calls then take two windows, about 11 s; three replicas pacing on their own would each
//! let their ~133 calls through at once and overrun the 300.

mod common;
mod replica_support;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::modern_client;
use replica_support::{BIN, Cluster, PACED_TO};
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};
use tests::{is_error, text_of};

/// One call; `Ok(text)` when it succeeded, `Err(why)` when it was refused or failed.
async fn call(client: &common::Client, tool: &str, args: Value) -> Result<String, String> {
    let Value::Object(map) = args else {
        panic!("args must be an object")
    };
    let req = client.call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(map));
    match tokio::time::timeout(Duration::from_secs(60), req).await {
        Err(_) => Err("no answer within 60 s".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(r)) if is_error(&r) => Err(text_of(&r)),
        Ok(Ok(r)) => Ok(text_of(&r)),
    }
}

async fn read_location(client: &common::Client) -> Result<String, String> {
    call(client, "locations_get-location", json!({})).await
}

#[tokio::test]
async fn a_grant_made_through_one_replica_works_on_all_and_a_revocation_stops_it_on_all() {
    let Some(mut cluster) = Cluster::start("replicas: grants and revocation").await else {
        return;
    };
    let (token, grant_id) = cluster.grant_through(0).await;
    let mut clients = Vec::new();
    for r in &cluster.replicas {
        let c = modern_client(&r.mcp(), Some(&token), &[]).await;
        let answer = read_location(&c).await;
        assert!(
            answer
                .as_ref()
                .is_ok_and(|t| t.contains(sandbox::DEMO_LOCATION_ID)),
            "the grant works through {}: {answer:?}",
            r.base
        );
        // Twice, so each replica answers the second from its cache: the revocation below must
        // reach the caches, not just the store.
        assert!(read_location(&c).await.is_ok());
        clients.push(c);
    }

    let out = Command::new(BIN)
        .args(["grants", "--store", &cluster.store, "revoke", &grant_id])
        .output()
        .expect("grants revoke runs");
    assert!(
        out.status.success(),
        "grants revoke: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let revoked = Instant::now();
    for (r, c) in cluster.replicas.iter().zip(&clients) {
        loop {
            match read_location(c).await {
                Err(_) => break,
                Ok(_) => {
                    assert!(
                        revoked.elapsed() < Duration::from_secs(3),
                        "{} still serves a grant revoked 3 s ago",
                        r.base
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
    println!(
        "revocation seen by all three replicas within {} ms",
        revoked.elapsed().as_millis()
    );

    // Readiness follows the store: ready while Postgres answers, not ready once it is gone.
    let http = cluster.http.clone();
    let readyz = move |base: String| {
        let http = http.clone();
        async move {
            let r = http
                .get(format!("{base}/readyz"))
                .send()
                .await
                .expect("readyz answers");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.expect("readyz json"))
        }
    };
    let (status, body) = readyz(cluster.replicas[1].base.clone()).await;
    assert_eq!(
        (status, &body["checks"]["store"]),
        (200, &json!("ok")),
        "{body}"
    );
    let password = cluster.pg.as_ref().map(|p| p.password().to_owned());
    drop(cluster.pg.take());
    let (status, body) = readyz(cluster.replicas[1].base.clone()).await;
    assert_eq!(status, 503, "{body}");
    assert_ne!(body["checks"]["store"], "ok", "{body}");
    assert!(
        !body.to_string().contains(&password.unwrap_or_default()),
        "the store password leaked into /readyz: {body}"
    );
}

/// Starts `n` contact creations spread round-robin over `clients`; returns, per call, the
/// replica index and either the new contact's id or why it failed.
fn burst(
    clients: &[Arc<common::Client>],
    n: usize,
    tag: &str,
    done: Arc<AtomicUsize>,
) -> Vec<tokio::task::JoinHandle<(usize, Result<String, String>)>> {
    (0..n)
        .map(|i| {
            let at = i % clients.len();
            let client = clients[at].clone();
            let done = done.clone();
            let args = json!({
                "firstName": format!("{tag}{i}"),
                "email": format!("{tag}{i}@replicas.example.com"),
            });
            tokio::spawn(async move {
                let r = call(&client, "contacts_create-contact", args)
                    .await
                    .and_then(|text| {
                        let v: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                        v["contact"]["id"]
                            .as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| format!("no contact.id in {text}"))
                    });
                done.fetch_add(1, Ordering::SeqCst);
                (at, r)
            })
        })
        .collect()
}

#[tokio::test]
async fn a_burst_over_replicas_keeps_to_the_shared_limit_and_a_killed_replica_loses_no_acknowledged_write()
 {
    let Some(mut cluster) = Cluster::start("replicas: burst and kill").await else {
        return;
    };
    let (token, _) = cluster.grant_through(0).await;
    let mut clients = Vec::new();
    for r in &cluster.replicas {
        clients.push(Arc::new(modern_client(&r.mcp(), Some(&token), &[]).await));
    }

    // 400 writes for one location over three replicas.
    let before = cluster.sandbox.state().request_count();
    let started = Instant::now();
    let calls = burst(&clients, 400, "burst", Arc::new(AtomicUsize::new(0)));
    let mut ids = Vec::new();
    for (i, h) in futures::future::join_all(calls)
        .await
        .into_iter()
        .enumerate()
    {
        let (at, r) = h.expect("call task");
        match r {
            Ok(id) => ids.push(id),
            Err(e) => panic!("call {i} through replica {at} failed: {e}"),
        }
    }
    let took = started.elapsed();
    let sent = cluster.sandbox.state().request_count() - before;
    assert_eq!(
        sent, 400,
        "one sandbox request per call: any more were 429s the replicas waited out and resent"
    );
    assert!(
        took >= Duration::from_secs(9),
        "400 calls at {PACED_TO} per 10 s need a second window, but took {took:?}: pacing is off"
    );
    for id in &ids {
        assert!(
            cluster.sandbox.state().contact(id).is_some(),
            "contact {id} is missing"
        );
    }
    println!("400 calls over 3 replicas in {took:?}, no 429");

    // Another burst; replica 2 is killed once 20 calls have answered.
    let done = Arc::new(AtomicUsize::new(0));
    let calls = burst(&clients, 150, "kill", done.clone());
    let deadline = Instant::now() + Duration::from_secs(30);
    while done.load(Ordering::SeqCst) < 20 {
        assert!(
            Instant::now() < deadline,
            "20 calls did not answer within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let victim = &mut cluster.replicas[2].proc.0;
    victim.kill().expect("kill replica 2");
    let _ = victim.wait();
    let mut acknowledged = 0;
    let mut lost_on_victim = 0;
    for h in futures::future::join_all(calls).await {
        let (at, r) = h.expect("call task");
        match r {
            Ok(id) => {
                acknowledged += 1;
                assert!(
                    cluster.sandbox.state().contact(&id).is_some(),
                    "acknowledged contact {id} (replica {at}) is missing"
                );
            }
            Err(e) if at == 2 => {
                lost_on_victim += 1;
                let _ = e;
            }
            Err(e) => panic!("a call through surviving replica {at} failed: {e}"),
        }
    }
    assert!(
        acknowledged >= 100,
        "the surviving replicas answered all of theirs"
    );
    println!(
        "kill mid-burst: {acknowledged} acknowledged (all present), {lost_on_victim} unanswered on the killed replica"
    );
}
