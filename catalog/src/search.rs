//! Ranked natural-language search over tools, for lazy discovery.
//!
//! BM25 over weighted fields of each tool: its name (app and operation id), title, description,
//! argument names, path, and what users call its app (from the thesaurus). Tool texts and
//! requests are read into the same canonical terms by the domain thesaurus (thesaurus.rs), so
//! "strip the label" meets `remove-tags`; a request word that may mean several things counts by
//! its best meaning. Requests are read first (query.rs): ids, dates, amounts and addresses are
//! dropped, names and quoted values count for little. On top of BM25: tools whose name covers
//! more of the request rank higher, names that say much beyond it rank lower (`create-invoice`
//! over `create-invoice-from-estimate`), a tool whose action (read, create, pause, …) differs
//! from the request's is damped, a request naming one object by id prefers tools on one object.
//!
//! Tuned on tests/user-requests-tuning.tsv and tests/discovery-queries.tsv; checked on the
//! held-out halves that were never tuned on (see BENCHMARKS.md).

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use runtime::{HttpMethod, ToolDef};

use crate::text::{stem, words};
use crate::thesaurus::{self, Meaning, Thesaurus, Token, Unit};
use crate::{hints, query};

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
    /// Canonical term → (document, weighted term frequency), documents ascending.
    postings: HashMap<String, Vec<(u32, f32)>>,
    /// Every indexed term, sorted, for matching a request word the index does not hold by its
    /// beginning ("cancellation" → "cancel", "invoicing" → "invoic").
    vocabulary: Vec<String>,
    avg_len: f64,
}

#[derive(Debug, Clone)]
struct Doc {
    /// Weighted length.
    len: f64,
    /// Surface words of the operation id (lower case, unstemmed), for the exact-form bonus.
    op_words: BTreeSet<String>,
    /// Canonical terms of the tool name (app and operation id) and title.
    name_terms: BTreeSet<String>,
    /// Canonical terms of the operation id that its title repeats (HighLevel's ids sometimes
    /// name another operation: `products_list-invoices` lists products).
    name_core: BTreeSet<String>,
    /// What the operation does (read, create, …).
    actions: BTreeSet<&'static str>,
    /// Path parameters besides the location (`/invoices/{invoiceId}` has one).
    path_ids_but_location: usize,
    /// Platforms (facebook, google, …) the tool's name is about.
    platforms: BTreeSet<&'static str>,
    /// The operation id names several objects or a list (`get-contacts`, `list-coupons`).
    plural: bool,
    deprecated: bool,
}

const NAME_WEIGHT: f64 = 3.0;
const TITLE_WEIGHT: f64 = 2.0;
const BODY_WEIGHT: f64 = 1.0;
const PARAM_WEIGHT: f64 = 0.5;
const PATH_WEIGHT: f64 = 0.5;
const APP_WORDS_WEIGHT: f64 = 0.5;
const HINT_WEIGHT: f64 = 2.0;
/// Weight of the spec's `asks` and `aliases` of a tool: chosen on the tuning half only (0.25,
/// 0.5, 1, 2, 3 tried; 0.5 gave the best tuning MRR and recall@5).
const KEYWORD_WEIGHT: f64 = 0.5;
/// Score factor per request slot found in the tool's name: names that cover the request win.
const NAME_COVER: f64 = 0.25;
/// Score divisor per term of the tool's name the request does not ask for.
const NAME_EXTRA: f64 = 0.12;
const K1: f64 = 1.2;
const B: f64 = 0.6;

/// Score factor when the request's action and the tool's action differ.
const ACTION_MISMATCH: f64 = 0.6;
/// Bonus per request word found verbatim in the operation id (singular/plural agreement).
const EXACT_BONUS: f64 = 0.6;
/// Weight of the "bulk" meaning a request gets when it counts several objects.
const MANY_WEIGHT: f64 = 0.6;
/// Shortest shared beginning that lets an unknown request word meet an indexed term.
const PREFIX_MIN: usize = 5;
/// Weight of a term met by its beginning only.
const PREFIX_WEIGHT: f64 = 0.6;
/// Score factor for a read when the request states no action: most such requests are reads.
const NO_VERB_READ: f64 = 1.3;
/// Score factor for a tool about another platform than the one the request names.
const PLATFORM_MISMATCH: f64 = 0.7;
/// Platforms that several apps serve (ads, social posting, integrations).
const PLATFORMS: &[&str] = &[
    "facebook",
    "google",
    "linkedin",
    "instagram",
    "tiktok",
    "twitter",
];

