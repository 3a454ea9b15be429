//! Non-JSON request bodies: a tool call's body object → the parts of an
//! `application/x-www-form-urlencoded` or `multipart/form-data` request.
//!
//! A model cannot hand over a file handle, so a file argument is an object with the file's
//! name and its bytes in base64 (`{"filename": "logo.png", "content_base64": "iVBOR…",
//! "content_type": "image/png"}`); [`file_schema`] is what the model sees. Decoded files are
//! capped at [`MAX_FILE_BYTES`] (the server's request-body cap, 4 MiB by default, bounds them
//! first). The HTTP client that sends the parts lives in the server; this module stays pure so
//! the wire shape is tested without a network.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::exec::ArgError;
use crate::ir::BodyEncoding;

/// Largest decoded file accepted in one argument.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// The input schema of a file argument.
pub fn file_schema() -> Value {
    json!({
        "type": "object",
        "description": "A file: its name and its bytes as base64 (at most 10 MiB decoded).",
        "properties": {
            "filename": {"type": "string", "description": "File name with extension, as the upload should be called."},
            "content_base64": {"type": "string", "description": "The file's bytes, base64-encoded (standard alphabet, padding optional)."},
            "content_type": {"type": "string", "description": "MIME type, e.g. image/png; guessed as application/octet-stream when left out."}
        },
        "required": ["filename", "content_base64"],
        "additionalProperties": false
    })
}

/// One part of a form or multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A text field.
    Text {
        /// Field name.
        name: String,
        /// Field value.
        value: String,
    },
    /// A file field (multipart only).
    File {
        /// Field name.
        name: String,
        /// File name sent in the part's Content-Disposition.
        filename: String,
        /// The part's Content-Type.
        content_type: String,
        /// Decoded bytes.
        bytes: Vec<u8>,
    },
}

/// Splits `body` (an object) into parts. Scalars are sent as text; an array repeats its field
/// once per item; a nested object is sent as JSON text, except a file object in a multipart
/// body. A file in a form-urlencoded body is an error (that encoding cannot carry one).
pub fn parts(tool: &str, body: &Value, encoding: BodyEncoding) -> Result<Vec<Part>, ArgError> {
    let invalid = |problem: String| ArgError::Invalid {
        tool: tool.to_owned(),
        problems: vec![problem],
    };
    let Value::Object(fields) = body else {
        return Err(invalid(
            "the request body must be an object of fields".to_owned(),
        ));
    };
    let mut out = Vec::new();
    for (name, value) in fields {
        let items: Vec<&Value> = match value {
            Value::Array(a) => a.iter().collect(),
            Value::Null => continue,
            v => vec![v],
        };
        for item in items {
            if let Some(file) = as_file(item) {
                if encoding != BodyEncoding::Multipart {
                    return Err(invalid(format!(
                        "`{name}`: this operation's body is form-urlencoded and cannot carry a file"
                    )));
                }
                out.push(decode_file(name, file).map_err(invalid)?);
            } else {
                out.push(Part::Text {
                    name: name.clone(),
                    value: text_of(item),
                });
            }
        }
    }
    Ok(out)
}

/// A file argument: an object with `content_base64`.
fn as_file(v: &Value) -> Option<&serde_json::Map<String, Value>> {
    v.as_object().filter(|o| o.contains_key("content_base64"))
}

fn decode_file(name: &str, file: &serde_json::Map<String, Value>) -> Result<Part, String> {
    let text = |k: &str| file.get(k).and_then(Value::as_str);
    let Some(filename) = text("filename").filter(|f| !f.trim().is_empty()) else {
        return Err(format!(
            "`{name}.filename` is required: the file's name, e.g. \"logo.png\""
        ));
    };
    let data = text("content_base64").unwrap_or_default();
    // base64 grows 4:3, so a longer text cannot decode under the cap: refuse before decoding.
    if data.len() > MAX_FILE_BYTES / 3 * 4 + 4 {
        return Err(format!(
            "`{name}`: the file is larger than {} MiB; upload it elsewhere and pass its URL if the operation takes one",
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    let cleaned: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(cleaned.trim_end_matches('='))
        .map_err(|e| format!("`{name}.content_base64` is not valid base64 ({e})"))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "`{name}`: the file is larger than {} MiB",
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    Ok(Part::File {
        name: name.to_owned(),
        filename: filename.to_owned(),
        content_type: text("content_type")
            .filter(|t| !t.trim().is_empty())
            .unwrap_or("application/octet-stream")
            .to_owned(),
        bytes,
    })
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_arrays_and_files_become_parts() {
        let body = json!({
            "hosted": false,
            "tags": ["a", "b"],
            "file": {"filename": "x.txt", "content_base64": "aGk=", "content_type": "text/plain"},
            "skip": null
        });
        let p = parts("t", &body, BodyEncoding::Multipart).unwrap();
        // Fields go out in the order the body holds them.
        assert_eq!(
            p,
            vec![
                Part::Text {
                    name: "hosted".into(),
                    value: "false".into()
                },
                Part::Text {
                    name: "tags".into(),
                    value: "a".into()
                },
                Part::Text {
                    name: "tags".into(),
                    value: "b".into()
                },
                Part::File {
                    name: "file".into(),
                    filename: "x.txt".into(),
                    content_type: "text/plain".into(),
                    bytes: b"hi".to_vec()
                },
            ]
        );
    }

    #[test]
    fn bad_files_are_refused_with_the_field_named() {
        let bad = json!({"f": {"filename": "x", "content_base64": "@@@"}});
        let e = parts("t", &bad, BodyEncoding::Multipart)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`f.content_base64` is not valid base64"), "{e}");
        let nameless = json!({"f": {"content_base64": "aGk="}});
        let e = parts("t", &nameless, BodyEncoding::Multipart)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`f.filename` is required"), "{e}");
        let form = json!({"f": {"filename": "x", "content_base64": "aGk="}});
        let e = parts("t", &form, BodyEncoding::Form)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot carry a file"), "{e}");
        let huge = json!({"f": {"filename": "x", "content_base64": "A".repeat(MAX_FILE_BYTES / 3 * 4 + 8)}});
        let e = parts("t", &huge, BodyEncoding::Multipart)
            .unwrap_err()
            .to_string();
        assert!(e.contains("larger than 10 MiB"), "{e}");
    }
}
