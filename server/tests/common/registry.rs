//! The generated registry's expectations: its schema files and one request-mapping case per tool.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::*;

pub fn generated_setup() -> Setup {
    Setup {
        tools: ::generated::tools().iter().map(|t| (*t).clone()).collect(),
        ..Setup::default()
    }
}

/// Every `generated/schemas/<app>/<tool>.json`, by tool name.
pub fn schema_files() -> BTreeMap<String, Value> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../generated/schemas");
    let mut out = BTreeMap::new();
    for app in std::fs::read_dir(&root).expect("generated/schemas exists") {
        let app = app.unwrap().path();
        if !app.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&app).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                let v: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                assert_eq!(v["name"], json!(name), "{} names its tool", path.display());
                out.insert(name, v);
            }
        }
    }
    out
}

pub fn assert_listing_matches_files(tools: &[rmcp::model::Tool]) {
    let files = schema_files();
    assert!(!files.is_empty(), "no generated schema files");
    let listed: BTreeMap<String, Value> = tools
        .iter()
        .map(|t| (t.name.to_string(), serde_json::to_value(t).unwrap()))
        .collect();
    assert_eq!(
        listed.keys().collect::<Vec<_>>(),
        files.keys().collect::<Vec<_>>(),
        "tools/list names == schema file names"
    );
    for (name, file) in &files {
        assert_eq!(
            &listed[name], file,
            "tools/list entry for {name} == its schema file"
        );
    }
}

pub struct Case {
    pub tool: &'static str,
    pub args: Value,
    pub method: &'static str,
    pub path: &'static str,
    pub version: &'static str,
    pub body: Option<Value>,
}

