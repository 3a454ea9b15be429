//! The domain thesaurus: HighLevel's words for what users call by other names ("label" is a tag,
//! "quote" an estimate, "staff" users, "automation" a workflow), loaded from `thesaurus.txt`
//! (its header explains the format). [`Thesaurus::segment`] turns a word sequence into units of
//! meaning, matching the longest phrase first; tool texts and requests go through the same
//! segmentation so that a fold meets itself on both sides.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::text::{stem, words};

/// The compiled-in thesaurus, parsed once.
pub(crate) fn global() -> &'static Thesaurus {
    static T: OnceLock<Thesaurus> = OnceLock::new();
    T.get_or_init(|| {
        Thesaurus::parse(include_str!("thesaurus.txt"))
            .unwrap_or_else(|e| panic!("catalog/src/thesaurus.txt: {e}"))
    })
}

/// One word of a text, with how much it should count (requests weigh names and quoted values
/// less; tool texts count every word fully).
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub surface: String,
    pub stem: String,
    pub weight: f64,
}

impl Token {
    pub(crate) fn new(surface: String, weight: f64) -> Self {
        let stem = stem(&surface);
        Self {
            surface,
            stem,
            weight,
        }
    }
}

/// A unit of meaning: the canonical terms a word or phrase stands for, and what else it may mean.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// Canonical terms (each counts on its own).
    pub terms: Vec<String>,
    /// Other meanings of a request word (one or more terms each), with weights below 1; the
    /// best meaning counts.
    pub also: Vec<Meaning>,
    /// The lowest weight among the words of the phrase.
    pub weight: f64,
    /// The unit is one word in the past tense ("added", "installed"): as an action it usually
    /// describes the object ("contacts added this week"), not what the user asks to do.
    pub past: bool,
}

#[derive(Debug, Default)]
struct Entry {
    /// `Some(empty)` for a stop word, `Some(terms)` for a fold, `None` when only `also` is given.
    fold: Option<Vec<String>>,
    also: Vec<Meaning>,
}

/// One meaning of a request word: terms that count together, and how much the meaning counts.
pub(crate) type Meaning = (Vec<String>, f64);

/// Parsed `thesaurus.txt`.
#[derive(Debug, Default)]
pub(crate) struct Thesaurus {
    entries: Vec<Entry>,
    /// Phrase as written (lower case words) → entry.
    exact: HashMap<Vec<String>, usize>,
    /// Phrase as stems → entry; the first phrase written wins when two share their stems.
    stemmed: HashMap<Vec<String>, usize>,
    longest: usize,
    /// First words (as written and as stems) of the phrases longer than one word: only where one
    /// of these stands does a phrase need looking for, which keeps indexing fast.
    phrase_starts: HashSet<String>,
    /// One-word entries, as written and as stems: the common case, looked up without building
    /// a phrase key.
    word_exact: HashMap<String, usize>,
    word_stemmed: HashMap<String, usize>,
    apps: HashMap<String, String>,
}

