//! The six social planner operations of HighLevel's Top 36 through real HTTP: accounts and
//! groups, create/get/edit read back, the post list and its filters, statistics, and the errors.

mod common;

use common::{Api, arr, s};
use reqwest::{Method, StatusCode};
use sandbox::DEMO_LOCATION_ID as L;
use serde_json::{Value, json};

const OTHER: &str = "noSuchLocation000000";

fn base() -> String {
    format!("/social-media-posting/{L}")
}

/// (account ids by platform order facebook, instagram, google; a staff user id)
fn ids(api: &Api) -> (Vec<String>, String) {
    let st = api.sandbox.state();
    let accounts = st
        .social_accounts(L)
        .iter()
        .map(|a| s(a, "/id").to_string())
        .collect();
    let user = st.social_posts(L)[0]["userId"]
        .as_str()
        .unwrap()
        .to_string();
    (accounts, user)
}

/// The list body for a window holding every seeded post.
fn window() -> Value {
    json!({
        "skip": "0", "limit": "50", "includeUsers": "false",
        "fromDate": "2026-11-01T00:00:00.000Z", "toDate": "2026-12-31T00:00:00.000Z",
    })
}

async fn list(api: &Api, extra: Value) -> (Vec<Value>, u64) {
    let mut body = window();
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (st, r) = api.post(&format!("{}/posts/list", base()), body).await;
    assert_eq!(
        st,
        StatusCode::CREATED,
        "list answers 201 as in HighLevel's file: {r}"
    );
    assert_eq!(r["success"], true);
    assert_eq!(r["statusCode"], 201);
    (
        arr(&r, "/results/posts").clone(),
        r["results"]["count"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn accounts_and_groups_of_the_location() {
    let api = Api::start().await;
    let (st, r) = api.get(&format!("{}/accounts", base())).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["success"], true);
    assert_eq!(r["statusCode"], 200);
    assert!(r["message"].is_string());
    let accounts = arr(&r, "/results/accounts");
    let platforms: Vec<&str> = accounts.iter().map(|a| s(a, "/platform")).collect();
    assert_eq!(platforms, ["facebook", "instagram", "google"]);
    for a in accounts {
        for k in ["id", "oauthId", "profileId", "name", "type", "expire"] {
            assert!(a[k].is_string(), "{k} in {a}");
        }
        assert_eq!(a["isExpired"], false);
        assert!(s(a, "/id").starts_with(&format!("{}_{L}_", s(a, "/oauthId"))));
    }
    let groups = arr(&r, "/results/groups");
    assert_eq!(groups.len(), 1);
    let members: Vec<&Value> = arr(&groups[0], "/accountIds").iter().collect();
    assert_eq!(members.len(), 3);
    assert!(accounts.iter().all(|a| members.contains(&&a["id"])));

    let (st, r) = api
        .get(&format!("/social-media-posting/{OTHER}/accounts"))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
}

#[tokio::test]
async fn create_get_and_edit_read_back() {
    let api = Api::start().await;
    let (accounts, user) = ids(&api);
    let body = json!({
        "type": "post",
        "accountIds": [accounts[1], accounts[0]],
        "userId": user,
        "summary": "Free fluoride varnish for kids this week.",
        "media": [{"url": "https://img.example.com/kids.jpg", "type": "image/jpeg"}],
        "tags": ["kids"],
        "followUpComment": "Book at the link in our bio.",
    });
    let (st, r) = api.post(&format!("{}/posts", base()), body.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(r["statusCode"], 201);
    let post = &r["results"]["post"];
    let id = s(post, "/_id").to_string();
    assert_eq!(
        post["status"], "published",
        "no status and no date publishes at once"
    );
    assert_eq!(
        post["platform"], "instagram",
        "platform of the first account"
    );
    assert_eq!(post["accountId"], accounts[1].as_str());
    assert_eq!(post["locationId"], L);
    assert_eq!(post["error"], "");
    assert!(post["publishedAt"].is_string() && post["postId"].is_string());
    assert_eq!(post["user"]["id"], user.as_str());

    let (st, r) = api.get(&format!("{}/posts/{id}", base())).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let got = &r["results"]["post"];
    assert_eq!(got["summary"], body["summary"]);
    assert_eq!(got["accountIds"], body["accountIds"]);
    assert_eq!(got["followUpComment"], body["followUpComment"]);
    for k in [
        "firstName",
        "lastName",
        "email",
        "title",
        "phone",
        "profilePhoto",
    ] {
        assert!(got["user"][k].is_string(), "user.{k}: {got}");
    }

    let (st, r) = api
        .put(
            &format!("{}/posts/{id}", base()),
            json!({"type": "post", "summary": "Fluoride varnish: free for kids until Friday."}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["statusCode"], 200);
    assert!(r.get("results").is_none(), "edit answers no post: {r}");
    let (_, r) = api.get(&format!("{}/posts/{id}", base())).await;
    assert_eq!(
        r["results"]["post"]["summary"],
        "Fluoride varnish: free for kids until Friday."
    );
    assert_eq!(
        r["results"]["post"]["tags"],
        json!(["kids"]),
        "members not sent are kept"
    );

    // A published post stays published.
    let (st, r) = api
        .put(
            &format!("{}/posts/{id}", base()),
            json!({"type": "post", "status": "draft"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");

    // A scheduled post, then edited into a draft, then its date moved.
    let (st, r) = api
        .post(
            &format!("{}/posts", base()),
            json!({"type": "post", "accountIds": [accounts[2]], "userId": user,
                   "summary": "New year, new smile.", "scheduleDate": "2099-01-02T15:00:00Z"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let sched = &r["results"]["post"];
    assert_eq!(sched["status"], "scheduled");
    assert_eq!(sched["displayDate"], "2099-01-02T15:00:00.000Z");
    let sid = s(sched, "/_id").to_string();
    let (st, r) = api
        .put(
            &format!("{}/posts/{sid}", base()),
            json!({"type": "post", "status": "draft"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let (_, r) = api.get(&format!("{}/posts/{sid}", base())).await;
    assert_eq!(r["results"]["post"]["status"], "draft");

    // Unknown posts, and a location that is not served.
    let (st, r) = api
        .get(&format!("{}/posts/000000000000000000000000", base()))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{r}");
    assert!(s(&r, "/message").contains("/posts/list"), "{r}");
    let (st, _) = api
        .put(
            &format!("{}/posts/000000000000000000000000", base()),
            json!({"type": "post"}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = api
        .get(&format!("/social-media-posting/{OTHER}/posts/{id}"))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = api
        .post(&format!("/social-media-posting/{OTHER}/posts"), body)
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_posts_are_refused_with_what_was_wrong() {
    let api = Api::start().await;
    let (accounts, user) = ids(&api);
    let path = format!("{}/posts", base());
    let (st, r) = api.post(&path, json!({"summary": "hi"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let msgs = r["message"].to_string();
    for k in ["type", "accountIds", "userId"] {
        assert!(
            msgs.contains(&format!("{k} should not be empty")),
            "{k}: {msgs}"
        );
    }
    let ok = json!({"type": "post", "accountIds": [accounts[0]], "userId": user, "summary": "hi"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    for (body, needle) in [
        (with("type", json!("carousel")), "type must be one of"),
        (with("status", json!("failed")), "cannot be set"),
        (with("status", json!("sent")), "status must be one of"),
        (with("type", json!("reel")), "a reel needs at least one"),
        (with("summary", json!("")), "a post needs text"),
        (
            with("media", json!([{"caption": "no url"}])),
            "media.0.url should not be empty",
        ),
        (
            with("accountIds", json!([])),
            "accountIds should not be empty",
        ),
        (
            with("scheduleDate", json!("2020-01-01T00:00:00Z")),
            "must be in the future",
        ),
        (
            with("scheduleDate", json!("soon")),
            "scheduleDate must be an ISO 8601",
        ),
        (
            with("status", json!("scheduled")),
            "a scheduled post needs the date",
        ),
        (
            with("type", json!({"kind": "post"})),
            "type must be a string",
        ),
    ] {
        let (st, r) = api.post(&path, body.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {r}");
        assert!(r["message"].to_string().contains(needle), "{needle}: {r}");
    }
    let (st, r) = api
        .post(&path, with("accountIds", json!(["fb_unknown_1"])))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    assert!(
        s(&r, "/message").contains("/accounts"),
        "says where account ids come from: {r}"
    );
    assert_eq!(
        api.sandbox.state().social_posts(L).len(),
        6,
        "nothing refused was stored"
    );
}

#[tokio::test]
async fn the_post_list_filters_by_window_status_type_and_account() {
    let api = Api::start().await;
    let (accounts, _) = ids(&api);
    let (all, count) = list(&api, json!({})).await;
    assert_eq!(count, 6);
    assert_eq!(all.len(), 6);
    let dates: Vec<&str> = all.iter().map(|p| s(p, "/displayDate")).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest displayDate first");
    assert!(
        all.iter().all(|p| p.get("user").is_none()),
        "no users unless asked"
    );

    for (kind, n) in [
        ("published", 3),
        ("scheduled", 1),
        ("draft", 1),
        ("failed", 1),
        ("in_review", 0),
        ("all", 6),
    ] {
        let (posts, count) = list(&api, json!({"type": kind})).await;
        assert_eq!((posts.len(), count), (n, n as u64), "{kind}");
        assert!(kind == "all" || posts.iter().all(|p| p["status"] == kind));
    }
    let (failed, _) = list(&api, json!({"type": "failed"})).await;
    assert!(
        !s(&failed[0], "/error").is_empty(),
        "a failed post says why"
    );
    let (reels, _) = list(&api, json!({"postType": "reel"})).await;
    assert_eq!(reels.len(), 1);
    let (google, _) = list(&api, json!({"accounts": format!(" {} ", accounts[2])})).await;
    assert_eq!(
        google.len(),
        2,
        "the google-only post and the facebook-and-google one"
    );
    let (two, _) = list(
        &api,
        json!({"accounts": format!("{},{}", accounts[2], accounts[1])}),
    )
    .await;
    assert_eq!(two.len(), 6 - 1, "all but the failed facebook-only post");
    let (users, _) = list(&api, json!({"includeUsers": true})).await;
    assert!(
        users.iter().all(|p| p["user"]["id"] == p["userId"]),
        "includeUsers embeds the user"
    );
    let (page, count) = list(&api, json!({"skip": 2, "limit": "2"})).await;
    assert_eq!(count, 6, "count is every match, before paging");
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["_id"], all[2]["_id"]);
    let (narrow, _) = list(
        &api,
        json!({"type": "published", "fromDate": "2026-11-16T00:00:00Z", "toDate": "2026-11-22T23:59:59Z"}),
    )
    .await;
    assert_eq!(
        narrow.len(),
        3,
        "the three published in the week before the epoch"
    );

    // A post created now shows first under `recent` (last update first).
    let (accounts, user) = ids(&api);
    api.post(
        &format!("{}/posts", base()),
        json!({"type": "post", "status": "draft", "accountIds": [accounts[0]], "userId": user,
               "summary": "Draft from today", "scheduleDate": "2026-11-25T10:00:00Z"}),
    )
    .await;
    let (recent, _) = list(&api, json!({"type": "recent"})).await;
    assert_eq!(recent[0]["summary"], "Draft from today");

    let path = format!("{}/posts/list", base());
    let (st, r) = api.post(&path, json!({"skip": "0", "limit": "10"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    for k in ["fromDate", "toDate", "includeUsers"] {
        assert!(
            r["message"]
                .to_string()
                .contains(&format!("{k} should not be empty")),
            "{k}: {r}"
        );
    }
    for (k, v, needle) in [
        ("limit", json!("ten"), "limit must be a whole number"),
        ("limit", json!("500"), "limit must be a whole number"),
        ("type", json!("everything"), "type must be one of"),
        ("includeUsers", json!("yes"), "includeUsers must be"),
        ("fromDate", json!("yesterday"), "fromDate must be"),
        ("postType", json!("tweet"), "postType must be one of"),
        (
            "fromDate",
            json!("2027-01-01T00:00:00Z"),
            "fromDate must not be after toDate",
        ),
    ] {
        let mut body = window();
        body[k] = v;
        let (st, r) = api.post(&path, body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{k}: {r}");
        assert!(r["message"].to_string().contains(needle), "{needle}: {r}");
    }
    let (st, _) = api
        .post(
            &format!("/social-media-posting/{OTHER}/posts/list"),
            window(),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

fn profiles(api: &Api) -> Vec<String> {
    api.sandbox
        .state()
        .social_accounts(L)
        .iter()
        .map(|a| s(a, "/profileId").to_string())
        .collect()
}

fn nums(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn statistics_have_highlevels_shape_and_add_up() {
    let api = Api::start().await;
    let path = format!("/social-media-posting/statistics?locationId={L}");
    let (st, r) = api.post(&path, json!({"profileIds": profiles(&api)})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert!(r["message"].is_string() && r["traceId"].is_string());
    let res = &r["results"];
    assert_eq!(
        res["dayRange"],
        json!(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    );
    for k in ["posts", "likes", "followers", "impressions", "comments"] {
        assert!(res["totals"][k].is_u64(), "totals.{k}: {res}");
    }
    // Published posts of the week before the epoch, once per account: facebook 1, instagram 2,
    // google 1.
    assert_eq!(res["totals"]["posts"], 4);
    let per = &res["breakdowns"]["posts"]["platforms"];
    assert_eq!(
        (
            per["facebook"]["value"].as_u64(),
            per["instagram"]["value"].as_u64(),
            per["google"]["value"].as_u64()
        ),
        (Some(1), Some(2), Some(1))
    );
    assert_eq!(
        res["breakdowns"]["posts"]["totalChange"], 100.0,
        "none the week before"
    );
    let daily = nums(&res["postPerformance"]["impressions"]);
    assert_eq!(daily.len(), 7);
    assert_eq!(
        daily.iter().sum::<u64>(),
        res["totals"]["impressions"].as_u64().unwrap()
    );
    assert_eq!(
        res["breakdowns"]["impressions"]["total"],
        res["totals"]["impressions"]
    );
    assert_eq!(
        nums(&res["postPerformance"]["likes"]).iter().sum::<u64>(),
        res["totals"]["likes"].as_u64().unwrap()
    );
    let followers: u64 = ["facebook", "instagram", "google"]
        .iter()
        .map(|p| {
            res["platformTotals"]["followers"][p]["total"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(followers, res["totals"]["followers"].as_u64().unwrap());
    for p in ["facebook", "instagram", "google"] {
        assert_eq!(nums(&res["postPerformance"]["posts"][p]).len(), 7, "{p}");
        assert_eq!(
            nums(&res["platformTotals"]["impressions"][p]["series"]).len(),
            7,
            "{p}"
        );
        assert!(res["breakdowns"]["engagement"][p]["change"].is_f64(), "{p}");
        assert!(
            res["breakdowns"]["reach"]["platforms"][p]["value"].is_u64(),
            "{p}"
        );
    }
    let g = &res["demographics"]["gender"]["totals"];
    let pct: f64 = ["male", "female", "unknown"]
        .iter()
        .map(|k| g[k]["percentage"].as_f64().unwrap())
        .sum();
    assert!((pct - 100.0).abs() < 0.05, "{pct}");
    let ages = res["demographics"]["age"]["totals"].as_object().unwrap();
    assert_eq!(
        ages.keys().map(String::as_str).collect::<Vec<_>>(),
        ["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    );

    // The platform filter and a subset of profiles narrow it.
    let (_, r) = api
        .post(
            &path,
            json!({"profileIds": profiles(&api), "platforms": ["instagram"]}),
        )
        .await;
    let only = r["results"]["platformTotals"]["likes"].as_object().unwrap();
    assert_eq!(only.keys().collect::<Vec<_>>(), ["instagram"]);
    assert_eq!(r["results"]["totals"]["posts"], 2);
    let (_, r) = api
        .post(&path, json!({"profileIds": [profiles(&api)[2]]}))
        .await;
    assert_eq!(r["results"]["totals"]["posts"], 1);
    assert_eq!(
        r["results"]["postPerformance"]["posts"]
            .as_object()
            .unwrap()
            .len(),
        1
    );

    // Errors: no body, an empty list, unknown profiles and platforms, no location.
    let (st, r) = api.call(Method::POST, &path, None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(
        r["message"]
            .to_string()
            .contains("profileIds should not be empty"),
        "{r}"
    );
    let (st, r) = api.post(&path, json!({"profileIds": []})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let (st, r) = api
        .post(
            &path,
            json!({"profileIds": profiles(&api), "platforms": ["twitter"]}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let (st, r) = api.post(&path, json!({"profileIds": ["123"]})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    assert!(s(&r, "/message").contains("profileId"), "{r}");
    let (st, _) = api
        .post(
            "/social-media-posting/statistics",
            json!({"profileIds": profiles(&api)}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = api
        .post(
            &format!("/social-media-posting/statistics?locationId={OTHER}"),
            json!({"profileIds": ["1"]}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}