pub fn cases() -> Vec<Case> {
    let c = |tool, args, method, path, version, body| Case {
        tool,
        args,
        method,
        path,
        version,
        body,
    };
    const V1: &str = "2021-07-28";
    const V2: &str = "2021-04-15";
    vec![
        c(
            "blogs_check-url-slug-exists",
            json!({"urlSlug": "spring-sale"}),
            "GET",
            "/blogs/posts/url-slug-exists?urlSlug=spring-sale&locationId=LOC1",
            V1,
            None,
        ),
        c(
            "blogs_create-blog-post",
            json!({"title": "Spring tune-up", "blogId": "b1", "imageUrl": "https://example.com/a.png", "description": "Checklist", "rawHTML": "<p>Hi</p>", "status": "DRAFT", "imageAltText": "A van", "categories": ["cat1"], "author": "au1", "urlSlug": "spring-tune-up", "publishedAt": "2026-12-07T10:00:00.000Z"}),
            "POST",
            "/blogs/posts",
            V1,
            Some(
                json!({"title": "Spring tune-up", "blogId": "b1", "imageUrl": "https://example.com/a.png", "description": "Checklist", "rawHTML": "<p>Hi</p>", "status": "DRAFT", "imageAltText": "A van", "categories": ["cat1"], "author": "au1", "urlSlug": "spring-tune-up", "publishedAt": "2026-12-07T10:00:00.000Z", "locationId": "LOC1"}),
            ),
        ),
        c(
            "blogs_get-all-blog-authors-by-location",
            json!({"limit": 10, "offset": 0}),
            "GET",
            "/blogs/authors?locationId=LOC1&limit=10&offset=0",
            V1,
            None,
        ),
        c(
            "blogs_get-all-categories-by-location",
            json!({"limit": 10, "offset": 0}),
            "GET",
            "/blogs/categories?locationId=LOC1&limit=10&offset=0",
            V1,
            None,
        ),
        c(
            "blogs_get-blog-post",
            json!({"blogId": "b1", "limit": 10, "offset": 0}),
            "GET",
            "/blogs/posts/all?locationId=LOC1&blogId=b1&limit=10&offset=0",
            V1,
            None,
        ),
        c(
            "blogs_get-blogs",
            json!({"skip": 0, "limit": 10}),
            "GET",
            "/blogs/site/all?locationId=LOC1&skip=0&limit=10",
            V1,
            None,
        ),
        c(
            "blogs_update-blog-post",
            json!({"title": "Spring tune-up", "blogId": "b1", "imageUrl": "https://example.com/a.png", "description": "Checklist", "rawHTML": "<p>Hi</p>", "status": "DRAFT", "imageAltText": "A van", "categories": ["cat1"], "author": "au1", "urlSlug": "spring-tune-up", "publishedAt": "2026-12-07T10:00:00.000Z", "postId": "p1"}),
            "PUT",
            "/blogs/posts/p1",
            V1,
            Some(
                json!({"title": "Spring tune-up", "blogId": "b1", "imageUrl": "https://example.com/a.png", "description": "Checklist", "rawHTML": "<p>Hi</p>", "status": "DRAFT", "imageAltText": "A van", "categories": ["cat1"], "author": "au1", "urlSlug": "spring-tune-up", "publishedAt": "2026-12-07T10:00:00.000Z", "locationId": "LOC1"}),
            ),
        ),
        c(
            "calendars_get-appointment-notes",
            json!({"appointmentId": "apt1"}),
            "GET",
            "/calendars/appointments/apt1/notes?limit=20&offset=0",
            V2,
            None,
        ),
        c(
            "calendars_get-calendar-events",
            json!({"calendarId": "cal1", "startTime": "1795392000000", "endTime": "1795996800000"}),
            "GET",
            "/calendars/events?locationId=LOC1&calendarId=cal1&startTime=1795392000000&endTime=1795996800000",
            V2,
            None,
        ),
        c(
            "contacts_add-tags",
            json!({"contactId": "c1", "tags": ["vip", "new"]}),
            "POST",
            "/contacts/c1/tags",
            V1,
            Some(json!({"tags": ["vip", "new"]})),
        ),
        c(
            "contacts_create-contact",
            json!({"firstName": "Ada", "email": "ada@example.com", "tags": ["lead"]}),
            "POST",
            "/contacts/",
            V1,
            Some(
                json!({"firstName": "Ada", "email": "ada@example.com", "tags": ["lead"], "locationId": "LOC1"}),
            ),
        ),
        c(
            "contacts_get-all-tasks",
            json!({"contactId": "c1"}),
            "GET",
            "/contacts/c1/tasks",
            V1,
            None,
        ),
        c(
            "contacts_get-contact",
            json!({"contactId": "c1"}),
            "GET",
            "/contacts/c1",
            V1,
            None,
        ),
        c(
            "contacts_get-contacts",
            json!({"query": "ada lovelace", "limit": 5}),
            "GET",
            "/contacts/?locationId=LOC1&query=ada%20lovelace&limit=5",
            V1,
            None,
        ),
        c(
            "contacts_remove-tags",
            json!({"contactId": "c1", "tags": ["vip"]}),
            "DELETE",
            "/contacts/c1/tags",
            V1,
            Some(json!({"tags": ["vip"]})),
        ),
        c(
            "contacts_update-contact",
            json!({"contactId": "c1", "firstName": "Grace", "dnd": true}),
            "PUT",
            "/contacts/c1",
            V1,
            Some(json!({"firstName": "Grace", "dnd": true})),
        ),
        // The argument beats the locationId header.
        c(
            "contacts_upsert-contact",
            json!({"email": "ada@example.com", "locationId": "ARGLOC"}),
            "POST",
            "/contacts/upsert",
            V1,
            Some(json!({"email": "ada@example.com", "locationId": "ARGLOC"})),
        ),
        c(
            "conversations_get-messages",
            json!({"conversationId": "cv1", "type": "TYPE_SMS"}),
            "GET",
            "/conversations/cv1/messages?limit=20&type=TYPE_SMS",
            V2,
            None,
        ),
        c(
            "conversations_search-conversation",
            json!({"contactId": "c1", "status": "unread"}),
            "GET",
            "/conversations/search?locationId=LOC1&contactId=c1&limit=20&status=unread",
            V2,
            None,
        ),
        c(
            "conversations_send-a-new-message",
            json!({"type": "SMS", "contactId": "c1", "message": "Hello"}),
            "POST",
            "/conversations/messages",
            V2,
            Some(json!({"type": "SMS", "contactId": "c1", "message": "Hello"})),
        ),
        c(
            "emails_create-template",
            json!({"type": "html", "importProvider": "mailchimp", "name": "Welcome"}),
            "POST",
            "/emails/builder",
            V1,
            Some(
                json!({"type": "html", "importProvider": "mailchimp", "name": "Welcome", "locationId": "LOC1"}),
            ),
        ),
        c(
            "emails_fetch-template",
            json!({"limit": "10"}),
            "GET",
            "/emails/builder?locationId=LOC1&limit=10",
            V1,
            None,
        ),
        c(
            "locations_get-custom-fields",
            json!({"model": "contact"}),
            "GET",
            "/locations/LOC1/customFields?model=contact",
            V1,
            None,
        ),
        c(
            "locations_get-location",
            json!({}),
            "GET",
            "/locations/LOC1",
            V1,
            None,
        ),
        c(
            "opportunities_get-opportunity",
            json!({"id": "op1"}),
            "GET",
            "/opportunities/op1",
            V1,
            None,
        ),
        c(
            "opportunities_get-pipelines",
            json!({}),
            "GET",
            "/opportunities/pipelines?locationId=LOC1",
            V1,
            None,
        ),
        c(
            "opportunities_search-opportunity",
            json!({"q": "deal", "status": "open", "limit": 10}),
            "GET",
            "/opportunities/search?q=deal&location_id=LOC1&status=open&limit=10",
            V1,
            None,
        ),
        c(
            "opportunities_update-opportunity",
            json!({"id": "op1", "status": "won", "monetaryValue": 1500}),
            "PUT",
            "/opportunities/op1",
            V1,
            Some(json!({"status": "won", "monetaryValue": 1500})),
        ),
        c(
            "payments_get-order-by-id",
            json!({"orderId": "o1"}),
            "GET",
            "/payments/orders/o1?altId=LOC1",
            V1,
            None,
        ),
        c(
            "payments_list-transactions",
            json!({"limit": 5}),
            "GET",
            "/payments/transactions?altId=LOC1&altType=location&limit=5",
            V1,
            None,
        ),
        c(
            "socialmediaposting_create-post",
            json!({"type": "post", "accountIds": ["acc1"], "userId": "u1", "summary": "Open house Saturday"}),
            "POST",
            "/social-media-posting/LOC1/posts",
            V1,
            Some(
                json!({"type": "post", "accountIds": ["acc1"], "userId": "u1", "summary": "Open house Saturday"}),
            ),
        ),
        c(
            "socialmediaposting_edit-post",
            json!({"id": "p1", "type": "post", "summary": "Open house moved to Sunday"}),
            "PUT",
            "/social-media-posting/LOC1/posts/p1",
            V1,
            Some(json!({"type": "post", "summary": "Open house moved to Sunday"})),
        ),
        c(
            "socialmediaposting_get-account",
            json!({}),
            "GET",
            "/social-media-posting/LOC1/accounts",
            V1,
            None,
        ),
        c(
            "socialmediaposting_get-post",
            json!({"id": "p1"}),
            "GET",
            "/social-media-posting/LOC1/posts/p1",
            V1,
            None,
        ),
        c(
            "socialmediaposting_get-posts",
            json!({"skip": "0", "limit": "10", "fromDate": "2026-12-01T00:00:00.000Z", "toDate": "2026-12-31T00:00:00.000Z", "includeUsers": "false"}),
            "POST",
            "/social-media-posting/LOC1/posts/list",
            V1,
            Some(
                json!({"skip": "0", "limit": "10", "fromDate": "2026-12-01T00:00:00.000Z", "toDate": "2026-12-31T00:00:00.000Z", "includeUsers": "false"}),
            ),
        ),
        c(
            "socialmediaposting_get-social-media-statistics",
            json!({"profileIds": ["acc1"]}),
            "POST",
            "/social-media-posting/statistics?locationId=LOC1",
            V1,
            Some(json!({"profileIds": ["acc1"]})),
        ),
    ]
}

