//! A throwaway `redis-server` for tests (feature `test-support`): started on a free loopback
//! port with its own temporary directory, nothing saved to disk, killed when dropped.
//!
//! When the binary is missing, [`RedisServer::start`] prints `skipped: ...` and returns `None`,
//! so a developer without Redis still gets a green run; under `CI=true` it panics instead, since
//! CI installs Redis (`.ci/install-ship.sh`) and a skip there would hide a broken set-up.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server` child process.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts one, or returns `None` (after printing why) when `redis-server` is not installed
    /// and `CI` is not `true`. Panics when it is installed but does not come up within 10 s.
    pub fn start(test: &str) -> Option<Self> {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        if Command::new(&binary)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            let why = format!(
                "{test}: `{binary}` is not installed (Debian package redis-server; .ci/install-ship.sh installs it)"
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but {why}");
            }
            println!("skipped: {why}");
            return None;
        }
        // Up to three tries: another process may take the free port between probe and bind.
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("a temporary directory for redis-server");
            let port = free_port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let child = Command::new(&binary)
                .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
                .args([
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--protected-mode",
                    "yes",
                ])
                .arg("--dir")
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server starts");
            let mut server = RedisServer {
                child,
                addr,
                _dir: dir,
            };
            if server.wait_ready(Duration::from_secs(10)) {
                return Some(server);
            }
        }
        panic!("redis-server did not answer PING on a loopback port within 10 s (three tries)");
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether it answers `PING` now.
    pub fn answers(&self) -> bool {
        ping(self.addr)
    }

    fn wait_ready(&mut self, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if ping(self.addr) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// One `PING` over RESP with a short timeout.
fn ping(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}
