//! "Sign in with HighLevel" against the sandbox's emulated marketplace OAuth, over real HTTP:
//! the connect page's button, HighLevel's chooser, the callback, our tokens, and then the
//! per-call HighLevel tokens (location tokens of an agency, refresh once per expiry under 50
//! concurrent calls, a refused refresh, the token endpoint down, two replicas racing).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Harness, PASSPHRASE, REDIRECT, pkce};
use oauth::highlevel::{HighLevelApp, HlError, UserType};
use oauth::{AuthServer, StoreKey};
use sandbox::{AGENCY_LOCATION_IDS, OAuthApp, SandboxConfig};

fn query(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

async fn harness(access_ttl: Duration, margin: Duration, user_type: UserType) -> Harness {
    let mut app = OAuthApp::for_tests();
    app.access_ttl = access_ttl;
    common::start_with(
        SandboxConfig {
            oauth: Some(app),
            ..SandboxConfig::for_tests()
        },
        |c| {
            let mut hl = HighLevelApp::new(
                OAuthApp::TEST_CLIENT_ID,
                OAuthApp::TEST_CLIENT_SECRET,
                user_type,
            )
            .expect("app");
            hl.pages_base = c.upstream_base.clone();
            hl.api_base = c.upstream_base.clone();
            hl.refresh_margin = margin;
            c.highlevel = Some(hl);
        },
    )
    .await
}

/// Everything up to HighLevel's chooser: (client id, verifier, chooser URL, callback cookie).
async fn to_chooser(h: &Harness) -> (String, String, String, String) {
    let client_id = h.register_public().await;
    let (verifier, challenge) = pkce();
    let resource = format!("{}/mcp", h.base);
    let page = h
        .authorize_page(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "s1"),
            ("resource", &resource),
        ])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Sign in with HighLevel"), "button shown");
    let resp = h
        .consent(
            &page,
            &[("action", "highlevel"), ("passphrase", PASSPHRASE)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let chooser = resp.headers()["location"].to_str().unwrap().to_owned();
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("hlmcp_hl="), "{cookie}");
    assert!(
        chooser.starts_with(&format!("{}/oauth/chooselocation?", h.sandbox.base_url())),
        "{chooser}"
    );
    let q = query(&chooser);
    assert_eq!(
        q["redirect_uri"],
        format!("{}/oauth/highlevel/callback", h.base)
    );
    assert_eq!(q["client_id"], OAuthApp::TEST_CLIENT_ID);
    (client_id, verifier, chooser, cookie)
}

/// Posts the chooser's form with `choice` and returns where it redirects (our callback).
async fn choose(h: &Harness, chooser: &str, choice: &[(&str, &str)]) -> String {
    let q = query(chooser);
    let mut form: Vec<(&str, &str)> = [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
    ]
    .iter()
    .map(|k| (*k, q[*k].as_str()))
    .collect();
    form.extend_from_slice(choice);
    let resp = h
        .http
        .post(format!("{}/oauth/chooselocation", h.sandbox.base_url()))
        .form(&form)
        .send()
        .await
        .expect("chooser");
    assert_eq!(resp.status(), 303);
    resp.headers()["location"].to_str().unwrap().to_owned()
}

async fn callback(h: &Harness, url: &str, cookie: &str) -> reqwest::Response {
    h.http
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .expect("callback")
}

/// A full sign-in choosing `choice`; answers our access token's grant id and locations.
async fn sign_in(h: &Harness, choice: &[(&str, &str)]) -> (String, Vec<String>) {
    let (client_id, verifier, chooser, cookie) = to_chooser(h).await;
    let back = choose(h, &chooser, choice).await;
    let resp = callback(h, &back, &cookie).await;
    assert_eq!(
        resp.status(),
        303,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let to_client = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(to_client.starts_with(REDIRECT), "{to_client}");
    let q = query(&to_client);
    assert_eq!(q["state"], "s1");
    let (status, tokens) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("resource", &format!("{}/mcp", h.base)),
        ])
        .await;
    assert_eq!(status, 200, "{tokens}");
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    let access = h.server.verify(Some(&bearer)).await.expect("verified");
    (access.grant_id, access.locations)
}

