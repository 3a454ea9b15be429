//! Shared by the OAuth client tests: prerequisites (skip locally, fail under CI=true), the
//! `highlevel-mcp serve --sandbox --auth oauth` child process, a loopback callback receiver, and
//! the consent step driven in headless Chromium through chromedriver (WebDriver).

#![allow(dead_code)]

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use tokio::sync::mpsc;

pub const PASSPHRASE: &str = "test passphrase for oauth";

/// `Some(reason)` when a prerequisite is missing: prints `skipped: ...` locally, panics under
/// CI=true (CI installs everything these tests need, so absence there is a failure).
pub fn missing(what: &str, present: bool) -> bool {
    if present {
        return false;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is required under CI=true (.ci/install-deps.sh installs it)");
    }
    println!("skipped: {what} is not installed (run .ci/install-deps.sh)");
    true
}

pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

async fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not start listening on 127.0.0.1:{port} within 30 s");
}

/// A child process killed when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `highlevel-mcp serve --sandbox --auth oauth` on a free port with a fresh store and key.
pub struct OAuthServer {
    pub base: String,
    pub dir: PathBuf,
    pub store: String,
    _proc: Proc,
}

impl OAuthServer {
    pub async fn start(extra: &[&str]) -> Self {
        let bin = env!("CARGO_BIN_EXE_highlevel-mcp");
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("hlmcp-oauth-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let key = dir.join("store.key");
        let _ = std::fs::remove_file(&key);
        let status = Command::new(bin)
            .args(["keygen", "--out"])
            .arg(&key)
            .status()
            .expect("keygen runs");
        assert!(status.success(), "keygen failed");
        let store = format!("sqlite:{}", dir.join("grants.db").display());
        let proc = Command::new(bin)
            .args([
                "serve",
                "--sandbox",
                "--auth",
                "oauth",
                "--port",
                &port.to_string(),
                "--store",
                &store,
            ])
            .arg("--store-key-file")
            .arg(&key)
            .args(extra)
            .env("HIGHLEVEL_MCP_AUTH_PASSPHRASE", PASSPHRASE)
            .env_remove("HIGHLEVEL_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("server starts");
        let proc = Proc(proc);
        wait_for_port(port, "highlevel-mcp serve").await;
        Self {
            base: format!("http://127.0.0.1:{port}"),
            dir,
            store,
            _proc: proc,
        }
    }

    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    /// Runs `highlevel-mcp grants ...` on this server's store.
    pub fn grants(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_highlevel-mcp"))
            .arg("grants")
            .args(["--store", &self.store])
            .args(args)
            .output()
            .expect("grants runs");
        assert!(
            out.status.success(),
            "grants {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// A loopback redirect target that hands over each callback URL it receives.
pub struct Callback {
    pub redirect_uri: String,
    rx: mpsc::Receiver<String>,
}

impl Callback {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (tx, rx) = mpsc::channel(4);
        let app = axum::Router::new().route(
            "/callback",
            axum::routing::get(move |uri: http::Uri| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(format!("http://127.0.0.1:{port}{uri}")).await;
                    "Connected. You can close this window."
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            redirect_uri: format!("http://127.0.0.1:{port}/callback"),
            rx,
        }
    }

    pub async fn next(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(60), self.rx.recv())
            .await
            .expect("the browser reached the callback within 60 s")
            .expect("callback channel open")
    }
}

/// Waits (at most 30 s) until the browser shows the [`Callback`] page.
async fn wait_for_callback_page(
    client: &fantoccini::Client,
) -> Result<(), fantoccini::error::CmdError> {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(
            "//*[contains(text(), 'Connected. You can close this window.')]",
        ))
        .await
        .map(|_| ())
}

/// chromedriver on a free port, with Debian's chromium.
pub struct Browser {
    url: String,
    _proc: Proc,
    profile: PathBuf,
}

impl Browser {
    /// `None` (after printing why, or panicking under CI) when chromium or chromedriver is absent.
    pub async fn start() -> Option<Self> {
        let driver = on_path("chromedriver");
        let chromium = on_path("chromium").or_else(|| on_path("chromium-browser"));
        if missing("chromium-driver (chromedriver)", driver.is_some())
            || missing("chromium", chromium.is_some())
        {
            return None;
        }
        let port = free_port();
        let proc = Command::new(driver.expect("checked"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let proc = Proc(proc);
        wait_for_port(port, "chromedriver").await;
        let profile =
            std::env::temp_dir().join(format!("hlmcp-chromium-{}-{port}", std::process::id()));
        Some(Self {
            url: format!("http://127.0.0.1:{port}"),
            _proc: proc,
            profile,
        })
    }

    /// A WebDriver session in headless Chromium with this browser's own profile folder (the
    /// flags keep Chromium off the network it cannot reach here).
    async fn session(&self) -> fantoccini::Client {
        let mut caps = serde_json::Map::new();
        let chromium = on_path("chromium")
            .or_else(|| on_path("chromium-browser"))
            .expect("chromium");
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1000",
                    format!("--user-data-dir={}", self.profile.display()),
                ]
            }),
        );
        ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a WebDriver session")
    }

    /// Opens `authorize_url`, fills the connect page and presses Connect. `screenshot`, when
    /// given, saves the page before submitting.
    pub async fn consent(&self, authorize_url: &str, screenshot: Option<&Path>) {
        let client = self.session().await;
        let result = async {
            client.goto(authorize_url).await?;
            let title = client.find(Locator::Css("h1")).await?.text().await?;
            assert!(
                title.starts_with("Connect HighLevel to"),
                "connect page heading: {title}"
            );
            if let Some(path) = screenshot {
                let png = client.screenshot().await?;
                let _ = std::fs::write(path, png);
            }
            client
                .find(Locator::Id("passphrase"))
                .await?
                .send_keys(PASSPHRASE)
                .await?;
            client
                .find(Locator::Id("pit"))
                .await?
                .send_keys("pit-sandbox-browser-test")
                .await?;
            let locations = client
                .find(Locator::Id("locations"))
                .await?
                .prop("value")
                .await?;
            assert_eq!(
                locations.as_deref(),
                Some(sandbox::DEMO_LOCATION_ID),
                "pre-filled location"
            );
            client.find(Locator::Id("connect")).await?.click().await?;
            leave(&client, authorize_url).await?;
            Ok::<_, fantoccini::error::CmdError>(())
        }
        .await;
        let _ = client.close().await;
        result.expect("the connect page was filled and submitted");
    }
}

impl Browser {
    /// Opens `authorize_url`, presses "Sign in with HighLevel" on the connect page, and on the
    /// sandbox's HighLevel chooser installs for the agency with every sub-account ticked.
    pub async fn sign_in_with_highlevel(&self, authorize_url: &str) {
        let client = self.session().await;
        let result = async {
            client.goto(authorize_url).await?;
            client
                .find(Locator::Id("hl-passphrase"))
                .await?
                .send_keys(PASSPHRASE)
                .await?;
            client.find(Locator::Id("highlevel")).await?.click().await?;
            // HighLevel's chooser (served by the sandbox).
            client.wait().for_element(Locator::Id("approve")).await?;
            for id in sandbox::AGENCY_LOCATION_IDS {
                let tick = client.find(Locator::Id(&format!("loc-{id}"))).await?;
                assert_eq!(
                    tick.prop("checked").await?.as_deref(),
                    Some("true"),
                    "{id} offered and ticked"
                );
            }
            client
                .find(Locator::Id("target-agency"))
                .await?
                .click()
                .await?;
            client.find(Locator::Id("approve")).await?.click().await?;
            // Closing the session before the redirects land can stop them short of the
            // callback: wait for the callback's page first.
            wait_for_callback_page(&client).await?;
            Ok::<_, fantoccini::error::CmdError>(())
        }
        .await;
        let _ = client.close().await;
        result.expect("the connect page and HighLevel's chooser were filled and submitted");
    }
}

/// Waits (at most 30 s) until the browser has left the page at `url`, so closing the session
/// cannot cancel a form post or the redirect it answers with on a slow machine.
async fn leave(client: &fantoccini::Client, url: &str) -> Result<(), fantoccini::error::CmdError> {
    let page = url.split('?').next().unwrap_or(url).to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        let now = client.current_url().await?;
        if !now.as_str().starts_with(&page) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