/// [`PLATFORMS`] as terms (stemmed: "google" is indexed as `googl`).
fn platforms() -> &'static BTreeSet<String> {
    static P: OnceLock<BTreeSet<String>> = OnceLock::new();
    P.get_or_init(|| PLATFORMS.iter().map(|p| stem(p)).collect())
}

/// Score factor for a tool whose path takes as many ids as the request gives.
const ID_MATCH: f64 = 1.15;
/// Lowest weight of another meaning of a request word that still states the request's action.
const ACTION_MEANING: f64 = 0.75;

impl SearchIndex {
    /// Indexes `tools`; hits refer to positions in this slice.
    pub fn new<'a>(tools: impl IntoIterator<Item = &'a ToolDef>) -> Self {
        Self::with_keywords(tools, &|_| &[])
    }

    /// Indexes `tools` with each tool's search metadata from the spec (`keywords(name)`:
    /// requests in users' words and synonyms, `generated::keywords`), weighted like a hint.
    pub fn with_keywords<'a>(
        tools: impl IntoIterator<Item = &'a ToolDef>,
        keywords: &dyn Fn(&str) -> &'static [&'static str],
    ) -> Self {
        let th = thesaurus::global();
        let mut docs = Vec::new();
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        // The terms of an app's name and of what users call it, once per app.
        let mut app_cache: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
        for (i, tool) in tools.into_iter().enumerate() {
            let (app_terms, app_words) = app_cache
                .entry(tool.app.to_string())
                .or_insert_with(|| (terms(th, &tool.app), terms(th, th.app_words(&tool.app))))
                .clone();
            let op_tokens = tokens(&tool.operation_id);
            let op_units = th.segment(&op_tokens);
            let op_list: Vec<String> = op_units.iter().flat_map(|u| u.terms.clone()).collect();
            let title_list = terms(th, &tool.title);
            let mut tf: HashMap<String, f64> = HashMap::new();
            let mut add_terms = |terms: &[String], weight: f64| {
                for term in terms {
                    *tf.entry(term.clone()).or_insert(0.0) += weight;
                }
            };
            add_terms(&app_terms, NAME_WEIGHT);
            add_terms(&op_list, NAME_WEIGHT);
            add_terms(&title_list, TITLE_WEIGHT);
            add_terms(&app_words, APP_WORDS_WEIGHT);
            let mut add = |text: &str, weight: f64| add_terms(&terms(th, text), weight);
            add(&tool.description, BODY_WEIGHT);
            for p in tool.params.iter() {
                add(&p.name, PARAM_WEIGHT);
            }
            let path: String = tool
                .path
                .split('/')
                .filter(|s| !s.starts_with('{'))
                .collect::<Vec<_>>()
                .join(" ");
            add(&path, PATH_WEIGHT);
            if let Some(h) = hints::hint(&tool.name) {
                add(h, HINT_WEIGHT);
            }
            for k in keywords(&tool.name) {
                add(k, KEYWORD_WEIGHT);
            }
            let len = tf.values().sum();
            for (term, f) in tf {
                postings.entry(term).or_default().push((i as u32, f as f32));
            }
            let path_ids_but_location = tool
                .path
                .split('/')
                .filter(|s| s.starts_with('{') && *s != "{locationId}")
                .count();
            let op_terms: BTreeSet<String> = op_list.into_iter().collect();
            let title_terms: BTreeSet<String> = title_list.into_iter().collect();
            let mut name_terms = op_terms.clone();
            name_terms.extend(app_terms.iter().cloned());
            name_terms.extend(title_terms.iter().cloned());
            let name_core = op_terms.intersection(&title_terms).cloned().collect();
            let actions = op_units
                .iter()
                .map(|u| unit_actions(u, 1.0))
                .find(|a| !a.is_empty())
                .unwrap_or_else(|| method_action(tool.method));
            docs.push(Doc {
                len,
                op_words: words(&tool.operation_id).into_iter().collect(),
                name_terms,
                name_core,
                actions,
                path_ids_but_location,
                platforms: platforms()
                    .iter()
                    .map(String::as_str)
                    .filter(|p| op_terms.contains(*p) || app_terms.iter().any(|t| t == p))
                    .collect(),
                plural: op_tokens.iter().any(|t| {
                    is_plural(t) || matches!(t.surface.as_str(), "list" | "all" | "search")
                }) || path_ids_but_location == 0 && !names_one(th, &op_tokens),
                deprecated: tool.deprecated,
            });
        }
        let avg_len = if docs.is_empty() {
            1.0
        } else {
            docs.iter().map(|d| d.len).sum::<f64>() / docs.len() as f64
        };
        Self {
            docs,
            vocabulary: {
                let mut v: Vec<String> = postings.keys().cloned().collect();
                v.sort_unstable();
                v
            },
            postings,
            avg_len,
        }
    }

    /// Approximate heap bytes the index holds (postings, terms, per-tool sets), for the
    /// benchmark: RSS differences hide it when the allocator reuses freed memory.
    #[doc(hidden)]
    pub fn approx_bytes(&self) -> usize {
        let set = |s: &BTreeSet<String>| s.iter().map(|t| t.len() + 48).sum::<usize>();
        let postings: usize = self
            .postings
            .iter()
            .map(|(t, l)| t.len() + 48 + l.capacity() * 8)
            .sum();
        let vocabulary: usize = self.vocabulary.iter().map(|t| t.len() + 24).sum();
        let docs: usize = self
            .docs
            .iter()
            .map(|d| {
                std::mem::size_of::<Doc>()
                    + set(&d.op_words)
                    + set(&d.name_terms)
                    + set(&d.name_core)
                    + d.platforms.len() * 24
                    + d.actions.len() * 24
            })
            .sum();
        postings + vocabulary + docs
    }

    /// Number of indexed tools.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether the index holds no tools.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// How a request is read before ranking: its slots (meanings with weights) and id count. For
    /// tuning and for explaining a ranking; the format is not stable.
    #[doc(hidden)]
    pub fn explain(query: &str) -> String {
        let th = thesaurus::global();
        let request = query::read(query, th);
        let slots = slots(&th.segment(&request.tokens));
        let mut out = format!("ids={} ", request.ids);
        for s in &slots {
            let m: Vec<String> = s
                .meanings
                .iter()
                .map(|(t, w)| format!("{}:{w}", t.join("+")))
                .collect();
            out.push_str(&format!(
                "[{}]x{}{} ",
                m.join("|"),
                s.weight,
                if s.past { "p" } else { "" }
            ));
        }
        out
    }

    /// The best `limit` tools for `query`, best first; ties keep catalog order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        self.search_where(query, limit, |_| true)
    }

    /// [`Self::search`] among the tools for which `keep(index)` holds (one app, say).
    pub fn search_where(
        &self,
        query: &str,
        limit: usize,
        keep: impl Fn(usize) -> bool,
    ) -> Vec<Hit> {
        let th = thesaurus::global();
        let request = query::read(query, th);
        let mut slots = slots(&th.segment(&request.tokens));
        for slot in &mut slots {
            self.widen_unknown(slot);
        }
        // "these 12 images", "300 people": many objects at once.
        if request.many {
            push_slot(
                &mut slots,
                vec![(vec![stem("bulk")], 1.0)],
                MANY_WEIGHT,
                false,
            );
        }
        if slots.is_empty() || self.docs.is_empty() {
            return Vec::new();
        }
        let q_words: BTreeSet<&str> = request.tokens.iter().map(|t| t.surface.as_str()).collect();
        let q_terms: BTreeSet<&str> = slots
            .iter()
            .flat_map(|s| {
                s.meanings
                    .iter()
                    .flat_map(|(t, _)| t.iter().map(String::as_str))
            })
            .collect();
        let mut q_actions: BTreeSet<&str> = slots
            .iter()
            .filter(|s| !s.past)
            .flat_map(|s| {
                s.meanings
                    .iter()
                    .filter(|(_, w)| *w >= ACTION_MEANING)
                    .flat_map(|(t, _)| t.iter().flat_map(|t| term_actions(t).iter().copied()))
            })
            .collect();
        // A question ("which pages…?", "is google connected?") asks to read, whatever its verb.
        if request.question {
            q_actions.insert("read");
        }
        // Adding something to an object named by id changes that object ("add a late fee to
        // inv_1001").
        if request.ids > 0 && q_actions.contains("create") {
            q_actions.insert("update");
        }
        let has_verb = !q_actions.is_empty();
        let q_platforms: BTreeSet<&str> = q_terms
            .iter()
            .copied()
            .filter(|t| platforms().contains(*t))
            .collect();
        let q_plural = request.tokens.iter().any(|t| {
            t.weight >= 1.0
                && (is_plural(t) || matches!(t.surface.as_str(), "list" | "all" | "every"))
        });

        // BM25 per slot: the best meaning of each slot counts; the terms of one meaning add up.
        let n = self.docs.len() as f64;
        let mut scores: HashMap<u32, (f64, usize)> = HashMap::new();
        for slot in &slots {
            let mut best: HashMap<u32, (f64, bool)> = HashMap::new();
            for (terms, w) in &slot.meanings {
                let mut meaning: HashMap<u32, (f64, bool)> = HashMap::new();
                for term in terms {
                    let Some(list) = self.postings.get(term) else {
                        continue;
                    };
                    let df = list.len() as f64;
                    let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                    for &(d, f) in list {
                        let doc = &self.docs[d as usize];
                        let f = f64::from(f);
                        let norm =
                            f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * doc.len / self.avg_len));
                        let e = meaning.entry(d).or_insert((0.0, false));
                        e.0 += w * idf * norm;
                        e.1 |= doc.name_terms.contains(term);
                    }
                }
                for (d, (s, in_name)) in meaning {
                    let e = best.entry(d).or_insert((0.0, false));
                    if s > e.0 {
                        *e = (s, in_name);
                    }
                }
            }
            for (d, (s, in_name)) in best {
                let e = scores.entry(d).or_insert((0.0, 0));
                e.0 += slot.weight * s;
                e.1 += usize::from(in_name);
            }
        }

        let mut hits: Vec<Hit> = scores
            .into_iter()
            .filter(|(d, _)| keep(*d as usize))
            .map(|(d, (mut score, matched_name))| {
                let doc = &self.docs[d as usize];
                // Tools whose name covers more of the request are what the user meant...
                score *= 1.0 + NAME_COVER * matched_name as f64;
                // ...and whose name says little else: `create-invoice` over
                // `create-invoice-from-estimate` for "create an invoice".
                // The location is the context of nearly every operation, and a request with no
                // verb says nothing about the action: neither is "else" in a name.
                let extra = doc
                    .name_core
                    .iter()
                    .filter(|t| !q_terms.contains(t.as_str()) && t.as_str() != "location")
                    .filter(|t| has_verb || term_actions(t).is_empty())
                    .count();
                score /= 1.0 + NAME_EXTRA * extra as f64;
                let reads = doc.actions.contains("read");
                if !has_verb && reads {
                    score *= NO_VERB_READ;
                }
                // "pause linkedin ad 42" is not about the Facebook ad of the same name.
                if !q_platforms.is_empty()
                    && doc.platforms.iter().all(|p| !q_platforms.contains(p))
                    && !doc.platforms.is_empty()
                {
                    score *= PLATFORM_MISMATCH;
                }
                // Plural objects: a list, not one object (also of a parent named by id: "the
                // notes of order ord_1").
                if q_plural && reads && !doc.plural {
                    score *= 0.9;
                }
                // The action asked for should be the tool's action: "change a contact's email"
                // is not `get-contact`, "stop the ad" is not `resume-ad`.
                if has_verb
                    && !doc.actions.is_empty()
                    && doc.actions.iter().all(|a| !q_actions.contains(a))
                {
                    score *= ACTION_MISMATCH;
                }
                // Ids in the request name objects: prefer the tools whose path names as many
                // (an invoice id: `get-invoice`, not `list-invoices`; a calendar id: the list of
                // that calendar's notifications, not one notification).
                if request.ids > 0 && request.ids == doc.path_ids_but_location {
                    score *= ID_MATCH;
                } else if request.ids == 0 && q_plural && reads && doc.path_ids_but_location > 0 {
                    score /= ID_MATCH;
                }
                // Exact word forms in the operation id: "contact" prefers get-contact over get-contacts.
                let exact = q_words
                    .iter()
                    .filter(|w| doc.op_words.contains(**w))
                    .count();
                score += EXACT_BONUS * exact as f64;
                if doc.deprecated {
                    score *= 0.9;
                }
                Hit {
                    index: d as usize,
                    score,
                }
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        hits.truncate(limit);
        hits
    }
}

