//! `cargo xtask drift --openapi DIR`: how far `spec/openapi/` is from HighLevel's official files.
//!
//! Each `spec/openapi/<app>.yaml` is compared with `<app>.json` in the folder ([`compare`]); apps
//! spec/ does not cover are only counted. The folder is checked first: it must hold HighLevel's
//! OpenAPI JSON files (the `apps/` folder of the `highlevel-api-docs` repository), or the command
//! fails before comparing anything.

pub mod compare;
mod fields;
pub mod render;
pub mod resolve;

use std::path::Path;

use codegen::Diagnostics;

use crate::Class;

/// One difference between spec/ and HighLevel's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// What it means for our tools.
    pub class: Class,
    /// A stable slug (`parameter-added`, `version-changed`, ...).
    pub kind: &'static str,
    /// The operation in spec/ (`GET /contacts/{contactId}`).
    pub operation: String,
    /// What in the operation (`query limit`, `body.tags[]`, `response.contact.email`).
    pub subject: String,
    /// What HighLevel says now, in one sentence.
    pub detail: String,
    /// The spec file to edit.
    pub file: String,
    /// The line to edit (or where to add), when known.
    pub line: Option<usize>,
    /// The spec's own comment explaining the difference, when spec/ departs from HighLevel's file
    /// on purpose (such items are listed apart and not counted as drift).
    pub documented: Option<String>,
}

impl Item {
    /// `spec/openapi/contacts.yaml:42`.
    pub fn location(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{l}", self.file),
            None => self.file.clone(),
        }
    }
}

/// The drift of one app spec/ covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppDrift {
    /// The app (file basename).
    pub app: String,
    /// `spec/openapi/contacts.yaml`.
    pub spec_file: String,
    /// `apps/contacts.json`.
    pub official_file: String,
    /// Operations described in spec/.
    pub spec_operations: usize,
    /// Operations in HighLevel's file.
    pub official_operations: usize,
    /// Every difference found for the operations spec/ describes.
    pub items: Vec<Item>,
    /// HighLevel's operations spec/ does not describe (`POST /contacts/bulk (bulk-update)`).
    pub not_in_spec: Vec<String>,
}

impl AppDrift {
    /// Undocumented items of class `class`.
    pub fn count(&self, class: Class) -> usize {
        self.items
            .iter()
            .filter(|i| i.class == class && i.documented.is_none())
            .count()
    }

    /// Items spec/ documents as deliberate deviations.
    pub fn documented(&self) -> usize {
        self.items.iter().filter(|i| i.documented.is_some()).count()
    }
}

/// The whole drift report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The official folder as named in the report (its last component, e.g. `apps`).
    pub official: String,
    /// The apps spec/ covers, by name.
    pub apps: Vec<AppDrift>,
    /// Official apps spec/ does not cover, with their operation counts.
    pub uncovered: Vec<(String, usize)>,
}

impl Report {
    /// Undocumented items of class `class` over all apps.
    pub fn count(&self, class: Class) -> usize {
        self.apps.iter().map(|a| a.count(class)).sum()
    }

    /// Items spec/ documents as deliberate deviations, over all apps.
    pub fn documented(&self) -> usize {
        self.apps.iter().map(AppDrift::documented).sum()
    }
}

fn diag_error(msg: &str, d: &Diagnostics) -> String {
    format!("error: {msg}:\n\n{d}")
}

/// Compares `spec_dir/openapi/*.yaml` with HighLevel's files in `official_dir`.
pub fn run(spec_dir: &Path, official_dir: &Path) -> Result<Report, String> {
    let help = "pass the `apps` folder of a clone of HighLevel's docs repository \
                (git clone https://github.com/GoHighLevel/highlevel-api-docs; DIR = highlevel-api-docs/apps)";
    if !official_dir.is_dir() {
        return Err(format!(
            "error: {} is not a folder\n   = help: {help}",
            official_dir.display()
        ));
    }
    let mut diags = Diagnostics::default();
    let official = codegen::load::load_official_dir(official_dir, &mut diags);
    if diags.has_errors() {
        diags.sort();
        return Err(diag_error(
            &format!(
                "{} holds files that are not valid JSON",
                official_dir.display()
            ),
            &diags,
        ));
    }
    if official.apps.is_empty() {
        return Err(format!(
            "error: {} holds no *.json files, so it is not a folder of HighLevel's OpenAPI files\n   = help: {help}",
            official_dir.display()
        ));
    }
    for file in official.apps.values() {
        let v = &file.value;
        let is_openapi = v
            .get("openapi")
            .and_then(|o| o.as_str())
            .is_some_and(|o| o.starts_with('3'))
            && v.get("paths").is_some_and(|p| p.is_object());
        if !is_openapi {
            return Err(format!(
                "error: {} is not an OpenAPI 3 document (no `openapi: 3.x` and `paths`), so {} is not a folder of HighLevel's OpenAPI files\n   = help: {help}",
                file.display,
                official_dir.display()
            ));
        }
    }
    let mut diags = Diagnostics::default();
    let spec = codegen::load::load_spec_dir(spec_dir, &mut diags);
    if diags.has_errors() {
        diags.sort();
        return Err(diag_error("spec/ does not load", &diags));
    }
    if !spec
        .openapi
        .keys()
        .any(|app| official.apps.contains_key(app))
    {
        let ours: Vec<&str> = spec.openapi.keys().map(String::as_str).collect();
        return Err(format!(
            "error: none of spec/'s apps ({}) has a file in {}\n   = help: {help}",
            ours.join(", "),
            official_dir.display()
        ));
    }
    let mut apps = Vec::new();
    for (app, file) in &spec.openapi {
        match official.apps.get(app) {
            Some(off) => apps.push(compare::compare_app(app, file, off, &official.external)),
            None => apps.push(AppDrift {
                app: app.clone(),
                spec_file: file.display.clone(),
                official_file: String::new(),
                spec_operations: 0,
                official_operations: 0,
                items: vec![Item {
                    class: Class::Breaking,
                    kind: "app-removed",
                    operation: String::new(),
                    subject: String::new(),
                    detail: format!("HighLevel's folder has no {app}.json"),
                    file: file.display.clone(),
                    line: Some(1),
                    documented: None,
                }],
                not_in_spec: Vec::new(),
            }),
        }
    }
    let uncovered = official
        .apps
        .iter()
        .filter(|(app, _)| !spec.openapi.contains_key(*app))
        .map(|(app, f)| (app.clone(), count_operations(&f.value)))
        .collect();
    Ok(Report {
        official: official_dir.file_name().map_or_else(
            || official_dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        apps,
        uncovered,
    })
}

fn count_operations(doc: &serde_json::Value) -> usize {
    doc.get("paths").and_then(|p| p.as_object()).map_or(0, |p| {
        p.values()
            .map(|item| {
                ["get", "post", "put", "patch", "delete"]
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .count()
            })
            .sum()
    })
}
