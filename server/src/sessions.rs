//! Bounded 2025-11-25 sessions (`--sessions`): a cap on how many exist at once and an idle
//! expiry, around rmcp's in-memory session manager.
//!
//! rmcp's `LocalSessionManager` keeps every session's handle until the client deletes it, so a
//! client that calls `initialize` in a loop grows the process without bound. [`BoundedSessions`]
//! delegates every operation to it, remembers when each session was last used, closes sessions
//! idle for longer than the expiry ([`BoundedSessions::reap`], run periodically by the HTTP
//! server), and refuses new sessions beyond the cap (the HTTP guard answers 503 before rmcp is
//! reached, see [`BoundedSessions::is_full`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{
    ServerSseMessage, SessionId, SessionManager,
};

/// Why a session operation failed.
#[derive(Debug)]
pub enum SessionsError {
    /// The cap is reached.
    Full(usize),
    /// rmcp's own error.
    Inner(LocalSessionManagerError),
}

impl fmt::Display for SessionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionsError::Full(max) => write!(
                f,
                "the server holds its maximum of {max} sessions; close idle sessions or raise --max-sessions"
            ),
            SessionsError::Inner(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SessionsError {}

impl From<LocalSessionManagerError> for SessionsError {
    fn from(e: LocalSessionManagerError) -> Self {
        SessionsError::Inner(e)
    }
}

/// rmcp's session manager with a cap and an idle expiry.
#[derive(Debug)]
pub struct BoundedSessions {
    inner: LocalSessionManager,
    last_used: Mutex<HashMap<SessionId, Instant>>,
    max: usize,
    idle: Duration,
}

impl BoundedSessions {
    /// At most `max` sessions, each closed after `idle` without a request.
    pub fn new(max: usize, idle: Duration) -> Self {
        let mut inner = LocalSessionManager::default();
        // rmcp's own keep-alive ends a silent session's worker; ours also drops its handle.
        inner.session_config.keep_alive = Some(idle);
        Self {
            inner,
            last_used: Mutex::new(HashMap::new()),
            max: max.max(1),
            idle,
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Instant>> {
        // A panic while holding this lock cannot leave the map inconsistent (plain inserts and
        // removes), so a poisoned lock is used as is.
        self.last_used.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn touch(&self, id: &SessionId) {
        if let Some(t) = self.map().get_mut(id) {
            *t = Instant::now();
        }
    }

    /// Number of open sessions.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether no session is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a new session would be refused.
    pub fn is_full(&self) -> bool {
        self.len() >= self.max
    }

    /// Closes every session idle for longer than the expiry; returns how many were closed.
    pub async fn reap(&self) -> usize {
        let now = Instant::now();
        let stale: Vec<SessionId> = self
            .map()
            .iter()
            .filter(|(_, t)| now.duration_since(**t) > self.idle)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &stale {
            self.map().remove(id);
            // Already gone is fine: the client may have deleted it meanwhile.
            let _ = SessionManager::close_session(&self.inner, id).await;
        }
        stale.len()
    }
}

impl SessionManager for BoundedSessions {
    type Error = SessionsError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        if self.is_full() {
            return Err(SessionsError::Full(self.max));
        }
        let (id, transport) = SessionManager::create_session(&self.inner).await?;
        self.map().insert(id.clone(), Instant::now());
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.touch(id);
        Ok(SessionManager::initialize_session(&self.inner, id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.map().contains_key(id))
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.map().remove(id);
        Ok(SessionManager::close_session(&self.inner, id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(SessionManager::create_stream(&self.inner, id, message).await?)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.touch(id);
        Ok(SessionManager::accept_message(&self.inner, id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(SessionManager::create_standalone_stream(&self.inner, id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(SessionManager::resume(&self.inner, id, last_event_id).await?)
    }
}