/// Whether a word is a plural noun ("coupons", "entries"), not a verb form or a stem.
fn is_plural(t: &Token) -> bool {
    t.surface.len() > 3
        && t.surface.ends_with('s')
        && !t.surface.ends_with("ss")
        && !t.surface.ends_with("us")
        && t.stem != t.surface
}

/// Whether an operation id names one object: a singular noun and no plural (`get-coupon`).
fn names_one(th: &Thesaurus, op: &[Token]) -> bool {
    op.iter().any(|t| {
        t.surface == t.stem
            && t.surface.len() > 2
            && !th.is_stop(&t.surface)
            && th
                .segment(std::slice::from_ref(t))
                .iter()
                .all(|u| u.terms.iter().all(|t| term_actions(t).is_empty()))
    })
}

impl SearchIndex {
    /// A slot none of whose meanings the index holds may still name an indexed term by another
    /// form of the word: terms sharing its first letters (at least five) join as a weaker meaning.
    fn widen_unknown(&self, slot: &mut Slot) {
        let known = |t: &String| self.postings.contains_key(t);
        if slot.meanings.iter().any(|(ts, _)| ts.iter().any(known)) {
            return;
        }
        let Some(word) = slot
            .meanings
            .first()
            .and_then(|(ts, _)| ts.first())
            .cloned()
        else {
            return;
        };
        if word.chars().count() < PREFIX_MIN {
            return;
        }
        let prefix: String = word.chars().take(PREFIX_MIN).collect();
        let start = self
            .vocabulary
            .partition_point(|t| t.as_str() < prefix.as_str());
        let similar: Vec<String> = self.vocabulary[start..]
            .iter()
            .take_while(|t| t.starts_with(&prefix))
            .filter(|t| {
                t.starts_with(word.as_str())
                    || word.starts_with(t.as_str())
                    || common_prefix(t, &word) > PREFIX_MIN
            })
            .take(4)
            .cloned()
            .collect();
        for t in similar {
            slot.meanings.push((vec![t], PREFIX_WEIGHT));
        }
    }
}

