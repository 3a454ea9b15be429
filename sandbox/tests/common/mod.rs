//! Shared helpers for the sandbox's HTTP tests: start an emulator, send requests with the
//! headers HighLevel requires, and decode JSON answers.
#![allow(dead_code)]

use reqwest::{Method, StatusCode};
use sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

/// A started sandbox plus a client that sends `Authorization` and the right `Version`.
pub struct Api {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
}

/// The `Version` HighLevel requires for a path.
pub fn version_for(path: &str) -> &'static str {
    if path.starts_with("/calendars") || path.starts_with("/conversations") {
        "2021-04-15"
    } else {
        "2021-07-28"
    }
}

impl Api {
    pub async fn start() -> Api {
        Self::with(SandboxConfig::for_tests()).await
    }

    pub async fn with(config: SandboxConfig) -> Api {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        Api {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.base_url(), path)
    }

    /// Sends a request with auth and version headers; returns status and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth("test-token")
            .header("Version", version_for(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request is sent");
        let status = resp.status();
        let text = resp.text().await.expect("body is read");
        let json = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "{method_path} answered non-JSON ({e}): {text}",
                method_path = path
            )
        });
        (status, json)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(body)).await
    }
}

/// The string at a JSON pointer, or a panic naming the pointer.
pub fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {v}"))
}

/// The array at a JSON pointer, or a panic naming the pointer.
pub fn arr<'a>(v: &'a Value, pointer: &str) -> &'a Vec<Value> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no array at {pointer} in {v}"))
}

/// True when the 20-character alphanumeric shape of HighLevel ids fits.
pub fn is_hl_id(id: &str) -> bool {
    id.len() == 20 && id.chars().all(|c| c.is_ascii_alphanumeric())
}
