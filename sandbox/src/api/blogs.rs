//! Blogs: the blog sites, authors and categories of a location, its posts (list, create,
//! update) and the URL slug check.
//!
//! As in HighLevel's files, create answers 200 (not 201) with `{data: post}` and update answers
//! `{updatedBlogPost: post}`; the update body is the whole post (every field the create body
//! requires), so it replaces rather than patches. Posts are answered without their `rawHTML`,
//! which no answer schema carries. Slugs are unique per location: create or update with a slug
//! another post of the location uses is a 400. Lists take `limit` and `offset` (`skip` for the
//! blog list), all required like in HighLevel's files.

use axum::extract::{Path, State};
use serde_json::{Map, Value, json};

use crate::SandboxState;
use crate::domain::blogs::{POST_STATUSES, is_slug, post_matches, post_view, slug_owner};
use crate::error::{ApiError, ApiResult, ok};
use crate::extract::{JsonBody, Kind, Params, check_body, str_of};
use crate::store::Store;
use crate::util::{iso, now_ms, parse_iso};

/// Properties of HighLevel's `CreateBlogPostParams` (and `UpdateBlogPostParams`, the same).
const POST_FIELDS: &[(&str, Kind)] = &[
    ("title", Kind::Str),
    ("locationId", Kind::Str),
    ("blogId", Kind::Str),
    ("imageUrl", Kind::Str),
    ("description", Kind::Str),
    ("rawHTML", Kind::Str),
    ("status", Kind::Str),
    ("imageAltText", Kind::Str),
    ("categories", Kind::StrArray),
    ("tags", Kind::StrArray),
    ("author", Kind::Str),
    ("urlSlug", Kind::Str),
    ("canonicalLink", Kind::Str),
    ("publishedAt", Kind::Str),
];

/// Required by both the create and the update body.
const POST_REQUIRED: &[&str] = &[
    "title",
    "locationId",
    "blogId",
    "imageUrl",
    "description",
    "rawHTML",
    "status",
    "imageAltText",
    "categories",
    "author",
    "urlSlug",
    "publishedAt",
];

/// `limit` and the offset parameter (named `offset` or `skip`), both required.
fn paging(params: &Params, offset_name: &str) -> Result<(usize, usize), ApiError> {
    params.require("limit")?;
    params.require(offset_name)?;
    Ok((
        params.count("limit", 10, 1, 100)?,
        params.count(offset_name, 0, 0, usize::MAX)?,
    ))
}

fn page<'a>(items: impl Iterator<Item = &'a Value>, limit: usize, offset: usize) -> Vec<Value> {
    items.skip(offset).take(limit).cloned().collect()
}

/// `GET /blogs/site/all` (get-blogs): `{data: [blog]}`; `searchTerm` matches the name.
pub(crate) async fn sites(State(st): State<SandboxState>, params: Params) -> ApiResult {
    let location = params.require("locationId")?;
    let (limit, skip) = paging(&params, "skip")?;
    let term = params.get("searchTerm").map(|t| t.trim().to_lowercase());
    let s = st.read();
    s.require_location(location)?;
    let blogs = s.marketing.blogs.iter().filter(|b| {
        b["locationId"] == location
            && term.as_ref().is_none_or(|t| {
                b["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().contains(t))
            })
    });
    ok(json!({ "data": page(blogs, limit, skip) }))
}

/// `GET /blogs/authors` (get-all-blog-authors-by-location): `{authors}`.
pub(crate) async fn authors(State(st): State<SandboxState>, params: Params) -> ApiResult {
    let location = params.require("locationId")?;
    let (limit, offset) = paging(&params, "offset")?;
    let s = st.read();
    s.require_location(location)?;
    let all = s.marketing.blog_authors.iter();
    let authors = page(all.filter(|a| a["locationId"] == location), limit, offset);
    ok(json!({ "authors": authors }))
}

/// `GET /blogs/categories` (get-all-categories-by-location): `{categories}`.
pub(crate) async fn categories(State(st): State<SandboxState>, params: Params) -> ApiResult {
    let location = params.require("locationId")?;
    let (limit, offset) = paging(&params, "offset")?;
    let s = st.read();
    s.require_location(location)?;
    let all = s.marketing.blog_categories.iter();
    let categories = page(all.filter(|c| c["locationId"] == location), limit, offset);
    ok(json!({ "categories": categories }))
}

fn blog_of<'a>(s: &'a Store, location: &str, blog_id: &str) -> Result<&'a Value, ApiError> {
    s.marketing
        .blogs
        .iter()
        .find(|b| b["_id"] == blog_id && b["locationId"] == location)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "blogId {blog_id:?} is not a blog of location {location:?}; list its blogs with GET /blogs/site/all?locationId={location}&skip=0&limit=10"
            ))
        })
}

