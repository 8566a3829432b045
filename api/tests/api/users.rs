use serde_json::json;

use crate::helpers::{assert_error, spawn_app, spawn_app_with_users, token_of};

#[tokio::test]
async fn registering_returns_201_with_the_user_and_a_working_token() {
    let app = spawn_app().await;
    let (status, body) = app.sign_up("jake", "jake@jake.jake", "jakejake").await;
    assert_eq!(status, 201, "{body}");
    let user = &body["user"];
    assert_eq!(user["username"], "jake");
    assert_eq!(user["email"], "jake@jake.jake");
    // bio and image are present even when empty (NOTES.md #9).
    assert!(user
        .as_object()
        .is_some_and(|u| u.contains_key("bio") && u.contains_key("image")));
    assert!(user["bio"].is_null() && user["image"].is_null());

    let token = user["token"].as_str().expect("token");
    let (status, me) = app.get("/api/user", Some(token)).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["username"], "jake");
    assert_eq!(me["user"]["token"], token);
}

#[tokio::test]
async fn invalid_registrations_name_every_bad_field() {
    let app = spawn_app().await;
    let (status, body) = app.sign_up("", "not-an-email", "short").await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"]["username"], json!(["can't be blank"]));
    assert_eq!(body["errors"]["email"], json!(["is invalid"]));
    assert_eq!(
        body["errors"]["password"],
        json!(["is too short (minimum is 8 characters)"])
    );
}

#[tokio::test]
async fn missing_fields_and_malformed_json_are_422s_in_the_realworld_shape() {
    let app = spawn_app().await;
    let (status, body) = app
        .post("/api/users", None, json!({"user": {"email": "a@b.co"}}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"]["username"], json!(["can't be blank"]));
    assert_eq!(body["errors"]["password"], json!(["can't be blank"]));

    let truncated = app
        .request(reqwest::Method::POST, "/api/users")
        .header("content-type", "application/json")
        .body("{\"user\": {");
    let response = app.send(truncated).await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(
        body["errors"]["body"][0]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn a_taken_email_or_username_is_a_409_naming_the_field() {
    let app = spawn_app().await;
    app.register("jake").await;
    let (status, body) = app
        .sign_up("other", "jake@example.com", "password123")
        .await;
    assert_error((status, &body), 409, "email", "has already been taken");
    let (status, body) = app.sign_up("jake", "new@example.com", "password123").await;
    assert_error((status, &body), 409, "username", "has already been taken");
}

#[tokio::test]
async fn login_succeeds_with_the_right_password_and_is_401_otherwise() {
    let app = spawn_app().await;
    app.register("jake").await;
    let (status, body) = app.login("jake@example.com", "password123").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["username"], "jake");
    assert!(!token_of(&body).is_empty());

    let (status, body) = app.login("jake@example.com", "wrong-password").await;
    assert_error((status, &body), 401, "email or password", "is invalid");

    let (status, _) = app.login("nobody@example.com", "password123").await;
    assert_eq!(status, 401);

    let (status, body) = app.login("", "").await;
    assert_error((status, &body), 422, "email", "can't be blank");
}

#[tokio::test]
async fn the_current_user_needs_a_valid_token() {
    let (app, [token]) = spawn_app_with_users(["jake"]).await;

    let (status, body) = app.get("/api/user", None).await;
    assert_error((status, &body), 401, "token", "is missing or invalid");

    let (status, _) = app.get("/api/user", Some("not.a.jwt")).await;
    assert_eq!(status, 401);

    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    let (status, _) = app.get("/api/user", Some(&tampered)).await;
    assert_eq!(status, 401);

    let authorization = format!("Bearer {token}");
    let bearer = app
        .get_raw("/api/user", &[("Authorization", &authorization)])
        .await;
    assert_eq!(
        bearer.status(),
        200,
        "Bearer is accepted too (NOTES.md #11)"
    );
}

#[tokio::test]
async fn a_password_change_retires_every_token_issued_before_it() {
    let (app, [old]) = spawn_app_with_users(["jake"]).await;
    let (status, login) = app.login("jake@example.com", "password123").await;
    assert_eq!(status, 200, "{login}");
    let other_device = token_of(&login);

    let (status, changed) = app
        .update_user(Some(&old), json!({"password": "a brand new password"}))
        .await;
    assert_eq!(status, 200, "{changed}");
    let new = changed["user"]["token"].as_str().expect("token");
    assert_ne!(new, old, "the answer carries a token of the new password");

    for retired in [&old, &other_device] {
        let (status, _) = app.get("/api/user", Some(retired)).await;
        assert_eq!(status, 401, "a token from before the change still works");
    }
    let (status, me) = app.get("/api/user", Some(new)).await;
    assert_eq!(
        (status, me["user"]["username"].as_str()),
        (200, Some("jake"))
    );

    // Other changes keep the token as it is.
    let (status, bio) = app.update_user(Some(new), json!({"bio": "hi"})).await;
    assert_eq!((status, bio["user"]["token"].as_str()), (200, Some(new)));
}

#[tokio::test]
async fn settings_refuse_unknown_fields_and_null_except_where_null_clears() {
    let (app, [token]) = spawn_app_with_users(["jake"]).await;
    let set = json!({"bio": "hi", "image": "https://example.com/a.png"});
    let (status, _) = app.update_user(Some(&token), set).await;
    assert_eq!(status, 200);

    let (status, body) = app
        .update_user(Some(&token), json!({"bio": null, "image": null}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["user"]["bio"], &body["user"]["image"]),
        (&json!(null), &json!(null))
    );

    for refused in [
        json!({"user": {"username": null}}),
        json!({"user": {"email": null}}),
        json!({"user": {"bio": "x", "admin": true}}),
        json!({"user": {"bio": "x"}, "extra": 1}),
        json!({"user": {}}),
    ] {
        let (status, body) = app.put("/api/user", Some(&token), refused.clone()).await;
        assert_eq!(status, 422, "{refused}: {body}");
    }
}

#[tokio::test]
async fn names_and_emails_are_taken_as_sent_not_trimmed() {
    let app = spawn_app().await;
    let (status, body) = app
        .sign_up(" jake", "jake@example.com ", "password123")
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["errors"]["username"].is_array() && body["errors"]["email"].is_array(),
        "{body}"
    );
}
