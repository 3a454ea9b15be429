//! Custom-field rules: how a value is checked against a field's `dataType`, and how the
//! `customFields` items of a request are resolved against a location's field definitions and
//! merged into a contact's or an opportunity's stored list.
//!
//! Contacts and opportunities follow the same rule with different spellings, which [`Model`]
//! holds: a contact stores `[{id, value}]` and accepts `field_value` or `value`; an opportunity
//! stores `[{id, fieldValue}]` and accepts `field_value` or `fieldValue`.

use serde_json::{Map, Value, json};

use crate::util::parse_iso;

/// The record kind a custom field belongs to (its `model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Model {
    /// Contact fields (`model: contact`, keys `contact.*`).
    Contact,
    /// Opportunity fields (`model: opportunity`, keys `opportunity.*`).
    Opportunity,
}

impl Model {
    /// The `model` value of the field definitions, also the prefix of their `fieldKey`.
    fn name(self) -> &'static str {
        match self {
            Model::Contact => "contact",
            Model::Opportunity => "opportunity",
        }
    }

    /// The key a value is stored under, and accepted under besides `field_value`.
    fn value_key(self) -> &'static str {
        match self {
            Model::Contact => "value",
            Model::Opportunity => "fieldValue",
        }
    }

    /// The problem for item `i` naming no field of this model. The two wordings differ as they
    /// always have (the sandbox's answers are kept byte for byte).
    fn unknown_field(self, i: usize, id: &str, key: &str, location: &str) -> String {
        match self {
            Model::Contact => format!(
                "customFields.{i}: no contact custom field with id {id:?} or key {key:?} in this location; list them with GET /locations/{{locationId}}/customFields?model=contact"
            ),
            Model::Opportunity => format!(
                "customFields.{i}: no opportunity custom field with id {id:?} or key {key:?}; list them with GET /locations/{location}/customFields?model=opportunity"
            ),
        }
    }
}

/// Checks a custom field value against the field's `dataType` and returns it as stored: options
/// must be one of the field's `picklistOptions` (matched case-insensitively, stored as
/// spelled there), numbers may come as numeric strings, dates must parse. `Err` says what fits.
pub(crate) fn coerce_custom_value(field: &Value, value: Value) -> Result<Value, String> {
    let name = field["name"].as_str().unwrap_or("");
    let options: Vec<&str> = field["picklistOptions"]
        .as_array()
        .map(|o| o.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match field["dataType"].as_str().unwrap_or("") {
        "SINGLE_OPTIONS" | "RADIO" => {
            let given = value.as_str().unwrap_or("");
            options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(given.trim()))
                .map(|o| Value::String((*o).to_string()))
                .ok_or_else(|| {
                    format!("{name} must be one of: {}; got {value}", options.join(", "))
                })
        }
        "NUMERICAL" | "MONETORY" => match &value {
            Value::Number(_) => Ok(value),
            Value::String(s) if s.trim().parse::<f64>().is_ok() => {
                Ok(json!(s.trim().parse::<f64>().unwrap_or(0.0)))
            }
            _ => Err(format!("{name} must be a number; got {value}")),
        },
        "DATE" => match value.as_str().and_then(parse_iso) {
            Some(_) => Ok(value),
            None => Err(format!(
                "{name} must be a date like 2026-11-23; got {value}"
            )),
        },
        "TEXT" | "LARGE_TEXT" => match &value {
            Value::String(_) => Ok(value),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            _ => Err(format!("{name} must be text; got {value}")),
        },
        _ => Ok(value),
    }
}