/// `GET /blogs/posts/all` (get-blog-post): the posts of one blog, newest `publishedAt` first,
/// as `{blogs: [post]}`; `searchTerm` matches title or description, `status` one status.
pub(crate) async fn posts(State(st): State<SandboxState>, params: Params) -> ApiResult {
    let location = params.require("locationId")?;
    let blog_id = params.require("blogId")?;
    let (limit, offset) = paging(&params, "offset")?;
    let status = params.one_of("status", POST_STATUSES)?;
    let term = params.get("searchTerm");
    let s = st.read();
    s.require_location(location)?;
    blog_of(&s, location, blog_id)?;
    let mut found: Vec<&Value> = s
        .marketing
        .blog_posts
        .iter()
        .filter(|p| p["blogId"] == blog_id && p["locationId"] == location)
        .filter(|p| status.is_none_or(|x| p["status"] == x))
        .filter(|p| term.is_none_or(|t| post_matches(p, t)))
        .collect();
    let when = |p: &Value| p["publishedAt"].as_str().and_then(parse_iso).unwrap_or(0);
    found.sort_by_key(|p| std::cmp::Reverse(when(p)));
    let posts: Vec<Value> = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(post_view)
        .collect();
    ok(json!({ "blogs": posts }))
}

/// `GET /blogs/posts/url-slug-exists` (check-url-slug-exists): `{exists}`, whether another post
/// of the location (other than `postId`, the post being edited) uses the slug.
pub(crate) async fn slug_exists(State(st): State<SandboxState>, params: Params) -> ApiResult {
    let slug = params.require("urlSlug")?;
    let location = params.require("locationId")?;
    let except = params.get("postId");
    let s = st.read();
    s.require_location(location)?;
    let exists = slug_owner(&s.marketing.blog_posts, location, slug, except).is_some();
    ok(json!({ "exists": exists }))
}

/// Checks a create or update body: shape and values first (422), then the records it names
/// (400). Returns the canonical link the post gets when the body names none.
fn check_post(
    s: &Store,
    body: &Map<String, Value>,
    post_id: Option<&str>,
) -> Result<String, ApiError> {
    check_body(body, POST_FIELDS, POST_REQUIRED)?;
    let mut problems = Vec::new();
    let status = str_of(body, "status").unwrap_or("");
    if !POST_STATUSES.contains(&status) {
        problems.push(format!(
            "status must be one of the following values: {}; got {status:?}",
            POST_STATUSES.join(", ")
        ));
    }
    let slug = str_of(body, "urlSlug").unwrap_or("");
    if !is_slug(slug) {
        problems.push(format!(
            "urlSlug must be lower-case words of letters and digits joined by hyphens, like spring-whitening-offer; got {slug:?}"
        ));
    }
    let published = str_of(body, "publishedAt").unwrap_or("");
    match parse_iso(published) {
        None => problems.push(format!(
            "publishedAt must be an ISO 8601 date-time like 2026-11-23T15:00:00.000Z; got {published:?}"
        )),
        Some(at) if status == "SCHEDULED" && at <= now_ms() => problems.push(format!(
            "publishedAt must be in the future for a SCHEDULED post; got {published:?} (use PUBLISHED for a post that is already out)"
        )),
        Some(_) => {}
    }
    if !problems.is_empty() {
        return Err(ApiError::unprocessable(problems));
    }
    let location = str_of(body, "locationId").unwrap_or("");
    s.require_location(location)?;
    let blog = blog_of(s, location, str_of(body, "blogId").unwrap_or(""))?;
    let author = str_of(body, "author").unwrap_or("");
    if !s
        .marketing
        .blog_authors
        .iter()
        .any(|a| a["_id"] == author && a["locationId"] == location)
    {
        return Err(ApiError::bad_request(format!(
            "author {author:?} is not a blog author of location {location:?}; list them with GET /blogs/authors?locationId={location}&limit=10&offset=0"
        )));
    }
    let unknown: Vec<&str> = body["categories"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|c| {
            !s.marketing
                .blog_categories
                .iter()
                .any(|x| x["_id"] == *c && x["locationId"] == location)
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::bad_request(format!(
            "categories {unknown:?} are not blog categories of location {location:?}; list them with GET /blogs/categories?locationId={location}&limit=10&offset=0"
        )));
    }
    if let Some(owner) = slug_owner(&s.marketing.blog_posts, location, slug, post_id) {
        return Err(ApiError::bad_request(format!(
            "urlSlug {slug:?} is already used by post {owner:?} in this location; choose another (GET /blogs/posts/url-slug-exists tells whether a slug is free)"
        )));
    }
    let site = s
        .location(location)
        .and_then(|l| l["website"].as_str())
        .unwrap_or("https://blog.example.com");
    Ok(format!(
        "{site}/{}/post/{slug}",
        blog["urlSlug"].as_str().unwrap_or("blog")
    ))
}