/// Length of the common beginning of two words, in characters.
fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// Tokens of a tool text (every word counts fully).
fn tokens(text: &str) -> Vec<Token> {
    words(text)
        .into_iter()
        .map(|w| Token::new(w, 1.0))
        .collect()
}

/// Canonical terms of a tool text.
fn terms(th: &Thesaurus, text: &str) -> Vec<String> {
    th.segment(&tokens(text))
        .into_iter()
        .flat_map(|u| u.terms)
        .collect()
}

/// One thing a request asks for: its possible meanings (term, weight), the best of which counts.
#[derive(Debug)]
struct Slot {
    meanings: Vec<Meaning>,
    weight: f64,
    past: bool,
}

/// The slots of a request: each canonical term of a unit is a slot; a unit's other meanings join
/// its first slot. A term asked twice counts once, at its highest weight.
fn slots(units: &[Unit]) -> Vec<Slot> {
    let mut out: Vec<Slot> = Vec::new();
    for u in units {
        for (k, term) in u.terms.iter().enumerate() {
            let mut meanings = vec![(vec![term.clone()], 1.0)];
            if k == 0 {
                meanings.extend(u.also.iter().cloned());
            }
            push_slot(&mut out, meanings, u.weight, u.past);
        }
        if u.terms.is_empty() && !u.also.is_empty() {
            push_slot(&mut out, u.also.clone(), u.weight, u.past);
        }
    }
    out
}

