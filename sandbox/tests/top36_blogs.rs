//! The seven blog operations of HighLevel's Top 36 through real HTTP: sites, authors, categories,
//! the post list and its filters, create and update read back, the slug check, and the errors.

mod common;

use common::{Api, arr, s};
use reqwest::StatusCode;
use sandbox::DEMO_LOCATION_ID as L;
use serde_json::{Value, json};

const OTHER: &str = "noSuchLocation000000";

async fn blog_ids(api: &Api) -> (String, String) {
    let (st, r) = api
        .get(&format!("/blogs/site/all?locationId={L}&skip=0&limit=10"))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let blogs = arr(&r, "/data");
    (
        s(&blogs[0], "/_id").to_string(),
        s(&blogs[1], "/_id").to_string(),
    )
}

/// A complete, valid create body for the first blog.
async fn new_post(api: &Api, slug: &str) -> Value {
    let (blog, _) = blog_ids(api).await;
    let st = api.sandbox.state();
    let author = s(&st.blog_authors(L)[0], "/_id").to_string();
    let category = s(&st.blog_categories(L)[1], "/_id").to_string();
    json!({
        "title": "Sensitive teeth after whitening",
        "locationId": L,
        "blogId": blog,
        "imageUrl": "https://img.example.com/sensitive.jpg",
        "description": "Why it happens and how long it lasts.",
        "rawHTML": "<h1>Sensitive teeth</h1><p>It passes.</p>",
        "status": "PUBLISHED",
        "imageAltText": "A patient smiling",
        "categories": [category],
        "tags": ["whitening", " sensitivity "],
        "author": author,
        "urlSlug": slug,
        "publishedAt": "2026-11-20T15:00:00.000Z",
    })
}

#[tokio::test]
async fn sites_authors_and_categories_list_with_paging() {
    let api = Api::start().await;
    let (st, r) = api
        .get(&format!("/blogs/site/all?locationId={L}&skip=0&limit=10"))
        .await;
    assert_eq!(st, StatusCode::OK);
    let blogs = arr(&r, "/data");
    assert_eq!(blogs.len(), 2);
    assert!(
        blogs
            .iter()
            .all(|b| b["_id"].is_string() && b["name"].is_string())
    );
    let (_, r) = api
        .get(&format!(
            "/blogs/site/all?locationId={L}&skip=0&limit=10&searchTerm=team"
        ))
        .await;
    assert_eq!(arr(&r, "/data").len(), 1);
    assert_eq!(r["data"][0]["name"], "Brightside Team News");
    let (_, r) = api
        .get(&format!("/blogs/site/all?locationId={L}&skip=1&limit=10"))
        .await;
    assert_eq!(r["data"][0]["_id"], blogs[1]["_id"]);

    let (st, r) = api
        .get(&format!("/blogs/authors?locationId={L}&limit=5&offset=0"))
        .await;
    assert_eq!(st, StatusCode::OK);
    let authors = arr(&r, "/authors");
    assert_eq!(authors.len(), 3);
    for a in authors {
        for k in ["_id", "name", "locationId", "updatedAt", "canonicalLink"] {
            assert!(a[k].is_string(), "{k} in {a}");
        }
    }
    let (_, r) = api
        .get(&format!("/blogs/authors?locationId={L}&limit=2&offset=2"))
        .await;
    assert_eq!(arr(&r, "/authors").len(), 1);
    assert_eq!(r["authors"][0]["_id"], authors[2]["_id"]);

    let (st, r) = api
        .get(&format!(
            "/blogs/categories?locationId={L}&limit=10&offset=0"
        ))
        .await;
    assert_eq!(st, StatusCode::OK);
    let cats = arr(&r, "/categories");
    assert_eq!(cats.len(), 5);
    for c in cats {
        for k in [
            "_id",
            "label",
            "name",
            "locationId",
            "updatedAt",
            "canonicalLink",
            "urlSlug",
        ] {
            assert!(c[k].is_string(), "{k} in {c}");
        }
    }

    // limit and offset (skip) are required, as in HighLevel's file.
    for path in [
        format!("/blogs/site/all?locationId={L}&limit=10"),
        format!("/blogs/authors?locationId={L}&offset=0"),
        format!("/blogs/categories?locationId={L}&limit=10"),
    ] {
        let (st, r) = api.get(&path).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {r}");
        assert!(
            r["message"][0]
                .as_str()
                .unwrap()
                .contains("should not be empty"),
            "{r}"
        );
    }
    let (st, r) = api
        .get(&format!("/blogs/authors?locationId={L}&limit=abc&offset=0"))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let (st, r) = api
        .get(&format!(
            "/blogs/categories?locationId={OTHER}&limit=10&offset=0"
        ))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    assert!(
        s(&r, "/message").contains(L),
        "names the served location: {r}"
    );
}

