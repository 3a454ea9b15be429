//! The store contract, run against both backends: one suite ([`contract`]) takes an opened
//! [`Store`] plus a way to open a second handle on the same data (another process, as far as
//! the store can tell), and checks every method, the one-time semantics under races, and that a
//! revocation through one handle moves the other's stamp. SQLite runs on a temporary file;
//! Postgres on a throwaway server (`oauth::test_support`), skipped with a printed reason when
//! Postgres is not installed (and failing under `CI=true`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth::store::{
    ClientRecord, CodeRecord, Consumed, GrantRecord, Store, TokenKind, TokenRecord,
};
use oauth::test_support::PostgresServer;

type Reopen = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Arc<dyn Store>>>>>;

const NOW: i64 = 1_800_000_000;

fn client(id: &str) -> ClientRecord {
    ClientRecord {
        client_id: id.into(),
        client_name: format!("Client {id}"),
        redirect_uris: vec![
            "http://127.0.0.1/callback".into(),
            "https://example.com/cb".into(),
        ],
        auth_method: "client_secret_post".into(),
        secret_hash: Some("ab".repeat(32)),
        created_at: NOW,
    }
}

fn grant(id: &str, created_at: i64) -> GrantRecord {
    GrantRecord {
        id: id.into(),
        client_id: "c1".into(),
        client_name: "Client c1".into(),
        resource: "https://mcp.example.com/mcp".into(),
        scope: "mcp:tools".into(),
        locations: vec!["locA".into(), "locB".into()],
        default_location: Some("locB".into()),
        upstream_kind: "pit".into(),
        upstream_secret: vec![0, 1, 2, 250, 251, 255],
        created_at,
        revoked_at: None,
        revoked_reason: None,
        upstream_version: 0,
        upstream_expires_at: None,
    }
}

fn token(hash: &str, grant_id: &str, kind: TokenKind, expires_at: i64) -> TokenRecord {
    TokenRecord {
        token_hash: hash.into(),
        grant_id: grant_id.into(),
        kind,
        client_id: "c1".into(),
        expires_at,
        created_at: NOW,
        used_at: None,
        revoked_at: None,
    }
}

fn code(hash: &str, grant_id: &str) -> CodeRecord {
    CodeRecord {
        code_hash: hash.into(),
        grant_id: grant_id.into(),
        client_id: "c1".into(),
        redirect_uri: "http://127.0.0.1/callback".into(),
        code_challenge: "challenge".into(),
        resource: "https://mcp.example.com/mcp".into(),
        scope: "mcp:tools".into(),
        expires_at: NOW + 60,
        used_at: None,
    }
}