/// Writes a checked body into a post record.
fn apply(post: &mut Map<String, Value>, body: &Map<String, Value>, canonical: String) {
    for k in [
        "title",
        "locationId",
        "blogId",
        "imageUrl",
        "description",
        "rawHTML",
        "status",
        "imageAltText",
        "categories",
        "author",
        "urlSlug",
    ] {
        if let Some(v) = body.get(k) {
            post.insert(k.into(), v.clone());
        }
    }
    let tags: Vec<&str> = body
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::trim).collect())
        .unwrap_or_default();
    post.insert(
        "tags".into(),
        json!(
            tags.into_iter()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
        ),
    );
    post.insert("archived".into(), json!(body["status"] == "ARCHIVED"));
    let link = str_of(body, "canonicalLink").map_or(canonical, str::to_string);
    post.insert("canonicalLink".into(), json!(link));
    let published = str_of(body, "publishedAt").and_then(parse_iso).unwrap_or(0);
    post.insert("publishedAt".into(), json!(iso(published)));
    post.insert("updatedAt".into(), json!(iso(now_ms())));
}

/// `POST /blogs/posts` (create-blog-post): 200 with `{data: post}`.
pub(crate) async fn create(State(st): State<SandboxState>, JsonBody(body): JsonBody) -> ApiResult {
    let mut s = st.write();
    let canonical = check_post(&s, &body, None)?;
    let mut post = Map::new();
    post.insert("_id".into(), json!(s.rng.hex24()));
    post.insert("createdAt".into(), json!(iso(now_ms())));
    apply(&mut post, &body, canonical);
    let post = Value::Object(post);
    let answer = post_view(&post);
    s.marketing.blog_posts.push(post);
    ok(json!({ "data": answer }))
}

/// `PUT /blogs/posts/{postId}` (update-blog-post): `{updatedBlogPost: post}`. A post of another
/// location than the body's `locationId` is not found.
pub(crate) async fn update(
    State(st): State<SandboxState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let mut s = st.write();
    let canonical = check_post(&s, &body, Some(&id))?;
    let location = str_of(&body, "locationId").unwrap_or("").to_string();
    let Some(Value::Object(post)) = s
        .marketing
        .blog_posts
        .iter_mut()
        .find(|p| p["_id"] == id.as_str() && p["locationId"] == location.as_str())
    else {
        return Err(ApiError::not_found(format!(
            "Blog post {id:?} not found in location {location:?}; list a blog's posts with GET /blogs/posts/all?locationId={location}&blogId=...&limit=10&offset=0"
        )));
    };
    apply(post, &body, canonical);
    let answer = post_view(&Value::Object(post.clone()));
    ok(json!({ "updatedBlogPost": answer }))
}
