//! Discovery documents: RFC 9728 protected-resource metadata (what a client fetches after our
//! 401) and RFC 8414 authorization-server metadata (where to register, authorize and get tokens).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::{AuthServer, SCOPES_SUPPORTED};

/// `GET /.well-known/oauth-protected-resource[/mcp]`.
pub async fn protected_resource(State(s): State<Arc<AuthServer>>) -> impl IntoResponse {
    Json(protected_resource_doc(&s))
}

/// The protected-resource document.
pub fn protected_resource_doc(s: &AuthServer) -> Value {
    json!({
        "resource": s.resource(),
        "authorization_servers": [s.issuer()],
        "scopes_supported": SCOPES_SUPPORTED,
        "bearer_methods_supported": ["header"],
        "resource_name": "HighLevel MCP (highlevel-mcp)",
    })
}

/// `GET /.well-known/oauth-authorization-server`.
pub async fn authorization_server(State(s): State<Arc<AuthServer>>) -> impl IntoResponse {
    Json(authorization_server_doc(&s))
}

/// The authorization-server document.
pub fn authorization_server_doc(s: &AuthServer) -> Value {
    let base = s.issuer();
    let auth_methods = ["none", "client_secret_post", "client_secret_basic"];
    json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "registration_endpoint": format!("{base}/register"),
        "revocation_endpoint": format!("{base}/revoke"),
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
    })
}
