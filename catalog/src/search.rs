//! Ranked natural-language search over tools, for lazy discovery.
//!
//! BM25 over three weighted fields (the tool name, the title, the description plus argument
//! names). Words are folded before indexing and querying: lower case, camelCase and kebab-case
//! split, plurals and -ing/-ed endings stripped, and synonyms mapped to one canonical word
//! ("fetch", "retrieve" and "show" all become "get"; "deal" becomes "opportunity"), so a query
//! need not use HighLevel's vocabulary. A substring match cannot do this: "get contact by id"
//! would tie `contacts_get-contact` with every tool mentioning contacts. A small bonus for the
//! exact word form in the operation name breaks ties between singular and plural operations
//! (`get-contact` versus `get-contacts`). Tools whose operation id says little beyond the query
//! rank above longer variants (`create-invoice` over `create-invoice-from-estimate`), and a tool
//! whose action (read, create, update, delete, send) differs from the query's is damped.
//!
//! The weights were tuned on tests/discovery-queries.tsv and checked on held-out queries
//! (tests/discovery-queries-heldout.tsv) that were written afterwards and never tuned for.

use std::collections::{BTreeMap, BTreeSet};

use runtime::ToolDef;

/// One ranked result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index of the tool in the slice the index was built from.
    pub index: usize,
    /// Relevance score (higher is better; only comparable within one query).
    pub score: f64,
}

/// An inverted index over a fixed set of tools.
#[derive(Debug, Clone)]
pub struct SearchIndex {
    docs: Vec<Doc>,
    /// Canonical term → number of documents containing it.
    df: BTreeMap<String, usize>,
    avg_len: f64,
}

#[derive(Debug, Clone)]
struct Doc {
    /// Canonical term → weighted term frequency.
    tf: BTreeMap<String, f64>,
    /// Weighted length.
    len: f64,
    /// Surface words of the operation id (lower case, unstemmed), for the exact-form bonus.
    op_words: BTreeSet<String>,
    /// Canonical terms of the tool name only (the verb and object of the operation).
    name_terms: BTreeSet<String>,
    /// Canonical terms of the operation id alone.
    op_terms: BTreeSet<String>,
    read_only: bool,
    deprecated: bool,
}

const NAME_WEIGHT: f64 = 3.0;
const TITLE_WEIGHT: f64 = 2.0;
const BODY_WEIGHT: f64 = 1.0;
const K1: f64 = 1.2;
const B: f64 = 0.6;

