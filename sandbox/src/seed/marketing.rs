//! The demo location's marketing data: two blogs (a patient-education journal and a practice news
//! blog) with three authors, five categories and nine posts in every status; seven email builder
//! entries (a folder, a template inside it, a classic-builder template and an archived one among
//! them); and a social planner with three connected accounts (a Facebook page, an Instagram
//! business profile, a Google Business Profile), one group holding all three, six posts (published,
//! scheduled, draft, failed) and fourteen days of audience figures per account.
//!
//! It draws from its own generator (derived from the seed), so adding it left every other seeded
//! record as it was. Dates are relative to the epoch; the statistics week is the seven days
//! before the epoch.

use serde_json::{Value, json};

use crate::DEMO_LOCATION_ID;
use crate::marketing::{AccountMetrics, DayMetrics};
use crate::store::Store;
use crate::util::{Rng, iso};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const SITE: &str = "https://brightside-dental.example.com";

/// A seeded blog post: blog, title, summary, status, author, category (indexes into the seeded
/// lists), days from the epoch, tags.
type BlogPostRow = (
    usize,
    &'static str,
    &'static str,
    &'static str,
    usize,
    usize,
    i64,
    &'static [&'static str],
);

/// A seeded social post: accounts (indexes), type, status, summary, media, hours from the epoch.
type SocialPostRow = (
    &'static [usize],
    &'static str,
    &'static str,
    &'static str,
    Vec<Value>,
    i64,
);

/// Seeds the marketing records of the demo location into `s` (its users must be seeded).
pub(crate) fn seed(s: &mut Store, seed: u64, epoch: i64) {
    let mut rng = Rng::new(seed ^ 0xB106_5EED);
    seed_blogs(s, &mut rng, epoch);
    seed_email_templates(s, &mut rng, epoch);
    seed_social(s, &mut rng, epoch);
}

fn slugify(text: &str) -> String {
    let mut out = String::new();
    for w in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w.to_ascii_lowercase());
    }
    out
}

fn seed_blogs(s: &mut Store, rng: &mut Rng, epoch: i64) {
    let loc = DEMO_LOCATION_ID;
    let created = iso(epoch - 400 * DAY);
    let mut blogs = Vec::new();
    for (name, slug) in [
        ("Brightside Smile Journal", "smile-journal"),
        ("Brightside Team News", "team-news"),
    ] {
        let id = rng.hex24();
        s.marketing.blogs.push(json!({
            "_id": id, "name": name, "locationId": loc, "urlSlug": slug,
            "createdAt": created, "updatedAt": iso(epoch - 3 * DAY),
        }));
        blogs.push(id);
    }
    let mut authors = Vec::new();
    for (i, name) in ["Dr. Maya Chen", "Jordan Ellis", "Priya Natarajan"]
        .iter()
        .enumerate()
    {
        let id = rng.hex24();
        s.marketing.blog_authors.push(json!({
            "_id": id, "name": name, "locationId": loc,
            "updatedAt": iso(epoch - (90 - 10 * i as i64) * DAY),
            "canonicalLink": format!("{SITE}/author/{}", slugify(name)),
        }));
        authors.push(id);
    }
    let mut categories = Vec::new();
    for (i, label) in [
        "Oral Health",
        "Cosmetic Dentistry",
        "Kids' Smiles",
        "Practice News",
        "Insurance and Billing",
    ]
    .iter()
    .enumerate()
    {
        let id = rng.hex24();
        let slug = slugify(&label.replace('\'', ""));
        // HighLevel's schema lists `label` as the property and `name` as required; both are sent.
        s.marketing.blog_categories.push(json!({
            "_id": id, "label": label, "name": label, "locationId": loc, "urlSlug": slug,
            "updatedAt": iso(epoch - (200 - 7 * i as i64) * DAY),
            "canonicalLink": format!("{SITE}/category/{slug}"),
        }));
        categories.push(id);
    }

    let posts: [BlogPostRow; 9] = [
        (
            0,
            "How often should you really floss?",
            "Once a day, and the order matters less than the habit.",
            "PUBLISHED",
            0,
            0,
            -40,
            &["flossing", "hygiene"],
        ),
        (
            0,
            "Whitening at home or in the chair",
            "Trays, strips and in-office whitening compared on cost, speed and sensitivity.",
            "PUBLISHED",
            2,
            1,
            -21,
            &["whitening"],
        ),
        (
            0,
            "Your child's first dental visit",
            "What happens at the first appointment and how to get your little one ready.",
            "PUBLISHED",
            1,
            2,
            -9,
            &["kids", "first visit"],
        ),
        (
            0,
            "Night guards and teeth grinding",
            "Signs that you grind at night and how a custom guard protects your enamel.",
            "DRAFT",
            0,
            0,
            2,
            &["bruxism"],
        ),
        (
            0,
            "Five questions to ask before Invisalign",
            "Treatment time, refinements, retainers, cost and what happens if you lose a tray.",
            "SCHEDULED",
            2,
            1,
            10,
            &["invisalign"],
        ),
        (
            0,
            "Does insurance cover a crown?",
            "How plans usually split the cost of crowns and what to ask your insurer.",
            "ARCHIVED",
            1,
            4,
            -120,
            &["insurance"],
        ),
        (
            1,
            "We are now open on Saturdays",
            "Cleanings and exams every Saturday from 9 to 2, starting this month.",
            "PUBLISHED",
            1,
            3,
            -30,
            &["hours"],
        ),
        (
            1,
            "Meet our new hygienist",
            "Say hello to the newest member of the Brightside team.",
            "PUBLISHED",
            0,
            3,
            -14,
            &["team"],
        ),
        (
            1,
            "Holiday hours for December",
            "When we are closed over the holidays and how to reach us in an emergency.",
            "SCHEDULED",
            1,
            3,
            7,
            &["hours", "holidays"],
        ),
    ];
    for (blog, title, summary, status, author, category, days, tags) in posts {
        let id = rng.hex24();
        let slug = slugify(&title.replace('\'', ""));
        let blog_slug = if blog == 0 {
            "smile-journal"
        } else {
            "team-news"
        };
        let at = epoch + days * DAY + 15 * HOUR;
        s.marketing.blog_posts.push(json!({
            "_id": id,
            "blogId": blogs[blog],
            "locationId": loc,
            "title": title,
            "description": summary,
            "imageUrl": format!("{SITE}/images/blog/{slug}.jpg"),
            "imageAltText": format!("Illustration for \"{title}\""),
            "rawHTML": format!("<h1>{title}</h1><p>{summary}</p>"),
            "status": status,
            "archived": status == "ARCHIVED",
            "urlSlug": slug,
            "canonicalLink": format!("{SITE}/{blog_slug}/post/{slug}"),
            "author": authors[author],
            "categories": [categories[category]],
            "tags": tags,
            "publishedAt": iso(at),
            "createdAt": iso(at.min(epoch) - 5 * DAY),
            "updatedAt": iso(at.min(epoch) - DAY),
        }));
    }
}

