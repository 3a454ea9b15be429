//! "Sign in with HighLevel" end to end: `serve --sandbox --auth oauth --highlevel-client-id ...`
//! with rmcp's client-side OAuth (discovery, registration, PKCE, code exchange). The person's
//! part is played twice: over plain HTTP (always runs) and in headless Chromium (skipped locally
//! without chromium, required under CI=true). Either way the agency installs the app in three
//! sub-accounts on the sandbox's HighLevel chooser, and the MCP client then lists the three
//! locations, reads contacts in two of them, and finds and fetches records with search/fetch.

mod oauth_support;

use std::collections::HashMap;

use oauth_support::{Browser, Callback, OAuthServer, PASSPHRASE};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::auth::{AuthClient, AuthorizationRequest, OAuthState};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use sandbox::{AGENCY_LOCATION_IDS, DEMO_LOCATION_ID, OAuthApp};
use serde_json::{Value, json};

type Service = RunningService<RoleClient, ()>;

async fn start_server(extra: &[&str]) -> OAuthServer {
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let secret = dir.join("hl-client-secret");
    std::fs::write(&secret, OAuthApp::TEST_CLIENT_SECRET).expect("secret file");
    OAuthServer::start(
        &[
            "--highlevel-client-id",
            OAuthApp::TEST_CLIENT_ID,
            "--highlevel-client-secret-file",
            secret.to_str().expect("utf-8 path"),
            "--discovery",
        ]
        .iter()
        .chain(extra)
        .copied()
        .collect::<Vec<_>>(),
    )
    .await
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

fn first_cookie(resp: &reqwest::Response) -> String {
    resp.headers()["set-cookie"]
        .to_str()
        .expect("text")
        .split(';')
        .next()
        .expect("pair")
        .to_owned()
}

/// The person's part without a browser: the connect page's button, the chooser's form, the
/// callback. Answers the URL the MCP client's redirect receives.
async fn sign_in_over_http(base: &str, authorize_url: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = http.get(authorize_url).send().await.expect("connect page");
    assert_eq!(page.status(), 200);
    let csrf = first_cookie(&page);
    let body = page.text().await.expect("body");
    assert!(body.contains("Sign in with HighLevel"), "button offered");
    let request = body
        .split("name=\"request\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("sealed request")
        .to_owned();
    let resp = http
        .post(format!("{base}/authorize"))
        .header("cookie", csrf)
        .form(&[
            ("request", request.as_str()),
            ("action", "highlevel"),
            ("passphrase", PASSPHRASE),
        ])
        .send()
        .await
        .expect("button");
    assert_eq!(resp.status(), 303);
    let hl_cookie = first_cookie(&resp);
    let chooser = resp.headers()["location"].to_str().unwrap().to_owned();
    let q = query(&chooser);
    let origin = chooser.split("/oauth/").next().expect("origin").to_owned();
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
    form.extend([("decision", "approve"), ("target", "agency")]);
    form.extend(AGENCY_LOCATION_IDS.iter().map(|l| ("locations", *l)));
    let resp = http
        .post(format!("{origin}/oauth/chooselocation"))
        .form(&form)
        .send()
        .await
        .expect("chooser");
    assert_eq!(resp.status(), 303);
    let back = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&format!("{base}/oauth/highlevel/callback?")),
        "{back}"
    );
    let resp = http
        .get(&back)
        .header("cookie", hl_cookie)
        .send()
        .await
        .expect("callback");
    assert_eq!(
        resp.status(),
        303,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    resp.headers()["location"].to_str().unwrap().to_owned()
}

/// rmcp's OAuth up to the authorization URL, the person's part by `consent`, then the session.
async fn connect<F, Fut>(server: &OAuthServer, consent: F) -> Service
where
    F: FnOnce(String, Callback) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let callback = Callback::start().await;
    let mut state = OAuthState::new(server.mcp_url(), None)
        .await
        .expect("oauth state");
    state
        .start_authorization(
            AuthorizationRequest::new(callback.redirect_uri.clone())
                .with_client_name("HighLevel sign-in test"),
        )
        .await
        .expect("discovery and registration");
    let authorize_url = state.get_authorization_url().await.expect("url");
    let redirected = consent(authorize_url, callback).await;
    state
        .handle_callback_url(&redirected)
        .await
        .expect("code exchanged for tokens");
    let manager = state.into_authorization_manager().expect("manager");
    let transport = StreamableHttpClientTransport::with_client(
        AuthClient::new(reqwest::Client::default(), manager),
        StreamableHttpClientTransportConfig::with_uri(server.mcp_url()),
    );
    ().serve(transport).await.expect("MCP session over OAuth")
}