impl Thesaurus {
    fn parse(text: &str) -> Result<Self, String> {
        let mut t = Self::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |msg: String| format!("line {}: {msg}: `{line}`", i + 1);
            let (head, rest) = line.split_once('=').ok_or_else(|| at("no `=`".into()))?;
            let head = head.trim();
            let (kind, name) = head.split_once(' ').unwrap_or((head, ""));
            let name = name.trim();
            match kind {
                "stop" => {
                    for phrase in list(rest) {
                        t.set_fold(&phrase, Vec::new()).map_err(at)?;
                    }
                }
                "fold" => {
                    let canon: Vec<String> = words(name).iter().map(|w| stem(w)).collect();
                    if canon.is_empty() {
                        return Err(at("fold needs a canonical term".into()));
                    }
                    for phrase in list(rest) {
                        t.set_fold(&phrase, canon.clone()).map_err(at)?;
                    }
                }
                "also" => {
                    let key = words(name);
                    if key.is_empty() {
                        return Err(at("also needs a word".into()));
                    }
                    let mut also = Vec::new();
                    for item in rest.split(',') {
                        let mut parts: Vec<&str> = item.split_whitespace().collect();
                        let (Some(w), false) = (parts.pop(), parts.is_empty()) else {
                            return Err(at(format!("`{}` is not `terms weight`", item.trim())));
                        };
                        let w: f64 = w
                            .parse()
                            .ok()
                            .filter(|w| (0.0..=1.0).contains(w))
                            .ok_or_else(|| at(format!("weight `{w}` is not in 0..1")))?;
                        also.push((parts.iter().map(|t| stem(t)).collect(), w));
                    }
                    let e = t.entry(&key);
                    if !t.entries[e].also.is_empty() {
                        return Err(at(format!("`{name}` has two `also` lines")));
                    }
                    t.entries[e].also = also;
                }
                "app" => {
                    if t.apps
                        .insert(name.to_owned(), rest.trim().to_owned())
                        .is_some()
                    {
                        return Err(at(format!("app `{name}` twice")));
                    }
                }
                _ => return Err(at(format!("unknown kind `{kind}`"))),
            }
        }
        Ok(t)
    }

    /// The entry for the phrase `key` (lower-case words), created when new.
    fn entry(&mut self, key: &[String]) -> usize {
        if let Some(&e) = self.exact.get(key) {
            return e;
        }
        let e = self.entries.len();
        self.entries.push(Entry::default());
        self.exact.insert(key.to_vec(), e);
        let stems: Vec<String> = key.iter().map(|w| stem(w)).collect();
        if key.len() > 1 {
            self.phrase_starts.insert(key[0].clone());
            self.phrase_starts.insert(stems[0].clone());
        } else {
            self.word_exact.insert(key[0].clone(), e);
            self.word_stemmed.entry(stems[0].clone()).or_insert(e);
        }
        self.stemmed.entry(stems).or_insert(e);
        self.longest = self.longest.max(key.len());
        e
    }

    fn set_fold(&mut self, phrase: &[String], canon: Vec<String>) -> Result<(), String> {
        let e = self.entry(phrase);
        if self.entries[e].fold.is_some() {
            return Err(format!("`{}` is listed twice", phrase.join(" ")));
        }
        self.entries[e].fold = Some(canon);
        Ok(())
    }

    /// What users call `app`, as written in the thesaurus (empty when it says nothing).
    pub(crate) fn app_words(&self, app: &str) -> &str {
        self.apps.get(app).map(String::as_str).unwrap_or("")
    }

    /// Units of meaning of `tokens`, longest phrase first; stop words yield nothing.
    pub(crate) fn segment(&self, tokens: &[Token]) -> Vec<Unit> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let mut matched = None;
            let t = &tokens[i];
            let longest = if self.phrase_starts.contains(&t.surface)
                || self.phrase_starts.contains(&t.stem)
            {
                self.longest.min(tokens.len() - i)
            } else {
                1
            };
            for len in (1..=longest).rev() {
                let span = &tokens[i..i + len];
                let found = if len == 1 {
                    self.word_exact
                        .get(&t.surface)
                        .or_else(|| self.word_stemmed.get(&t.stem))
                } else {
                    let surfaces: Vec<String> = span.iter().map(|t| t.surface.clone()).collect();
                    self.exact.get(&surfaces).or_else(|| {
                        let stems: Vec<String> = span.iter().map(|t| t.stem.clone()).collect();
                        self.stemmed.get(&stems)
                    })
                };
                if let Some(&e) = found {
                    matched = Some((e, len));
                    break;
                }
            }
            let (e, len) = match matched {
                Some(m) => m,
                None => {
                    let t = &tokens[i];
                    out.push(Unit {
                        terms: vec![t.stem.clone()],
                        also: Vec::new(),
                        weight: t.weight,
                        past: is_past(&t.surface),
                    });
                    i += 1;
                    continue;
                }
            };
            let span = &tokens[i..i + len];
            let entry = &self.entries[e];
            let weight = span.iter().map(|t| t.weight).fold(1.0, f64::min);
            // A phrase with only other meanings keeps what its words mean one by one.
            let terms = match &entry.fold {
                Some(canon) => canon.clone(),
                None if len == 1 => vec![span[0].stem.clone()],
                None => span
                    .iter()
                    .flat_map(|t| self.segment(std::slice::from_ref(t)))
                    .flat_map(|u| u.terms)
                    .collect(),
            };
            if !terms.is_empty() || !entry.also.is_empty() {
                out.push(Unit {
                    terms,
                    also: entry.also.clone(),
                    weight,
                    past: len == 1 && is_past(&span[0].surface),
                });
            }
            i += len;
        }
        out
    }

    /// Whether `word` is a stop word.
    pub(crate) fn is_stop(&self, word: &str) -> bool {
        let e = self
            .exact
            .get(&[word.to_owned()][..])
            .or_else(|| self.stemmed.get(&[stem(word)][..]));
        e.is_some_and(|&e| self.entries[e].fold.as_ref().is_some_and(Vec::is_empty))
    }

    /// Whether a word means something to the thesaurus (it is not just a name to it).
    pub(crate) fn knows(&self, word: &str) -> bool {
        self.exact.contains_key(&[word.to_owned()][..])
            || self.stemmed.contains_key(&[stem(word)][..])
    }
}

fn is_past(word: &str) -> bool {
    word.len() > 4 && word.ends_with("ed") && !word.ends_with("eed")
}

/// The comma-separated phrases of a line, as lower-case words.
fn list(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    text.split(',').map(words).filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<Token> {
        words(text)
            .into_iter()
            .map(|w| Token::new(w, 1.0))
            .collect()
    }

    fn terms(text: &str) -> Vec<String> {
        global()
            .segment(&tokens(text))
            .into_iter()
            .flat_map(|u| u.terms)
            .collect()
    }

    #[test]
    fn the_file_parses_and_names_every_app_once() {
        let t = global();
        assert!(t.apps.len() >= 41, "{} apps described", t.apps.len());
    }

    #[test]
    fn everyday_words_meet_the_apis() {
        assert_eq!(terms("strip the label"), terms("remove tags"));
        assert_eq!(terms("a quote"), terms("estimate"));
        assert_eq!(terms("automations"), terms("workflow"));
        assert_eq!(terms("team members"), terms("users"));
        assert_eq!(terms("time off"), terms("block"));
    }

    #[test]
    fn the_longest_phrase_wins_and_stop_words_vanish() {
        assert_eq!(terms("get rid of it"), terms("delete"));
        assert_eq!(terms("set up"), terms("create"));
        assert_eq!(terms("set"), terms("update"));
        assert!(terms("the of and please").is_empty());
    }

    #[test]
    fn bad_lines_are_errors_with_their_number() {
        let err = Thesaurus::parse("fold x = a\nfold y = a").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        assert!(Thesaurus::parse("also x = y 2").is_err());
        assert!(Thesaurus::parse("also x = 0.5").is_err());
        let t = Thesaurus::parse("also x = y z 0.5").unwrap();
        let u = t.segment(&[Token::new("x".into(), 1.0)]);
        assert_eq!(u[0].also, [(vec!["y".to_owned(), "z".to_owned()], 0.5)]);
        assert!(Thesaurus::parse("frob x = y").is_err());
    }
}