#[tokio::test]
async fn posts_of_a_blog_filter_by_status_and_search_newest_first() {
    let api = Api::start().await;
    let (journal, news) = blog_ids(&api).await;
    let list = |q: String| {
        let api = &api;
        async move {
            let (st, r) = api
                .get(&format!("/blogs/posts/all?locationId={L}&{q}"))
                .await;
            assert_eq!(st, StatusCode::OK, "{q}: {r}");
            arr(&r, "/blogs").clone()
        }
    };
    let all = list(format!("blogId={journal}&limit=20&offset=0")).await;
    assert_eq!(all.len(), 6);
    let dates: Vec<&str> = all.iter().map(|p| s(p, "/publishedAt")).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");
    for p in &all {
        assert!(p.get("rawHTML").is_none(), "no HTML body in answers: {p}");
        assert_eq!(p["blogId"], journal.as_str());
        for k in [
            "_id",
            "title",
            "description",
            "imageUrl",
            "status",
            "imageAltText",
            "urlSlug",
            "publishedAt",
            "updatedAt",
        ] {
            assert!(p[k].is_string(), "{k} in {p}");
        }
        assert!(p["categories"].is_array() && p["archived"].is_boolean());
    }
    let news_posts = list(format!("blogId={news}&limit=20&offset=0")).await;
    assert_eq!(news_posts.len(), 3);

    let published = list(format!(
        "blogId={journal}&limit=20&offset=0&status=PUBLISHED"
    ))
    .await;
    assert_eq!(published.len(), 3);
    assert!(published.iter().all(|p| p["status"] == "PUBLISHED"));
    let archived = list(format!(
        "blogId={journal}&limit=20&offset=0&status=ARCHIVED"
    ))
    .await;
    assert_eq!(archived.len(), 1);
    assert_eq!(archived[0]["archived"], true);
    let found = list(format!(
        "blogId={journal}&limit=20&offset=0&searchTerm=INVISALIGN"
    ))
    .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["status"], "SCHEDULED");
    let second = list(format!("blogId={journal}&limit=2&offset=1")).await;
    assert_eq!(second.len(), 2);
    assert_eq!(second[0]["_id"], all[1]["_id"]);

    let (st, r) = api
        .get(&format!("/blogs/posts/all?locationId={L}&limit=5&offset=0"))
        .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "blogId is required: {r}"
    );
    let (st, r) = api
        .get(&format!(
            "/blogs/posts/all?locationId={L}&blogId={journal}&limit=5&offset=0&status=LIVE"
        ))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let (st, r) = api
        .get(&format!(
            "/blogs/posts/all?locationId={L}&blogId=000000000000000000000000&limit=5&offset=0"
        ))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    assert!(
        s(&r, "/message").contains("/blogs/site/all"),
        "says where blog ids come from: {r}"
    );
}

#[tokio::test]
async fn create_then_read_back_and_check_the_slug() {
    let api = Api::start().await;
    let slug_check = |q: String| {
        let api = &api;
        async move {
            let (st, r) = api
                .get(&format!("/blogs/posts/url-slug-exists?locationId={L}&{q}"))
                .await;
            assert_eq!(st, StatusCode::OK, "{q}: {r}");
            r["exists"].as_bool().expect("exists is a boolean")
        }
    };
    assert!(!slug_check("urlSlug=sensitive-teeth".into()).await);
    assert!(slug_check("urlSlug=how-often-should-you-really-floss".into()).await);

    let body = new_post(&api, "sensitive-teeth").await;
    let (st, r) = api.post("/blogs/posts", body.clone()).await;
    assert_eq!(
        st,
        StatusCode::OK,
        "create answers 200 as in HighLevel's file: {r}"
    );
    let post = &r["data"];
    let id = s(post, "/_id").to_string();
    assert_eq!(id.len(), 24);
    assert_eq!(post["title"], body["title"]);
    assert_eq!(post["tags"], json!(["whitening", "sensitivity"]));
    assert_eq!(post["archived"], false);
    assert_eq!(post["publishedAt"], "2026-11-20T15:00:00.000Z");
    assert_eq!(
        post["canonicalLink"],
        "https://brightside-dental.example.com/smile-journal/post/sensitive-teeth"
    );
    assert!(post.get("rawHTML").is_none());

    let (_, r) = api
        .get(&format!(
            "/blogs/posts/all?locationId={L}&blogId={}&limit=10&offset=0&searchTerm=sensitive",
            s(&body, "/blogId")
        ))
        .await;
    assert_eq!(arr(&r, "/blogs").len(), 1);
    assert_eq!(r["blogs"][0]["_id"], id.as_str());
    let stored = api
        .sandbox
        .state()
        .blog_posts(L)
        .into_iter()
        .find(|p| p["_id"] == id.as_str())
        .unwrap();
    assert_eq!(stored["rawHTML"], body["rawHTML"]);

    assert!(slug_check("urlSlug=sensitive-teeth".into()).await);
    assert!(
        !slug_check(format!("urlSlug=sensitive-teeth&postId={id}")).await,
        "its own post is left out"
    );
    let (st, r) = api
        .get(&format!("/blogs/posts/url-slug-exists?locationId={L}"))
        .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "urlSlug is required: {r}"
    );
    let (st, _) = api
        .get(&format!(
            "/blogs/posts/url-slug-exists?locationId={OTHER}&urlSlug=x"
        ))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    // The same slug again is refused.
    let (st, r) = api.post("/blogs/posts", body).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    assert!(
        s(&r, "/message").contains(&id),
        "names the post using it: {r}"
    );
}

