//! The emulated marketplace OAuth, over real HTTP: the chooser page and its redirects, the code
//! and refresh grants of `/oauth/token` (single-use, rotating refresh tokens, lifetimes), the
//! agency endpoints, and the bearer check API calls pass.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use sandbox::{AGENCY_LOCATION_IDS, DEMO_LOCATION_ID, OAuthApp, Sandbox, SandboxConfig};
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:9/callback";

struct Env {
    sandbox: Sandbox,
    http: reqwest::Client,
}

async fn start(app: OAuthApp) -> Env {
    let sandbox = Sandbox::start(SandboxConfig {
        oauth: Some(app),
        ..SandboxConfig::for_tests()
    })
    .await
    .expect("sandbox starts");
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    Env { sandbox, http }
}

impl Env {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.base_url(), path)
    }

    /// Posts the chooser's form and returns the `Location` it redirects to.
    async fn choose(&self, fields: &[(&str, &str)]) -> String {
        let mut form = vec![
            ("response_type", "code"),
            ("client_id", OAuthApp::TEST_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("state", "st-1 &x"),
        ];
        form.extend_from_slice(fields);
        let resp = self
            .http
            .post(self.url("/oauth/chooselocation"))
            .form(&form)
            .send()
            .await
            .expect("chooser answers");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "chooser redirects");
        resp.headers()["location"].to_str().unwrap().to_owned()
    }

    async fn code(&self, fields: &[(&str, &str)]) -> String {
        let to = self.choose(fields).await;
        let url = url_query(&to);
        assert_eq!(url.get("state").map(String::as_str), Some("st-1 &x"));
        url.get("code").cloned().expect("a code")
    }

    async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut all = vec![
            ("client_id", OAuthApp::TEST_CLIENT_ID),
            ("client_secret", OAuthApp::TEST_CLIENT_SECRET),
        ];
        all.extend_from_slice(form);
        let resp = self
            .http
            .post(self.url("/oauth/token"))
            .form(&all)
            .send()
            .await
            .expect("token endpoint answers");
        (resp.status(), resp.json().await.expect("JSON"))
    }

    async fn api(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let version = if path.starts_with("/conversations") {
            "2021-04-15"
        } else {
            "2021-07-28"
        };
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .header("Version", version)
            .send()
            .await
            .expect("API answers");
        (resp.status(), resp.json().await.expect("JSON"))
    }

    async fn location_token(&self, company: &str, body: &[(&str, &str)]) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(self.url("/oauth/locationToken"))
            .bearer_auth(company)
            .header("Version", "2021-07-28")
            .form(body)
            .send()
            .await
            .expect("locationToken answers");
        (resp.status(), resp.json().await.expect("JSON"))
    }
}

fn url_query(url: &str) -> std::collections::HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}"))
}

