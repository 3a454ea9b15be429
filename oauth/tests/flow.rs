//! The OAuth flow end to end over HTTP (no browser): discovery, registration, the connect page,
//! consent with the token checked against the sandbox, token exchange, refresh rotation, the
//! per-call check, and every way it must fail closed.

mod common;

use common::{PASSPHRASE, REDIRECT, pkce, start};
use serde_json::Value;

#[tokio::test]
async fn discovery_documents_point_at_each_other() {
    let h = start(|_| {}).await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let prm: Value = h
            .http
            .get(format!("{}{path}", h.base))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(prm["resource"], format!("{}/mcp", h.base));
        assert_eq!(prm["authorization_servers"][0], h.base);
    }
    let asm: Value = h
        .http
        .get(format!("{}/.well-known/oauth-authorization-server", h.base))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(asm["issuer"], h.base);
    assert_eq!(
        asm["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(asm["token_endpoint"], format!("{}/token", h.base));
    assert_eq!(asm["client_id_metadata_document_supported"], true);
}

#[tokio::test]
async fn a_full_flow_yields_a_token_that_unlocks_the_pasted_pit_and_rotates() {
    let h = start(|_| {}).await;
    let (client_id, tokens) = h.tokens().await;
    let access = tokens["access_token"].as_str().expect("access");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    assert_eq!(tokens["token_type"], "Bearer");
    let got = h
        .server
        .verify(Some(&format!("Bearer {access}")))
        .await
        .expect("verified");
    assert_eq!(got.upstream_token, "pit-test-token");
    assert_eq!(got.locations, vec![sandbox::DEMO_LOCATION_ID.to_owned()]);
    assert!(!format!("{got:?}").contains("pit-test-token"));

    // The store holds neither our tokens nor the PIT in the clear.
    let raw = std::fs::read(&h.store_path).expect("db");
    let wal = std::fs::read(h.store_path.with_extension("db-wal")).unwrap_or_default();
    for bytes in [&raw, &wal] {
        for secret in [access, refresh, "pit-test-token"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} found in the store"
            );
        }
    }

    // Refresh rotates: the new pair works, the old refresh token is spent.
    let (status, new) = h
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &client_id),
        ])
        .await;
    assert_eq!(status, 200, "{new}");
    let new_access = new["access_token"].as_str().expect("access");
    assert_ne!(new_access, access);
    assert!(
        h.server
            .verify(Some(&format!("Bearer {new_access}")))
            .await
            .is_ok()
    );

    // Replaying the spent refresh token revokes the whole grant.
    let (status, err) = h
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &client_id),
        ])
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_grant")),
        "{err}"
    );
    let refused = h
        .server
        .verify(Some(&format!("Bearer {new_access}")))
        .await
        .expect_err("revoked");
    assert_eq!(refused.status, 401);
    assert!(
        refused.www_authenticate.contains("invalid_token"),
        "{}",
        refused.www_authenticate
    );
    let (status, _) = h
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", new["refresh_token"].as_str().expect("rt")),
            ("client_id", &client_id),
        ])
        .await;
    assert_eq!(status, 400, "the rotated refresh token dies with the grant");
}