/// Waits (bounded) until `other`'s stamp differs from `before`.
async fn stamp_moves(other: &Arc<dyn Store>, before: u64, what: &str) {
    let start = Instant::now();
    while other.revocation_stamp() == before {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{what}: the other handle's revocation stamp did not change within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The suite. `store` is freshly created and empty; `reopen` opens another handle on it.
async fn contract(store: Arc<dyn Store>, reopen: Reopen) {
    // Bookkeeping: the first value stays.
    assert_eq!(store.meta("key_check").await.unwrap(), None);
    store.put_meta_if_absent("key_check", "one").await.unwrap();
    store.put_meta_if_absent("key_check", "two").await.unwrap();
    assert_eq!(
        store.meta("key_check").await.unwrap().as_deref(),
        Some("one")
    );

    // Clients.
    assert_eq!(store.client_count().await.unwrap(), 0);
    store.put_client(&client("c1")).await.unwrap();
    let mut public = client("c2");
    public.secret_hash = None;
    public.auth_method = "none".into();
    store.put_client(&public).await.unwrap();
    assert!(
        store.put_client(&client("c1")).await.is_err(),
        "a second client with the same id is refused"
    );
    assert_eq!(store.client("c1").await.unwrap(), Some(client("c1")));
    assert_eq!(store.client("c2").await.unwrap(), Some(public));
    assert_eq!(store.client("nope").await.unwrap(), None);
    assert_eq!(store.client_count().await.unwrap(), 2);

    // Grants round-trip, newest first in the list, with live access-token counts.
    store.put_grant(&grant("g_old", NOW - 100)).await.unwrap();
    store.put_grant(&grant("g_new", NOW)).await.unwrap();
    assert_eq!(
        store.grant("g_new").await.unwrap(),
        Some(grant("g_new", NOW))
    );
    assert_eq!(store.grant("g_none").await.unwrap(), None);

    // HighLevel secret rotation: compare-and-swap on the version; a stale version loses.
    assert!(
        store
            .swap_upstream_secret("g_old", 0, &[9, 9], Some(NOW + 60))
            .await
            .unwrap()
    );
    assert!(
        !store
            .swap_upstream_secret("g_old", 0, &[7, 7], Some(NOW + 90))
            .await
            .unwrap(),
        "a second swap from the same version must lose"
    );
    let rotated = store.grant("g_old").await.unwrap().expect("g_old");
    assert_eq!(
        (
            rotated.upstream_secret,
            rotated.upstream_version,
            rotated.upstream_expires_at
        ),
        (vec![9, 9], 1, Some(NOW + 60))
    );
    for t in [
        token("live1", "g_new", TokenKind::Access, NOW + 3600),
        token("live2", "g_new", TokenKind::Access, NOW + 3600),
        token("expired", "g_new", TokenKind::Access, NOW - 1),
        token("refresh1", "g_new", TokenKind::Refresh, NOW + 86_400),
        token("old_live", "g_old", TokenKind::Access, NOW + 3600),
    ] {
        store.put_token(&t).await.unwrap();
    }
    let list = store.grants(NOW).await.unwrap();
    let ids: Vec<_> = list.iter().map(|s| s.grant.id.as_str()).collect();
    assert_eq!(ids, ["g_new", "g_old"]);
    assert_eq!(
        list[0].live_access_tokens, 2,
        "expired and refresh not counted"
    );
    assert_eq!(list[1].live_access_tokens, 1);
    assert_eq!(list[0].grant, grant("g_new", NOW));

    // Tokens: by hash, and the per-call join (token first, grant second).
    assert_eq!(
        store.token("refresh1").await.unwrap(),
        Some(token("refresh1", "g_new", TokenKind::Refresh, NOW + 86_400))
    );
    assert_eq!(store.token("none").await.unwrap(), None);
    let (t, g) = store.access("live1").await.unwrap().expect("access found");
    assert_eq!(t, token("live1", "g_new", TokenKind::Access, NOW + 3600));
    assert_eq!(g, grant("g_new", NOW));
    assert!(
        store.access("refresh1").await.unwrap().is_none(),
        "a refresh token is no access token"
    );

    // Codes: exactly one of many racing consumers gets it fresh; later ones see a replay.
    store.put_code(&code("code1", "g_new")).await.unwrap();
    assert!(
        store.put_code(&code("code2", "g_missing")).await.is_err(),
        "a code for a grant that does not exist is refused"
    );
    let racers = (0..16).map(|_| {
        let s = store.clone();
        tokio::spawn(async move { s.consume_code("code1", NOW + 1).await.unwrap() })
    });
    let outcomes = futures::future::join_all(racers).await;
    let fresh: Vec<_> = outcomes
        .iter()
        .filter_map(|o| match o.as_ref().unwrap() {
            Consumed::Fresh(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(fresh.len(), 1, "one racer wins the code");
    assert_eq!(fresh[0].used_at, Some(NOW + 1));
    assert_eq!(fresh[0].grant_id, "g_new");
    assert!(
        outcomes
            .iter()
            .filter(|o| matches!(o.as_ref().unwrap(), Consumed::Replayed(_)))
            .count()
            == 15
    );
    assert_eq!(
        store.consume_code("unknown", NOW).await.unwrap(),
        Consumed::Unknown
    );

    // Refresh tokens: the same, and an access token is never consumed as one.
    let racers = (0..16).map(|_| {
        let s = store.clone();
        tokio::spawn(async move { s.consume_refresh("refresh1", NOW + 2).await.unwrap() })
    });
    let outcomes = futures::future::join_all(racers).await;
    let fresh = outcomes
        .iter()
        .filter(|o| matches!(o.as_ref().unwrap(), Consumed::Fresh(t) if t.used_at == Some(NOW + 2)))
        .count();
    assert_eq!(fresh, 1, "one racer wins the refresh token");
    assert!(matches!(
        store.consume_refresh("refresh1", NOW + 3).await.unwrap(),
        Consumed::Replayed(t) if t.used_at == Some(NOW + 2)
    ));
    assert_eq!(
        store.consume_refresh("live1", NOW).await.unwrap(),
        Consumed::Unknown
    );
    assert_eq!(
        store.consume_refresh("none", NOW).await.unwrap(),
        Consumed::Unknown
    );

    // Revocations move the stamp, here and in another handle on the same data.
    let other = reopen().await;
    assert_eq!(
        other.grant("g_new").await.unwrap(),
        Some(grant("g_new", NOW)),
        "the second handle sees the same data"
    );
    let (here, there) = (store.revocation_stamp(), other.revocation_stamp());
    store.revoke_token("live2", NOW + 5).await.unwrap();
    assert_ne!(
        store.revocation_stamp(),
        here,
        "own revocation moves the stamp at once"
    );
    stamp_moves(&other, there, "revoke_token").await;
    assert_eq!(
        other.token("live2").await.unwrap().unwrap().revoked_at,
        Some(NOW + 5)
    );
    assert_eq!(
        other.token("live1").await.unwrap().unwrap().revoked_at,
        None,
        "only that token"
    );

    let (here, there) = (store.revocation_stamp(), other.revocation_stamp());
    assert!(other.revoke_grant("g_new", "test", NOW + 6).await.unwrap());
    stamp_moves(&store, here, "revoke_grant through the other handle").await;
    assert_ne!(other.revocation_stamp(), there);
    let g = store.grant("g_new").await.unwrap().unwrap();
    assert_eq!(g.revoked_at, Some(NOW + 6));
    assert_eq!(g.revoked_reason.as_deref(), Some("test"));
    let (t, g) = store.access("live1").await.unwrap().unwrap();
    assert_eq!(
        t.revoked_at,
        Some(NOW + 6),
        "the grant's tokens are revoked too"
    );
    assert_eq!(g.revoked_at, Some(NOW + 6));
    assert_eq!(
        store.token("live2").await.unwrap().unwrap().revoked_at,
        Some(NOW + 5),
        "an earlier revocation keeps its time"
    );
    assert_eq!(
        store
            .access("old_live")
            .await
            .unwrap()
            .unwrap()
            .0
            .revoked_at,
        None,
        "other grants' tokens stay"
    );
    let list = store.grants(NOW).await.unwrap();
    assert_eq!(list[0].live_access_tokens, 0);
    assert!(
        !store.revoke_grant("g_new", "again", NOW + 7).await.unwrap(),
        "revoking twice says there was no live grant"
    );
    assert!(!store.revoke_grant("g_none", "x", NOW).await.unwrap());
    assert_eq!(
        store
            .grant("g_new")
            .await
            .unwrap()
            .unwrap()
            .revoked_reason
            .as_deref(),
        Some("test"),
        "the first reason stays"
    );
}

#[tokio::test]
async fn sqlite_keeps_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("sqlite:{}", dir.path().join("grants.db").display());
    let store = oauth::store::open(&spec).await.expect("sqlite store");
    let reopen: Reopen = Box::new(move || {
        let spec = spec.clone();
        Box::pin(async move { oauth::store::open(&spec).await.expect("second handle") })
    });
    contract(store, reopen).await;
}

#[tokio::test]
async fn postgres_keeps_the_store_contract() {
    let Some(pg) = PostgresServer::start("postgres_keeps_the_store_contract") else {
        return;
    };
    let url = pg.create_database("contract").await;
    let store = oauth::store::open(&url).await.expect("postgres store");
    let reopen: Reopen = Box::new(move || {
        let url = url.clone();
        Box::pin(async move { oauth::store::open(&url).await.expect("second handle") })
    });
    contract(store, reopen).await;
}

#[tokio::test]
async fn postgres_replicas_starting_together_migrate_once() {
    let Some(pg) = PostgresServer::start("postgres_replicas_starting_together_migrate_once") else {
        return;
    };
    // `postgresql://` is accepted as well as `postgres://`.
    let url = pg
        .create_database("together")
        .await
        .replacen("postgres://", "postgresql://", 1);
    let opens = (0..3).map(|_| oauth::store::open(&url));
    let stores = futures::future::join_all(opens).await;
    for s in &stores {
        assert!(s.is_ok(), "every replica opens: {:?}", s.as_ref().err());
    }
    let a = stores[0].as_ref().unwrap();
    a.put_client(&client("c1")).await.unwrap();
    assert_eq!(stores[2].as_ref().unwrap().client_count().await.unwrap(), 1);
}

#[tokio::test]
async fn postgres_connection_errors_say_what_is_wrong_without_the_password() {
    let Some(pg) = PostgresServer::start("postgres_connection_errors") else {
        return;
    };
    let secret = "s3cret-Pa55word";
    let open_err = |url: String| async move {
        match tokio::time::timeout(Duration::from_secs(30), oauth::store::open(&url)).await {
            Ok(Ok(_)) => panic!("opening {} should fail", oauth::store::describe(&url)),
            Ok(Err(e)) => e.to_string(),
            Err(_) => panic!("opening did not fail within 30 s"),
        }
    };

    let wrong = open_err(format!(
        "postgres://{}:{secret}@127.0.0.1:{}/postgres",
        oauth::test_support::USER,
        pg.port()
    ))
    .await;
    assert!(wrong.contains("password is wrong"), "{wrong}");
    assert!(
        wrong.contains(&format!("127.0.0.1:{}", pg.port())),
        "{wrong}"
    );

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let unreachable = open_err(format!("postgres://someone:{secret}@127.0.0.1:{closed}/db")).await;
    assert!(
        unreachable.contains("cannot connect to postgres://someone@127.0.0.1"),
        "{unreachable}"
    );
    assert!(
        unreachable.contains("running and reachable"),
        "{unreachable}"
    );

    let bad = open_err(format!("postgres://someone:{secret}@127.0.0.1:notaport/db")).await;
    assert!(bad.contains("not valid"), "{bad}");
    assert!(
        bad.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
        "{bad}"
    );

    let missing_db = open_err(pg.url_for("nosuchdb")).await;
    assert!(missing_db.contains("does not exist"), "{missing_db}");

    for message in [&wrong, &unreachable, &bad, &missing_db] {
        assert!(!message.contains(secret), "the password leaked: {message}");
        assert!(
            !message.contains(pg.password()),
            "the password leaked: {message}"
        );
    }
    assert_eq!(
        oauth::store::describe(&format!("postgresql://u:{secret}@db.internal:5433/grants")),
        "postgres://u@db.internal:5433/grants"
    );
}
