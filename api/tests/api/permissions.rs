//! Only authors change their content; users change only themselves.

use serde_json::json;

use crate::helpers::{assert_error, spawn_app_with_users, token_of};

#[tokio::test]
async fn only_the_author_updates_or_deletes_an_article() {
    let (app, [jake, anna]) = spawn_app_with_users(["jake", "anna"]).await;
    app.create_article(&jake, "Mine", &["a"]).await;

    let (status, body) = app
        .edit_article("mine", Some(&anna), json!({"body": "hijacked"}))
        .await;
    assert_error((status, &body), 403, "article", "forbidden");
    let (status, _) = app.delete("/api/articles/mine", Some(&anna)).await;
    assert_eq!(status, 403);
    let (status, _) = app.edit_article("mine", None, json!({"body": "x"})).await;
    assert_eq!(status, 401);

    let renamed = json!({"title": "Renamed", "tagList": []});
    let (status, body) = app.edit_article("mine", Some(&jake), renamed).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["article"]["slug"], "renamed",
        "a new title brings a new slug"
    );
    assert_eq!(
        body["article"]["tagList"],
        json!([]),
        "tagList [] removes every tag"
    );
    assert_eq!(body["article"]["body"], "body text");
    let (status, _) = app.get("/api/articles/mine", None).await;
    assert_eq!(status, 404);

    let (status, body) = app.edit_article("renamed", Some(&jake), json!({})).await;
    assert_eq!(status, 422, "{body}");

    let (status, body) = app.delete("/api/articles/renamed", Some(&jake)).await;
    assert_eq!((status, body), (204, serde_json::Value::Null));
    let (status, _) = app.get("/api/articles/renamed", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn users_update_their_own_profile_and_can_sign_in_with_a_new_password() {
    let (app, [jake, _anna]) = spawn_app_with_users(["jake", "anna"]).await;

    // The same e-mail alone is a valid update (NOTES.md #14), and the response carries a token.
    let (status, body) = app
        .update_user(Some(&jake), json!({"email": "jake@example.com"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(!token_of(&body).is_empty());

    let changes = json!({"bio": "I like to skateboard", "image": "https://i.example.com/j.png", "password": "new-password-1"});
    let (status, body) = app.update_user(Some(&jake), changes).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["bio"], "I like to skateboard");
    assert_eq!(body["user"]["image"], "https://i.example.com/j.png");
    // The new password retired the old token; the answer carries the one to use from now on.
    let jake = token_of(&body);

    let (status, _) = app.login("jake@example.com", "new-password-1").await;
    assert_eq!(status, 200);
    let (status, _) = app.login("jake@example.com", "password123").await;
    assert_eq!(status, 401, "the old password no longer works");

    let (status, body) = app
        .update_user(Some(&jake), json!({"username": "anna"}))
        .await;
    assert_error((status, &body), 409, "username", "has already been taken");
    let (status, body) = app
        .update_user(Some(&jake), json!({"image": "javascript:alert(1)"}))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app.update_user(None, json!({"bio": "x"})).await;
    assert_eq!(status, 401);
}
