//! rmcp's own client-side OAuth against `serve --sandbox --auth oauth`: discovery from the 401,
//! dynamic registration, PKCE, consent in headless Chromium, token exchange, tool calls; then
//! the operator revokes the grant with `highlevel-mcp grants revoke` and the next call fails.

mod oauth_support;

use oauth_support::{Browser, Callback, OAuthServer};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::auth::{AuthClient, AuthorizationRequest, OAuthState};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

#[tokio::test]
async fn rmcp_oauth_client_signs_in_through_the_browser_and_calls_tools() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let server = OAuthServer::start(&[]).await;
    let mut callback = Callback::start().await;

    // Without a token the server answers 401 with the RFC 9728 pointer.
    let resp = reqwest::Client::new()
        .post(server.mcp_url())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 401);
    let challenge = resp.headers()["www-authenticate"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        challenge.contains(&format!(
            "resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            server.base
        )),
        "{challenge}"
    );

    let mut state = OAuthState::new(server.mcp_url(), None)
        .await
        .expect("oauth state");
    let request = AuthorizationRequest::new(callback.redirect_uri.clone())
        .with_client_name("rmcp OAuth test")
        .with_challenge(challenge);
    state
        .start_authorization(request)
        .await
        .expect("discovery and registration");
    let authorize_url = state
        .get_authorization_url()
        .await
        .expect("authorization url");
    assert!(
        authorize_url.contains("code_challenge_method=S256"),
        "{authorize_url}"
    );
    browser.consent(&authorize_url, None).await;
    let redirected = callback.next().await;
    state
        .handle_callback_url(&redirected)
        .await
        .expect("code exchanged for tokens");
    let manager = state
        .into_authorization_manager()
        .expect("authorized manager");

    let client = AuthClient::new(reqwest::Client::default(), manager);
    let transport = StreamableHttpClientTransport::with_client(
        client,
        StreamableHttpClientTransportConfig::with_uri(server.mcp_url()),
    );
    let service = ().serve(transport).await.expect("MCP session over OAuth");
    let tools = service
        .list_tools(Default::default())
        .await
        .expect("tools/list");
    assert!(
        tools
            .tools
            .iter()
            .any(|t| t.name == "locations_get-location")
    );
    let result = service
        .call_tool(CallToolRequestParams::new("locations_get-location"))
        .await
        .expect("tools/call");
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let text = serde_json::to_string(&result.content).expect("json");
    assert!(text.contains(sandbox::DEMO_LOCATION_ID), "{text}");

    // A location outside the grant is refused before anything goes upstream.
    let mut args = serde_json::Map::new();
    args.insert("locationId".into(), "someOtherLocation".into());
    let outside = service
        .call_tool(CallToolRequestParams::new("locations_get-location").with_arguments(args))
        .await
        .expect("tools/call");
    assert_eq!(outside.is_error, Some(true), "{outside:?}");
    let text = serde_json::to_string(&outside.content).expect("json");
    assert!(
        text.contains(sandbox::DEMO_LOCATION_ID) && text.contains("someOtherLocation"),
        "{text}"
    );

    // The operator revokes the grant from another process: the very next call is refused.
    let listing = server.grants(&["list"]);
    let grant_id = listing
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("one grant listed")
        .to_owned();
    assert!(
        grant_id.starts_with("g_")
            && listing.contains("rmcp OAuth test")
            && listing.contains("active"),
        "{listing}"
    );
    server.grants(&["revoke", &grant_id]);
    assert!(server.grants(&["list"]).contains("revoked"));
    let after = service
        .call_tool(CallToolRequestParams::new("locations_get-location"))
        .await;
    assert!(
        after.is_err() || after.as_ref().is_ok_and(|r| r.is_error == Some(true)),
        "revoked grant still works: {after:?}"
    );
    let _ = service.cancel().await;
}