async fn call(service: &Service, tool: &str, args: Value) -> CallToolResult {
    let Value::Object(map) = args else {
        panic!("args must be an object")
    };
    service
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(map))
        .await
        .expect("tools/call answered")
}

fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ok_json(r: &CallToolResult) -> Value {
    assert_ne!(r.is_error, Some(true), "{}", text(r));
    serde_json::from_str(&text(r)).unwrap_or_else(|e| panic!("{e}: {}", text(r)))
}

/// What an agency connection must do once signed in.
async fn use_the_agency(service: &Service) {
    let listed = ok_json(&call(service, "list_locations", json!({})).await);
    let ids: Vec<&str> = listed["locations"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert_eq!(ids, AGENCY_LOCATION_IDS, "{listed}");

    // A record in each of two locations, each read with that location's own token.
    let mut names = Vec::new();
    for loc in [DEMO_LOCATION_ID, AGENCY_LOCATION_IDS[1]] {
        let r = call(
            service,
            "execute_operation",
            json!({"name": "contacts_get-contacts", "arguments": {"locationId": loc, "limit": 3}}),
        )
        .await;
        let v = ok_json(&r);
        let first = v["contacts"][0].clone();
        assert_eq!(first["locationId"], loc, "{v}");
        names.push(first["contactName"].as_str().unwrap_or_default().to_owned());
    }
    assert_ne!(names[0], names[1], "switching location shows other records");

    // search/fetch return the chosen location's records, ids naming it.
    let found = ok_json(&call(service, "search", json!({"query": "Tobias Lindqvist"})).await);
    let hit = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["id"]
                .as_str()
                .is_some_and(|id| id.starts_with(&format!("contact:{}:", AGENCY_LOCATION_IDS[1])))
        })
        .unwrap_or_else(|| panic!("the Lakeside contact in {found}"))
        .clone();
    let doc = ok_json(&call(service, "fetch", json!({"id": hit["id"]})).await);
    assert!(
        doc["text"].as_str().unwrap_or("").contains("Lindqvist"),
        "{doc}"
    );

    // A location outside the grant is refused before anything goes upstream.
    let outside = call(
        service,
        "execute_operation",
        json!({"name": "contacts_get-contacts", "arguments": {"locationId": "notOneOfTheAgency01"}}),
    )
    .await;
    assert_eq!(outside.is_error, Some(true));
    assert!(
        text(&outside).contains(DEMO_LOCATION_ID),
        "{}",
        text(&outside)
    );
}

#[tokio::test]
async fn an_agency_signs_in_with_highlevel_over_http_and_uses_three_locations() {
    // HighLevel's tokens live 3 s here and are refreshed 2 s ahead, to force an expiry.
    let server = start_server(&[
        "--sandbox-oauth-access-ttl-secs",
        "3",
        "--highlevel-refresh-margin-secs",
        "2",
    ])
    .await;
    let base = server.base.clone();
    let service = connect(&server, |url, _cb| async move {
        sign_in_over_http(&base, &url).await
    })
    .await;
    use_the_agency(&service).await;

    // Past the refresh point, 50 concurrent calls across the three locations all succeed.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let calls = (0..50).map(|i| {
        let service = &service;
        async move {
            let loc = AGENCY_LOCATION_IDS[i % 3];
            let r = call(
                service,
                "execute_operation",
                json!({"name": "contacts_get-contacts", "arguments": {"locationId": loc, "limit": 1}}),
            )
            .await;
            (loc, r)
        }
    });
    for (loc, r) in futures::future::join_all(calls).await {
        assert_eq!(ok_json(&r)["contacts"][0]["locationId"], loc);
    }
    let listing = server.grants(&["list"]);
    assert!(listing.contains("HighLevel sign-in test"), "{listing}");
    let _ = service.cancel().await;
}

#[tokio::test]
async fn an_agency_signs_in_with_highlevel_in_chromium_and_uses_three_locations() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let server = start_server(&[]).await;
    let service = connect(&server, |url, mut cb| async move {
        browser.sign_in_with_highlevel(&url).await;
        cb.next().await
    })
    .await;
    use_the_agency(&service).await;
    let _ = service.cancel().await;
}

#[test]
fn a_client_id_without_a_secret_is_refused_at_start_up() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_highlevel-mcp"))
        .args([
            "serve",
            "--sandbox",
            "--auth",
            "oauth",
            "--port",
            "0",
            "--highlevel-client-id",
            OAuthApp::TEST_CLIENT_ID,
        ])
        .env_remove("HIGHLEVEL_MCP_HL_CLIENT_SECRET")
        .env_remove("HIGHLEVEL_MCP_HL_CLIENT_SECRET_FILE")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--highlevel-client-secret-file")
            && err.contains("HIGHLEVEL_MCP_HL_CLIENT_SECRET"),
        "{err}"
    );
}
