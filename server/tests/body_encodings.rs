//! The operations whose request body is not JSON go out in their own encoding: the multipart
//! uploads as `multipart/form-data` with the file's bytes, name and type in its part, the OAuth
//! token calls as `application/x-www-form-urlencoded`. Checked on the wire of a recording
//! upstream, through the server and a real MCP client.

mod common;

use common::registry::generated_setup;
use common::*;
use serde_json::{Value, json};

/// base64 of "PNG-BYTES\n".
const FILE_B64: &str = "UE5HLUJZVEVTCg==";

fn file() -> Value {
    json!({"filename": "logo.png", "content_base64": FILE_B64, "content_type": "image/png"})
}

fn body_text(r: &Recorded) -> String {
    match &r.body {
        Some(Value::String(s)) => s.clone(),
        other => panic!("expected a non-JSON body, got {other:?}"),
    }
}

/// The multipart part named `name`: its headers and content, from the raw body.
fn part<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("name=\"{name}\"");
    let at = body.find(&marker)?;
    let rest = &body[at..];
    let end = rest.find("\r\n--").unwrap_or(rest.len());
    Some(&rest[..end])
}

async fn call_one(tool: &str, args: Value) -> Recorded {
    let h = start(generated_setup()).await;
    let c = modern_client(&h.url, Some(PIT), &[("locationId", "LOC1")]).await;
    let r = call(&c, tool, args).await;
    assert!(!is_error(&r), "{tool}: {}", text_of(&r));
    let reqs = h.upstream.requests();
    assert_eq!(reqs.len(), 1, "{tool}: one upstream request");
    reqs[0].clone()
}

fn assert_multipart(tool: &str, r: &Recorded) -> String {
    let ct = r.header("content-type").unwrap_or_default();
    assert!(
        ct.starts_with("multipart/form-data; boundary="),
        "{tool}: content-type {ct}"
    );
    body_text(r)
}

#[tokio::test]
async fn media_upload_sends_the_file_as_a_multipart_part() {
    let tool = "medias_upload-media-content";
    let r = call_one(tool, json!({"file": file(), "name": "Logo"})).await;
    assert_eq!(r.method, "POST");
    assert_eq!(r.path_and_query, "/medias/upload-file");
    let body = assert_multipart(tool, &r);
    let f = part(&body, "file").expect("a file part");
    assert!(f.contains("filename=\"logo.png\""), "{f}");
    assert!(f.contains("Content-Type: image/png"), "{f}");
    assert!(f.contains("PNG-BYTES"), "{f}");
    assert!(part(&body, "name").expect("a name part").contains("Logo"));
}

#[tokio::test]
async fn social_csv_upload_sends_the_file_as_a_multipart_part() {
    let tool = "socialmediaposting_upload-csv";
    let csv = json!({"filename": "posts.csv", "content_base64": "YSxiCjEsMgo=", "content_type": "text/csv"});
    let r = call_one(tool, json!({"file": csv})).await;
    assert_eq!(r.path_and_query, "/social-media-posting/LOC1/csv");
    let body = assert_multipart(tool, &r);
    let f = part(&body, "file").expect("a file part");
    assert!(
        f.contains("filename=\"posts.csv\"") && f.contains("a,b\n1,2"),
        "{f}"
    );
}

#[tokio::test]
async fn form_file_upload_sends_free_fields_and_files() {
    let tool = "forms_upload-to-custom-fields";
    let r = call_one(
        tool,
        json!({"contactId": "c1", "body": {"fld1_f1": file()}}),
    )
    .await;
    assert!(
        r.path_and_query.starts_with("/forms/upload-custom-files?"),
        "{}",
        r.path_and_query
    );
    assert!(
        r.path_and_query.contains("contactId=c1"),
        "{}",
        r.path_and_query
    );
    let body = assert_multipart(tool, &r);
    let f = part(&body, "fld1_f1").expect("the file under its field name");
    assert!(
        f.contains("filename=\"logo.png\"") && f.contains("PNG-BYTES"),
        "{f}"
    );
}

