//! Acknowledging a breaking change: the pull request names the tool under a "Breaking" heading of
//! the changelog, in a line it adds. Lines already there at the base revision do not count, so an
//! old entry never waves through a new break of the same tool.

/// The lines a pull request added under "Breaking" headings of its changelog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acks {
    lines: Vec<String>,
}

impl Acks {
    /// Reads the acknowledgements from the changelog text at the base (`base`, empty when the file
    /// did not exist) and in the working tree (`head`).
    pub fn parse(base: &str, head: &str) -> Self {
        let mut old: Vec<&str> = base.lines().map(str::trim_end).collect();
        let mut lines = Vec::new();
        for (line, breaking) in sections(head) {
            let line = line.trim_end();
            // Multiset difference: a line the base already had (as many times) is not new.
            if let Some(i) = old.iter().position(|o| *o == line) {
                old.swap_remove(i);
                continue;
            }
            if breaking {
                lines.push(line.to_owned());
            }
        }
        Acks { lines }
    }

    /// Whether `tool` is named, as a whole word, in an added line under a "Breaking" heading.
    pub fn covers(&self, tool: &str) -> bool {
        self.lines.iter().any(|l| names(l, tool))
    }
}

/// Every line of `text` with whether it sits under a heading containing "breaking" (until the
/// next heading of the same or a higher level).
fn sections(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut breaking_level: Option<usize> = None;
    for line in text.lines() {
        let level = line.chars().take_while(|c| *c == '#').count();
        let is_heading = level > 0 && line[level..].starts_with(' ');
        if is_heading {
            if breaking_level.is_some_and(|b| level <= b) {
                breaking_level = None;
            }
            if breaking_level.is_none() && line.to_lowercase().contains("breaking") {
                breaking_level = Some(level);
            }
            out.push((line, false));
            continue;
        }
        out.push((line, breaking_level.is_some()));
    }
    out
}

/// Whether `line` contains `tool` not glued to other tool-name characters.
fn names(line: &str, tool: &str) -> bool {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    line.match_indices(tool).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + tool.len()..].chars().next();
        // A trailing `.` ends a sentence, not a name.
        let after_ok = match after {
            None => true,
            Some('.') => line[i + tool.len() + 1..]
                .chars()
                .next()
                .is_none_or(|c| !is_name_char(c)),
            Some(c) => !is_name_char(c),
        };
        before.is_none_or(|c| !is_name_char(c)) && after_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "# Changelog\n\n## Unreleased\n\n### Breaking\n\n- `contacts_old-tool` gone.\n\n### Added\n";

    #[test]
    fn only_added_lines_under_breaking_count() {
        let head = "# Changelog\n\n## Unreleased\n\n### Breaking\n\n- `contacts_old-tool` gone.\n- contacts_get-contact: `id` renamed.\n\n### Added\n\n- contacts_add-tags\n";
        let acks = Acks::parse(BASE, head);
        assert!(acks.covers("contacts_get-contact"));
        assert!(!acks.covers("contacts_old-tool"), "the base already had it");
        assert!(!acks.covers("contacts_add-tags"), "not under Breaking");
        assert!(!acks.covers("contacts_get"), "a prefix is not a name");
    }

    #[test]
    fn breaking_section_ends_at_a_same_level_heading() {
        let head = "## Breaking changes\n\nx\n### Details\n- a_tool.\n## Added\n- b_tool\n";
        let acks = Acks::parse("", head);
        assert!(acks.covers("a_tool"), "a deeper heading stays inside");
        assert!(!acks.covers("b_tool"));
    }
}
