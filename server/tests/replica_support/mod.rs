//! Shared by the replica tests: Postgres, Redis, the sandbox (rate limit on) and three
//! `highlevel-mcp serve --auth oauth` processes sharing the store and the limiter, plus the
//! connect-page flow over plain HTTP that makes a grant through one replica.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_highlevel-mcp");
pub const PASSPHRASE: &str = "replica test passphrase";
const REDIRECT: &str = "http://127.0.0.1:45999/callback";
const PIT: &str = "pit-replica-test";
/// The sandbox's limit per 10 s.
pub const SANDBOX_LIMIT: u32 = 300;
/// What the replicas pace to.
pub const PACED_TO: u32 = 270;

/// A child process killed when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Replica {
    pub base: String,
    pub proc: Proc,
    /// Its stderr (the log), kept in the cluster's temporary folder.
    pub log: std::path::PathBuf,
}

impl Replica {
    pub fn mcp(&self) -> String {
        format!("{}/mcp", self.base)
    }
}

/// Postgres, Redis, the sandbox and three replicas; everything stops when dropped.
pub struct Cluster {
    pub replicas: Vec<Replica>,
    pub store: String,
    pub sandbox: sandbox::Sandbox,
    public: String,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    _redis: limiter::test_support::RedisServer,
    /// Dropping it stops Postgres.
    pub pg: Option<oauth::test_support::PostgresServer>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Waits until the replica's own log says it listens (true), or it exits first, having lost its
/// port to another process (false); panics after 30 s.
async fn listening(log: &std::path::Path, proc: &mut Proc) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::fs::read_to_string(log).is_ok_and(|t| t.contains("highlevel-mcp listening")) {
            return true;
        }
        if let Ok(Some(_)) = proc.0.try_wait() {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "replica did not log that it listens within 30 s; log: {}",
        log.display()
    );
}

pub async fn wait_healthy(http: &reqwest::Client, base: &str, proc: &mut Proc) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = proc.0.try_wait() {
            panic!("replica at {base} exited at start: {status}");
        }
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("replica at {base} did not answer /healthz within 30 s");
}

impl Cluster {
    pub async fn start(test: &str) -> Option<Self> {
        let pg = oauth::test_support::PostgresServer::start(test)?;
        let redis = limiter::test_support::RedisServer::start(test)?;
        let store = pg.create_database("replicas").await;
        let dir = tempfile::tempdir().expect("temp dir");
        let key = dir.path().join("store.key");
        let status = Command::new(BIN)
            .args(["keygen", "--out"])
            .arg(&key)
            .status()
            .expect("keygen runs");
        assert!(status.success(), "keygen failed");
        let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig {
            rate_limit: Some(sandbox::RateLimit {
                max: SANDBOX_LIMIT,
                window: Duration::from_secs(10),
            }),
            ..sandbox::SandboxConfig::for_tests()
        })
        .await
        .expect("sandbox");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        // Tests run in parallel and pick free ports the same way, so another test's server can
        // take a port between the probe and our bind, and even answer our /healthz. A replica
        // counts as up only once its own log says it listens; one that lost its port exits, and
        // the whole set starts again on new ports.
        let mut attempt = 0;
        let (replicas, public) = loop {
            attempt += 1;
            let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
            // Behind a load balancer every replica has the same public URL (issuer and resource).
            let public = format!("http://127.0.0.1:{}", ports[0]);
            let mut replicas = Vec::new();
            for (i, port) in ports.into_iter().enumerate() {
                let log = dir.path().join(format!("replica-{attempt}-{i}.log"));
                let child = Command::new(BIN)
                    .args(["serve", "--auth", "oauth", "--port", &port.to_string()])
                    .args(["--public-url", &public, "--upstream", &sandbox.base_url()])
                    .args(["--store", &store, "--rate-limit", &redis.url()])
                    .args(["--rate-limit-burst", &PACED_TO.to_string()])
                    .arg("--store-key-file")
                    .arg(&key)
                    .env("HIGHLEVEL_MCP_AUTH_PASSPHRASE", PASSPHRASE)
                    .env("HIGHLEVEL_MCP_CONFIRM", "none")
                    .env("HIGHLEVEL_MCP_AUDIT_LOG", "none")
                    .env("HIGHLEVEL_MCP_PREFLIGHT", "off")
                    .env("RUST_LOG", "info")
                    .env_remove("HIGHLEVEL_TOKEN")
                    .env_remove("HIGHLEVEL_MCP_TOKEN_FILE")
                    .stdout(Stdio::null())
                    .stderr(std::fs::File::create(&log).expect("replica log file"))
                    .spawn()
                    .expect("replica starts");
                replicas.push(Replica {
                    base: format!("http://127.0.0.1:{port}"),
                    proc: Proc(child),
                    log,
                });
            }
            let mut all_up = true;
            for r in &mut replicas {
                if !listening(&r.log, &mut r.proc).await {
                    all_up = false;
                    break;
                }
                wait_healthy(&http, &r.base, &mut r.proc).await;
            }
            if all_up {
                break (replicas, public);
            }
            assert!(
                attempt < 4,
                "replicas lost their ports to other processes 3 times"
            );
        };
        Some(Self {
            replicas,
            store,
            sandbox,
            public,
            http,
            _dir: dir,
            _redis: redis,
            pg: Some(pg),
        })
    }

    /// Registration, the connect page and the token exchange, all through replica `at`;
    /// returns the access token and the grant id.
    pub async fn grant_through(&self, at: usize) -> (String, String) {
        grant(
            &self.http,
            &self.replicas[at].base,
            &self.public,
            &self.store,
        )
        .await
    }
}

