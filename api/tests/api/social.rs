//! Profiles, follows, the feed, favorites and comments.

use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app_with_users};

/// An article answer's `favorited` and `favoritesCount`.
fn favorite_state(body: &Value) -> (&Value, &Value) {
    (
        &body["article"]["favorited"],
        &body["article"]["favoritesCount"],
    )
}

#[tokio::test]
async fn following_an_author_fills_the_feed_and_shows_in_profiles() {
    let (app, [jake, anna]) = spawn_app_with_users(["jake", "anna"]).await;
    app.create_article(&anna, "Anna writes", &[]).await;

    let (status, feed) = app.get("/api/articles/feed", Some(&jake)).await;
    assert_eq!((status, &feed["articlesCount"]), (200, &json!(0)));
    let (status, _) = app.get("/api/articles/feed", None).await;
    assert_eq!(status, 401, "the feed needs a token");

    // A stray JSON body on follow is tolerated (NOTES.md #13).
    let (status, body) = app
        .post(
            "/api/profiles/anna/follow",
            Some(&jake),
            json!({"user": {"email": "x"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["profile"],
        json!({"username": "anna", "bio": null, "image": null, "following": true})
    );

    let (_, feed) = app.get("/api/articles/feed", Some(&jake)).await;
    assert_eq!(feed["articlesCount"], 1);
    assert_eq!(feed["articles"][0]["title"], "Anna writes");
    assert_eq!(feed["articles"][0]["author"]["following"], true);
    assert!(feed["articles"][0].get("body").is_none());

    let (_, seen) = app.get("/api/profiles/anna", Some(&jake)).await;
    assert_eq!(seen["profile"]["following"], true);
    let (_, anonymous) = app.get("/api/profiles/anna", None).await;
    assert_eq!(anonymous["profile"]["following"], false);

    let (status, body) = app.delete("/api/profiles/anna/follow", Some(&jake)).await;
    assert_eq!(
        (status, &body["profile"]["following"]),
        (200, &json!(false))
    );
    let (status, body) = app.get("/api/profiles/nobody", None).await;
    assert_error((status, &body), 404, "profile", "not found");
    let (status, _) = app
        .post("/api/profiles/jake/follow", Some(&jake), json!({}))
        .await;
    assert_eq!(status, 403, "following oneself is refused");
}

#[tokio::test]
async fn favorites_change_the_count_and_the_favorited_filter() {
    let (app, [jake, anna]) = spawn_app_with_users(["jake", "anna"]).await;
    app.create_article(&jake, "Loved", &[]).await;

    let (status, body) = app
        .post("/api/articles/loved/favorite", Some(&anna), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(favorite_state(&body), (&json!(true), &json!(1)));
    let (_, list) = app.get("/api/articles?favorited=anna", None).await;
    assert_eq!(list["articlesCount"], 1);
    assert_eq!(list["articles"][0]["favoritesCount"], 1);
    let (_, seen_by_anna) = app.get("/api/articles/loved", Some(&anna)).await;
    assert_eq!(seen_by_anna["article"]["favorited"], true);
    let (_, seen_by_jake) = app.get("/api/articles/loved", Some(&jake)).await;
    assert_eq!(seen_by_jake["article"]["favorited"], false);

    let (status, body) = app
        .delete("/api/articles/loved/favorite", Some(&anna))
        .await;
    assert_eq!(status, 200);
    assert_eq!(favorite_state(&body), (&json!(false), &json!(0)));
    let (status, _) = app
        .post("/api/articles/loved/favorite", None, json!({}))
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .post("/api/articles/missing/favorite", Some(&anna), json!({}))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn comments_are_added_listed_and_deleted_by_their_author_only() {
    let (app, [jake, anna]) = spawn_app_with_users(["jake", "anna"]).await;
    app.create_article(&jake, "Discuss", &[]).await;

    let (status, created) = app
        .comment("discuss", Some(&anna), "Thank you so much!")
        .await;
    assert_eq!(status, 201, "{created}");
    let comment = &created["comment"];
    assert!(comment["id"].is_i64());
    assert_eq!(comment["body"], "Thank you so much!");
    assert_eq!(comment["author"]["username"], "anna");

    let (status, _) = app.comment("discuss", Some(&anna), " ").await;
    assert_eq!(status, 422);
    let (_, list) = app.get("/api/articles/discuss/comments", None).await;
    assert_eq!(list["comments"].as_array().map(Vec::len), Some(1));

    let path = format!("/api/articles/discuss/comments/{}", comment["id"]);
    let (status, body) = app.delete(&path, Some(&jake)).await;
    assert_eq!(
        status, 403,
        "only the comment's author may delete it: {body}"
    );
    let (status, body) = app.delete(&path, Some(&anna)).await;
    assert_eq!((status, body), (204, serde_json::Value::Null));
    let (_, list) = app.get("/api/articles/discuss/comments", None).await;
    assert_eq!(list["comments"], json!([]));
    let (status, _) = app
        .delete("/api/articles/discuss/comments/not-a-number", Some(&anna))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn tags_are_listed_most_used_first() {
    let (app, [jake]) = spawn_app_with_users(["jake"]).await;
    app.create_article(&jake, "A", &["rare", "common"]).await;
    app.create_article(&jake, "B", &["common"]).await;
    let (status, body) = app.get("/api/tags", None).await;
    assert_eq!((status, body), (200, json!({"tags": ["common", "rare"]})));
}
