//! Reading a request before it is ranked: what is the ask, and what is only a value for its
//! arguments. Ids ("c_123", "act_99887766"), e-mail addresses, web addresses, amounts, dates,
//! times and numbers say which object the user means, not which operation, so they are dropped
//! (ids are counted: a request naming one invoice wants an operation on one invoice, and one
//! naming an invoice and its payment wants one a level deeper). A bare number right after a noun
//! ("campaign 4321") is an id; after a verb, a stop word or nothing it is a quantity. Quoted
//! text and capitalised names the thesaurus does not know ("Dana", "Acme") count for little.

use crate::text::words;
use crate::thesaurus::{Thesaurus, Token};

/// How much a word inside quotes counts: usually a name or a value ("Past buyers 2024").
const QUOTED: f64 = 0.3;
/// How much a capitalised word the thesaurus does not know counts: usually a person or a place.
const NAME: f64 = 0.4;

/// A request read for ranking.
#[derive(Debug, Default)]
pub(crate) struct Request {
    pub tokens: Vec<Token>,
    /// How many objects the request names by id.
    pub ids: usize,
    /// The request counts several objects ("these 12 images", "300 people").
    pub many: bool,
    /// The request is a question ("which pages can we use?", "is google connected?").
    pub question: bool,
}

pub(crate) fn read(text: &str, thesaurus: &Thesaurus) -> Request {
    let mut req = Request {
        question: text.trim_end().ends_with('?')
            || text
                .split_whitespace()
                .next()
                .is_some_and(|w| QUESTION_WORDS.contains(&w.to_lowercase().trim_end_matches("'s"))),
        ..Request::default()
    };
    let mut quoted = false;
    // The previous token was a word that can name a kind of object ("page", "campaign").
    let mut after_noun = false;
    // The previous token was an amount ("10%" in "10% off").
    let mut after_amount = false;
    // The previous token was a count ("12" in "12 images").
    let mut counted = false;
    for raw in text.split_whitespace() {
        let was_after_noun = std::mem::take(&mut after_noun);
        let was_counted = std::mem::take(&mut counted);
        let opens = raw.starts_with(['"', '“']);
        let closes = raw.len() > 1
            && raw
                .trim_end_matches(['.', ',', '!', '?', ':', ';', ')'])
                .ends_with(['"', '”']);
        let in_quotes = quoted || opens;
        if opens && !closes {
            quoted = true;
        } else if closes {
            quoted = false;
        }
        let token = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '_' && c != '{');
        if token.is_empty() || is_address(token) {
            continue;
        }
        if token.contains('_') && token.split(['_', '.', '{', '}']).any(has_digit) {
            req.ids += 1;
            continue;
        }
        let money = raw.contains(['$', '%', '€', '£']);
        // "10% off", "$5 off": part of the amount, not a removal.
        if std::mem::take(&mut after_amount) && token.eq_ignore_ascii_case("off") {
            continue;
        }
        after_amount = money;
        for part in token.split(['-', '/']) {
            if has_digit(part) {
                // Letters and digits mixed ("1Z999", "ev12"), a long number, or a number right
                // after a noun: an identifier. Anything else is an amount, a date or a count.
                let digits = part.chars().filter(char::is_ascii_digit).count();
                let mixed = part.chars().any(char::is_alphabetic) && !is_ordinal(part);
                let bare = part.chars().all(|c| c.is_ascii_digit());
                if !money && (mixed || digits >= 5 || bare && was_after_noun) {
                    req.ids += 1;
                } else if bare && !money && part.parse::<u32>().is_ok_and(|n| n > 1) {
                    counted = true;
                }
                continue;
            }
            let capitalised = part.chars().next().is_some_and(char::is_uppercase)
                && !part.chars().all(|c| c.is_uppercase());
            for w in words(part) {
                let weight = if in_quotes {
                    QUOTED
                } else if capitalised && !thesaurus.knows(&w) {
                    NAME
                } else {
                    1.0
                };
                after_noun = raw.chars().all(char::is_alphabetic) && !thesaurus.is_stop(&w);
                let plural = w.len() > 3 && w.ends_with('s') && !w.ends_with("ss");
                req.many |= was_counted && plural;
                req.tokens.push(Token::new(w, weight));
            }
        }
    }
    // "get a business by id": the word itself says one object is meant.
    if req.ids == 0 && words(text).iter().any(|w| w == "id") {
        req.ids = 1;
    }
    req
}

/// First words that make a request a question.
const QUESTION_WORDS: &[&str] = &[
    "what", "which", "who", "whose", "is", "are", "does", "did", "has", "have", "how", "any",
    "when", "where", "why",
];

fn has_digit(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
}

/// "1st", "2nd", "24th", "2pm", "10am", "30min": numbers with a unit, not identifiers.
fn is_ordinal(part: &str) -> bool {
    let letters: String = part
        .chars()
        .skip_while(|c| c.is_ascii_digit() || *c == ':' || *c == '.' || *c == ',')
        .collect::<String>()
        .to_lowercase();
    part.starts_with(|c: char| c.is_ascii_digit())
        && [
            "st", "nd", "rd", "th", "am", "pm", "h", "min", "mins", "k", "m", "x", "d", "s",
        ]
        .contains(&letters.as_str())
}

/// E-mail and web addresses.
fn is_address(token: &str) -> bool {
    token.contains('@')
        || token.starts_with("http")
        || token.starts_with("www.")
        || token.rsplit_once('.').is_some_and(|(head, tld)| {
            !head.is_empty()
                && matches!(
                    tld,
                    "com" | "io" | "net" | "org" | "co" | "mx" | "uk" | "dev" | "app"
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thesaurus::global;

    fn kept(text: &str) -> Vec<(String, f64)> {
        read(text, global())
            .tokens
            .into_iter()
            .map(|t| (t.surface, t.weight))
            .collect()
    }

    #[test]
    fn values_are_dropped_and_ids_remembered() {
        let r = read(
            "email bob@shop.io about inv_1001 for $250 at 2pm on 12/03, see acme.com",
            global(),
        );
        let words: Vec<&str> = r.tokens.iter().map(|t| t.surface.as_str()).collect();
        assert_eq!(words, ["email", "about", "for", "at", "on", "see"]);
        assert_eq!(r.ids, 1);
        assert_eq!(read("list the invoices of 2024", global()).ids, 0);
        assert_eq!(read("page 1029384756", global()).ids, 1);
        assert_eq!(read("pause ad 42 and adset ab12", global()).ids, 2);
        let r = read("remove these 5 posts, $25 off", global());
        assert_eq!(r.ids, 0);
        assert!(r.many);
        assert!(!read("a 30 minute call", global()).many);
    }

    #[test]
    fn names_and_quotes_count_less() {
        let k = kept(r#"book Maria for "Deep clean" on Facebook"#);
        assert_eq!(k[0], ("book".into(), 1.0));
        assert_eq!(k[1], ("maria".into(), NAME));
        assert_eq!(k[3], ("deep".into(), QUOTED));
        assert_eq!(k[4], ("clean".into(), QUOTED));
        assert_eq!(k[6], ("facebook".into(), 1.0));
    }

    #[test]
    fn keys_with_underscores_are_words_not_ids() {
        let r = read("fields of custom_objects.pets", global());
        assert_eq!(r.ids, 0);
        assert!(r.tokens.iter().any(|t| t.surface == "pets"));
    }
}