impl SearchIndex {
    /// Indexes `tools`; hits refer to positions in this slice.
    pub fn new<'a>(tools: impl IntoIterator<Item = &'a ToolDef>) -> Self {
        let mut docs = Vec::new();
        for tool in tools {
            let mut tf = BTreeMap::new();
            let mut add = |text: &str, weight: f64| {
                for term in terms(text) {
                    *tf.entry(term).or_insert(0.0) += weight;
                }
            };
            // The app name is part of the tool name; the operation id carries verb and object.
            add(&tool.app, NAME_WEIGHT);
            add(&tool.operation_id, NAME_WEIGHT);
            add(&tool.title, TITLE_WEIGHT);
            add(&tool.description, BODY_WEIGHT);
            for p in tool.params.iter() {
                add(&p.name, BODY_WEIGHT * 0.5);
            }
            let len = tf.values().sum();
            let op_words = words(&tool.operation_id).collect();
            let name_terms = terms(&tool.operation_id).chain(terms(&tool.app)).collect();
            let op_terms = terms(&tool.operation_id).collect();
            docs.push(Doc {
                tf,
                len,
                op_words,
                name_terms,
                op_terms,
                read_only: tool.annotations.read_only,
                deprecated: tool.deprecated,
            });
        }
        let mut df = BTreeMap::new();
        for d in &docs {
            for term in d.tf.keys() {
                *df.entry(term.clone()).or_insert(0) += 1;
            }
        }
        let avg_len = if docs.is_empty() {
            1.0
        } else {
            docs.iter().map(|d| d.len).sum::<f64>() / docs.len() as f64
        };
        Self { docs, df, avg_len }
    }

    /// Number of indexed tools.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether the index holds no tools.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The best `limit` tools for `query`, best first; ties keep catalog order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let q_terms: BTreeSet<String> = terms(query).collect();
        let q_words: BTreeSet<String> = words(query).collect();
        if q_terms.is_empty() {
            return Vec::new();
        }
        let n = self.docs.len() as f64;
        // A query without an action word ("custom fields of a location") most likely wants to
        // read; one with a write verb should not be pulled towards reads.
        let q_actions = actions(&q_terms);
        let has_verb = !q_actions.is_empty();
        let mut hits: Vec<Hit> = self
            .docs
            .iter()
            .enumerate()
            .filter_map(|(index, doc)| {
                let mut score = 0.0;
                let mut matched_name = 0usize;
                for t in &q_terms {
                    let Some(&f) = doc.tf.get(t) else { continue };
                    let df = self.df.get(t).copied().unwrap_or(0) as f64;
                    let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                    let norm = f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * doc.len / self.avg_len));
                    score += idf * norm;
                    if doc.name_terms.contains(t) {
                        matched_name += 1;
                    }
                }
                if score == 0.0 {
                    return None;
                }
                // Tools whose name covers more of the query's words are what the user meant.
                score *= 1.0 + 0.25 * matched_name as f64;
                // ...and whose name says little else: `create-invoice` over
                // `create-invoice-from-estimate` for "create an invoice".
                let extra = doc.op_terms.difference(&q_terms).count();
                score /= 1.0 + 0.12 * extra as f64;
                if !has_verb && doc.read_only {
                    score *= 1.1;
                }
                // The action asked for should be the tool's action: "change a contact's email"
                // is not `get-contact`, "create a trigger link" is not `search-trigger-links`.
                let doc_actions = actions(&doc.op_terms);
                if has_verb && !doc_actions.is_empty() && q_actions.is_disjoint(&doc_actions) {
                    score *= ACTION_MISMATCH;
                }
                // Exact word forms in the operation id: "contact" prefers get-contact over get-contacts.
                let exact = q_words.intersection(&doc.op_words).count();
                score += EXACT_BONUS * exact as f64;
                if doc.deprecated {
                    score *= 0.9;
                }
                Some(Hit { index, score })
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        hits.truncate(limit);
        hits
    }
}

/// Lower-case words of `text`, split at non-alphanumerics and camelCase humps.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            cur.extend(c.to_lowercase());
        } else {
            prev_lower = false;
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter()
}

/// Canonical terms of `text`: words, minus stop words, stemmed, synonyms folded (one word may
/// stand for two terms, e.g. "text" → send + message).
fn terms(text: &str) -> impl Iterator<Item = String> + '_ {
    words(text)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .flat_map(|w| {
            let stem = stem(&w);
            match synonyms(&w).or_else(|| synonyms(&stem)) {
                Some(canon) => canon.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                None => vec![stem],
            }
        })
}

/// Canonical action terms (after synonym folding) and the kind of action each is: reading
/// (get and search are interchangeable to a user), creating, changing, deleting, sending.
const VERBS: &[(&str, &str)] = &[
    ("get", "read"),
    ("search", "read"),
    ("creat", "creat"),
    ("updat", "updat"),
    ("delet", "delet"),
    ("send", "send"),
];

/// Score factor when the query's action and the tool's action differ.
const ACTION_MISMATCH: f64 = 0.6;
/// Bonus per query word found verbatim in the operation id (singular/plural agreement).
const EXACT_BONUS: f64 = 0.6;

/// The kinds of action among `terms`.
fn actions(terms: &BTreeSet<String>) -> BTreeSet<&'static str> {
    VERBS
        .iter()
        .filter(|(t, _)| terms.contains(*t))
        .map(|(_, kind)| *kind)
        .collect()
}

const STOP_WORDS: &[&str] = &[
    // "by id" says "one object", which the singular form already says; as a term, "id" would
    // pull in every operation with an id in its name (`get-contacts-by-businessId`).
    "id", "ids", "s", "t", "a", "an", "the", "by", "for", "of", "to", "in", "on", "with", "from",
    "my", "me", "i", "is", "are", "and", "or", "what", "which", "how", "please", "this", "that",
    "it", "its", "their", "our", "we", "you", "your", "be", "can", "do", "does", "using", "via",
    "into", "at", "as", "there", "any", "some", "who", "when", "where", "up",
];