fn agency_choice() -> Vec<(&'static str, &'static str)> {
    let mut c = vec![("decision", "approve"), ("target", "agency")];
    c.extend(AGENCY_LOCATION_IDS.iter().map(|l| ("locations", *l)));
    c
}

/// GET /contacts/ of `location` with `token`: status and the contacts' names.
async fn contacts(h: &Harness, token: &str, location: &str) -> (u16, Vec<String>) {
    let resp = h
        .http
        .get(format!(
            "{}/contacts/?locationId={location}",
            h.sandbox.base_url()
        ))
        .bearer_auth(token)
        .header("Version", "2021-07-28")
        .send()
        .await
        .expect("api");
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    let names = body["contacts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["contactName"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (status, names)
}

#[tokio::test]
async fn an_agency_signs_in_and_each_location_gets_its_own_token() {
    let h = harness(
        Duration::from_secs(3600),
        Duration::from_secs(60),
        UserType::Company,
    )
    .await;
    let (grant, locations) = sign_in(&h, &agency_choice()).await;
    assert_eq!(locations, AGENCY_LOCATION_IDS);
    let stored = h.server.store().grant(&grant).await.unwrap().unwrap();
    assert_eq!(stored.upstream_kind, "hl-company");
    assert!(stored.upstream_expires_at.is_some());
    let mut seen = Vec::new();
    for loc in AGENCY_LOCATION_IDS {
        let token = h
            .server
            .highlevel_token(&grant, Some(loc))
            .await
            .expect("token");
        let (status, names) = contacts(&h, &token, loc).await;
        assert_eq!(status, 200);
        assert!(!names.is_empty());
        seen.push((token, names));
    }
    assert_ne!(
        seen[0].1, seen[1].1,
        "switching location shows different records"
    );
    // A location token is only good for its own location.
    let (status, _) = contacts(&h, &seen[0].0, AGENCY_LOCATION_IDS[1]).await;
    assert_eq!(status, 403);
    // Cached: asking again gives the same token without another location-token call.
    let again = h
        .server
        .highlevel_token(&grant, Some(AGENCY_LOCATION_IDS[0]))
        .await
        .unwrap();
    assert_eq!(again, seen[0].0);
}

#[tokio::test]
async fn a_location_outside_the_install_is_refused_with_highlevels_reason() {
    let h = harness(
        Duration::from_secs(3600),
        Duration::from_secs(60),
        UserType::Company,
    )
    .await;
    let (grant, locations) = sign_in(
        &h,
        &[
            ("decision", "approve"),
            ("target", "agency"),
            ("locations", AGENCY_LOCATION_IDS[0]),
        ],
    )
    .await;
    assert_eq!(locations, [AGENCY_LOCATION_IDS[0]]);
    let err = h
        .server
        .highlevel_token(&grant, Some(AGENCY_LOCATION_IDS[2]))
        .await
        .expect_err("not installed there");
    assert!(matches!(err, HlError::Location { .. }), "{err:?}");
    assert!(err.to_string().contains("not installed"), "{err}");
}

#[tokio::test]
async fn a_sub_account_sign_in_holds_a_location_token() {
    let h = harness(
        Duration::from_secs(3600),
        Duration::from_secs(60),
        UserType::Location,
    )
    .await;
    let loc = AGENCY_LOCATION_IDS[1];
    let (grant, locations) = sign_in(&h, &[("decision", "approve"), ("target", loc)]).await;
    assert_eq!(locations, [loc]);
    let token = h.server.highlevel_token(&grant, Some(loc)).await.unwrap();
    assert_eq!(contacts(&h, &token, loc).await.0, 200);
    let err = h
        .server
        .highlevel_token(&grant, Some(AGENCY_LOCATION_IDS[0]))
        .await
        .expect_err("another sub-account");
    assert!(matches!(err, HlError::Location { .. }));
}

#[tokio::test]
async fn cancelling_on_highlevel_returns_access_denied_to_the_client() {
    let h = harness(
        Duration::from_secs(3600),
        Duration::from_secs(60),
        UserType::Company,
    )
    .await;
    let (_, _, chooser, cookie) = to_chooser(&h).await;
    let back = choose(&h, &chooser, &[("decision", "cancel")]).await;
    let resp = callback(&h, &back, &cookie).await;
    assert_eq!(resp.status(), 303);
    let q = query(resp.headers()["location"].to_str().unwrap());
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "s1");
    assert!(q["error_description"].contains("HighLevel"));
}

