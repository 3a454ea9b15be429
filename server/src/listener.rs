//! The accept loop: every connection phase bounded, and a cap on open connections.
//!
//! `axum::serve` has no header-read timeout and no connection cap, so a client that opens
//! sockets and sends nothing (or a byte every few seconds) keeps them, and their memory, for as
//! long as it likes. Here each accepted socket is served by hyper with:
//!
//! * a deadline for a request's headers ([`ConnLimits::header_timeout`]), which on HTTP/1.1 also
//!   closes a keep-alive connection that stays silent between requests for that long;
//! * a deadline for the request body (applied in the router, see [`crate::http`]);
//! * HTTP/2 keep-alive pings that close a dead peer's connection;
//! * at most [`ConnLimits::max_connections`] open at once, so the process never runs out of file
//!   handles. When the cap is reached, the oldest connection that has not yet sent a complete
//!   request is closed to make room ([`Unserved`]): a flood of slow or silent sockets then
//!   pushes out only its own kind, and a real client (or a health check) still gets in at once.
//!   Only when every open connection has been served does a new socket wait for one to close.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::Service;

/// Bounds on connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// Time allowed for a request's headers, and for silence between keep-alive requests.
    pub header_timeout: Duration,
    /// Time allowed for a request's body.
    pub body_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves `router` on `listener` until `shutdown`, then lets open requests finish for up to
/// `grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    shutdown: CancellationToken,
    grace: Duration,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let builders = Arc::new([builder(&limits).http1_only(), builder(&limits).http2_only()]);
    let unserved = Arc::new(Unserved::default());
    let mut next_id = 0u64;
    loop {
        if permits.available_permits() == 0 {
            unserved.shed_oldest();
        }
        let permit = tokio::select! {
            _ = shutdown.cancelled() => break,
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (tcp, _peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file handles or a reset during the handshake: wait a little
                    // instead of spinning, and keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        next_id += 1;
        let id = next_id;
        let (shed, served) = unserved.register(id);
        let router = router.clone();
        let first = served.clone();
        let service = TowerToHyperService::new(tower::service_fn(move |req| {
            first.store(true, Ordering::Relaxed);
            let mut router = router.clone();
            async move { router.call(req).await }
        }));
        let (builders, watcher) = (builders.clone(), graceful.watcher());
        let header_timeout = limits.header_timeout;
        let unserved = unserved.clone();
        tokio::spawn(async move {
            let run = async {
                // The protocol is chosen here, under the header timeout: hyper's own detection
                // waits for the first bytes with no deadline at all.
                let Some(version) = sniff(&tcp, header_timeout).await else {
                    return;
                };
                let conn = builders[version as usize]
                    .serve_connection_with_upgrades(TokioIo::new(tcp), service)
                    .into_owned();
                // Errors here are a client's broken or timed-out connection: nothing to report.
                let _ = watcher.watch(conn).await;
            };
            tokio::select! {
                _ = run => {}
                _ = shed.cancelled() => {}
            }
            unserved.forget(id);
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::debug!("connections still open after the grace period; closing them");
    }
    Ok(())
}

/// Open connections that have not yet sent a complete request, oldest first: the ones to close
/// when the connection cap is reached.
#[derive(Debug, Default)]
struct Unserved {
    open: Mutex<BTreeMap<u64, (CancellationToken, Arc<AtomicBool>)>>,
}

impl Unserved {
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<u64, (CancellationToken, Arc<AtomicBool>)>> {
        // Plain inserts and removes cannot leave the map half-changed: use it after a panic.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tracks connection `id`: a token that closes it, and a flag its service sets on the first
    /// request.
    fn register(&self, id: u64) -> (CancellationToken, Arc<AtomicBool>) {
        let entry = (CancellationToken::new(), Arc::new(AtomicBool::new(false)));
        self.lock().insert(id, entry.clone());
        entry
    }

    fn forget(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Closes the oldest connection that has sent no complete request yet; served ones are
    /// dropped from the list as they are met (they are never shed).
    fn shed_oldest(&self) {
        let mut open = self.lock();
        while let Some((id, (token, served))) = open.pop_first() {
            if !served.load(Ordering::Relaxed) {
                token.cancel();
                tracing::debug!(
                    connection = id,
                    "connection cap reached; closed the oldest unserved connection"
                );
                return;
            }
        }
    }
}

fn builder(limits: &ConnLimits) -> Builder<TokioExecutor> {
    let mut b = Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    b.http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(limits.header_timeout);
    b
}

/// Which protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    H1 = 0,
    H2 = 1,
}

/// The HTTP/2 client preface.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Peeks at the first bytes (without consuming them) until they match or leave the HTTP/2
/// preface; `None` when the client sends too little before `timeout` or closes.
async fn sniff(tcp: &tokio::net::TcpStream, timeout: Duration) -> Option<Version> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 24];
    let mut seen = 0;
    loop {
        let n = tokio::time::timeout_at(deadline, tcp.peek(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        if buf[..n] != H2_PREFACE[..n] {
            return Some(Version::H1);
        }
        if n == H2_PREFACE.len() {
            return Some(Version::H2);
        }
        if n == seen {
            // `peek` returns at once while the same bytes wait; pause instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
        }
        seen = n;
    }
}