/// Resolves the `customFields` items of a request against `definitions` (the field
/// definitions of every location) and merges them into `record`'s `customFields` list.
///
/// An item names its field by `id` or by `key` (`fieldKey`, with or without the model prefix).
/// A null value removes the field from the record; any other value replaces it after
/// [`coerce_custom_value`]. On any problem the record is left as it was and every problem is
/// returned, one string per bad item.
pub(crate) fn apply_custom_fields(
    definitions: &[Value],
    location: &str,
    model: Model,
    record: &mut Map<String, Value>,
    items: &[Value],
) -> Result<(), Vec<String>> {
    let value_key = model.value_key();
    let mut current: Vec<Value> = record
        .get("customFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let id = item.get("id").and_then(Value::as_str).unwrap_or("");
        let key = item.get("key").and_then(Value::as_str).unwrap_or("");
        let prefixed = format!("{}.{key}", model.name());
        let field = definitions.iter().find(|f| {
            f["locationId"] == location
                && f["model"] == model.name()
                && ((!id.is_empty() && f["id"] == id)
                    || (!key.is_empty() && (f["fieldKey"] == key || f["fieldKey"] == *prefixed)))
        });
        let Some(field) = field else {
            problems.push(model.unknown_field(i, id, key, location));
            continue;
        };
        let value = item
            .get("field_value")
            .or_else(|| item.get(value_key))
            .cloned()
            .unwrap_or(Value::Null);
        let fid = field["id"].clone();
        current.retain(|c| c["id"] != fid);
        if !value.is_null() {
            match coerce_custom_value(field, value) {
                Ok(v) => {
                    let mut entry = Map::new();
                    entry.insert("id".into(), fid);
                    entry.insert(value_key.into(), v);
                    current.push(Value::Object(entry));
                }
                Err(e) => problems.push(format!("customFields.{i}: {e}")),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    record.insert("customFields".into(), Value::Array(current));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(id: &str, model: &str, key: &str, data_type: &str, options: &[&str]) -> Value {
        json!({
            "id": id, "name": format!("Field {id}"), "fieldKey": format!("{model}.{key}"),
            "dataType": data_type, "picklistOptions": options, "locationId": "L1", "model": model,
        })
    }

    fn definitions() -> Vec<Value> {
        vec![
            field(
                "ins",
                "contact",
                "insurer",
                "SINGLE_OPTIONS",
                &["Delta Dental", "Cigna"],
            ),
            field("doc", "contact", "dentist", "TEXT", &[]),
            field("vis", "opportunity", "visits", "NUMERICAL", &[]),
            // Same key in another location: never chosen for L1.
            json!({ "id": "other", "name": "Other", "fieldKey": "contact.dentist", "dataType": "TEXT",
                    "locationId": "L2", "model": "contact" }),
        ]
    }

    #[test]
    fn options_match_case_insensitively_and_store_the_defined_spelling() {
        let f = field(
            "ins",
            "contact",
            "insurer",
            "RADIO",
            &["Delta Dental", "Cigna"],
        );
        assert_eq!(
            coerce_custom_value(&f, json!(" delta DENTAL ")),
            Ok(json!("Delta Dental"))
        );
        let err = coerce_custom_value(&f, json!("Aetna")).unwrap_err();
        assert_eq!(
            err,
            "Field ins must be one of: Delta Dental, Cigna; got \"Aetna\""
        );
    }

    #[test]
    fn numbers_texts_and_dates_are_checked_by_data_type() {
        let num = field("n", "opportunity", "n", "MONETORY", &[]);
        assert_eq!(coerce_custom_value(&num, json!(3)), Ok(json!(3)));
        assert_eq!(coerce_custom_value(&num, json!(" 2.5 ")), Ok(json!(2.5)));
        assert!(coerce_custom_value(&num, json!("two")).is_err());
        let text = field("t", "contact", "t", "LARGE_TEXT", &[]);
        assert_eq!(coerce_custom_value(&text, json!(42)), Ok(json!("42")));
        assert!(coerce_custom_value(&text, json!(true)).is_err());
        let date = field("d", "contact", "d", "DATE", &[]);
        assert_eq!(
            coerce_custom_value(&date, json!("2026-11-23")),
            Ok(json!("2026-11-23"))
        );
        assert_eq!(
            coerce_custom_value(&date, json!("soon")),
            Err("Field d must be a date like 2026-11-23; got \"soon\"".to_string())
        );
        // Types the sandbox does not check pass through.
        let other = field("o", "contact", "o", "CHECKBOX", &[]);
        assert_eq!(coerce_custom_value(&other, json!([1])), Ok(json!([1])));
    }

    #[test]
    fn contact_items_resolve_by_id_or_key_and_merge() {
        let mut c = Map::new();
        c.insert(
            "customFields".into(),
            json!([{ "id": "doc", "value": "Dr. Old" }]),
        );
        let items = [
            json!({ "key": "insurer", "field_value": "cigna" }),
            json!({ "key": "contact.dentist", "value": "Dr. New" }),
        ];
        apply_custom_fields(&definitions(), "L1", Model::Contact, &mut c, &items).unwrap();
        assert_eq!(
            c["customFields"],
            json!([{ "id": "ins", "value": "Cigna" }, { "id": "doc", "value": "Dr. New" }])
        );
        // A null value removes the field.
        let clear = [json!({ "id": "ins", "value": null })];
        apply_custom_fields(&definitions(), "L1", Model::Contact, &mut c, &clear).unwrap();
        assert_eq!(
            c["customFields"],
            json!([{ "id": "doc", "value": "Dr. New" }])
        );
    }

    #[test]
    fn opportunity_items_use_field_value_and_only_opportunity_fields() {
        let mut o = Map::new();
        let items = [json!({ "id": "vis", "fieldValue": "4" })];
        apply_custom_fields(&definitions(), "L1", Model::Opportunity, &mut o, &items).unwrap();
        assert_eq!(
            o["customFields"],
            json!([{ "id": "vis", "fieldValue": 4.0 }])
        );
        // A contact field is not an opportunity field.
        let wrong = [json!({ "id": "doc", "fieldValue": "x" })];
        let err = apply_custom_fields(&definitions(), "L1", Model::Opportunity, &mut o, &wrong)
            .unwrap_err();
        assert_eq!(
            err,
            [
                "customFields.0: no opportunity custom field with id \"doc\" or key \"\"; list them with GET /locations/L1/customFields?model=opportunity"
            ]
        );
    }

    #[test]
    fn any_problem_leaves_the_record_unchanged_and_reports_every_item() {
        let mut c = Map::new();
        c.insert(
            "customFields".into(),
            json!([{ "id": "doc", "value": "Dr. Old" }]),
        );
        let before = c.clone();
        let items = [
            json!({ "id": "doc", "value": "Dr. New" }),
            json!({ "id": "ins", "value": "Aetna" }),
            json!({ "key": "nope", "value": 1 }),
        ];
        let err =
            apply_custom_fields(&definitions(), "L1", Model::Contact, &mut c, &items).unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}");
        assert!(
            err[0].starts_with("customFields.1: Field ins must be one of"),
            "{err:?}"
        );
        assert_eq!(
            err[1],
            "customFields.2: no contact custom field with id \"\" or key \"nope\" in this location; list them with GET /locations/{locationId}/customFields?model=contact"
        );
        assert_eq!(c, before);
    }

    #[test]
    fn fields_of_another_location_are_not_found() {
        let mut c = Map::new();
        let items = [json!({ "id": "other", "value": "x" })];
        assert!(apply_custom_fields(&definitions(), "L1", Model::Contact, &mut c, &items).is_err());
        apply_custom_fields(&definitions(), "L2", Model::Contact, &mut c, &items).unwrap();
        assert_eq!(c["customFields"], json!([{ "id": "other", "value": "x" }]));
    }
}