fn seed_email_templates(s: &mut Store, rng: &mut Rng, epoch: i64) {
    let loc = DEMO_LOCATION_ID;
    let folder = rng.hex24();
    // (id, name, type, builder version, parent is the folder, archived, days before epoch)
    let entries: [(String, &str, &str, &str, bool, bool, i64); 7] = [
        (
            folder.clone(),
            "Newsletters",
            "folder",
            "2",
            false,
            false,
            300,
        ),
        (
            rng.hex24(),
            "New patient welcome",
            "builder",
            "2",
            false,
            false,
            200,
        ),
        (
            rng.hex24(),
            "Six-month recall reminder",
            "builder",
            "2",
            false,
            false,
            150,
        ),
        (
            rng.hex24(),
            "Spring whitening offer",
            "html",
            "2",
            false,
            false,
            60,
        ),
        (
            rng.hex24(),
            "December newsletter",
            "builder",
            "2",
            true,
            false,
            12,
        ),
        (
            rng.hex24(),
            "Appointment confirmation (classic)",
            "builder",
            "1",
            false,
            false,
            700,
        ),
        (
            rng.hex24(),
            "Holiday hours 2025",
            "html",
            "2",
            false,
            true,
            340,
        ),
    ];
    for (i, (id, name, kind, version, in_folder, archived, days)) in entries.into_iter().enumerate()
    {
        let editor = &s.users[i % s.users.len()].1;
        let mut t = json!({
            "id": id,
            "name": name,
            "locationId": loc,
            "templateType": kind,
            "version": version,
            "updatedBy": editor,
            "isPlainText": false,
            "archived": archived,
            "previewUrl": format!("{SITE}/email-previews/{id}.png"),
            "dateAdded": iso(epoch - days * DAY),
            "lastUpdated": iso(epoch - days * DAY + 2 * HOUR),
        });
        if in_folder {
            t["parentId"] = json!(folder);
        }
        s.marketing.email_templates.push(t);
    }
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|i| {
            let d = rng.below(10) as u8;
            // No leading zero, like the platforms' numeric ids.
            char::from(b'0' + if i == 0 { d.max(1) } else { d })
        })
        .collect()
}