#[tokio::test]
async fn update_replaces_the_post_and_reads_back() {
    let api = Api::start().await;
    let body = new_post(&api, "first-draft").await;
    let (_, r) = api.post("/blogs/posts", body.clone()).await;
    let id = s(&r, "/data/_id").to_string();
    let (_, news) = blog_ids(&api).await;

    let mut change = body.clone();
    change["title"] = json!("Sensitive teeth: a short guide");
    change["status"] = json!("ARCHIVED");
    change["urlSlug"] = json!("sensitive-teeth-guide");
    change["blogId"] = json!(news);
    change["canonicalLink"] = json!("https://brightside-dental.example.com/guides/sensitive");
    change["tags"] = json!([]);
    let (st, r) = api.put(&format!("/blogs/posts/{id}"), change).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let updated = &r["updatedBlogPost"];
    assert_eq!(updated["_id"], id.as_str());
    assert_eq!(updated["title"], "Sensitive teeth: a short guide");
    assert_eq!(updated["archived"], true);
    assert_eq!(
        updated["canonicalLink"],
        "https://brightside-dental.example.com/guides/sensitive"
    );

    let (_, r) = api
        .get(&format!(
            "/blogs/posts/all?locationId={L}&blogId={news}&limit=20&offset=0&status=ARCHIVED"
        ))
        .await;
    let moved = arr(&r, "/blogs");
    assert_eq!(moved.len(), 1, "the post moved to the other blog");
    assert_eq!(moved[0]["urlSlug"], "sensitive-teeth-guide");
    assert_eq!(moved[0]["tags"], json!([]));
    let (_, r) = api
        .get(&format!(
            "/blogs/posts/url-slug-exists?locationId={L}&urlSlug=first-draft"
        ))
        .await;
    assert_eq!(r["exists"], false, "the old slug is free again");

    // Taking another post's slug, an unknown post, and a location that is not served.
    let mut taken = body.clone();
    taken["urlSlug"] = json!("meet-our-new-hygienist");
    let (st, _) = api.put(&format!("/blogs/posts/{id}"), taken).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, r) = api
        .put("/blogs/posts/000000000000000000000000", body.clone())
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{r}");
    let mut elsewhere = body.clone();
    elsewhere["locationId"] = json!(OTHER);
    let (st, _) = api.put(&format!("/blogs/posts/{id}"), elsewhere).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    // The update body is the whole post: a partial one is a 422.
    let (st, r) = api
        .put(
            &format!("/blogs/posts/{id}"),
            json!({"title": "Only a title", "locationId": L}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(
        arr(&r, "/message").len() >= 9,
        "every missing field is listed: {r}"
    );
}

#[tokio::test]
async fn bad_posts_are_refused_with_what_was_wrong() {
    let api = Api::start().await;
    let (st, r) = api
        .post("/blogs/posts", json!({"title": "x", "extra": 1}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let msgs: Vec<&str> = arr(&r, "/message")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        msgs.contains(&"property extra should not exist"),
        "{msgs:?}"
    );
    for field in [
        "locationId",
        "blogId",
        "description",
        "rawHTML",
        "author",
        "urlSlug",
        "publishedAt",
    ] {
        assert!(
            msgs.contains(&format!("{field} should not be empty").as_str()),
            "{field}: {msgs:?}"
        );
    }
    assert_eq!(r["error"], "Unprocessable Entity");

    let good = new_post(&api, "fine-slug").await;
    let bad = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, needle) in [
        (bad("status", json!("LIVE")), "status must be one of"),
        (bad("urlSlug", json!("Not A Slug")), "urlSlug must be"),
        (
            bad("publishedAt", json!("next tuesday")),
            "publishedAt must be",
        ),
        (
            bad("categories", json!("oral-health")),
            "categories must be an array",
        ),
    ] {
        let (st, r) = api.post("/blogs/posts", body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
        assert!(r["message"].to_string().contains(needle), "{needle}: {r}");
    }
    let mut past = bad("status", json!("SCHEDULED"));
    past["publishedAt"] = json!("2020-01-01T00:00:00.000Z");
    let (st, r) = api.post("/blogs/posts", past).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r["message"].to_string().contains("in the future"), "{r}");

    for (body, needle) in [
        (
            bad("author", json!("000000000000000000000000")),
            "/blogs/authors",
        ),
        (
            bad("categories", json!(["000000000000000000000000"])),
            "/blogs/categories",
        ),
        (
            bad("blogId", json!("000000000000000000000000")),
            "/blogs/site/all",
        ),
        (bad("locationId", json!(OTHER)), L),
    ] {
        let (st, r) = api.post("/blogs/posts", body).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
        assert!(s(&r, "/message").contains(needle), "{needle}: {r}");
    }
    assert_eq!(
        api.sandbox.state().blog_posts(L).len(),
        9,
        "no refused post was stored"
    );
}
