//! Social planner rules: post types and statuses, what a post must carry to be publishable, which
//! posts a list filter selects, and the statistics answer built from per-account daily figures.
//!
//! HighLevel's files declare a post's `type` and `status` as objects, but every example and the
//! listed values are strings; the sandbox takes and answers strings.
//!
//! Statistics cover the current week (the last seven of an account's fourteen days) and compare
//! it with the week before; a `change` is the percentage difference, rounded to two decimals
//! (100 when the previous week was zero and this one is not).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::marketing::{AGE_BANDS, AccountMetrics, DayMetrics};

/// A post's `type`.
pub(crate) const POST_TYPES: &[&str] = &["post", "story", "reel"];

/// Every `status` a post can have.
pub(crate) const POST_STATUSES: &[&str] = &[
    "in_progress",
    "draft",
    "failed",
    "published",
    "scheduled",
    "in_review",
    "notification_sent",
    "deleted",
];

/// The statuses a client may set; the others are reached by HighLevel's own processing.
pub(crate) const SETTABLE_STATUSES: &[&str] = &["draft", "scheduled", "published", "in_review"];

/// The `type` filter of the post list.
pub(crate) const LIST_TYPES: &[&str] = &[
    "recent",
    "all",
    "scheduled",
    "draft",
    "failed",
    "in_review",
    "published",
    "in_progress",
    "deleted",
];

/// The platforms the statistics request can filter by.
pub(crate) const STAT_PLATFORMS: &[&str] = &[
    "facebook",
    "instagram",
    "linkedin",
    "google",
    "pinterest",
    "youtube",
    "tiktok",
];

/// What keeps a post (as it would be stored) from being valid: a story or reel needs media, a
/// post needs text or media, and a scheduled post needs a `scheduleDate`.
pub(crate) fn post_problems(post: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    let has_media = post
        .get("media")
        .and_then(Value::as_array)
        .is_some_and(|m| !m.is_empty());
    let has_text = post
        .get("summary")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty());
    match post.get("type").and_then(Value::as_str) {
        Some(t @ ("story" | "reel")) if !has_media => problems.push(format!(
            "media should not be empty: a {t} needs at least one image or video"
        )),
        Some("post") if !has_media && !has_text => problems
            .push("summary should not be empty: a post needs text (summary) or media".to_string()),
        _ => {}
    }
    if post.get("status").and_then(Value::as_str) == Some("scheduled")
        && post
            .get("scheduleDate")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    {
        problems.push(
            "scheduleDate should not be empty: a scheduled post needs the date and time to publish it"
                .to_string(),
        );
    }
    problems
}

/// Whether the list filter `kind` selects `post`. `all` and `recent` select every post but the
/// deleted ones (they differ in order only); the others select one status.
pub(crate) fn list_selects(kind: &str, post: &Value) -> bool {
    let status = post["status"].as_str().unwrap_or("");
    match kind {
        "all" | "recent" => status != "deleted",
        other => status == other,
    }
}

/// The percentage change from `prev` to `cur`, rounded to two decimals.
pub(crate) fn change(cur: u64, prev: u64) -> f64 {
    if prev == 0 {
        return if cur == 0 { 0.0 } else { 100.0 };
    }
    let pct = (cur as f64 - prev as f64) / prev as f64 * 100.0;
    (pct * 100.0).round() / 100.0
}

const DAY_MS: i64 = 86_400_000;
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn weekday(ms: i64) -> &'static str {
    // 1970-01-01 was a Thursday: (days + 3) % 7 counts from Monday.
    WEEKDAYS[(ms.div_euclid(DAY_MS) + 3).rem_euclid(7) as usize]
}

/// One platform's figures: the sum of its accounts, day by day.
#[derive(Default)]
struct Platform {
    days: [DayMetrics; 14],
    /// Published posts per day.
    posts: [u64; 14],
}

impl Platform {
    fn sum(&self, range: std::ops::Range<usize>, f: impl Fn(&DayMetrics) -> u64) -> u64 {
        self.days[range].iter().map(f).sum()
    }

    fn week(&self, f: impl Fn(&DayMetrics) -> u64) -> (u64, u64) {
        (self.sum(7..14, &f), self.sum(0..7, &f))
    }

    fn series(&self, f: impl Fn(&DayMetrics) -> u64) -> Vec<u64> {
        self.days[7..14].iter().map(f).collect()
    }
}

