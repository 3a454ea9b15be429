//! A test harness: the sandbox as HighLevel, a fresh SQLite store, and the OAuth router on a
//! loopback port, plus a small browser-less client that walks the flow with plain HTTP.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine;
use oauth::{AuthServer, Gate, OAuthConfig, StoreKey};
use sha2::Digest;

pub const PASSPHRASE: &str = "correct horse battery staple";
pub const REDIRECT: &str = "http://127.0.0.1:45999/callback";

pub struct Harness {
    pub server: Arc<AuthServer>,
    pub base: String,
    pub sandbox: sandbox::Sandbox,
    pub store_path: PathBuf,
    pub key_text: String,
    pub http: reqwest::Client,
}

pub fn temp_db() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "hlmcp-oauth-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("grants.db")
}

pub async fn start(tweak: impl FnOnce(&mut OAuthConfig)) -> Harness {
    start_with(sandbox::SandboxConfig::for_tests(), tweak).await
}

/// [`start`] over a sandbox configured by the caller (e.g. with marketplace OAuth on).
pub async fn start_with(
    sandbox_config: sandbox::SandboxConfig,
    tweak: impl FnOnce(&mut OAuthConfig),
) -> Harness {
    let sandbox = sandbox::Sandbox::start(sandbox_config)
        .await
        .expect("sandbox");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let gate = Gate {
        passphrase: Some(PASSPHRASE.into()),
        invite_codes: vec!["invite-1".into()],
    };
    let mut config = OAuthConfig::new(&base, &sandbox.base_url(), gate).expect("config");
    tweak(&mut config);
    let store_path = temp_db();
    let store = oauth::store::open(&format!("sqlite:{}", store_path.display()))
        .await
        .expect("store");
    let (key, key_text) = StoreKey::generate();
    let server = AuthServer::new(config, store, key)
        .await
        .expect("auth server");
    let router = server.router();
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Harness {
        server,
        base,
        sandbox,
        store_path,
        key_text,
        http,
    }
}

pub fn pkce() -> (String, String) {
    let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 40]);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The hidden `request` field and the CSRF cookie of a connect page.
pub struct Page {
    pub status: u16,
    pub body: String,
    pub request: String,
    pub cookie: String,
    pub location: Option<String>,
}

impl Harness {
    pub async fn register(&self, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(format!("{}/register", self.base))
            .json(&body)
            .send()
            .await
            .expect("register")
    }

    pub async fn register_public(&self) -> String {
        let resp = self
            .register(serde_json::json!({
                "client_name": "Test Client",
                "redirect_uris": [REDIRECT],
                "token_endpoint_auth_method": "none",
            }))
            .await;
        assert_eq!(resp.status(), 201);
        let v: serde_json::Value = resp.json().await.expect("json");
        assert!(v.get("client_secret").is_none(), "{v}");
        v["client_id"].as_str().expect("client_id").to_owned()
    }

    pub async fn authorize_page(&self, query: &[(&str, &str)]) -> Page {
        let resp = self
            .http
            .get(format!("{}/authorize", self.base))
            .query(query)
            .send()
            .await
            .expect("authorize");
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().expect("text").to_owned());
        let cookie = resp
            .headers()
            .get("set-cookie")
            .map(|v| {
                v.to_str()
                    .expect("text")
                    .split(';')
                    .next()
                    .expect("pair")
                    .to_owned()
            })
            .unwrap_or_default();
        let body = resp.text().await.expect("body");
        let request = body
            .split("name=\"request\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_owned();
        Page {
            status,
            body,
            request,
            cookie,
            location,
        }
    }

    pub async fn consent(&self, page: &Page, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form = vec![("request", page.request.as_str())];
        form.extend_from_slice(fields);
        self.http
            .post(format!("{}/authorize", self.base))
            .header("cookie", &page.cookie)
            .form(&form)
            .send()
            .await
            .expect("consent")
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
        let resp = self
            .http
            .post(format!("{}/token", self.base))
            .form(form)
            .send()
            .await
            .expect("token");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or_default())
    }

    /// Walks registration, the connect page and consent; returns (client_id, code, verifier).
    pub async fn code(&self, state: &str) -> (String, String, String) {
        let client_id = self.register_public().await;
        let (verifier, challenge) = pkce();
        let resource = format!("{}/mcp", self.base);
        let page = self
            .authorize_page(&[
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", REDIRECT),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("state", state),
                ("resource", &resource),
                ("scope", "highlevel"),
            ])
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let resp = self
            .consent(
                &page,
                &[
                    ("action", "connect"),
                    ("passphrase", PASSPHRASE),
                    ("pit", "pit-test-token"),
                    ("locations", sandbox::DEMO_LOCATION_ID),
                ],
            )
            .await;
        assert_eq!(
            resp.status(),
            303,
            "{}",
            resp.text().await.unwrap_or_default()
        );
        let location = resp.headers()["location"]
            .to_str()
            .expect("text")
            .to_owned();
        let url = url::Url::parse(&location).expect("url");
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q.get("state").map(String::as_str), Some(state));
        assert_eq!(q.get("iss"), Some(&self.base));
        (client_id, q["code"].clone(), verifier)
    }

    pub async fn tokens(&self) -> (String, serde_json::Value) {
        let (client_id, code, verifier) = self.code("s1").await;
        let (status, body) = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client_id),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
                ("resource", &format!("{}/mcp", self.base)),
            ])
            .await;
        assert_eq!(status, 200, "{body}");
        (client_id, body)
    }
}
