//! Where the served tools come from: the compiled, curated registry (`generated::tools()`), and,
//! with `--openapi DIR`, every operation of a folder of HighLevel's official OpenAPI files,
//! lowered at start-up by the same code the generator uses. A curated tool replaces the official
//! tool of the same name, so its reviewed title, description and schemas win. The result is then
//! narrowed by a [`catalog::Selection`].

use std::path::Path;

use catalog::Selection;
use runtime::ToolDef;

/// How many lowering warnings are shown in full at start-up (the rest are counted).
pub const WARNINGS_SHOWN: usize = 5;

/// The tools before selection, plus the lowering warnings (rendered) to log.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Curated tools, or the official ones with curated twins swapped in.
    pub tools: Vec<ToolDef>,
    /// Lowering warnings, rendered like compiler diagnostics.
    pub warnings: Vec<String>,
    /// How many curated tools replaced an official one.
    pub curated_replaced: usize,
}

/// The curated registry alone.
pub fn curated() -> Vec<ToolDef> {
    generated::tools().iter().map(|t| (*t).clone()).collect()
}

/// Lowers `dir` and swaps in curated tools; fails with every error diagnostic.
pub fn official(dir: &Path) -> Result<Loaded, String> {
    if !dir.is_dir() {
        return Err(format!(
            "--openapi {}: not a folder; pass the `apps/` folder of a clone of HighLevel's highlevel-api-docs repository",
            dir.display()
        ));
    }
    let (lowered, diags) = codegen::lower_official(dir, &codegen::Policy::every_operation());
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "--openapi {}: {} error(s) while reading HighLevel's OpenAPI files:\n{}",
            dir.display(),
            errors.len(),
            errors.join("")
        ));
    }
    if lowered.is_empty() {
        return Err(format!(
            "--openapi {}: no operations found; the folder should hold HighLevel's <app>.json files (contacts.json, calendars.json, ...)",
            dir.display()
        ));
    }
    let warnings = diags
        .iter()
        .filter(|d| !d.is_error())
        .map(|d| d.to_string().trim_end().to_owned())
        .collect();
    let mut curated = curated();
    let mut replaced = 0;
    let mut tools: Vec<ToolDef> = lowered
        .into_iter()
        .map(|t| match curated.iter().position(|c| c.name == t.name) {
            Some(i) => {
                replaced += 1;
                curated.swap_remove(i)
            }
            None => t,
        })
        .collect();
    // A curated tool without an official twin (the files changed under us) is still served.
    tools.extend(curated);
    Ok(Loaded {
        tools,
        warnings,
        curated_replaced: replaced,
    })
}

/// The tools to serve: curated or official (see [`official`]), narrowed by `selection`.
/// Logs lowering warnings (count and the first few).
pub fn load(openapi: Option<&Path>, selection: &Selection) -> Result<Vec<ToolDef>, String> {
    let loaded = match openapi {
        Some(dir) => {
            let l = official(dir)?;
            if !l.warnings.is_empty() {
                let shown: Vec<&str> = l
                    .warnings
                    .iter()
                    .take(WARNINGS_SHOWN)
                    .map(String::as_str)
                    .collect();
                tracing::warn!(
                    count = l.warnings.len(),
                    "lowering {} produced {} warning(s) (operations still served unless a warning says skipped); first {}:\n{}",
                    dir.display(),
                    l.warnings.len(),
                    shown.len(),
                    shown.join("\n")
                );
            }
            tracing::info!(
                folder = %dir.display(),
                tools = l.tools.len(),
                curated = l.curated_replaced,
                "lowered HighLevel's OpenAPI files"
            );
            l
        }
        None => Loaded {
            tools: curated(),
            ..Loaded::default()
        },
    };
    let selected = selection
        .apply(loaded.tools)
        .map_err(|e| format!("tool selection: {e}"))?;
    if selected.is_empty() {
        return Err(
            "the tool selection leaves no tools to serve (check --toolsets, --tools, --read-only and --agency)"
                .to_owned(),
        );
    }
    Ok(selected)
}
