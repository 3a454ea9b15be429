//! Small Markdown helpers shared by the two reports.

/// `text` as inline code that survives backticks inside it and never breaks a table row.
pub(crate) fn code(text: &str) -> String {
    let text = cell(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// `text` made safe for one table cell (pipes escaped, line breaks folded).
pub(crate) fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
