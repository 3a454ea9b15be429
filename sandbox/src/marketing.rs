//! The marketing records of the emulator: blog sites with their authors, categories and posts,
//! email builder templates (and folders), and the social planner's connected accounts, account
//! groups, posts and per-account daily metrics.
//!
//! Like the rest of the store, records are `serde_json` objects in HighLevel's response shapes,
//! plus a few members HighLevel keeps but does not answer (a blog post's `rawHTML`), which the
//! handlers leave out of their answers. Every list is small, so lists in creation order with
//! linear lookups are enough. This sits in the store layer: it depends on nothing of the crate.

use serde_json::Value;

/// Blogs, email templates and the social planner, for all locations.
#[derive(Default)]
pub(crate) struct Marketing {
    /// Blog sites: `{_id, name, locationId, domain, ...}`.
    pub(crate) blogs: Vec<Value>,
    /// Blog authors (per location): `{_id, name, locationId, updatedAt, canonicalLink}`.
    pub(crate) blog_authors: Vec<Value>,
    /// Blog categories (per location): `{_id, label, urlSlug, locationId, ...}`.
    pub(crate) blog_categories: Vec<Value>,
    /// Blog posts in creation order, each with its `blogId`, `locationId` and `rawHTML`.
    pub(crate) blog_posts: Vec<Value>,
    /// Email builder templates and folders (`templateType: "folder"`), in creation order.
    pub(crate) email_templates: Vec<Value>,
    /// Connected social accounts.
    pub(crate) social_accounts: Vec<Value>,
    /// Account groups: `{id, name, accountIds, locationId}`.
    pub(crate) social_groups: Vec<Value>,
    /// Social planner posts in creation order.
    pub(crate) social_posts: Vec<Value>,
    /// Daily metrics per connected account, for the statistics endpoint.
    pub(crate) social_metrics: Vec<AccountMetrics>,
}

/// One day of an account's audience figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct DayMetrics {
    pub(crate) impressions: u64,
    pub(crate) reach: u64,
    pub(crate) likes: u64,
    pub(crate) comments: u64,
    pub(crate) shares: u64,
    /// Followers at the end of the day (a level, not a count of new followers).
    pub(crate) followers: u64,
}

/// The figures of one connected account over the fourteen days before the statistics day: the
/// first seven are the previous week, the last seven the current one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AccountMetrics {
    pub(crate) location_id: String,
    /// The account's `profileId`, which the statistics request names.
    pub(crate) profile_id: String,
    /// `facebook`, `instagram`, `google`, ...
    pub(crate) platform: String,
    /// Oldest first; always 14 entries.
    pub(crate) days: Vec<DayMetrics>,
    /// Audience by gender: male, female, unknown.
    pub(crate) gender: [u64; 3],
    /// Audience by age band, in the order of [`AGE_BANDS`].
    pub(crate) age: [u64; 7],
    /// The first day of the fourteen, epoch milliseconds at 00:00 UTC.
    pub(crate) first_day_ms: i64,
}

/// HighLevel's age bands in the statistics answer.
pub(crate) const AGE_BANDS: [&str; 7] =
    ["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"];
