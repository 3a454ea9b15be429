//! What a change means for the clients and prompts that already use a tool, shared by both reports.

use std::fmt;

/// How a change affects existing clients and prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Something that worked before fails or behaves differently now (a removed tool or argument,
    /// a newly required argument, a narrowed enum, ...).
    Breaking,
    /// Nothing fails outright, but a reviewer should look (a new output type, a changed default,
    /// annotations, scopes, keys the diff does not know).
    NeedsAttention,
    /// Old calls and old readers of the result keep working (additions, text-only edits).
    Safe,
}

impl Class {
    /// The slug used in JSON output (`breaking`, `needs-attention`, `safe`).
    pub fn slug(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::NeedsAttention => "needs-attention",
            Class::Safe => "safe",
        }
    }

    /// The label used in Markdown (`Breaking`, `Needs attention`, `Safe`).
    pub fn label(self) -> &'static str {
        match self {
            Class::Breaking => "Breaking",
            Class::NeedsAttention => "Needs attention",
            Class::Safe => "Safe",
        }
    }

    /// All classes, worst first.
    pub const ALL: [Class; 3] = [Class::Breaking, Class::NeedsAttention, Class::Safe];
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Markdown, for a pull-request comment or an issue body.
    #[default]
    Markdown,
    /// Pretty JSON with a final newline.
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "markdown" | "md" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "unknown format `{other}`; use `markdown` or `json`"
            )),
        }
    }
}
