//! The connect-page flow over plain HTTP (registration, consent, token exchange) that gives the
//! benchmark an OAuth access token from a replica.

use serde_json::{Value, json};

/// The passphrase the replicas are started with.
pub const PASSPHRASE: &str = "bench passphrase, long enough";
const REDIRECT: &str = "http://127.0.0.1:45999/callback";

/// The OAuth flow through `base`; returns an access token for the demo location.
pub async fn grant(base: &str, public: &str) -> String {
    let c = super::http();
    let reg: Value = c
        .post(format!("{base}/register"))
        .json(&json!({"client_name": "bench", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("register json");
    let client_id = reg["client_id"].as_str().expect("client_id").to_owned();
    let verifier = "b".repeat(50);
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let resource = format!("{public}/mcp");
    let page = c
        .get(
            url::Url::parse_with_params(
                &format!("{base}/authorize"),
                [
                    ("response_type", "code"),
                    ("client_id", client_id.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("code_challenge", challenge.as_str()),
                    ("code_challenge_method", "S256"),
                    ("state", "s"),
                    ("resource", resource.as_str()),
                    ("scope", "highlevel"),
                ],
            )
            .expect("authorize url"),
        )
        .send()
        .await
        .expect("authorize");
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let body = page.text().await.expect("page");
    let request = body
        .split("name=\"request\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("request field")
        .to_owned();
    let consent = c
        .post(format!("{base}/authorize"))
        .header("cookie", cookie)
        .form(&[
            ("request", request.as_str()),
            ("action", "connect"),
            ("passphrase", PASSPHRASE),
            ("pit", "bench-pit"),
            ("locations", sandbox::DEMO_LOCATION_ID),
        ])
        .send()
        .await
        .expect("consent");
    let location = consent.headers()["location"].to_str().expect("location");
    let code = url::Url::parse(location)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let token: Value = c
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
    token["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token: {token}"))
        .to_owned()
}
