//! `stdio`: the same tools over standard input and output, for clients that start the server as
//! a child process (Claude Desktop and the like). Standard output carries only MCP messages; logs
//! go to standard error.

use std::io;
use std::sync::Arc;

use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

use crate::handler::{App, HighLevelMcp};

/// Serves MCP on stdin/stdout until the client closes stdin or `shutdown` is cancelled.
pub async fn serve(app: Arc<App>, shutdown: CancellationToken) -> io::Result<()> {
    let transport = rmcp::transport::stdio();
    let running = HighLevelMcp::new(app)
        .serve_with_ct(transport, shutdown)
        .await
        .map_err(|e| io::Error::other(format!("MCP handshake on stdio failed: {e}")))?;
    running
        .waiting()
        .await
        .map_err(|e| io::Error::other(format!("stdio service failed: {e}")))?;
    Ok(())
}