fn push_slot(out: &mut Vec<Slot>, meanings: Vec<Meaning>, weight: f64, past: bool) {
    // A past-tense creation word describes rather than asks ("contacts added this week", "who
    // installed the app"): it does not count. "Moved", "changed" and the like still ask.
    let weight = if past
        && meanings.iter().all(|(t, _)| {
            t.iter().all(|t| {
                !term_actions(t).is_empty() && term_actions(t).iter().all(|k| *k == "create")
            })
        }) {
        0.0
    } else {
        weight
    };
    if meanings.len() == 1
        && let Some(s) = out
            .iter_mut()
            .find(|s| s.meanings.len() == 1 && s.meanings[0].0 == meanings[0].0)
    {
        s.weight = s.weight.max(weight);
        s.past &= past;
        return;
    }
    let past = past && weight == 0.0;
    out.push(Slot {
        meanings,
        weight,
        past,
    });
}

/// Action words (as the thesaurus folds them) and the kinds of action they state.
const ACTIONS: &[(&str, &[&str])] = &[
    ("get", &["read"]),
    ("search", &["read"]),
    ("count", &["read"]),
    ("export", &["read"]),
    ("create", &["create"]),
    ("generate", &["create"]),
    ("upload", &["create"]),
    ("import", &["create"]),
    ("install", &["create"]),
    ("update", &["update"]),
    ("complete", &["update"]),
    ("enable", &["update", "resume"]),
    ("disable", &["update", "pause"]),
    ("delete", &["delete"]),
    ("uninstall", &["delete"]),
    ("send", &["send"]),
    ("pause", &["pause"]),
    ("resume", &["resume"]),
    ("duplicate", &["duplicate"]),
    ("publish", &["publish"]),
    ("cancel", &["cancel"]),
    // Connecting an account: `start-google-oauth`, `create-integration`, "hook up Facebook".
    ("integration", &["create"]),
    ("void", &["cancel"]),
    ("verify", &["verify"]),
    ("execute", &["execute"]),
    ("train", &["train"]),
    ("crawl", &["train"]),
];

