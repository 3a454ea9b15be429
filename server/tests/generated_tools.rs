//! The generated registry through the server: tools/list equals the committed
//! generated/schemas files tool for tool (both protocol eras), and every one of the tools maps
//! to exactly the upstream request HighLevel's API expects (method, path, query, Version and
//! Authorization headers, body).

mod common;

use common::registry::*;
use common::*;

#[tokio::test]
async fn tools_list_equals_the_generated_schema_files_in_both_eras() {
    let h = start(generated_setup()).await;
    let legacy = legacy_client(&h.url, Some(PIT), &[]).await;
    assert_listing_matches_files(&legacy.list_all_tools().await.unwrap());
    let modern = modern_client(&h.url, Some(PIT), &[]).await;
    assert_listing_matches_files(&modern.list_all_tools().await.unwrap());
}

#[test]
fn catalog_serves_exactly_the_generated_registry() {
    let catalog = server::ServedTools::generated().expect("generated tools compile");
    assert_eq!(catalog.len(), generated::tools().len());
    assert_eq!(catalog.len(), schema_files().len());
}

#[tokio::test]
async fn every_generated_tool_maps_to_the_expected_request_legacy_http() {
    let h = start(generated_setup()).await;
    let c = legacy_client(&h.url, Some(PIT), &[("locationId", "LOC1")]).await;
    check_all(&c, &h.upstream, PIT).await;
}

#[tokio::test]
async fn every_generated_tool_maps_to_the_expected_request_modern_http() {
    let mut setup = generated_setup();
    setup.default_location = Some("LOC1".into());
    setup.credentials = server_held("pit-held-by-server", None);
    let h = start(setup).await;
    let c = modern_client(&h.url, None, &[]).await;
    check_all(&c, &h.upstream, "pit-held-by-server").await;
}
