use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, spawn_app_with_users};

fn is_realworld_timestamp(value: &Value) -> bool {
    // YYYY-MM-DDTHH:MM:SS.sssZ (NOTES.md #2)
    value.as_str().is_some_and(|s| {
        let b = s.as_bytes();
        b.len() == 24 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && b[23] == b'Z'
    })
}

#[tokio::test]
async fn publishing_needs_a_token() {
    let app = spawn_app().await;
    let (status, _) = app
        .publish(None, json!({"title": "t", "description": "d", "body": "b"}))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn invalid_articles_name_every_bad_field() {
    let (app, [token]) = spawn_app_with_users(["jake"]).await;
    let invalid = json!({"title": " ", "tagList": ["ok", "x".repeat(41)]});
    let (status, body) = app.publish(Some(&token), invalid).await;
    assert_eq!(status, 422, "{body}");
    for field in ["title", "description", "body", "tagList"] {
        assert!(
            body["errors"][field].is_array(),
            "no error for {field}: {body}"
        );
    }
}

#[tokio::test]
async fn a_published_article_comes_back_whole_and_is_readable_by_slug() {
    let (app, [token]) = spawn_app_with_users(["jake"]).await;
    let created = app
        .create_article(&token, "How to train your dragon", &["training", "dragons"])
        .await;
    assert_eq!(created["slug"], "how-to-train-your-dragon");
    assert_eq!(created["title"], "How to train your dragon");
    assert_eq!(created["body"], "body text");
    assert_eq!(
        created["tagList"],
        json!(["dragons", "training"]),
        "tags sorted (NOTES.md #1)"
    );
    assert_eq!(created["favorited"], false);
    assert_eq!(created["favoritesCount"], 0);
    assert_eq!(
        created["author"],
        json!({"username": "jake", "bio": null, "image": null, "following": false})
    );
    assert!(
        is_realworld_timestamp(&created["createdAt"]),
        "{}",
        created["createdAt"]
    );
    assert!(
        is_realworld_timestamp(&created["updatedAt"]),
        "{}",
        created["updatedAt"]
    );

    let (status, read) = app
        .get("/api/articles/how-to-train-your-dragon", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(read["article"], created);

    let (status, body) = app.get("/api/articles/no-such-article", None).await;
    assert_error((status, &body), 404, "article", "not found");
}

#[tokio::test]
async fn same_titles_get_distinct_slugs_and_unicode_titles_get_ascii_ones() {
    let (app, [token]) = spawn_app_with_users(["jake"]).await;
    let first = app.create_article(&token, "Dragons", &[]).await;
    let second = app.create_article(&token, "Dragons", &[]).await;
    assert_ne!(first["slug"], second["slug"]);

    let unicode = app
        .create_article(&token, "Crème brûlée für Ärzte", &[])
        .await;
    assert_eq!(unicode["slug"], "creme-brulee-fur-arzte");
    let (status, _) = app.get("/api/articles/creme-brulee-fur-arzte", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn lists_are_newest_first_without_bodies_filtered_paginated_and_fully_counted() {
    let (app, [jake, anna]) = spawn_app_with_users(["jake", "anna"]).await;
    for i in 0..3 {
        app.create_article(&jake, &format!("Jake {i}"), &["rust"])
            .await;
    }
    app.create_article(&anna, "Anna 0", &["go"]).await;

    let (status, all) = app.get("/api/articles", None).await;
    assert_eq!(status, 200);
    assert_eq!(all["articlesCount"], 4);
    let titles: Vec<_> = all["articles"]
        .as_array()
        .expect("array")
        .iter()
        .map(|a| a["title"].clone())
        .collect();
    assert_eq!(
        titles,
        [
            json!("Anna 0"),
            json!("Jake 2"),
            json!("Jake 1"),
            json!("Jake 0")
        ]
    );
    assert!(
        all["articles"]
            .as_array()
            .expect("array")
            .iter()
            .all(|a| a.get("body").is_none()),
        "no body in lists (NOTES.md #8)"
    );

    let (_, page) = app
        .get("/api/articles?author=jake&limit=1&offset=1", None)
        .await;
    assert_eq!(
        page["articlesCount"], 3,
        "total, not page length (NOTES.md #6)"
    );
    assert_eq!(page["articles"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["articles"][0]["title"], "Jake 1");

    let (_, tagged) = app.get("/api/articles?tag=go", None).await;
    assert_eq!(tagged["articlesCount"], 1);
    assert_eq!(tagged["articles"][0]["author"]["username"], "anna");

    let (_, none) = app.get("/api/articles?author=nobody", None).await;
    assert_eq!(none, json!({"articles": [], "articlesCount": 0}));

    for bad in [
        "limit=0",
        "limit=abc",
        "offset=-1",
        "limit=101",
        "offset=10001",
    ] {
        let (status, body) = app.get(&format!("/api/articles?{bad}"), None).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
}

#[tokio::test]
async fn optional_auth_routes_reject_a_bad_token_but_serve_anonymous_callers() {
    let app = spawn_app().await;
    let (status, _) = app.get("/api/articles", Some("garbage")).await;
    assert_eq!(status, 401, "NOTES.md #12");
    let (status, _) = app.get("/api/articles", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn articles_are_found_by_their_words() {
    let (app, [jake]) = spawn_app_with_users(["jake"]).await;
    app.create_article(&jake, "Training kestrels", &["falconry"])
        .await;
    app.create_article(&jake, "Baking bread", &[]).await;

    let (status, found) = app.get("/api/articles?q=KESTRELS%20training", None).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["articlesCount"], 1);
    assert_eq!(found["articles"][0]["title"], "Training kestrels");
    let (_, by_tag) = app.get("/api/articles?q=falconry&author=jake", None).await;
    assert_eq!(by_tag["articlesCount"], 1);
    // Words too short to search for match nothing, without asking the database.
    let (status, none) = app.get("/api/articles?q=a%20to", None).await;
    assert_eq!(
        (status, none),
        (200, json!({"articles": [], "articlesCount": 0}))
    );
    let (status, body) = app
        .get(&format!("/api/articles?q={}", "w".repeat(201)), None)
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["errors"]["q"].is_array());
}