/// The kinds of action a canonical term states.
fn term_actions(term: &str) -> &'static [&'static str] {
    static MAP: OnceLock<HashMap<String, &'static [&'static str]>> = OnceLock::new();
    MAP.get_or_init(|| ACTIONS.iter().map(|(w, k)| (stem(w), *k)).collect())
        .get(term)
        .copied()
        .unwrap_or(&[])
}

/// The kinds of action a unit states, counting other meanings down to `min_weight`.
fn unit_actions(u: &Unit, min_weight: f64) -> BTreeSet<&'static str> {
    u.terms
        .iter()
        .map(String::as_str)
        .chain(
            u.also
                .iter()
                .filter(|(_, w)| *w >= min_weight)
                .flat_map(|(t, _)| t.iter().map(String::as_str)),
        )
        .flat_map(term_actions)
        .copied()
        .collect()
}

/// What an operation whose id names no action does, by its HTTP method.
fn method_action(method: HttpMethod) -> BTreeSet<&'static str> {
    BTreeSet::from([match method {
        HttpMethod::Get => "read",
        HttpMethod::Post => "create",
        HttpMethod::Put | HttpMethod::Patch => "update",
        HttpMethod::Delete => "delete",
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_fold_to_one_term() {
        let th = thesaurus::global();
        assert_eq!(terms(th, "retrieve a deal"), terms(th, "get opportunities"));
    }

    #[test]
    fn action_words_have_kinds() {
        assert_eq!(term_actions(&stem("update")), ["update"]);
        assert_eq!(term_actions(&stem("pause")), ["pause"]);
        assert!(term_actions("contact").is_empty());
    }
}
