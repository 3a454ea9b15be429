//! Selection rules and ranking on a small hand-made catalog.

use std::borrow::Cow;
use std::collections::BTreeSet;

use catalog::{SearchIndex, SelectError, Selection};
use runtime::{Annotations, HttpMethod, LocationSlot, ToolDef};

fn tool(app: &str, op: &str, title: &str, description: &str, read_only: bool) -> ToolDef {
    ToolDef {
        name: format!("{app}_{op}").into(),
        app: app.to_owned().into(),
        operation_id: op.to_owned().into(),
        title: title.to_owned().into(),
        description: description.to_owned().into(),
        annotations: Annotations {
            read_only,
            ..Annotations::default()
        },
        scopes: Cow::Borrowed(&[]),
        agency_only: false,
        deprecated: false,
        method: if read_only {
            HttpMethod::Get
        } else {
            HttpMethod::Post
        },
        path: "/x".into(),
        version: None,
        params: Cow::Borrowed(&[]),
        location: LocationSlot::None,
        input_schema: r#"{"type":"object"}"#.into(),
        output_schema: None,
        wrap_result: false,
        risk: runtime::Risk::NONE,
        body_encoding: runtime::BodyEncoding::Json,
    }
}

fn sample() -> Vec<ToolDef> {
    let mut agency = tool(
        "locations",
        "create-location",
        "Create sub-account",
        "Create a new sub-account (location) under the agency.",
        false,
    );
    agency.agency_only = true;
    vec![
        tool(
            "contacts",
            "get-contact",
            "Get contact",
            "Fetch one contact by its id.",
            true,
        ),
        tool(
            "contacts",
            "get-contacts",
            "List contacts",
            "List or search the contacts of a location.",
            true,
        ),
        tool(
            "contacts",
            "create-contact",
            "Create contact",
            "Create a new contact in a location.",
            false,
        ),
        tool(
            "opportunities",
            "update-opportunity",
            "Update opportunity",
            "Change an opportunity's stage, value or status.",
            false,
        ),
        tool(
            "conversations",
            "send-a-new-message",
            "Send message",
            "Send an SMS, email or chat message to a contact.",
            false,
        ),
        tool(
            "calendars",
            "get-calendar-events",
            "Calendar events",
            "List appointments and events in a time range.",
            true,
        ),
        agency,
    ]
}

fn names(tools: &[ToolDef]) -> Vec<&str> {
    tools.iter().map(|t| t.name.as_ref()).collect()
}

#[test]
fn read_only_wins_over_allowlist() {
    let sel = Selection {
        tools: Some(BTreeSet::from([
            "contacts_get-contact".to_owned(),
            "contacts_create-contact".to_owned(),
        ])),
        read_only: true,
        ..Selection::default()
    };
    let out = sel.apply(sample()).unwrap();
    assert_eq!(names(&out), ["contacts_get-contact"]);
}

#[test]
fn toolsets_and_agency() {
    let sel = Selection {
        toolsets: Selection::parse_list(Some("contacts, locations")),
        ..Selection::default()
    };
    let out = sel.apply(sample()).unwrap();
    assert_eq!(
        names(&out),
        [
            "contacts_get-contact",
            "contacts_get-contacts",
            "contacts_create-contact"
        ]
    );
    let sel = Selection {
        agency: true,
        ..sel
    };
    assert_eq!(sel.apply(sample()).unwrap().len(), 4);
}

#[test]
fn unknown_names_are_errors_listing_what_exists() {
    let sel = Selection {
        toolsets: Selection::parse_list(Some("contact")),
        ..Selection::default()
    };
    let err = sel.apply(sample()).unwrap_err();
    assert!(matches!(err, SelectError::UnknownToolsets { .. }));
    let text = err.to_string();
    assert!(
        text.contains("`contact`") && text.contains("`contacts`"),
        "{text}"
    );
    let sel = Selection {
        tools: Selection::parse_list(Some("contacts_get-contactt")),
        ..Selection::default()
    };
    let text = sel.apply(sample()).unwrap_err().to_string();
    assert!(text.contains("contacts_get-contactt"), "{text}");
    // A typo gets the nearest names, nearest first.
    assert!(
        text.contains("did you mean `contacts_get-contact`, `contacts_get-contacts`"),
        "{text}"
    );
    let sel = Selection {
        tools: Selection::parse_list(Some("zzz")),
        ..Selection::default()
    };
    let text = sel.apply(sample()).unwrap_err().to_string();
    assert!(!text.contains("did you mean"), "{text}");
}

fn top(index: &SearchIndex, tools: &[ToolDef], q: &str) -> String {
    let hits = index.search(q, 3);
    assert!(!hits.is_empty(), "no hit for {q:?}");
    tools[hits[0].index].name.to_string()
}

#[test]
fn ranking_prefers_the_meant_tool() {
    let tools = sample();
    let index = SearchIndex::new(&tools);
    assert_eq!(
        top(&index, &tools, "get contact by id"),
        "contacts_get-contact"
    );
    assert_eq!(
        top(&index, &tools, "list all contacts"),
        "contacts_get-contacts"
    );
    assert_eq!(
        top(&index, &tools, "move a deal to another stage"),
        "opportunities_update-opportunity"
    );
    assert_eq!(
        top(&index, &tools, "text a customer"),
        "conversations_send-a-new-message"
    );
    assert_eq!(
        top(&index, &tools, "upcoming meetings"),
        "calendars_get-calendar-events"
    );
    assert!(index.search("", 5).is_empty());
    assert!(index.search("zebra xylophone", 5).is_empty());
}
