//! locationId: the tool argument wins, else the `locationId` header, else the server default;
//! none of them is an isError result telling both ways to give one. Every slot kind is covered
//! (query, body, path, altId + altType).

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn argument_beats_header_beats_default() {
    let h = start(Setup {
        default_location: Some("DEF".into()),
        ..Setup::default()
    })
    .await;
    let with_header = legacy_client(&h.url, Some(PIT), &[("locationId", "HDR")]).await;
    let without = modern_client(&h.url, Some(PIT), &[]).await;

    call(
        &with_header,
        "contacts_get-contacts",
        json!({"locationId": "ARG"}),
    )
    .await;
    assert_eq!(
        h.upstream.last().path_and_query,
        "/contacts/?locationId=ARG"
    );
    call(
        &with_header,
        "contacts_get-contacts",
        json!({"query": "ada"}),
    )
    .await;
    assert_eq!(
        h.upstream.last().path_and_query,
        "/contacts/?locationId=HDR&query=ada"
    );
    call(&without, "contacts_get-contacts", json!({})).await;
    assert_eq!(
        h.upstream.last().path_and_query,
        "/contacts/?locationId=DEF"
    );
}

#[tokio::test]
async fn every_slot_kind_is_filled_from_the_header() {
    let h = start(Setup::default()).await;
    let c = legacy_client(&h.url, Some(PIT), &[("locationId", "HDR")]).await;
    call(&c, "contacts_create-contact", json!({"firstName": "Ada"})).await;
    assert_eq!(
        h.upstream.last().body,
        Some(json!({"locationId": "HDR", "firstName": "Ada"}))
    );
    call(&c, "locations_list-tags", json!({})).await;
    assert_eq!(h.upstream.last().path_and_query, "/locations/HDR/tags");
    call(&c, "payments_list-orders", json!({})).await;
    assert_eq!(
        h.upstream.last().path_and_query,
        "/payments/orders?altId=HDR&altType=location"
    );
    // Tools that take no location ignore the header.
    call(&c, "contacts_get-contact", json!({"contactId": "c1"})).await;
    assert_eq!(h.upstream.last().path_and_query, "/contacts/c1");
}

#[tokio::test]
async fn missing_location_tells_both_ways_to_give_it() {
    let h = start(Setup::default()).await;
    let c = modern_client(&h.url, Some(PIT), &[]).await;
    let r = call(&c, "contacts_get-contacts", json!({})).await;
    assert!(is_error(&r));
    let t = text_of(&r);
    assert!(t.contains("`locationId` argument"), "{t}");
    assert!(t.contains("`locationId` HTTP header"), "{t}");
    assert!(h.upstream.requests().is_empty());
}
