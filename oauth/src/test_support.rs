//! A throwaway PostgreSQL server for tests (feature `test-support`): `initdb` into a temporary
//! directory, `postgres` on a free loopback port with its socket in that directory, password
//! authentication, nothing kept. Dropping it stops the server (immediate shutdown, then kill).
//!
//! The binaries are looked up in `$PG_BIN`, then Debian's `/usr/lib/postgresql/<version>/bin`
//! (newest first), then `PATH`. Postgres refuses to run as root, so when the tests run as root
//! the cluster directory is handed to the `postgres` user (which Debian's package creates) and
//! both programs run as that user.
//!
//! When Postgres is not installed, [`PostgresServer::start`] prints `skipped: ...` and returns
//! `None`; under `CI=true` it panics instead, since CI installs Postgres
//! (`.ci/install-ship.sh`) and a skip there would hide a broken set-up.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The superuser the cluster is created with.
pub const USER: &str = "hlmcp";

/// How long the server may take to accept connections.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A running `postgres` child process.
#[derive(Debug)]
pub struct PostgresServer {
    child: Child,
    port: u16,
    password: String,
    _dir: tempfile::TempDir,
}

/// Who the programs run as: this process's user, or `postgres` when that is root.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    ids: Option<(u32, u32)>,
}

impl RunAs {
    fn command(self, program: &Path) -> Command {
        let mut c = Command::new(program);
        #[cfg(unix)]
        if let Some((uid, gid)) = self.ids {
            use std::os::unix::process::CommandExt;
            c.uid(uid).gid(gid);
        }
        c.env_remove("PGDATA").env("LC_ALL", "C");
        c
    }
}

impl PostgresServer {
    /// Starts one, or returns `None` (after printing why) when Postgres is not installed and
    /// `CI` is not `true`. Panics when it is installed but does not come up.
    pub fn start(test: &str) -> Option<Self> {
        let Some(bin) = find_bin() else {
            let why = format!(
                "{test}: PostgreSQL is not installed (Debian package postgresql; .ci/install-ship.sh installs it; or set PG_BIN to the directory holding initdb and postgres)"
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but {why}");
            }
            println!("skipped: {why}");
            return None;
        };
        let run_as = RunAs {
            ids: if is_root() {
                Some(postgres_user().unwrap_or_else(|| {
                    panic!("running as root, and Postgres refuses root; but there is no `postgres` user in /etc/passwd (Debian's postgresql package creates it)")
                }))
            } else {
                None
            },
        };
        // Up to three tries: another process may take the free port between probe and bind.
        let mut last = String::new();
        for _ in 0..3 {
            match Self::try_start(&bin, run_as) {
                Ok(server) => return Some(server),
                Err(e) => last = e,
            }
        }
        panic!("postgres did not start (three tries): {last}");
    }

    fn try_start(bin: &Path, run_as: RunAs) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("hlmcp-pg-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?;
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        let password = random_password();
        std::fs::write(&pwfile, &password).map_err(|e| format!("password file: {e}"))?;
        #[cfg(unix)]
        if let Some((uid, gid)) = run_as.ids {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .and_then(|()| std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)))
                .map_err(|e| format!("chown to the postgres user: {e}"))?;
        }
        let out = run_as
            .command(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let port = free_port();
        let child = run_as
            .command(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", dir.path().display()))
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
            .args(["-c", "shared_buffers=16MB", "-c", "logging_collector=off"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run postgres: {e}"))?;
        let mut server = PostgresServer {
            child,
            port,
            password,
            _dir: dir,
        };
        let start = Instant::now();
        while start.elapsed() < START_LIMIT {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("postgres exited at start ({status})"));
            }
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string(), "-t", "1"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "postgres did not accept connections within {START_LIMIT:?}"
        ))
    }

    /// `postgres://hlmcp:<password>@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// The URL of database `db` on this server (see [`Self::create_database`]).
    pub fn url_for(&self, db: &str) -> String {
        format!(
            "postgres://{USER}:{}@127.0.0.1:{}/{db}",
            self.password, self.port
        )
    }

    /// The password of [`USER`].
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates database `db` (a plain identifier) and returns its URL.
    pub async fn create_database(&self, db: &str) -> String {
        use sqlx::Connection;
        assert!(
            !db.is_empty() && db.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "database names in tests are plain identifiers, got {db:?}"
        );
        let mut conn = tokio::time::timeout(
            Duration::from_secs(10),
            sqlx::PgConnection::connect(&self.url()),
        )
        .await
        .expect("connecting to the test postgres within 10 s")
        .expect("connecting to the test postgres");
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&mut conn)
            .await
            .expect("CREATE DATABASE");
        let _ = conn.close().await;
        self.url_for(db)
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        // SIGQUIT is Postgres's immediate shutdown: the postmaster takes its backends down with
        // it. SIGKILL would leave them to notice on their own.
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The directory holding `initdb`, `postgres` and `pg_isready`.
fn find_bin() -> Option<PathBuf> {
    let complete = |d: &Path| {
        ["initdb", "postgres", "pg_isready"]
            .iter()
            .all(|b| d.join(b).is_file())
    };
    if let Ok(dir) = std::env::var("PG_BIN") {
        let dir = PathBuf::from(dir);
        return complete(&dir).then_some(dir);
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    debian.sort();
    if let Some((_, dir)) = debian.into_iter().rev().find(|(_, d)| complete(d)) {
        return Some(dir);
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| complete(d))
}

fn is_root() -> bool {
    // No libc in this crate: ask `id`, which every Debian system has.
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The uid and gid of `postgres`, from /etc/passwd.
fn postgres_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        (f.next()? == "postgres").then_some(())?;
        let _password = f.next()?;
        Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn random_password() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
