//! Deployment shapes: API_ROLE, login rate limiting, metrics and the OpenAPI document.

use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, spawn_app_with_users};

#[tokio::test]
async fn a_per_operation_pod_serves_only_its_method_of_the_posts_routes() {
    let app = spawn_app_with(&[("API_ROLE", "read")]).await;
    let (status, _) = app.get("/api/articles", None).await;
    assert_eq!(status, 200);
    let (status, _) = app.get("/api/tags", None).await;
    assert_eq!(status, 200);
    let response = app
        .send(
            app.request(reqwest::Method::POST, "/api/articles")
                .json(&json!({"article": {}})),
        )
        .await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET");
    let (status, _) = app.post("/api/users", None, json!({"user": {}})).await;
    assert_eq!(status, 404, "users routes live in the users service");
    let (status, ready) = app.get("/readyz", None).await;
    assert_eq!((status, &ready["role"]), (200, &json!("read")));
}

#[tokio::test]
async fn a_method_a_path_does_not_have_is_a_405_naming_the_ones_it_has() {
    let app = spawn_app().await;
    let response = app
        .send(app.request(reqwest::Method::PATCH, "/api/articles"))
        .await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET,HEAD,POST");
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(body, json!({"errors": {"method": ["is not allowed here"]}}));
}

#[tokio::test]
async fn the_users_role_serves_accounts_but_not_articles() {
    let app = spawn_app_with(&[("API_ROLE", "users")]).await;
    app.register("jake").await;
    let (status, _) = app.get("/api/profiles/jake", None).await;
    assert_eq!(status, 200);
    let (status, _) = app.get("/api/articles", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn repeated_logins_to_one_account_are_slowed_down_with_429() {
    let app = spawn_app_with(&[("LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE", "3")]).await;
    app.register("jake").await;
    let attempt = || {
        app.post(
            "/api/users/login",
            None,
            json!({"user": {"email": "jake@example.com", "password": "wrong-one"}}),
        )
    };
    for _ in 0..3 {
        assert_eq!(attempt().await.0, 401);
    }
    let response = app
        .send(
            app.request(reqwest::Method::POST, "/api/users/login")
                .json(&json!({"user": {"email": "jake@example.com", "password": "password123"}})),
        )
        .await;
    assert_eq!(response.status(), 429, "even the right password waits");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=60).contains(&retry_after));
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_the_openapi_document_is_served() {
    let app = spawn_app().await;
    app.get("/api/articles/some-slug", None).await;
    let metrics = app
        .get_raw("/metrics", &[])
        .await
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(
            r#"api_requests_total{route="/api/articles/{slug}",method="GET",status="404"}"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("api_request_duration_seconds_bucket"),
        "{metrics}"
    );
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    assert!(doc["paths"]["/articles/{slug}"].is_object());
}

#[tokio::test]
async fn anonymous_reads_are_cacheable_until_the_end_of_their_second_and_nothing_else_is() {
    let (app, [token]) = spawn_app_with_users(["jake"]).await;
    let expires = |response: &reqwest::Response| {
        response
            .headers()
            .get("x-accel-expires")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let anonymous = app.get_raw("/api/articles", &[]).await;
    let until: u64 = expires(&anonymous)
        .and_then(|v| v.strip_prefix('@').and_then(|s| s.parse().ok()))
        .expect("an anonymous read is marked");
    assert!((now..=now + 1).contains(&until), "{until} vs {now}");
    let authorization = format!("Token {token}");
    let signed_in = app
        .get_raw("/api/articles", &[("authorization", &authorization)])
        .await;
    assert_eq!(
        expires(&signed_in),
        None,
        "signed-in reads are never cached"
    );
    let missing = app.get_raw("/api/articles/nope", &[]).await;
    assert_eq!((missing.status().as_u16(), expires(&missing)), (404, None));
}