/// The `results` of the statistics answer for `accounts`, counting the published `posts`
/// (`(platform, displayDate ms)`) of those accounts, over the fourteen days from `first_day_ms`.
pub(crate) fn statistics(
    first_day_ms: i64,
    accounts: &[&AccountMetrics],
    posts: &[(String, i64)],
) -> Value {
    let mut platforms: BTreeMap<&str, Platform> = BTreeMap::new();
    let mut gender = [0u64; 3];
    let mut age = [0u64; 7];
    for a in accounts {
        let p = platforms.entry(a.platform.as_str()).or_default();
        for (i, d) in a.days.iter().take(14).enumerate() {
            let t = &mut p.days[i];
            t.impressions += d.impressions;
            t.reach += d.reach;
            t.likes += d.likes;
            t.comments += d.comments;
            t.shares += d.shares;
            t.followers += d.followers;
        }
        for (g, x) in gender.iter_mut().zip(a.gender) {
            *g += x;
        }
        for (g, x) in age.iter_mut().zip(a.age) {
            *g += x;
        }
    }
    for (platform, at) in posts {
        let day = (at - first_day_ms).div_euclid(DAY_MS);
        if let (Some(p), Ok(day @ 0..14)) =
            (platforms.get_mut(platform.as_str()), usize::try_from(day))
        {
            p.posts[day] += 1;
        }
    }

    let day_range: Vec<&str> = (7..14)
        .map(|i| weekday(first_day_ms + i * DAY_MS))
        .collect();
    let sum_days = |f: &dyn Fn(&DayMetrics) -> u64| -> Vec<u64> {
        (7..14)
            .map(|i| platforms.values().map(|p| f(&p.days[i])).sum())
            .collect()
    };
    let posts_week =
        |p: &Platform| -> (u64, u64) { (p.posts[7..14].iter().sum(), p.posts[0..7].iter().sum()) };
    let breakdown = |week: &dyn Fn(&Platform) -> (u64, u64)| -> Value {
        let (mut cur, mut prev) = (0, 0);
        let mut per = Map::new();
        for (name, p) in &platforms {
            let (c, q) = week(p);
            cur += c;
            prev += q;
            per.insert(
                (*name).into(),
                json!({ "value": c, "change": change(c, q) }),
            );
        }
        json!({ "total": cur, "totalChange": change(cur, prev), "platforms": per })
    };
    let level = |p: &Platform| p.days[13].followers;
    let per_platform = |f: &dyn Fn(&Platform) -> Value| -> Value {
        Value::Object(
            platforms
                .iter()
                .map(|(name, p)| ((*name).to_string(), f(p)))
                .collect(),
        )
    };

    let gender_total: u64 = gender.iter().sum();
    let pct = |x: u64| {
        if gender_total == 0 {
            0.0
        } else {
            (x as f64 / gender_total as f64 * 10_000.0).round() / 100.0
        }
    };
    let gender_json = |i: usize| json!({ "total": gender[i], "percentage": pct(gender[i]) });

    json!({
        "dayRange": day_range,
        "totals": {
            "posts": platforms.values().map(|p| posts_week(p).0).sum::<u64>(),
            "likes": platforms.values().map(|p| p.week(|d| d.likes).0).sum::<u64>(),
            "followers": platforms.values().map(level).sum::<u64>(),
            "impressions": platforms.values().map(|p| p.week(|d| d.impressions).0).sum::<u64>(),
            "comments": platforms.values().map(|p| p.week(|d| d.comments).0).sum::<u64>(),
        },
        "postPerformance": {
            "posts": per_platform(&|p| json!(p.posts[7..14].to_vec())),
            "impressions": sum_days(&|d| d.impressions),
            "likes": sum_days(&|d| d.likes),
            "comments": sum_days(&|d| d.comments),
        },
        "breakdowns": {
            "posts": breakdown(&posts_week),
            "impressions": breakdown(&|p| p.week(|d| d.impressions)),
            "reach": breakdown(&|p| p.week(|d| d.reach)),
            "engagement": per_platform(&|p| {
                let (cur, prev) = p.week(|d| d.likes + d.comments + d.shares);
                json!({
                    "likes": p.week(|d| d.likes).0,
                    "comments": p.week(|d| d.comments).0,
                    "shares": p.week(|d| d.shares).0,
                    "change": change(cur, prev),
                })
            }),
        },
        "platformTotals": {
            "impressions": per_platform(&|p| json!({
                "total": p.week(|d| d.impressions).0, "series": p.series(|d| d.impressions),
            })),
            "followers": per_platform(&|p| json!({
                "total": level(p), "series": p.series(|d| d.followers),
            })),
            "likes": per_platform(&|p| json!({
                "total": p.week(|d| d.likes).0, "series": p.series(|d| d.likes),
            })),
        },
        "demographics": {
            "gender": { "totals": {
                "male": gender_json(0), "female": gender_json(1), "unknown": gender_json(2),
            } },
            "age": { "totals": Value::Object(
                AGE_BANDS.iter().zip(age).map(|(b, n)| ((*b).to_string(), json!(n))).collect(),
            ) },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn stories_and_reels_need_media_and_posts_need_text_or_media() {
        assert_eq!(
            post_problems(&obj(json!({"type": "post", "summary": "hi"}))),
            Vec::<String>::new()
        );
        assert_eq!(
            post_problems(&obj(json!({"type": "post", "media": [{"url": "u"}]}))).len(),
            0
        );
        assert_eq!(
            post_problems(&obj(json!({"type": "post", "summary": "  "}))).len(),
            1
        );
        let p = post_problems(&obj(json!({"type": "reel", "summary": "hi"})));
        assert!(
            p[0].starts_with("media should not be empty: a reel"),
            "{p:?}"
        );
        let p = post_problems(&obj(
            json!({"type": "post", "summary": "x", "status": "scheduled"}),
        ));
        assert!(
            p[0].starts_with("scheduleDate should not be empty"),
            "{p:?}"
        );
    }

    #[test]
    fn list_filters_select_by_status() {
        let draft = json!({"status": "draft"});
        let gone = json!({"status": "deleted"});
        assert!(list_selects("all", &draft) && list_selects("recent", &draft));
        assert!(!list_selects("all", &gone) && list_selects("deleted", &gone));
        assert!(list_selects("draft", &draft) && !list_selects("published", &draft));
    }

    #[test]
    fn changes_are_percentages_with_two_decimals() {
        assert_eq!(change(150, 100), 50.0);
        assert_eq!(change(2, 3), -33.33);
        assert_eq!(change(0, 0), 0.0);
        assert_eq!(change(5, 0), 100.0);
    }

    fn metrics(platform: &str, first: i64) -> AccountMetrics {
        let days = (0..14u64)
            .map(|i| DayMetrics {
                impressions: 10 * (i + 1),
                reach: 5,
                likes: i,
                comments: 1,
                shares: 0,
                followers: 100 + i,
            })
            .collect();
        AccountMetrics {
            location_id: "L".into(),
            profile_id: format!("{platform}-1"),
            platform: platform.into(),
            days,
            gender: [30, 60, 10],
            age: [0, 10, 20, 30, 20, 10, 10],
            first_day_ms: first,
        }
    }

    #[test]
    fn statistics_sum_the_current_week_and_compare_with_the_previous() {
        // 2026-11-09 (a Monday) 00:00 UTC: the current week is 2026-11-16 to 2026-11-22.
        let first = 1_794_182_400_000;
        let fb = metrics("facebook", first);
        let ig = metrics("instagram", first);
        let posts = vec![
            ("facebook".to_string(), first + 8 * DAY_MS + 3_600_000),
            ("facebook".to_string(), first + 2 * DAY_MS),
            ("linkedin".to_string(), first + 9 * DAY_MS),
        ];
        let r = statistics(first, &[&fb, &ig], &posts);
        assert_eq!(r["dayRange"], json!(WEEKDAYS));
        // Impressions of days 8..=14 (10 each step): 80+...+140 = 770 per account.
        assert_eq!(r["totals"]["impressions"], 1540);
        assert_eq!(r["totals"]["followers"], 2 * 113);
        assert_eq!(r["totals"]["posts"], 1, "linkedin has no account here");
        assert_eq!(
            r["postPerformance"]["posts"]["facebook"],
            json!([0, 1, 0, 0, 0, 0, 0])
        );
        assert_eq!(
            r["postPerformance"]["impressions"]
                .as_array()
                .unwrap()
                .len(),
            7
        );
        assert_eq!(
            r["breakdowns"]["posts"]["platforms"]["facebook"],
            json!({"value": 1, "change": 0.0})
        );
        // Previous week 10+...+70 = 280; change (770-280)/280 = 175 %.
        assert_eq!(r["breakdowns"]["impressions"]["totalChange"], 175.0);
        assert_eq!(r["platformTotals"]["followers"]["instagram"]["total"], 113);
        assert_eq!(
            r["demographics"]["gender"]["totals"]["female"],
            json!({"total": 120, "percentage": 60.0})
        );
        assert_eq!(r["demographics"]["age"]["totals"]["35-44"], 60);
    }

    #[test]
    fn statistics_of_no_accounts_are_zeros_of_the_same_shape() {
        let r = statistics(0, &[], &[]);
        assert_eq!(r["dayRange"].as_array().unwrap().len(), 7);
        assert_eq!(r["totals"]["posts"], 0);
        assert_eq!(r["postPerformance"]["likes"], json!([0, 0, 0, 0, 0, 0, 0]));
        assert_eq!(
            r["demographics"]["gender"]["totals"]["male"]["percentage"],
            0.0
        );
    }
}