#[tokio::test]
async fn chooser_page_lists_the_agency_and_checks_the_request() {
    let env = start(OAuthApp::for_tests()).await;
    let page = env
        .http
        .get(env.url(&format!(
            "/oauth/chooselocation?response_type=code&client_id={}&redirect_uri={REDIRECT}&scope=contacts.readonly&state=abc",
            OAuthApp::TEST_CLIENT_ID
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for id in AGENCY_LOCATION_IDS {
        assert!(html.contains(&format!("id=\"loc-{id}\"")), "{id} offered");
    }
    assert!(html.contains("id=\"approve\"") && html.contains("id=\"cancel\""));

    let bad = env
        .http
        .get(env.url(&format!(
            "/oauth/chooselocation?response_type=code&client_id=nope-x&redirect_uri={REDIRECT}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("No marketplace app has this client_id")
    );

    let mut strict = OAuthApp::for_tests();
    strict.redirect_uris = vec!["https://app.example.com/cb".into()];
    let env = start(strict).await;
    let bad = env
        .http
        .get(env.url(&format!(
            "/oauth/chooselocation?response_type=code&client_id={}&redirect_uri={REDIRECT}",
            OAuthApp::TEST_CLIENT_ID
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.unwrap().contains("not registered"));
}

#[tokio::test]
async fn cancelling_redirects_with_access_denied_and_the_state() {
    let env = start(OAuthApp::for_tests()).await;
    let to = env.choose(&[("decision", "cancel")]).await;
    assert!(to.starts_with(REDIRECT), "{to}");
    let q = url_query(&to);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-1 &x");
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn location_install_code_gives_a_location_token_once() {
    let env = start(OAuthApp::for_tests()).await;
    let code = env
        .code(&[("decision", "approve"), ("target", DEMO_LOCATION_ID)])
        .await;
    let (status, body) = env
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("user_type", "Company"),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert!(s(&body, "error_description").contains("user_type=Location"));

    let (status, body) = env
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("user_type", "Location"),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["userType"], "Location");
    assert_eq!(body["locationId"], DEMO_LOCATION_ID);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86_399);
    assert_eq!(body["companyId"], env.sandbox.state().company_id());
    assert!(s(&body, "refresh_token").starts_with("sbxrt-"));

    let (status, again) = env
        .token(&[("grant_type", "authorization_code"), ("code", &code)])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(again["error"], "invalid_grant");
    assert!(s(&again, "error_description").contains("already used"));

    let access = s(&body, "access_token");
    let (status, loc) = env
        .api(access, &format!("/locations/{DEMO_LOCATION_ID}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{loc}");
    let (status, other) = env
        .api(
            access,
            &format!("/contacts/?locationId={}", AGENCY_LOCATION_IDS[1]),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{other}");
    assert!(s(&other, "message").contains(AGENCY_LOCATION_IDS[1]));
}

#[tokio::test]
async fn refused_codes_and_clients() {
    let env = start(OAuthApp::for_tests()).await;
    let (status, body) = env
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", "sbxcode-made-up"),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");

    let resp = env
        .http
        .post(env.url("/oauth/token"))
        .form(&[
            ("client_id", OAuthApp::TEST_CLIENT_ID),
            ("client_secret", "wrong"),
            ("grant_type", "authorization_code"),
            ("code", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    let (status, body) = env.token(&[("grant_type", "password")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");

    env.sandbox.state().set_token_endpoint_down(true);
    let (status, _) = env
        .token(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_are_single_use() {
    let env = start(OAuthApp::for_tests()).await;
    let code = env
        .code(&[("decision", "approve"), ("target", AGENCY_LOCATION_IDS[2])])
        .await;
    let (_, first) = env
        .token(&[("grant_type", "authorization_code"), ("code", &code)])
        .await;
    let r1 = s(&first, "refresh_token").to_owned();
    let (status, second) = env
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &r1)])
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(env.sandbox.state().oauth_refreshes(), 1);

    let (status, reused) = env
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &r1)])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reused["error"], "invalid_grant");
    assert!(s(&reused, "error_description").contains("single-use"));
    assert_eq!(
        env.sandbox.state().oauth_refreshes(),
        1,
        "a refused reuse is not counted"
    );

    // Uninstalling the app ends both the access token and the refresh token.
    env.sandbox.state().revoke_oauth_installs();
    let (status, body) = env
        .api(
            s(&second, "access_token"),
            &format!("/locations/{}", AGENCY_LOCATION_IDS[2]),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = env
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", s(&second, "refresh_token")),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(s(&body, "error_description").contains("uninstalled"));
}

#[tokio::test]
async fn lifetimes_are_configurable_and_expired_tokens_get_401() {
    let mut app = OAuthApp::for_tests();
    app.access_ttl = Duration::from_secs(1);
    app.refresh_ttl = Duration::from_secs(2);
    let env = start(app).await;
    let code = env
        .code(&[("decision", "approve"), ("target", DEMO_LOCATION_ID)])
        .await;
    let (_, pair) = env
        .token(&[("grant_type", "authorization_code"), ("code", &code)])
        .await;
    assert_eq!(pair["expires_in"], 1);
    let access = s(&pair, "access_token");
    let path = format!("/contacts/?locationId={DEMO_LOCATION_ID}");
    assert_eq!(env.api(access, &path).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = env.api(access, &path).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(s(&body, "message").starts_with("Invalid JWT"), "{body}");
    assert!(s(&body, "message").contains("expired"));
    // The refresh token still lives one more second; after it, it is refused too.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (status, body) = env
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", s(&pair, "refresh_token")),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(s(&body, "error_description").contains("expired"), "{body}");
    // Bearers that are not the emulator's tokens keep working (the PIT path).
    assert_eq!(env.api("pit-anything", &path).await.0, StatusCode::OK);
}

#[tokio::test]
async fn agency_token_gets_location_tokens_for_installed_locations_only() {
    let env = start(OAuthApp::for_tests()).await;
    let (installed, left_out) = (AGENCY_LOCATION_IDS[0], AGENCY_LOCATION_IDS[2]);
    let code = env
        .code(&[
            ("decision", "approve"),
            ("target", "agency"),
            ("locations", installed),
            ("locations", AGENCY_LOCATION_IDS[1]),
        ])
        .await;
    let (status, company) = env
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("user_type", "Company"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{company}");
    assert_eq!(company["userType"], "Company");
    assert_eq!(company["approvedLocations"][1], AGENCY_LOCATION_IDS[1]);
    let company_token = s(&company, "access_token");
    let company_id = s(&company, "companyId");

    // A Company token does not call location APIs itself.
    let (status, body) = env
        .api(company_token, &format!("/contacts/?locationId={installed}"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(s(&body, "message").contains("/oauth/locationToken"));

    let resp = env
        .http
        .get(env.url(&format!(
            "/oauth/installedLocations?companyId={company_id}&appId=sbxMarketplaceApp001&isInstalled=true"
        )))
        .bearer_auth(company_token)
        .header("Version", "2021-07-28")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let listed: Value = resp.json().await.unwrap();
    let ids: Vec<&str> = listed["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| s(l, "_id"))
        .collect();
    assert_eq!(ids, [installed, AGENCY_LOCATION_IDS[1]]);

    let (status, loc) = env
        .location_token(
            company_token,
            &[("companyId", company_id), ("locationId", installed)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{loc}");
    assert_eq!(loc["locationId"], installed);
    let (status, contacts) = env
        .api(
            s(&loc, "access_token"),
            &format!("/contacts/?locationId={installed}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(contacts["contacts"].as_array().unwrap().len(), 20);

    let (status, body) = env
        .location_token(
            company_token,
            &[("companyId", company_id), ("locationId", left_out)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(s(&body, "message").contains("not installed"), "{body}");
    let (status, body) = env
        .location_token(
            company_token,
            &[
                ("companyId", company_id),
                ("locationId", "someOtherAgencyLoc01"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(s(&body, "message").contains("not a sub-account"), "{body}");
    let (status, _) = env
        .location_token(
            s(&loc, "access_token"),
            &[("companyId", company_id), ("locationId", installed)],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a Location token is no agency token"
    );
}

#[tokio::test]
async fn each_sub_account_has_its_own_records() {
    let env = start(OAuthApp::for_tests()).await;
    let mut seen = Vec::new();
    for id in AGENCY_LOCATION_IDS {
        let (status, body) = env
            .api("pit-any", &format!("/contacts/?locationId={id}&limit=100"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let names: Vec<String> = body["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| s(c, "contactName").to_owned())
            .collect();
        assert!(!names.is_empty(), "{id} has contacts");
        let (_, opps) = env
            .api(
                "pit-any",
                &format!("/opportunities/search?location_id={id}"),
            )
            .await;
        assert!(
            !opps["opportunities"].as_array().unwrap().is_empty(),
            "{id} has opportunities"
        );
        seen.push(names);
    }
    assert!(
        seen[1]
            .iter()
            .all(|n| !seen[0].contains(n) && !seen[2].contains(n))
    );
    assert_eq!(
        env.sandbox
            .state()
            .location(AGENCY_LOCATION_IDS[1])
            .unwrap()["companyId"],
        env.sandbox.state().company_id()
    );
}
