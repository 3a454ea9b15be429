//! Blog rules: the post statuses, what a URL slug may look like, slug uniqueness within a
//! location, how a post is answered (without its HTML body) and what a search term matches.
//!
//! Slugs are unique per location, not per blog: HighLevel's slug check takes a location and no
//! blog, so two blogs of one location cannot both have `/post/spring-whitening`.

use serde_json::Value;

/// The values of a post's `status`.
pub(crate) const POST_STATUSES: &[&str] = &["DRAFT", "PUBLISHED", "SCHEDULED", "ARCHIVED"];

/// Whether `slug` is a URL slug: lower-case letters and digits in words joined by single hyphens.
pub(crate) fn is_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 200
        && slug.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// The id of the post of `location` that uses `slug`, other than `except`.
pub(crate) fn slug_owner<'a>(
    posts: &'a [Value],
    location: &str,
    slug: &str,
    except: Option<&str>,
) -> Option<&'a str> {
    posts
        .iter()
        .filter(|p| p["locationId"] == location && p["urlSlug"] == slug)
        .filter_map(|p| p["_id"].as_str())
        .find(|id| Some(*id) != except)
}

/// A post as HighLevel answers it: the stored record without its HTML body, which only the
/// create and update bodies carry.
pub(crate) fn post_view(post: &Value) -> Value {
    let mut v = post.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("rawHTML");
    }
    v
}

/// Whether a search term matches a post: a case-insensitive substring of its title or
/// description.
pub(crate) fn post_matches(post: &Value, term: &str) -> bool {
    let term = term.trim().to_lowercase();
    ["title", "description"].iter().any(|k| {
        post[*k]
            .as_str()
            .is_some_and(|v| v.to_lowercase().contains(&term))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        for ok in ["whitening", "whitening-101", "5-tips-for-kids"] {
            assert!(is_slug(ok), "{ok}");
        }
        for bad in [
            "",
            "Whitening",
            "two  spaces",
            "-lead",
            "trail-",
            "a--b",
            "a_b",
            "über",
        ] {
            assert!(!is_slug(bad), "{bad}");
        }
    }

    #[test]
    fn slug_owner_is_per_location_and_skips_the_post_itself() {
        let posts = [
            json!({"_id": "p1", "locationId": "L1", "urlSlug": "floss"}),
            json!({"_id": "p2", "locationId": "L2", "urlSlug": "brush"}),
        ];
        assert_eq!(slug_owner(&posts, "L1", "floss", None), Some("p1"));
        assert_eq!(slug_owner(&posts, "L1", "floss", Some("p1")), None);
        assert_eq!(slug_owner(&posts, "L1", "brush", None), None);
    }

    #[test]
    fn views_drop_the_html_and_search_reads_title_and_description() {
        let p = json!({"_id": "p", "title": "Night Guards", "description": "Grinding at night", "rawHTML": "<p>x</p>"});
        assert!(post_view(&p).get("rawHTML").is_none());
        assert_eq!(post_view(&p)["title"], "Night Guards");
        assert!(post_matches(&p, "guards"));
        assert!(post_matches(&p, " GRINDING "));
        assert!(!post_matches(&p, "whitening"));
    }
}
