//! Conversations, calendars, opportunities, payments and locations through real HTTP.

mod common;

use common::{Api, arr, is_hl_id, s};
use reqwest::StatusCode;
use sandbox::{DEMO_LOCATION_ID, SEED_EPOCH_MS};
use serde_json::{Value, json};

const L: &str = DEMO_LOCATION_ID;

#[tokio::test]
async fn location_and_custom_fields() {
    let api = Api::start().await;
    let (st, r) = api.get(&format!("/locations/{L}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(r["location"]["id"], L);
    assert!(r["location"]["name"].is_string());
    assert!(r["location"]["timezone"].is_string());
    assert_eq!(r["location"]["settings"]["allowDuplicateContact"], false);

    let (st, r) = api
        .get(&format!("/locations/{L}/customFields?model=all"))
        .await;
    assert_eq!(st, StatusCode::OK);
    let all = arr(&r, "/customFields").len();
    let (_, r) = api.get(&format!("/locations/{L}/customFields")).await;
    assert!(
        arr(&r, "/customFields")
            .iter()
            .all(|f| f["model"] == "contact"),
        "contact is the default model"
    );
    let (_, r) = api
        .get(&format!("/locations/{L}/customFields?model=contact"))
        .await;
    let contact = arr(&r, "/customFields");
    assert!(contact.iter().all(|f| f["model"] == "contact"));
    assert!(
        contact
            .iter()
            .all(|f| s(f, "/fieldKey").starts_with("contact."))
    );
    let (_, r) = api
        .get(&format!("/locations/{L}/customFields?model=opportunity"))
        .await;
    assert_eq!(contact.len() + arr(&r, "/customFields").len(), all);
    let (st, _) = api
        .get(&format!("/locations/{L}/customFields?model=bogus"))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = api.get("/locations/unknownLocation00000").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn search_conversations_and_read_messages() {
    let api = Api::start().await;
    let (st, r) = api
        .get(&format!("/conversations/search?locationId={L}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let convs = arr(&r, "/conversations");
    assert_eq!(r["total"], convs.len());
    assert!(convs.len() >= 5);
    for c in convs {
        for k in [
            "id",
            "contactId",
            "locationId",
            "lastMessageBody",
            "lastMessageType",
            "type",
            "fullName",
            "contactName",
            "email",
            "phone",
        ] {
            assert!(c[k].is_string(), "{k} in {c}");
        }
        assert!(c["unreadCount"].is_number());
    }
    // Newest first by default.
    let dates: Vec<f64> = convs
        .iter()
        .map(|c| c["lastMessageDate"].as_f64().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");

    let (_, r) = api
        .get(&format!("/conversations/search?locationId={L}&limit=2"))
        .await;
    assert_eq!(arr(&r, "/conversations").len(), 2);
    assert_eq!(r["total"], convs.len());

    let (_, r) = api
        .get(&format!(
            "/conversations/search?locationId={L}&status=unread"
        ))
        .await;
    assert!(
        arr(&r, "/conversations")
            .iter()
            .all(|c| c["unreadCount"].as_i64().unwrap() > 0)
    );

    let contact = s(&convs[0], "/contactId");
    let (_, r) = api
        .get(&format!(
            "/conversations/search?locationId={L}&contactId={contact}"
        ))
        .await;
    assert_eq!(arr(&r, "/conversations").len(), 1);

    let id = s(&convs[0], "/id");
    let (st, r) = api.get(&format!("/conversations/{id}/messages")).await;
    assert_eq!(st, StatusCode::OK);
    let msgs = arr(&r, "/messages");
    assert!(!msgs.is_empty());
    assert!(r["nextPage"].is_boolean());
    for m in msgs {
        for k in [
            "id",
            "messageType",
            "locationId",
            "contactId",
            "conversationId",
            "dateAdded",
            "direction",
            "contentType",
        ] {
            assert!(m[k].is_string(), "{k} in {m}");
        }
        assert!(m["type"].is_number());
    }
    let (st, _) = api
        .get("/conversations/missing0000000000000/messages")
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = api
        .get(&format!("/conversations/{id}/messages?type=TYPE_BOGUS"))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn messages_page_by_last_message_id() {
    let api = Api::start().await;
    let conv = api
        .sandbox
        .state()
        .conversations(L)
        .into_iter()
        .max_by_key(|c| api.sandbox.state().messages(s(c, "/id")).len())
        .unwrap();
    let id = s(&conv, "/id");
    let total = api.sandbox.state().messages(id).len();
    assert!(total >= 4);
    let mut seen = Vec::new();
    let mut path = format!("/conversations/{id}/messages?limit=2");
    loop {
        let (st, r) = api.get(&path).await;
        assert_eq!(st, StatusCode::OK);
        seen.extend(arr(&r, "/messages").iter().map(|m| s(m, "/id").to_string()));
        if r["nextPage"] == false {
            break;
        }
        path = format!(
            "/conversations/{id}/messages?limit=2&lastMessageId={}",
            s(&r, "/lastMessageId")
        );
    }
    assert_eq!(seen.len(), total);
    let stored: Vec<String> = api
        .sandbox
        .state()
        .messages(id)
        .iter()
        .rev()
        .map(|m| s(m, "/id").to_string())
        .collect();
    assert_eq!(seen, stored, "newest first, each once");
}

#[tokio::test]
async fn send_message_then_get_messages_shows_it() {
    let api = Api::start().await;
    let conv = api.sandbox.state().conversations(L)[2].clone();
    let contact = s(&conv, "/contactId");
    let (st, r) = api
        .post(
            "/conversations/messages",
            json!({"type": "SMS", "contactId": contact, "message": "See you at 3pm!"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["conversationId"], conv["id"]);
    assert_eq!(r["msg"], "Message queued successfully.");
    let mid = s(&r, "/messageId").to_string();
    assert!(is_hl_id(&mid));

    let (_, m) = api
        .get(&format!("/conversations/{}/messages", s(&conv, "/id")))
        .await;
    let first = &arr(&m, "/messages")[0];
    assert_eq!(first["id"], mid.as_str());
    assert_eq!(first["body"], "See you at 3pm!");
    assert_eq!(first["direction"], "outbound");
    assert_eq!(first["messageType"], "TYPE_SMS");

    let (_, c) = api
        .get(&format!(
            "/conversations/search?locationId={L}&contactId={contact}"
        ))
        .await;
    let c = &arr(&c, "/conversations")[0];
    assert_eq!(c["lastMessageBody"], "See you at 3pm!");
    assert_eq!(c["unreadCount"], 0);
    assert_eq!(c["lastMessageDirection"], "outbound");
}

#[tokio::test]
async fn send_message_creates_a_conversation_when_none_exists() {
    let api = Api::start().await;
    let state = api.sandbox.state();
    let with_conv: Vec<Value> = state
        .conversations(L)
        .iter()
        .map(|c| c["contactId"].clone())
        .collect();
    let contact = state
        .contacts(L)
        .into_iter()
        .find(|c| !with_conv.contains(&c["id"]))
        .unwrap();
    let before = state.counts().conversations;
    let (st, r) = api
        .post("/conversations/messages", json!({"type": "Email", "contactId": contact["id"], "subject": "Hello", "html": "<p>Hi</p>"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert!(r["emailMessageId"].is_string());
    assert_eq!(state.counts().conversations, before + 1);
    let msgs = state.messages(s(&r, "/conversationId"));
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["messageType"], "TYPE_EMAIL");
}

#[tokio::test]
async fn send_message_rejects_bad_input() {
    let api = Api::start().await;
    let contact = api.sandbox.state().contacts(L)[0]["id"].clone();
    let (st, r) = api
        .post(
            "/conversations/messages",
            json!({"type": "Pigeon", "contactId": contact, "message": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r["message"][0].as_str().unwrap().contains("SMS"));
    let (st, _) = api
        .post(
            "/conversations/messages",
            json!({"type": "SMS", "contactId": contact}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = api
        .post(
            "/conversations/messages",
            json!({"type": "SMS", "message": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, r) = api
        .post(
            "/conversations/messages",
            json!({"type": "SMS", "contactId": "missing0000000000000", "message": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(s(&r, "/message").contains("missing0000000000000"));
}

#[tokio::test]
async fn calendar_events_in_a_range() {
    let api = Api::start().await;
    let cal = api.sandbox.state().calendars(L)[0].clone();
    let cal_id = s(&cal, "/id");
    let week_end = SEED_EPOCH_MS + 7 * 86_400_000 - 1;
    let (st, r) = api
        .get(&format!("/calendars/events?locationId={L}&calendarId={cal_id}&startTime={SEED_EPOCH_MS}&endTime={week_end}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let events = arr(&r, "/events");
    assert!(!events.is_empty());
    for e in events {
        assert_eq!(e["calendarId"], cal_id);
        // Date-time strings, not objects.
        let start = s(e, "/startTime");
        assert!(start.starts_with("2026-11-2"), "{start}");
        assert!(e["endTime"].is_string());
        for k in [
            "id",
            "title",
            "locationId",
            "contactId",
            "groupId",
            "appointmentStatus",
            "assignedUserId",
        ] {
            assert!(e[k].is_string(), "{k} in {e}");
        }
    }
    let group = s(&cal, "/groupId");
    let (_, all) = api
        .get(&format!("/calendars/events?locationId={L}&groupId={group}&startTime={SEED_EPOCH_MS}&endTime={week_end}"))
        .await;
    assert!(
        arr(&all, "/events").len() > events.len(),
        "both calendars share the group"
    );
    let (st, r) = api
        .get(&format!(
            "/calendars/events?locationId={L}&startTime=1&endTime=2"
        ))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r["message"][0].as_str().unwrap().contains("calendarId"));
    let (st, _) = api
        .get(&format!(
            "/calendars/events?locationId={L}&calendarId={cal_id}&startTime=soon&endTime=2"
        ))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, none) = api
        .get(&format!(
            "/calendars/events?locationId={L}&calendarId={cal_id}&startTime=1&endTime=2"
        ))
        .await;
    assert!(arr(&none, "/events").is_empty());
}

#[tokio::test]
async fn appointment_notes_page() {
    let api = Api::start().await;
    let state = api.sandbox.state();
    let event = state
        .events(L)
        .into_iter()
        .find(|e| state.appointment_notes(s(e, "/id")).len() >= 2)
        .expect("an event with two notes");
    let id = s(&event, "/id");
    let total = state.appointment_notes(id).len();
    let (st, r) = api
        .get(&format!(
            "/calendars/appointments/{id}/notes?limit=1&offset=0"
        ))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(arr(&r, "/notes").len(), 1);
    assert_eq!(r["hasMore"], true);
    assert!(r["notes"][0]["body"].is_string());
    let (_, r) = api
        .get(&format!(
            "/calendars/appointments/{id}/notes?limit=20&offset=1"
        ))
        .await;
    assert_eq!(arr(&r, "/notes").len(), total - 1);
    assert_eq!(r["hasMore"], false);
    let (st, _) = api
        .get(&format!(
            "/calendars/appointments/{id}/notes?limit=21&offset=0"
        ))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = api
        .get("/calendars/appointments/missing0000000000000/notes?limit=5&offset=0")
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pipelines_and_opportunities_in_every_stage() {
    let api = Api::start().await;
    let (st, r) = api
        .get(&format!("/opportunities/pipelines?locationId={L}"))
        .await;
    assert_eq!(st, StatusCode::OK);
    let pipelines = arr(&r, "/pipelines");
    let main = pipelines
        .iter()
        .find(|p| arr(p, "/stages").len() == 5)
        .expect("a 5-stage pipeline");
    for stage in arr(main, "/stages") {
        let (st, r) = api
            .get(&format!(
                "/opportunities/search?location_id={L}&pipeline_id={}&pipeline_stage_id={}",
                s(main, "/id"),
                s(stage, "/id")
            ))
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let opps = arr(&r, "/opportunities");
        assert!(
            !opps.is_empty(),
            "stage {} has opportunities",
            stage["name"]
        );
        assert!(opps.iter().all(|o| o["pipelineStageId"] == stage["id"]));
        assert!(opps.iter().all(|o| o["contact"]["id"] == o["contactId"]));
    }
    let (st, r) = api
        .get(&format!("/opportunities/search?locationId={L}"))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r["message"][0].as_str().unwrap().contains("location_id"));
}

#[tokio::test]
async fn update_opportunity_stage_then_search_by_stage_shows_it() {
    let api = Api::start().await;
    let state = api.sandbox.state();
    let pipeline = state
        .pipelines(L)
        .into_iter()
        .find(|p| arr(p, "/stages").len() == 5)
        .unwrap();
    let stages = arr(&pipeline, "/stages").clone();
    let opp = state
        .opportunities(L)
        .into_iter()
        .find(|o| o["pipelineStageId"] == stages[0]["id"])
        .unwrap();
    let id = s(&opp, "/id");
    let target = s(&stages[3], "/id");
    let (st, r) = api
        .put(
            &format!("/opportunities/{id}"),
            json!({"pipelineStageId": target, "monetaryValue": 999.5, "status": "open"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["opportunity"]["pipelineStageId"], target);
    assert_eq!(r["opportunity"]["monetaryValue"], 999.5);
    assert_ne!(
        r["opportunity"]["lastStageChangeAt"],
        opp["lastStageChangeAt"]
    );

    let (_, found) = api
        .get(&format!(
            "/opportunities/search?location_id={L}&pipeline_stage_id={target}"
        ))
        .await;
    assert!(arr(&found, "/opportunities").iter().any(|o| o["id"] == id));
    let (_, old) = api
        .get(&format!(
            "/opportunities/search?location_id={L}&pipeline_stage_id={}",
            s(&stages[0], "/id")
        ))
        .await;
    assert!(!arr(&old, "/opportunities").iter().any(|o| o["id"] == id));

    let (st, r) = api.get(&format!("/opportunities/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(r["opportunity"]["pipelineStageId"], target);

    let (st, r) = api
        .put(
            &format!("/opportunities/{id}"),
            json!({"pipelineStageId": "not-a-stage"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(s(&r, "/message").contains("not-a-stage"));
    let (st, _) = api
        .put(&format!("/opportunities/{id}"), json!({"status": "all"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = api
        .put("/opportunities/missing0000000000000", json!({"name": "x"}))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = api.get("/opportunities/missing0000000000000").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn opportunity_search_filters_and_pages() {
    let api = Api::start().await;
    let total = api.sandbox.state().opportunities(L).len();
    let (_, r) = api
        .get(&format!("/opportunities/search?location_id={L}&limit=100"))
        .await;
    assert_eq!(r["meta"]["total"], total);
    let (_, won) = api
        .get(&format!("/opportunities/search?location_id={L}&status=won"))
        .await;
    let won = arr(&won, "/opportunities");
    assert!(!won.is_empty() && won.iter().all(|o| o["status"] == "won"));

    let mut seen = Vec::new();
    let mut page = 1;
    loop {
        let (_, r) = api
            .get(&format!(
                "/opportunities/search?location_id={L}&limit=7&page={page}"
            ))
            .await;
        seen.extend(
            arr(&r, "/opportunities")
                .iter()
                .map(|o| s(o, "/id").to_string()),
        );
        assert_eq!(r["meta"]["currentPage"], page);
        if r["meta"]["nextPage"].is_null() {
            break;
        }
        page += 1;
        assert!(page < 20);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total);

    let contact_name = s(&arr(&r, "/opportunities")[0], "/contact/name").to_string();
    let q = contact_name.split(' ').next().unwrap();
    let (_, r) = api
        .get(&format!("/opportunities/search?location_id={L}&q={q}"))
        .await;
    assert!(
        arr(&r, "/opportunities")
            .iter()
            .any(|o| s(o, "/contact/name") == contact_name)
    );
}

#[tokio::test]
async fn order_by_id() {
    let api = Api::start().await;
    let order = api.sandbox.state().orders(L)[0].clone();
    let id = s(&order, "/_id");
    assert_eq!(id.len(), 24);
    let (st, r) = api
        .get(&format!("/payments/orders/{id}?altId={L}&altType=location"))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["_id"], id);
    assert_eq!(r["altType"], "location");
    assert!(r["items"][0].is_object(), "order items are objects");
    assert!(r["status"].is_string());
    let (st, _) = api.get(&format!("/payments/orders/{id}")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = api
        .get(&format!("/payments/orders/{id}?altId={L}&altType=agency"))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = api
        .get(&format!(
            "/payments/orders/aaaaaaaaaaaaaaaaaaaaaaaa?altId={L}"
        ))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn transactions_filter_and_page() {
    let api = Api::start().await;
    let all = api.sandbox.state().transactions(L);
    let base = format!("/payments/transactions?altId={L}&altType=location");
    let (st, r) = api.get(&base).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["totalCount"], all.len());
    assert_eq!(arr(&r, "/data").len(), 10, "default limit 10");
    for t in arr(&r, "/data") {
        assert!(t["status"].is_string(), "status is a string");
        assert_eq!(t["_id"].as_str().unwrap().len(), 24);
    }
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let (_, r) = api.get(&format!("{base}&limit=8&offset={offset}")).await;
        let data = arr(&r, "/data");
        if data.is_empty() {
            break;
        }
        seen.extend(data.iter().map(|t| s(t, "/_id").to_string()));
        offset += 8;
    }
    assert_eq!(
        seen,
        all.iter()
            .map(|t| s(t, "/_id").to_string())
            .collect::<Vec<_>>()
    );

    let (_, live) = api.get(&format!("{base}&paymentMode=live&limit=100")).await;
    let (_, test) = api.get(&format!("{base}&paymentMode=test&limit=100")).await;
    assert_eq!(
        live["totalCount"].as_u64().unwrap() + test["totalCount"].as_u64().unwrap(),
        all.len() as u64
    );
    assert!(arr(&test, "/data").iter().all(|t| t["liveMode"] == false));

    let contact = s(&all[0], "/contactId");
    let (_, mine) = api
        .get(&format!("{base}&contactId={contact}&limit=100"))
        .await;
    assert!(
        arr(&mine, "/data")
            .iter()
            .all(|t| t["contactId"] == contact)
    );
    assert!(!arr(&mine, "/data").is_empty());

    let (_, ranged) = api
        .get(&format!(
            "{base}&startAt=2026-11-01&endAt=2026-11-10&limit=100"
        ))
        .await;
    for t in arr(&ranged, "/data") {
        let at = s(t, "/createdAt");
        assert!(("2026-11-01".."2026-11-11").contains(&at), "{at}");
    }
    let (st, _) = api.get(&format!("/payments/transactions?altId={L}")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = api.get(&format!("{base}&startAt=yesterday")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn do_not_disturb_blocks_sending() {
    let api = Api::start().await;
    let contacts = api.sandbox.state().contacts(L);
    let all_dnd = s(&contacts[10], "/id").to_string();
    let sms_dnd = s(&contacts[11], "/id").to_string();
    let (st, _) = api
        .put(&format!("/contacts/{all_dnd}"), json!({"dnd": true}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = api
        .put(
            &format!("/contacts/{sms_dnd}"),
            json!({"dndSettings": {"SMS": {"status": "active"}}}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let before = api.sandbox.state().counts().messages;
    let (st, r) = api
        .post(
            "/conversations/messages",
            json!({"type": "Email", "contactId": all_dnd, "html": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(s(&r, "/message").contains("do-not-disturb"));
    let (st, _) = api
        .post(
            "/conversations/messages",
            json!({"type": "SMS", "contactId": sms_dnd, "message": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = api
        .post(
            "/conversations/messages",
            json!({"type": "Email", "contactId": sms_dnd, "html": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "only SMS is blocked for this contact");
    assert_eq!(api.sandbox.state().counts().messages, before + 1);
}

#[tokio::test]
async fn conversation_query_matches_message_content_and_filters() {
    let api = Api::start().await;
    let (st, r) = api
        .get(&format!(
            "/conversations/search?locationId={L}&query=chipped"
        ))
        .await;
    assert_eq!(st, StatusCode::OK);
    let found = arr(&r, "/conversations");
    assert_eq!(
        found.len(),
        1,
        "one seeded thread mentions a chipped tooth: {r}"
    );
    let msgs = api.sandbox.state().messages(s(&found[0], "/id"));
    assert!(msgs.iter().any(|m| s(m, "/body").contains("chipped")));
    let (_, r) = api
        .get(&format!(
            "/conversations/search?locationId={L}&lastMessageAction=automated"
        ))
        .await;
    assert!(arr(&r, "/conversations").is_empty());
    let (_, r) = api
        .get(&format!(
            "/conversations/search?locationId={L}&assignedTo=unassigned"
        ))
        .await;
    assert_eq!(r["total"], api.sandbox.state().conversations(L).len());
    let (st, _) = api
        .get(&format!(
            "/conversations/search?locationId={L}&sort=sideways"
        ))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn birth_dates_in_accepted_forms() {
    let api = Api::start().await;
    for (input, stored) in [
        ("1990-09-25", "1990-09-25T00:00:00.000Z"),
        ("09/25/1990", "1990-09-25T00:00:00.000Z"),
        ("1990/9/5", "1990-09-05T00:00:00.000Z"),
    ] {
        let (st, r) = api
            .post(
                "/contacts/",
                json!({"locationId": L, "firstName": "B", "dateOfBirth": input}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{input}: {r}");
        assert_eq!(r["contact"]["dateOfBirth"], stored, "{input}");
    }
    let (st, r) = api
        .post(
            "/contacts/",
            json!({"locationId": L, "dateOfBirth": "last tuesday"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r["message"][0].as_str().unwrap().contains("dateOfBirth"));
}

#[tokio::test]
async fn custom_field_values_follow_their_data_type() {
    let api = Api::start().await;
    let state = api.sandbox.state();
    let fields = state.custom_fields(L);
    let field = |key: &str| fields.iter().find(|f| f["fieldKey"] == key).unwrap()["id"].clone();
    let contact = s(&state.contacts(L)[6], "/id").to_string();
    let (st, r) = api
        .put(
            &format!("/contacts/{contact}"),
            json!({"customFields": [{"key": "insurance_provider", "field_value": "delta dental"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let insurer = field("contact.insurance_provider");
    assert!(
        arr(&r, "/contact/customFields")
            .iter()
            .any(|c| c["id"] == insurer && c["value"] == "Delta Dental")
    );
    let (st, r) = api
        .put(
            &format!("/contacts/{contact}"),
            json!({"customFields": [{"id": insurer, "field_value": "Acme Insurance"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r["message"][0].as_str().unwrap().contains("Cigna"), "{r}");

    let opp = s(&state.opportunities(L)[0], "/id").to_string();
    let (st, r) = api
        .put(
            &format!("/opportunities/{opp}"),
            json!({"customFields": [{"key": "estimated_visits", "field_value": "3"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let visits = field("opportunity.estimated_visits");
    assert!(
        arr(&r, "/opportunity/customFields")
            .iter()
            .any(|c| c["id"] == visits && c["fieldValue"] == 3.0)
    );
    let (st, _) = api
        .put(
            &format!("/opportunities/{opp}"),
            json!({"customFields": [{"id": visits, "field_value": "many"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
}