pub async fn check_all(client: &Client, h: &RecordingUpstream, bearer: &str) {
    let cases = cases();
    let covered: Vec<_> = cases.iter().map(|c| c.tool).collect();
    let hosted: Vec<_> = ::generated::tools()
        .iter()
        .map(|t| t.name.as_ref())
        .filter(|n| ::generated::hosted().contains(n))
        .collect();
    assert_eq!(
        covered, hosted,
        "one case per default (hosted) tool, in registry order; tests/tests/every_tool.rs covers the rest"
    );
    for case in cases {
        h.clear();
        let r = call(client, case.tool, case.args.clone()).await;
        assert!(!is_error(&r), "{}: {}", case.tool, text_of(&r));
        let reqs = h.requests();
        assert_eq!(reqs.len(), 1, "{}: one upstream request", case.tool);
        let req = &reqs[0];
        assert_eq!(req.method, case.method, "{}", case.tool);
        assert_eq!(req.path_and_query, case.path, "{}", case.tool);
        assert_eq!(req.header("version"), Some(case.version), "{}", case.tool);
        assert_eq!(
            req.header("authorization"),
            Some(format!("Bearer {bearer}").as_str()),
            "{}",
            case.tool
        );
        assert_eq!(req.body, case.body, "{}", case.tool);
        if case.body.is_some() {
            assert_eq!(req.header("content-type"), Some("application/json"));
        }
        assert!(
            req.header("locationid").is_none(),
            "the locationId header is not forwarded"
        );
    }
}