#[tokio::test]
async fn conversation_attachment_upload_is_multipart() {
    let tool = "conversations_upload-file-attachments";
    let r = call_one(
        tool,
        json!({"contactId": "c1", "conversationId": "cv1", "attachmentUrls": ["https://example.com/a.pdf"]}),
    )
    .await;
    assert_eq!(r.path_and_query, "/conversations/messages/upload");
    let body = assert_multipart(tool, &r);
    assert!(part(&body, "contactId").unwrap().contains("c1"));
    assert!(part(&body, "conversationId").unwrap().contains("cv1"));
    assert!(
        part(&body, "attachmentUrls")
            .unwrap()
            .contains("https://example.com/a.pdf")
    );
}

#[tokio::test]
async fn custom_field_file_upload_is_multipart() {
    let tool = "locations_upload-file-customFields";
    let r = call_one(tool, json!({"id": "fld1", "maxFiles": "2"})).await;
    assert_eq!(r.path_and_query, "/locations/LOC1/customFields/upload");
    let body = assert_multipart(tool, &r);
    assert!(part(&body, "id").unwrap().contains("fld1"));
    assert!(part(&body, "maxFiles").unwrap().contains('2'));
}

/// The pairs of a form-urlencoded body, decoded.
fn form_pairs(r: &Recorded) -> Vec<(String, String)> {
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    body_text(r)
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("k=v");
            let dec = |s: &str| tests::percent_decode(&s.replace('+', " "));
            (dec(k), dec(v))
        })
        .collect()
}

#[tokio::test]
async fn oauth_token_exchange_is_form_urlencoded() {
    let tool = "oauth_get-access-token";
    let r = call_one(
        tool,
        json!({"client_id": "app1", "client_secret": "s3cr&t", "grant_type": "authorization_code",
               "code": "c0de", "redirect_uri": "https://example.com/cb?x=1"}),
    )
    .await;
    assert_eq!(
        (r.method.as_str(), r.path_and_query.as_str()),
        ("POST", "/oauth/token")
    );
    let pairs = form_pairs(&r);
    for (k, v) in [
        ("client_id", "app1"),
        ("client_secret", "s3cr&t"),
        ("grant_type", "authorization_code"),
        ("code", "c0de"),
        ("redirect_uri", "https://example.com/cb?x=1"),
    ] {
        assert!(
            pairs.contains(&(k.to_owned(), v.to_owned())),
            "{k}={v} missing from {pairs:?}"
        );
    }
}

#[tokio::test]
async fn location_token_calls_are_form_urlencoded() {
    for (tool, path) in [
        ("oauth_get-location-access-token", "/oauth/locationToken"),
        (
            "oauth_get-location-access-token-v3",
            "/oauth/location-token",
        ),
    ] {
        let r = call_one(tool, json!({"companyId": "co1", "locationId": "LOC9"})).await;
        assert_eq!(r.path_and_query, path, "{tool}");
        let pairs = form_pairs(&r);
        assert!(
            pairs.contains(&("companyId".into(), "co1".into())),
            "{tool}: {pairs:?}"
        );
        assert!(
            pairs.contains(&("locationId".into(), "LOC9".into())),
            "{tool}: {pairs:?}"
        );
    }
}

#[tokio::test]
async fn a_bad_file_is_refused_before_any_upstream_call() {
    let h = start(generated_setup()).await;
    let c = modern_client(&h.url, Some(PIT), &[("locationId", "LOC1")]).await;
    let r = call(
        &c,
        "medias_upload-media-content",
        json!({"file": {"filename": "x.png", "content_base64": "not base64!"}}),
    )
    .await;
    assert!(is_error(&r));
    assert!(
        text_of(&r).contains("`file.content_base64` is not valid base64"),
        "{}",
        text_of(&r)
    );
    assert!(h.upstream.requests().is_empty());
}