#[tokio::test]
async fn a_refused_code_a_forged_callback_and_a_missing_cookie_get_pages() {
    let h = harness(
        Duration::from_secs(3600),
        Duration::from_secs(60),
        UserType::Company,
    )
    .await;
    let (_, _, chooser, cookie) = to_chooser(&h).await;
    let state = query(&chooser)["state"].clone();
    let mut url = url::Url::parse(&format!("{}/oauth/highlevel/callback", h.base)).unwrap();
    url.query_pairs_mut()
        .append_pair("code", "sbxcode-not-issued")
        .append_pair("state", &state);
    let resp = callback(&h, url.as_str(), &cookie).await;
    assert_eq!(resp.status(), 400);
    let body = resp.text().await.unwrap();
    assert!(body.contains("HighLevel refused the sign-in"), "{body}");
    assert!(
        body.contains("invalid"),
        "HighLevel's reason is shown: {body}"
    );

    let resp = callback(&h, url.as_str(), "hlmcp_hl=wrong").await;
    assert_eq!(resp.status(), 403);

    let forged = format!("{}/oauth/highlevel/callback?code=x&state=made-up", h.base);
    let resp = callback(&h, &forged, &cookie).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn fifty_concurrent_calls_across_an_expiry_cause_one_refresh() {
    // Tokens live 3 s and are refreshed 2 s ahead: one second after sign-in they are due.
    let h = Arc::new(
        harness(
            Duration::from_secs(3),
            Duration::from_secs(2),
            UserType::Company,
        )
        .await,
    );
    let (grant, _) = sign_in(&h, &agency_choice()).await;

    let round = |h: Arc<Harness>, grant: String| async move {
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let (h, grant) = (h.clone(), grant.clone());
                tokio::spawn(async move {
                    let loc = AGENCY_LOCATION_IDS[i % 3];
                    let started = Instant::now();
                    let token = h.server.highlevel_token(&grant, Some(loc)).await;
                    let waited = started.elapsed();
                    let token = token.expect("a token for every call");
                    let (status, _) = contacts(&h, &token, loc).await;
                    assert_eq!(status, 200, "call {i} succeeds");
                    waited
                })
            })
            .collect();
        let mut waits = Vec::new();
        for t in tasks {
            waits.push(t.await.expect("task"));
        }
        waits.sort();
        waits
    };
    // Warm: location tokens cached, no refresh due yet.
    let warm = round(h.clone(), grant.clone()).await;
    assert_eq!(h.sandbox.state().oauth_refreshes(), 0);
    let steady = round(h.clone(), grant.clone()).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let across = round(h.clone(), grant.clone()).await;
    assert_eq!(
        h.sandbox.state().oauth_refreshes(),
        1,
        "exactly one refresh for 50 calls"
    );
    let stored = h.server.store().grant(&grant).await.unwrap().unwrap();
    assert_eq!(stored.upstream_version, 1, "one compare-and-swap");
    let p = |w: &[Duration], q: f64| w[((w.len() - 1) as f64 * q) as usize];
    println!(
        "token wait per call (50 concurrent, sandbox on loopback): first round (3 location tokens) p50 {:?} max {:?}; steady p50 {:?} max {:?}; across the expiry (1 refresh + 3 location tokens) p50 {:?} max {:?}",
        p(&warm, 0.5),
        p(&warm, 1.0),
        p(&steady, 0.5),
        p(&steady, 1.0),
        p(&across, 0.5),
        p(&across, 1.0)
    );
}