/// A light suffix stripper: plurals, -ing, -ed and a final -e, applied the same way to documents
/// and queries so "schedules", "scheduled" and "scheduling" meet.
fn stem(word: &str) -> String {
    let mut w = word.to_owned();
    if w.len() > 4 && w.ends_with("ies") {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.len() > 4
        && w.ends_with("es")
        && ["s", "x", "ch", "sh"]
            .iter()
            .any(|e| w[..w.len() - 2].ends_with(e))
    {
        w.truncate(w.len() - 2);
    } else if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        w.pop();
    }
    if w.len() > 5 && w.ends_with("ing") {
        w.truncate(w.len() - 3);
    } else if w.len() > 4 && w.ends_with("ed") {
        w.truncate(w.len() - 2);
    }
    if w.len() > 4 && w.ends_with('e') {
        w.pop();
    }
    w
}

/// Synonym groups, keyed by stem. The value is the canonical term(s) the stem stands for.
fn synonyms(stem: &str) -> Option<&'static [&'static str]> {
    Some(match stem {
        "get" | "fetch" | "retriev" | "read" | "show" | "view" | "display" | "obtain" | "load"
        | "see" | "detail" | "info" | "look" => &["get"],
        "search" | "find" | "query" | "lookup" | "filter" | "match" => &["search"],
        // HighLevel names its list operations `get-<plural>` (`get-calendars`, `getFunnels`).
        "list" | "all" | "every" | "enumerat" | "brows" => &["get"],
        "creat" | "new" | "make" | "regist" | "insert" | "add" => &["creat"],
        // Booking and rescheduling are appointment writes.
        "schedul" => &["creat", "appointment"],
        "reschedul" => &["updat", "appointment"],
        // An opportunity's outcome is its status.
        "won" | "win" | "lost" | "los" | "abandon" => &["status"],
        "delet" | "remov" | "drop" | "eras" | "destroy" | "detach" | "purg" | "unassign" => {
            &["delet"]
        }
        "updat" | "edit" | "modify" | "chang" | "alter" | "patch" | "renam" | "set" | "mov" => {
            &["updat"]
        }
        "contact" | "person" | "people" | "lead" | "customer" | "client" | "prospect" => {
            &["contact"]
        }
        "opportunity" | "deal" | "sale" => &["opportunity"],
        "appointment" | "meeting" | "meet" => &["appointment", "event"],
        "booking" | "book" => &["creat", "appointment", "event"],
        "event" => &["event"],
        "note" | "comment" | "memo" => &["note"],
        "task" | "todo" | "reminder" => &["task"],
        "location" | "subaccount" => &["location"],
        "conversation" | "thread" | "inbox" | "chat" => &["conversation"],
        "messag" | "sm" | "sms" => &["messag"],
        "text" => &["send", "messag"],
        "transaction" | "charg" => &["transaction"],
        "payment" | "paid" | "pay" => &["payment", "transaction"],
        "order" | "purchas" | "buy" => &["order"],
        // Create-or-update.
        "upsert" => &["creat", "updat"],
        "tag" | "label" => &["tag"],
        "invoic" | "bill" => &["invoic"],
        "email" | "mail" => &["email"],
        "call" | "dial" => &["call"],
        // Funnels are a separate HighLevel app (websites), not sales pipelines.
        "stag" | "pipelin" => &["pipelin"],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_meet() {
        assert_eq!(stem("schedules"), stem("scheduling"));
        assert_eq!(stem("scheduled"), stem("schedule"));
        assert_eq!(stem("opportunities"), "opportunity");
        assert_eq!(stem("contacts"), "contact");
        assert_eq!(stem("messages"), stem("message"));
        assert_eq!(stem("address"), "address");
    }

    #[test]
    fn words_split_camel_and_kebab() {
        let w: Vec<String> = words("get-contactsByBusinessId now").collect();
        assert_eq!(w, ["get", "contacts", "by", "business", "id", "now"]);
    }

    #[test]
    fn synonyms_fold_to_one_term() {
        let a: Vec<String> = terms("retrieve a deal").collect();
        let b: Vec<String> = terms("get opportunities").collect();
        assert_eq!(a, b);
    }
}
