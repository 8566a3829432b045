//! Only authors change their content; users change only themselves.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn only_the_author_updates_or_deletes_an_article() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let anna = app.register("anna").await;
    app.create_article(&jake, "Mine", &["a"]).await;

    let (status, body) = app
        .put(
            "/api/articles/mine",
            Some(&anna),
            json!({"article": {"body": "hijacked"}}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["errors"]["article"], json!(["forbidden"]));
    let (status, _) = app.delete("/api/articles/mine", Some(&anna)).await;
    assert_eq!(status, 403);
    let (status, _) = app
        .put(
            "/api/articles/mine",
            None,
            json!({"article": {"body": "x"}}),
        )
        .await;
    assert_eq!(status, 401);

    let (status, body) = app
        .put(
            "/api/articles/mine",
            Some(&jake),
            json!({"article": {"title": "Renamed", "tagList": []}}),
        )
        .await;
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

    let (status, body) = app
        .put("/api/articles/renamed", Some(&jake), json!({"article": {}}))
        .await;
    assert_eq!(status, 422, "{body}");

    let (status, body) = app.delete("/api/articles/renamed", Some(&jake)).await;
    assert_eq!((status, body), (204, serde_json::Value::Null));
    let (status, _) = app.get("/api/articles/renamed", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn users_update_their_own_profile_and_can_sign_in_with_a_new_password() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    app.register("anna").await;

    // The same e-mail alone is a valid update (NOTES.md #14), and the response carries a token.
    let (status, body) = app
        .put(
            "/api/user",
            Some(&jake),
            json!({"user": {"email": "jake@example.com"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["user"]["token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));

    let (status, body) = app
        .put(
            "/api/user",
            Some(&jake),
            json!({"user": {"bio": "I like to skateboard", "image": "https://i.example.com/j.png", "password": "new-password-1"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["bio"], "I like to skateboard");
    assert_eq!(body["user"]["image"], "https://i.example.com/j.png");
    // The new password retired the old token; the answer carries the one to use from now on.
    let jake = body["user"]["token"].as_str().expect("token").to_owned();

    let (status, _) = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "jake@example.com", "password": "new-password-1"}}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "jake@example.com", "password": "password123"}}),
        )
        .await;
    assert_eq!(status, 401, "the old password no longer works");

    let (status, body) = app
        .put(
            "/api/user",
            Some(&jake),
            json!({"user": {"username": "anna"}}),
        )
        .await;
    assert_eq!(
        (status, &body["errors"]["username"]),
        (409, &json!(["has already been taken"]))
    );
    let (status, body) = app
        .put(
            "/api/user",
            Some(&jake),
            json!({"user": {"image": "javascript:alert(1)"}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .put("/api/user", None, json!({"user": {"bio": "x"}}))
        .await;
    assert_eq!(status, 401);
}
