//! Every compiled tool, not only the default ones with hand-written cases: its schema compiles,
//! arguments made from that schema pass it, and the executor turns them into the request
//! HighLevel's operation takes (method, every path variable filled and percent-encoded, the
//! `Version` header, the body in its encoding). Also pins the default tool set to the 36 names
//! HighLevel's hosted server lists.

use std::collections::BTreeSet;

use runtime::{BodyEncoding, CallContext, CompiledTool, build_request};
use serde_json::{Map, Value, json};

/// A value that satisfies `schema` (first enum value, a file object for a file, ...).
fn sample(schema: &Value, depth: usize) -> Value {
    if let Some(Value::Array(e)) = schema.get("enum")
        && let Some(first) = e.first()
    {
        return first.clone();
    }
    if let Some(Value::Array(alts)) = schema.get("anyOf").or_else(|| schema.get("oneOf"))
        && let Some(first) = alts.first()
    {
        return sample(first, depth);
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => "string",
    };
    match ty {
        "integer" => json!(
            schema
                .get("minimum")
                .and_then(Value::as_i64)
                .unwrap_or(1)
                .max(1)
        ),
        "number" => json!(1),
        "boolean" => json!(true),
        "array" => match schema.get("items") {
            Some(items) if depth < 6 => {
                let n = schema
                    .get("minItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(1)
                    .max(1);
                Value::Array((0..n).map(|_| sample(items, depth + 1)).collect())
            }
            _ => json!([]),
        },
        "object" => {
            let mut out = Map::new();
            let props = schema.get("properties").and_then(Value::as_object);
            for r in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let s = props.and_then(|p| p.get(r)).cloned().unwrap_or(json!({}));
                if depth < 6 {
                    out.insert(r.to_owned(), sample(&s, depth + 1));
                }
            }
            Value::Object(out)
        }
        _ => {
            if let Some(pattern) = schema.get("pattern") {
                // The first everyday value the pattern accepts.
                let check = json!({ "pattern": pattern });
                let candidates = [
                    "America/New_York",
                    "2026-12-07",
                    "09:00",
                    "#1a2b3c",
                    "abc",
                    "ABC",
                    "123",
                    "a@example.com",
                    "https://example.com/x",
                ];
                if let Some(c) = candidates
                    .iter()
                    .find(|c| jsonschema::is_valid(&check, &json!(c)))
                {
                    return json!(c);
                }
            }
            let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(1) as usize;
            match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => json!("2026-12-07T10:00:00Z"),
                Some("date") => json!("2026-12-07"),
                Some("email") => json!("a@example.com"),
                Some("uri" | "url") => json!("https://example.com/x"),
                _ => json!("x/y z".repeat(min.div_ceil(5).max(1))),
            }
        }
    }
}

#[test]
fn every_compiled_tool_builds_its_request() {
    let tools = generated::tools();
    assert!(
        tools.len() >= 600,
        "the whole API is compiled in: {}",
        tools.len()
    );
    let mut problems = Vec::new();
    for def in tools {
        let compiled = match CompiledTool::new((*def).clone()) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("{}: schema does not compile: {e}", def.name));
                continue;
            }
        };
        let args = match sample(&Value::Object(compiled.input_schema.clone()), 0) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let ctx = CallContext {
            location_id: Some("LOC1"),
        };
        let req = match compiled.prepare(&args, ctx) {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{}: sample arguments refused: {e}", def.name));
                continue;
            }
        };
        assert_eq!(req.method, def.method.as_str(), "{}", def.name);
        let path = req.path_and_query.split('?').next().unwrap_or_default();
        if path.contains('{') || path.contains('}') {
            problems.push(format!("{}: unfilled path {path}", def.name));
        }
        // A path variable's free-text value is one percent-encoded segment ("x/y z" →
        // "x%2Fy%20z"); enum and pattern values carry no slash.
        let free_text_path_arg = def.params.iter().any(|p| {
            p.location == runtime::ParamIn::Path
                && p.wire != "locationId"
                && compiled.input_schema["properties"]
                    .get(p.name.as_ref())
                    .is_some_and(|s| s.get("enum").is_none() && s.get("pattern").is_none())
        });
        if free_text_path_arg && !path.contains("%2F") {
            problems.push(format!("{}: path variable not encoded in {path}", def.name));
        }
        if req
            .headers
            .iter()
            .find(|(k, _)| k == "Version")
            .map(|(_, v)| v.as_str())
            != def.version.as_deref()
        {
            problems.push(format!(
                "{}: Version header differs from the spec",
                def.name
            ));
        }
        assert_eq!(req.encoding, def.body_encoding, "{}", def.name);
        if def.body_encoding != BodyEncoding::Json && req.parts.is_none() {
            problems.push(format!("{}: non-JSON body without parts", def.name));
        }
        let _ = build_request(def, &args, ctx);
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The 36 tools HighLevel's hosted MCP server lists (its help centre's "Top 36").
const HOSTED: [&str; 36] = [
    "blogs_check-url-slug-exists",
    "blogs_create-blog-post",
    "blogs_get-all-blog-authors-by-location",
    "blogs_get-all-categories-by-location",
    "blogs_get-blog-post",
    "blogs_get-blogs",
    "blogs_update-blog-post",
    "calendars_get-appointment-notes",
    "calendars_get-calendar-events",
    "contacts_add-tags",
    "contacts_create-contact",
    "contacts_get-all-tasks",
    "contacts_get-contact",
    "contacts_get-contacts",
    "contacts_remove-tags",
    "contacts_update-contact",
    "contacts_upsert-contact",
    "conversations_get-messages",
    "conversations_search-conversation",
    "conversations_send-a-new-message",
    "emails_create-template",
    "emails_fetch-template",
    "locations_get-custom-fields",
    "locations_get-location",
    "opportunities_get-opportunity",
    "opportunities_get-pipelines",
    "opportunities_search-opportunity",
    "opportunities_update-opportunity",
    "payments_get-order-by-id",
    "payments_list-transactions",
    "socialmediaposting_create-post",
    "socialmediaposting_edit-post",
    "socialmediaposting_get-account",
    "socialmediaposting_get-post",
    "socialmediaposting_get-posts",
    "socialmediaposting_get-social-media-statistics",
];

#[test]
fn the_default_set_is_highlevels_hosted_36() {
    let served: BTreeSet<&str> = generated::hosted().iter().copied().collect();
    let expected: BTreeSet<&str> = HOSTED.into_iter().collect();
    assert_eq!(served, expected);
    for name in HOSTED {
        assert!(
            generated::tools().iter().any(|t| t.name == name),
            "`{name}` is not compiled in"
        );
    }
}

#[test]
fn tool_names_are_unique_and_follow_the_rule() {
    let mut seen = BTreeSet::new();
    for t in generated::tools() {
        assert!(seen.insert(t.name.as_ref()), "`{}` twice", t.name);
        assert!(t.name.len() <= 64, "`{}` is longer than 64", t.name);
        let rule = codegen_rule(&t.app, &t.operation_id);
        assert_eq!(t.name, rule, "`{}` breaks the naming rule", t.name);
    }
}

/// The documented rule, written out again so the test does not trust the generator's copy.
fn codegen_rule(app: &str, op: &str) -> String {
    format!("{}_{op}", app.replace('-', ""))
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}