#[tokio::test]
async fn a_reused_code_revokes_what_it_issued() {
    let h = start(|_| {}).await;
    let (client_id, code, verifier) = h.code("st").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, first) = h.token(&form).await;
    assert_eq!(status, 200, "{first}");
    let (status, second) = h.token(&form).await;
    assert_eq!(
        (status, second["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let access = first["access_token"].as_str().expect("at");
    assert!(
        h.server
            .verify(Some(&format!("Bearer {access}")))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_wrong_verifier_client_or_resource_is_invalid() {
    let h = start(|_| {}).await;
    let (client_id, code, _) = h.code("st").await;
    let (other_verifier, _) = ("x".repeat(50), ());
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &client_id),
            ("code_verifier", &other_verifier),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .expect("d")
            .contains("code_verifier")
    );

    let (client_id, code, verifier) = h.code("st").await;
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &client_id),
            ("code_verifier", &verifier),
            ("resource", "https://elsewhere.example/mcp"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target")),
        "{body}"
    );

    let (_, code, verifier) = h.code("st").await;
    let other = h.register_public().await;
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &other),
            ("code_verifier", &verifier),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );

    let (status, body) = h
        .token(&[("grant_type", "password"), ("client_id", &other)])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, body) = h
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", "nobody"),
            ("refresh_token", "x"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn an_unregistered_redirect_gets_a_page_never_a_redirect() {
    let h = start(|_| {}).await;
    let client_id = h.register_public().await;
    let (_, challenge) = pkce();
    for redirect in [
        "https://evil.example/callback",
        "http://127.0.0.1:45999/other",
    ] {
        let page = h
            .authorize_page(&[
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", redirect),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
            .await;
        assert_eq!(page.status, 400);
        assert!(page.location.is_none());
        assert!(page.body.contains("not registered"), "{}", page.body);
    }
    let page = h
        .authorize_page(&[
            ("response_type", "code"),
            ("client_id", "c_unknown"),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());
    // A loopback redirect on another port is the same registration (RFC 8252 §7.3).
    let page = h
        .authorize_page(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "http://127.0.0.1:50123/callback"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
}

#[tokio::test]
async fn request_errors_after_the_redirect_check_go_back_with_rfc_codes() {
    let h = start(|_| {}).await;
    let client_id = h.register_public().await;
    let (_, challenge) = pkce();
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("response_type", "code")], "invalid_request"),
        (
            &[
                ("response_type", "code"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            &[
                ("response_type", "token"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
            "unsupported_response_type",
        ),
        (
            &[
                ("response_type", "code"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("resource", "https://other.example/mcp"),
            ],
            "invalid_target",
        ),
    ];
    for (extra, code) in cases {
        let mut q = vec![
            ("client_id", client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("state", "xyz"),
        ];
        q.extend_from_slice(extra);
        let page = h.authorize_page(&q).await;
        assert_eq!(page.status, 303, "{code}: {}", page.body);
        let loc = page.location.expect("redirect");
        assert!(loc.starts_with(REDIRECT), "{loc}");
        assert!(
            loc.contains(&format!("error={code}")) && loc.contains("state=xyz"),
            "{loc}"
        );
    }
}

#[tokio::test]
async fn the_connect_page_refuses_bad_passphrases_tokens_and_forged_posts() {
    let h = start(|_| {}).await;
    let client_id = h.register_public().await;
    let (_, challenge) = pkce();
    let page = h
        .authorize_page(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "s"),
        ])
        .await;
    assert!(
        page.body.contains("Test Client") && page.body.contains("127.0.0.1:45999"),
        "{}",
        page.body
    );
    assert!(page.cookie.starts_with("hlmcp_csrf="));

    let wrong = h
        .consent(
            &page,
            &[
                ("action", "connect"),
                ("passphrase", "guess"),
                ("pit", "pit-x"),
                ("locations", sandbox::DEMO_LOCATION_ID),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 403);
    let body = wrong.text().await.expect("body");
    assert!(
        body.contains("not right") && !body.contains("pit-x"),
        "{body}"
    );

    let unknown_location = h
        .consent(
            &page,
            &[
                ("action", "connect"),
                ("passphrase", PASSPHRASE),
                ("pit", "pit-x"),
                ("locations", "noSuchLocation"),
            ],
        )
        .await;
    assert_eq!(unknown_location.status(), 400);
    let body = unknown_location.text().await.expect("body");
    assert!(
        body.contains("noSuchLocation") && body.contains("no location"),
        "{body}"
    );

    // Without the cookie (a cross-site post) nothing happens.
    let forged = h
        .http
        .post(format!("{}/authorize", h.base))
        .form(&[
            ("request", page.request.as_str()),
            ("action", "connect"),
            ("passphrase", PASSPHRASE),
            ("pit", "pit-x"),
            ("locations", sandbox::DEMO_LOCATION_ID),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 403);

    // An invite code admits too; cancel goes back with access_denied.
    let cancel = h.consent(&page, &[("action", "cancel")]).await;
    assert_eq!(cancel.status(), 303);
    assert!(
        cancel.headers()["location"]
            .to_str()
            .expect("t")
            .contains("error=access_denied")
    );
    let ok = h
        .consent(
            &page,
            &[
                ("action", "connect"),
                ("passphrase", "invite-1"),
                ("pit", "pit-x"),
                ("locations", sandbox::DEMO_LOCATION_ID),
            ],
        )
        .await;
    assert_eq!(ok.status(), 303);
}

#[tokio::test]
async fn tokens_for_another_resource_and_revoked_tokens_fail_closed() {
    let h = start(|_| {}).await;
    let (client_id, tokens) = h.tokens().await;
    let access = tokens["access_token"].as_str().expect("at");
    // The same store behind another public URL: the audience no longer matches.
    let store = oauth::store::open(&format!("sqlite:{}", h.store_path.display()))
        .await
        .expect("store");
    let key = oauth::StoreKey::parse(&h.key_text, "test").expect("key");
    let config = oauth::OAuthConfig::new(
        "https://other.example",
        &h.sandbox.base_url(),
        oauth::Gate {
            passphrase: Some("p".into()),
            invite_codes: vec![],
        },
    )
    .expect("config");
    let other = oauth::AuthServer::new(config, store, key)
        .await
        .expect("server");
    let refused = other
        .verify(Some(&format!("Bearer {access}")))
        .await
        .expect_err("audience");
    assert!(
        refused
            .www_authenticate
            .contains("https://other.example/.well-known/oauth-protected-resource/mcp")
    );
    assert!(
        refused.message.contains("another resource"),
        "{}",
        refused.message
    );

    let none = h.server.verify(None).await.expect_err("no token");
    assert!(
        !none.www_authenticate.contains("error="),
        "{}",
        none.www_authenticate
    );
    assert!(
        none.www_authenticate.contains("resource_metadata=")
            && none.www_authenticate.contains("scope=\"highlevel\"")
    );

    // RFC 7009: the client revokes its refresh token, which ends the grant.
    let resp = h
        .http
        .post(format!("{}/revoke", h.base))
        .form(&[
            ("token", tokens["refresh_token"].as_str().expect("rt")),
            ("client_id", client_id.as_str()),
        ])
        .send()
        .await
        .expect("revoke");
    assert_eq!(resp.status(), 200);
    assert!(
        h.server
            .verify(Some(&format!("Bearer {access}")))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn confidential_clients_authenticate_with_their_secret() {
    let h = start(|_| {}).await;
    let resp = h
        .register(
            serde_json::json!({"client_name": "Conf", "redirect_uris": ["https://app.example/cb"]}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["token_endpoint_auth_method"], "client_secret_basic");
    let id = v["client_id"].as_str().expect("id");
    let (status, body) = h
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", id),
            ("refresh_token", "x"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = h
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", id),
            ("client_secret", v["client_secret"].as_str().expect("s")),
            ("refresh_token", "x"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "authenticated, then the token is unknown"
    );
}

#[tokio::test]
async fn registration_refuses_bad_metadata_with_rfc7591_codes() {
    let h = start(|_| {}).await;
    for (body, code) in [
        (
            serde_json::json!({"client_name": "x"}),
            "invalid_redirect_uri",
        ),
        (
            serde_json::json!({"redirect_uris": ["http://evil.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            serde_json::json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["client_credentials"]}),
            "invalid_client_metadata",
        ),
        (
            serde_json::json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
    ] {
        let resp = h.register(body).await;
        assert_eq!(resp.status(), 400);
        let v: Value = resp.json().await.expect("json");
        assert_eq!(v["error"], code, "{v}");
    }
    let big = h
        .http
        .post(format!("{}/register", h.base))
        .header("content-type", "application/json")
        .body(format!("{{\"client_name\":\"{}\"}}", "a".repeat(20_000)))
        .send()
        .await
        .expect("post");
    assert_eq!(big.status(), 413);
}

#[tokio::test]
async fn registration_is_rate_limited() {
    let h = start(|c| {
        c.limits.register = oauth::limit::Budget {
            burst: 2,
            per_minute: 1,
        }
    })
    .await;
    h.register_public().await;
    h.register_public().await;
    let resp = h
        .register(serde_json::json!({"redirect_uris": [REDIRECT]}))
        .await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn the_store_refuses_a_different_key_and_a_server_needs_a_gate() {
    let h = start(|_| {}).await;
    let store = oauth::store::open(&format!("sqlite:{}", h.store_path.display()))
        .await
        .expect("store");
    let (other_key, _) = oauth::StoreKey::generate();
    let gate = oauth::Gate {
        passphrase: Some("p".into()),
        invite_codes: vec![],
    };
    let config = oauth::OAuthConfig::new(&h.base, &h.sandbox.base_url(), gate).expect("config");
    let err = oauth::AuthServer::new(config.clone(), store.clone(), other_key)
        .await
        .expect_err("wrong key");
    assert!(err.to_string().contains("does not match"), "{err}");
    let mut no_gate = config;
    no_gate.gate = oauth::Gate::default();
    let (key, _) = oauth::StoreKey::generate();
    let err = oauth::AuthServer::new(no_gate, store, key)
        .await
        .expect_err("no gate");
    assert!(err.to_string().contains("passphrase"), "{err}");
}

#[tokio::test]
async fn a_client_id_metadata_document_on_loopback_works_only_when_allowed() {
    // Serve a metadata document on a loopback port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let doc_url = format!(
        "http://127.0.0.1:{}/client.json",
        listener.local_addr().expect("a").port()
    );
    let doc = serde_json::json!({"client_id": doc_url, "client_name": "Doc Client", "redirect_uris": [REDIRECT]});
    let app = axum::Router::new().route(
        "/client.json",
        axum::routing::get(move || async move { axum::Json(doc) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });

    let (_, challenge) = pkce();
    let q = [
        ("response_type", "code"),
        ("client_id", doc_url.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let strict = start(|_| {}).await;
    let page = strict.authorize_page(&q).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("not https"), "{}", page.body);

    let dev = start(|c| c.allow_loopback_client_metadata = true).await;
    let page = dev.authorize_page(&q).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Doc Client"));
}

#[tokio::test]
async fn a_revocation_by_another_process_stops_the_next_call() {
    let h = start(|_| {}).await;
    let (_, tokens) = h.tokens().await;
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().expect("at"));
    // Twice, so the second answer comes from the per-call cache.
    assert!(h.server.verify(Some(&bearer)).await.is_ok());
    assert!(h.server.verify(Some(&bearer)).await.is_ok());
    // `grants revoke` opens the same file in its own process: a separate store handle here.
    let other = oauth::store::open(&format!("sqlite:{}", h.store_path.display()))
        .await
        .expect("store");
    let grants = other.grants(oauth::now()).await.expect("list");
    assert_eq!(grants.len(), 1);
    assert!(
        other
            .revoke_grant(&grants[0].grant.id, "test", oauth::now())
            .await
            .expect("revoke")
    );
    let refused = h.server.verify(Some(&bearer)).await.expect_err("revoked");
    assert!(refused.message.contains("revoked"), "{}", refused.message);
}