fn seed_social(s: &mut Store, rng: &mut Rng, epoch: i64) {
    let loc = DEMO_LOCATION_ID;
    // (platform, type, name, daily impressions, followers at the start)
    let accounts = [
        ("facebook", "page", "Brightside Dental Studio", 420, 1_240),
        ("instagram", "business", "brightsidedental", 650, 2_310),
        (
            "google",
            "location",
            "Brightside Dental Studio - Congress Ave",
            260,
            310,
        ),
    ];
    let mut ids = Vec::new();
    let first_day = epoch - 14 * DAY;
    for (platform, kind, name, impressions, followers) in accounts {
        let oauth = rng.id20();
        let profile = digits(rng, 17);
        let id = format!("{oauth}_{loc}_{profile}");
        let mut meta = json!({ "canDelete": true });
        if platform == "google" {
            meta["hasGoogleUpdated"] = json!(true);
        }
        s.marketing.social_accounts.push(json!({
            "id": id, "oauthId": oauth, "profileId": profile, "name": name,
            "platform": platform, "type": kind, "locationId": loc,
            "expire": iso(epoch + 50 * DAY), "isExpired": false, "meta": meta,
        }));
        let mut level = followers;
        let days = (0..14)
            .map(|d| {
                // The current week runs about 15 % above the previous one.
                let base = if d < 7 {
                    impressions
                } else {
                    impressions * 115 / 100
                };
                let imp = base * (85 + rng.below(31)) / 100;
                level += rng.below(7);
                DayMetrics {
                    impressions: imp,
                    reach: imp * (55 + rng.below(16)) / 100,
                    likes: imp * (3 + rng.below(4)) / 100,
                    comments: imp / 200 + rng.below(3),
                    shares: imp / 300 + rng.below(2),
                    followers: level,
                }
            })
            .collect();
        let gender = [
            followers * 38 / 100,
            followers * 55 / 100,
            followers * 7 / 100,
        ];
        let age = [1u64, 9, 27, 26, 18, 12, 7].map(|p| followers * p / 100);
        s.marketing.social_metrics.push(AccountMetrics {
            location_id: loc.to_string(),
            profile_id: profile,
            platform: platform.to_string(),
            days,
            gender,
            age,
            first_day_ms: first_day,
        });
        ids.push((id, platform));
    }
    s.marketing.social_groups.push(json!({
        "id": rng.hex24(),
        "name": "All channels",
        "locationId": loc,
        "accountIds": ids.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
    }));

    let image = |name: &str| json!({ "url": format!("{SITE}/images/social/{name}.jpg"), "type": "image/jpeg" });
    let posts: [SocialPostRow; 6] = [
        (
            &[0, 1],
            "post",
            "published",
            "Smile of the week: Ana finished her Invisalign treatment in 11 months!",
            vec![image("smile-of-the-week")],
            -6 * 24 + 15,
        ),
        (
            &[2],
            "post",
            "published",
            "We are open this Saturday from 9 to 2 for cleanings and exams.",
            vec![],
            -4 * 24 + 14,
        ),
        (
            &[1],
            "reel",
            "published",
            "Thirty seconds of flossing technique from our hygiene team.",
            vec![json!({ "url": format!("{SITE}/videos/floss-reel.mp4"), "type": "video/mp4" })],
            -2 * 24 + 17,
        ),
        (
            &[0, 2],
            "post",
            "scheduled",
            "Holiday hours: closed December 24 to 26. Emergency line stays open.",
            vec![image("holiday-hours")],
            3 * 24 + 15,
        ),
        (
            &[1],
            "post",
            "draft",
            "Behind the scenes: how we sterilise every instrument.",
            vec![],
            0,
        ),
        (
            &[0],
            "post",
            "failed",
            "Free whitening consultation for new patients this month.",
            vec![image("whitening-offer")],
            -10 * 24 + 16,
        ),
    ];
    for (i, (which, kind, status, summary, media, hours)) in posts.into_iter().enumerate() {
        let at = epoch + hours * HOUR;
        let created = at.min(epoch) - 2 * DAY;
        let account_ids: Vec<&str> = which.iter().map(|&a| ids[a].0.as_str()).collect();
        let user = s.users[i % s.users.len()].0.clone();
        let mut p = json!({
            "_id": rng.hex24(),
            "source": "composer",
            "locationId": loc,
            "platform": ids[which[0]].1,
            "accountId": account_ids[0],
            "accountIds": account_ids,
            "summary": summary,
            "media": media,
            "status": status,
            "type": kind,
            "tags": [],
            "createdBy": user,
            "userId": user,
            "error": "",
            "displayDate": iso(if status == "draft" { created } else { at }),
            "createdAt": iso(created),
            "updatedAt": iso(created + HOUR),
        });
        match status {
            "published" => {
                p["publishedAt"] = json!(iso(at));
                p["postId"] = json!(digits(rng, 15));
            }
            "scheduled" => p["scheduleDate"] = json!(iso(at)),
            "failed" => {
                p["error"] = json!(
                    "The page's access token had expired when the post was due; reconnect the account and publish again."
                );
            }
            _ => {}
        }
        s.marketing.social_posts.push(p);
    }
}
