//! Contacts endpoints through real HTTP: shapes, duplicates, upsert matching, tags, tasks,
//! listing and pagination.

mod common;

use common::{Api, arr, is_hl_id, s};
use reqwest::StatusCode;
use sandbox::DEMO_LOCATION_ID;
use serde_json::{Value, json};

#[tokio::test]
async fn get_contact_has_highlevel_shape() {
    let api = Api::start().await;
    let first = api.sandbox.state().contacts(DEMO_LOCATION_ID)[0].clone();
    let id = s(&first, "/id");
    let (st, body) = api.get(&format!("/contacts/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    let c = &body["contact"];
    assert_eq!(c["id"], id);
    assert_eq!(c["locationId"], DEMO_LOCATION_ID);
    assert!(is_hl_id(s(c, "/id")));
    assert!(s(c, "/email").contains('@'));
    assert!(s(c, "/phone").starts_with('+'));
    assert!(c["tags"].is_array());
    assert_eq!(
        s(c, "/fullNameLowerCase"),
        format!("{} {}", s(c, "/firstName"), s(c, "/lastName")).to_lowercase()
    );
}

#[tokio::test]
async fn unknown_contact_is_404_with_highlevel_body() {
    let api = Api::start().await;
    let (st, body) = api.get("/contacts/doesNotExist0000000").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(body["statusCode"], 404);
    assert!(s(&body, "/message").contains("doesNotExist0000000"));
}

#[tokio::test]
async fn create_returns_201_and_duplicate_email_is_400() {
    let api = Api::start().await;
    let (st, body) = api
        .post(
            "/contacts/",
            json!({"locationId": DEMO_LOCATION_ID, "firstName": "Ada", "lastName": "Lovelace",
                   "email": "Ada@Example.com", "phone": "(512) 555-0177", "tags": ["VIP ", "vip", "math"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let id = s(&body, "/contact/id").to_string();
    assert!(is_hl_id(&id));
    assert_eq!(body["contact"]["emailLowerCase"], "ada@example.com");
    assert_eq!(body["contact"]["phone"], "+15125550177");
    assert_eq!(body["contact"]["tags"], json!(["vip", "math"]));
    assert_eq!(
        api.sandbox.state().contact(&id).unwrap()["firstName"],
        "Ada"
    );

    let before = api.sandbox.state().counts().contacts;
    let (st, dup) = api
        .post(
            "/contacts/",
            json!({"locationId": DEMO_LOCATION_ID, "email": "ada@example.COM"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(
        dup["message"],
        "This location does not allow duplicated contacts."
    );
    assert_eq!(dup["meta"]["contactId"], id.as_str());
    assert_eq!(dup["meta"]["matchingField"], "email");
    let (st, dup) = api
        .post(
            "/contacts/",
            json!({"locationId": DEMO_LOCATION_ID, "phone": "+1 512 555 0177"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(dup["meta"]["matchingField"], "phone");
    assert_eq!(api.sandbox.state().counts().contacts, before);
}

#[tokio::test]
async fn create_validates_input() {
    let api = Api::start().await;
    let (st, body) = api
        .post("/contacts/", json!({"firstName": "NoLocation"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["message"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m.as_str().unwrap().contains("locationId"))
    );

    let (st, body) = api
        .post("/contacts/", json!({"locationId": DEMO_LOCATION_ID, "email": "not-an-email", "bogus": 1, "tags": "x"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let msgs: Vec<&str> = body["message"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(msgs.iter().any(|m| m.contains("bogus")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("tags")), "{msgs:?}");

    let (st, body) = api
        .post(
            "/contacts/",
            json!({"locationId": "someOtherLocation123", "firstName": "X"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(s(&body, "/message").contains("someOtherLocation123"));

    // Bad JSON.
    let resp = api
        .http
        .post(api.url("/contacts/"))
        .bearer_auth("t")
        .header("Version", "2021-07-28")
        .header("Content-Type", "application/json")
        .body("{\"locationId\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert!(s(&body, "/message").contains("not valid JSON"));
}

#[tokio::test]
async fn upsert_twice_with_same_email_makes_one_contact() {
    let api = Api::start().await;
    let before = api.sandbox.state().counts().contacts;
    let (st, a) = api
        .post("/contacts/upsert", json!({"locationId": DEMO_LOCATION_ID, "email": "grace@hopper.example", "firstName": "Grace"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{a}");
    assert_eq!(a["new"], true);
    assert!(a["traceId"].is_string());
    let (st, b) = api
        .post("/contacts/upsert", json!({"locationId": DEMO_LOCATION_ID, "email": "GRACE@hopper.example", "lastName": "Hopper"}))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(b["new"], false);
    assert_eq!(a["contact"]["id"], b["contact"]["id"]);
    assert_eq!(b["contact"]["firstName"], "Grace");
    assert_eq!(b["contact"]["lastName"], "Hopper");
    assert_eq!(api.sandbox.state().counts().contacts, before + 1);
}

#[tokio::test]
async fn upsert_matches_by_phone_when_no_email_matches() {
    let api = Api::start().await;
    let existing = api.sandbox.state().contacts(DEMO_LOCATION_ID)[3].clone();
    let phone = s(&existing, "/phone").to_string();
    let (st, r) = api
        .post(
            "/contacts/upsert",
            json!({"locationId": DEMO_LOCATION_ID, "phone": phone, "city": "Lockhart"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(r["new"], false);
    assert_eq!(r["contact"]["id"], existing["id"]);
    assert_eq!(
        api.sandbox.state().contact(s(&existing, "/id")).unwrap()["city"],
        "Lockhart"
    );
}

#[tokio::test]
async fn update_contact_changes_fields_and_checks_duplicates() {
    let api = Api::start().await;
    let contacts = api.sandbox.state().contacts(DEMO_LOCATION_ID);
    let id = s(&contacts[1], "/id");
    let other_email = s(&contacts[2], "/email");
    let (st, r) = api
        .put(
            &format!("/contacts/{id}"),
            json!({"firstName": "Renamed", "tags": ["Alpha"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["succeded"], true);
    assert_eq!(r["contact"]["firstName"], "Renamed");
    assert_eq!(r["contact"]["tags"], json!(["alpha"]));
    assert_eq!(
        api.sandbox.state().contact(id).unwrap()["firstName"],
        "Renamed"
    );

    let (st, r) = api
        .put(&format!("/contacts/{id}"), json!({"email": other_email}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(r["meta"]["contactId"], contacts[2]["id"]);

    let (st, r) = api
        .put(&format!("/contacts/{id}"), json!({"locationId": "x"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r["message"][0].as_str().unwrap().contains("locationId"));

    let (st, _) = api
        .put("/contacts/nope0000000000000000", json!({"firstName": "X"}))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn custom_fields_resolve_by_id_and_key() {
    let api = Api::start().await;
    let fields = api.sandbox.state().custom_fields(DEMO_LOCATION_ID);
    let allergies = fields
        .iter()
        .find(|f| f["fieldKey"] == "contact.allergies")
        .unwrap();
    let id = s(&api.sandbox.state().contacts(DEMO_LOCATION_ID)[5], "/id").to_string();
    let (st, r) = api
        .put(
            &format!("/contacts/{id}"),
            json!({"customFields": [{"key": "allergies", "field_value": "Latex"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let cfs = arr(&r, "/contact/customFields");
    assert!(
        cfs.iter()
            .any(|c| c["id"] == allergies["id"] && c["value"] == "Latex"),
        "{cfs:?}"
    );
    let (st, r) = api
        .put(
            &format!("/contacts/{id}"),
            json!({"customFields": [{"id": "unknownField00000000", "field_value": "x"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r["message"][0]
            .as_str()
            .unwrap()
            .contains("unknownField00000000")
    );
}

#[tokio::test]
async fn add_and_remove_tags() {
    let api = Api::start().await;
    let id = s(&api.sandbox.state().contacts(DEMO_LOCATION_ID)[7], "/id").to_string();
    let (st, r) = api
        .post(
            &format!("/contacts/{id}/tags"),
            json!({"tags": ["Hot Lead", "follow-up"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let tags = arr(&r, "/tags");
    assert!(tags.contains(&json!("hot lead")) && tags.contains(&json!("follow-up")));
    let (_, c) = api.get(&format!("/contacts/{id}")).await;
    assert!(arr(&c, "/contact/tags").contains(&json!("hot lead")));

    let (st, r) = api
        .delete(
            &format!("/contacts/{id}/tags"),
            json!({"tags": ["hot lead"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(!arr(&r, "/tags").contains(&json!("hot lead")));
    assert!(arr(&r, "/tags").contains(&json!("follow-up")));
    let stored = api.sandbox.state().contact(&id).unwrap();
    assert!(
        !stored["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("hot lead"))
    );

    let (st, _) = api
        .post(&format!("/contacts/{id}/tags"), json!({"tags": []}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = api
        .post(
            "/contacts/missing0000000000000/tags",
            json!({"tags": ["a"]}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tasks_of_a_contact() {
    let api = Api::start().await;
    let first = api.sandbox.state().contacts(DEMO_LOCATION_ID)[0].clone();
    let id = s(&first, "/id");
    let (st, r) = api.get(&format!("/contacts/{id}/tasks")).await;
    assert_eq!(st, StatusCode::OK);
    let tasks = arr(&r, "/tasks");
    assert!(!tasks.is_empty(), "contact 0 is seeded with tasks");
    assert_eq!(tasks[0]["contactId"], id);
    assert!(tasks[0]["completed"].is_boolean());
    assert!(tasks[0]["title"].is_string());
    let (st, _) = api.get("/contacts/missing0000000000000/tasks").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn list_contacts_paginates_with_cursor() {
    let api = Api::start().await;
    let total = api.sandbox.state().contacts(DEMO_LOCATION_ID).len();
    let mut seen: Vec<String> = Vec::new();
    let mut path = format!("/contacts/?locationId={DEMO_LOCATION_ID}&limit=15");
    let mut pages = 0;
    loop {
        let (st, r) = api.get(&path).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["meta"]["total"], total);
        assert_eq!(r["count"], total);
        pages += 1;
        assert_eq!(r["meta"]["currentPage"], pages);
        for c in arr(&r, "/contacts") {
            seen.push(s(c, "/id").to_string());
        }
        if r["meta"]["nextPageUrl"].is_null() {
            assert!(r["meta"]["nextPage"].is_null());
            break;
        }
        path = format!(
            "/contacts/?locationId={DEMO_LOCATION_ID}&limit=15&startAfterId={}&startAfter={}",
            s(&r, "/meta/startAfterId"),
            r["meta"]["startAfter"]
        );
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, total.div_ceil(15));
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), total, "every contact exactly once");
    assert_eq!(seen.len(), total);
}

#[tokio::test]
async fn list_contacts_searches_and_validates() {
    let api = Api::start().await;
    let (st, r) = api
        .get(&format!(
            "/contacts/?locationId={DEMO_LOCATION_ID}&query=olivia"
        ))
        .await;
    assert_eq!(st, StatusCode::OK);
    let found = arr(&r, "/contacts");
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|c| s(c, "/fullNameLowerCase").contains("olivia")
                || s(c, "/emailLowerCase").contains("olivia"))
    );
    let (st, r) = api.get("/contacts/").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r["message"][0].as_str().unwrap().contains("locationId"));
    let (st, _) = api
        .get(&format!(
            "/contacts/?locationId={DEMO_LOCATION_ID}&limit=101"
        ))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, r) = api
        .get(&format!("/contacts/?locationId={DEMO_LOCATION_ID}&limit=2"))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(arr(&r, "/contacts").len(), 2);
    assert!(s(&r, "/meta/nextPageUrl").starts_with("http://127.0.0.1:"));
}

#[tokio::test]
async fn changing_an_email_frees_the_old_one() {
    let api = Api::start().await;
    let c = api.sandbox.state().contacts(DEMO_LOCATION_ID)[4].clone();
    let id = s(&c, "/id");
    let old = s(&c, "/email").to_string();
    // Re-sending one's own email is not a duplicate.
    let (st, _) = api
        .put(&format!("/contacts/{id}"), json!({"email": old}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = api
        .put(
            &format!("/contacts/{id}"),
            json!({"email": "moved@example.org"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, r) = api
        .post(
            "/contacts/",
            json!({"locationId": DEMO_LOCATION_ID, "email": old}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "the old email is free: {r}");
    let (st, r) = api
        .post(
            "/contacts/",
            json!({"locationId": DEMO_LOCATION_ID, "email": "MOVED@example.org"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(r["meta"]["contactId"], id);
    let (st, r) = api.post("/contacts/upsert", json!({"locationId": DEMO_LOCATION_ID, "email": "moved@example.org", "city": "Bastrop"})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(r["new"], false);
    assert_eq!(r["contact"]["id"], id);
}

#[tokio::test]
async fn upsert_never_steals_another_contacts_phone() {
    let api = Api::start().await;
    let contacts = api.sandbox.state().contacts(DEMO_LOCATION_ID);
    let (a, b) = (&contacts[8], &contacts[9]);
    // Email matches A, phone belongs to B: A is updated, B keeps its phone, nothing is created.
    let before = contacts.len();
    let (st, r) = api
        .post("/contacts/upsert", json!({"locationId": DEMO_LOCATION_ID, "email": a["email"], "phone": b["phone"], "city": "Kyle"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["contact"]["id"], a["id"]);
    assert_eq!(r["contact"]["phone"], a["phone"]);
    assert_eq!(r["contact"]["city"], "Kyle");
    assert_eq!(
        api.sandbox.state().contact(s(b, "/id")).unwrap()["phone"],
        b["phone"]
    );
    assert_eq!(api.sandbox.state().contacts(DEMO_LOCATION_ID).len(), before);
}