/// Registration, the connect page and the token exchange through the server at `base` (public
/// URL `public`, grants in `store`); returns the access token and the grant id.
pub async fn grant(
    http: &reqwest::Client,
    base: &str,
    public: &str,
    store: &str,
) -> (String, String) {
    let reg: Value = http
        .post(format!("{base}/register"))
        .json(&json!({
            "client_name": "Replica Test",
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
        }))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("registration json");
    let client_id = reg["client_id"].as_str().expect("client_id").to_owned();
    let verifier = "v".repeat(50);
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let resource = format!("{public}/mcp");
    let page = http
        .get(
            url::Url::parse_with_params(
                &format!("{base}/authorize"),
                [
                    ("response_type", "code"),
                    ("client_id", client_id.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("code_challenge", challenge.as_str()),
                    ("code_challenge_method", "S256"),
                    ("state", "s1"),
                    ("resource", resource.as_str()),
                    ("scope", "highlevel"),
                ],
            )
            .expect("authorize url"),
        )
        .send()
        .await
        .expect("authorize");
    assert_eq!(page.status(), 200, "connect page");
    let cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("csrf cookie")
        .to_owned();
    let body = page.text().await.expect("page");
    let request = body
        .split("name=\"request\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("request field")
        .to_owned();
    let consent = http
        .post(format!("{base}/authorize"))
        .header("cookie", cookie)
        .form(&[
            ("request", request.as_str()),
            ("action", "connect"),
            ("passphrase", PASSPHRASE),
            ("pit", PIT),
            ("locations", sandbox::DEMO_LOCATION_ID),
        ])
        .send()
        .await
        .expect("consent");
    assert_eq!(consent.status(), 303, "consent redirects with a code");
    let location = consent.headers()["location"].to_str().expect("text");
    let code = url::Url::parse(location)
        .expect("redirect url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let token: Value = http
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("resource", &resource),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let access = token["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token: {token}"))
        .to_owned();
    let grants = Command::new(BIN)
        .args(["grants", "--store", store, "list"])
        .output()
        .expect("grants list runs");
    let listing = String::from_utf8_lossy(&grants.stdout);
    let grant_id = listing
        .split_whitespace()
        .find(|w| w.starts_with("g_"))
        .unwrap_or_else(|| panic!("a grant in `grants list`: {listing}"))
        .to_owned();
    (access, grant_id)
}