#[tokio::test]
async fn token_endpoint_down_keeps_the_grant_and_a_refused_refresh_asks_to_reconnect() {
    let h = harness(
        Duration::from_secs(2),
        Duration::from_secs(2),
        UserType::Location,
    )
    .await;
    let loc = AGENCY_LOCATION_IDS[0];
    let (grant, _) = sign_in(&h, &[("decision", "approve"), ("target", loc)]).await;
    // Always due (margin = lifetime): every call wants a refresh.
    h.sandbox.state().set_token_endpoint_down(true);
    let err = h
        .server
        .highlevel_token(&grant, Some(loc))
        .await
        .unwrap_err();
    assert!(matches!(err, HlError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("connection is kept"), "{err}");
    h.sandbox.state().set_token_endpoint_down(false);
    let token = h
        .server
        .highlevel_token(&grant, Some(loc))
        .await
        .expect("recovers");
    assert_eq!(contacts(&h, &token, loc).await.0, 200);
    assert_eq!(h.sandbox.state().oauth_refreshes(), 1);

    h.sandbox.state().revoke_oauth_installs();
    let err = h
        .server
        .highlevel_token(&grant, Some(loc))
        .await
        .unwrap_err();
    assert!(matches!(err, HlError::NeedsReconnect(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("Reconnect") && text.contains("Sign in with HighLevel"),
        "{text}"
    );
    assert!(
        !text.contains("sbxrt-") && !text.contains("sbxat-"),
        "no token in {text}"
    );
    // Marked in the store: the next call answers without asking HighLevel again (were it
    // asked, the endpoint being down would make it "unavailable" instead).
    h.sandbox.state().set_token_endpoint_down(true);
    let again = h
        .server
        .highlevel_token(&grant, Some(loc))
        .await
        .unwrap_err();
    assert!(matches!(again, HlError::NeedsReconnect(_)), "{again:?}");
    let stored = h.server.store().grant(&grant).await.unwrap().unwrap();
    assert!(
        stored.revoked_at.is_none(),
        "the grant is kept, marked, not deleted"
    );
}

#[tokio::test]
async fn two_replicas_racing_at_expiry_refresh_once_and_both_keep_working() {
    let h = harness(
        Duration::from_secs(3),
        Duration::from_secs(2),
        UserType::Location,
    )
    .await;
    let loc = AGENCY_LOCATION_IDS[2];
    let (grant, _) = sign_in(&h, &[("decision", "approve"), ("target", loc)]).await;
    // A second replica: same store file, same key, its own process state.
    let store = oauth::store::open(&format!("sqlite:{}", h.store_path.display()))
        .await
        .expect("store");
    let key = StoreKey::parse(&h.key_text, "test").expect("key");
    let other = AuthServer::new(h.server.config().clone(), store, key)
        .await
        .expect("replica");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (a, b) = tokio::join!(
        h.server.highlevel_token(&grant, Some(loc)),
        other.highlevel_token(&grant, Some(loc)),
    );
    let (a, b) = (a.expect("replica 1"), b.expect("replica 2"));
    assert_eq!(a, b, "both use the pair that won");
    assert_eq!(h.sandbox.state().oauth_refreshes(), 1);
    assert_eq!(contacts(&h, &a, loc).await.0, 200);
}

#[tokio::test]
async fn no_token_shows_in_the_servers_debug_output() {
    let h = harness(
        Duration::from_secs(3600),
        Duration::from_secs(60),
        UserType::Company,
    )
    .await;
    let (grant, _) = sign_in(&h, &agency_choice()).await;
    let token = h
        .server
        .highlevel_token(&grant, Some(AGENCY_LOCATION_IDS[0]))
        .await
        .unwrap();
    let debug = format!("{:?}", h.server);
    assert!(!debug.contains(&token), "a location token in {debug}");
    assert!(
        !debug.contains("sbxat-") && !debug.contains("sbxrt-"),
        "{debug}"
    );
    assert!(!debug.contains(OAuthApp::TEST_CLIENT_SECRET), "{debug}");
}
