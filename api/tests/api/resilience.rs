use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with_users, spawn_over_unix_sockets};

#[tokio::test]
async fn the_api_answers_503_while_db_service_is_down_and_recovers_when_it_returns() {
    let (mut app, [token]) = spawn_app_with_users(["jake"]).await;
    app.create_article(&token, "Survives restarts", &[]).await;

    app.kill_db_service().await;
    let (status, body) = app.get("/api/articles", None).await;
    assert_eq!(status, 503, "{body}");
    assert!(body["errors"]["service"].is_array(), "{body}");
    let ready = app.http.get(app.url("/readyz")).send().await.expect("sent");
    assert_eq!(ready.status(), 503);

    app.restart_db_service().await;
    let (status, body) = app.get("/api/articles", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["articles"][0]["title"], "Survives restarts");
    let (status, _) = app.get("/api/user", Some(&token)).await;
    assert_eq!(status, 200);
}

/// The single-node stack (scripts/run-stack): nginx → api → db-service over Unix sockets only. A db-service that
/// was killed leaves its socket behind; the next one replaces it, and the api's calls find it again.
#[tokio::test]
async fn the_stack_over_unix_sockets_serves_and_recovers_from_a_killed_db_service() {
    let mut app = spawn_over_unix_sockets().await;
    let token = app.register("jake").await;
    let article = app.create_article(&token, "Over sockets", &["unix"]).await;
    let slug = article["slug"].as_str().expect("slug");
    let (status, body) = app
        .get(&format!("/api/articles/{slug}"), Some(&token))
        .await;
    assert_eq!(
        (status, body["article"]["title"].as_str()),
        (200, Some("Over sockets")),
        "{body}"
    );

    app.kill_db_service().await;
    let (status, body) = app.get("/api/articles", None).await;
    assert_eq!(status, 503, "{body}");

    app.restart_db_service().await;
    let (status, body) = app.get("/api/articles?tag=unix", Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["articles"][0]["title"], "Over sockets");
}

#[tokio::test]
async fn one_request_id_spans_the_api_and_db_service_logs() {
    let app = spawn_app().await;
    let traced = [("x-request-id", "trace-spans-both-services-42")];
    let response = app.get_raw("/api/articles?tag=traced", &traced).await;
    assert_eq!(response.status(), 200);
    // db-service logs each request (JSON, tower_http at debug here) inside a span carrying the forwarded id.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let log = app.db_service_log();
        let line = log
            .lines()
            .find(|l| l.contains("trace-spans-both-services-42") && l.contains("/v1/articles"));
        if let Some(line) = line {
            let event: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
            assert!(event["timestamp"].is_string(), "{line}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "request id not in db-service log:\n{log}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_request_id_is_echoed_and_one_is_made_up_when_missing() {
    let app = spawn_app().await;
    let given = app
        .get_raw("/api/articles", &[("x-request-id", "trace-me-123")])
        .await;
    assert_eq!(given.headers()["x-request-id"], "trace-me-123");
    let made_up = app.get_raw("/api/articles", &[]).await;
    assert!(made_up
        .headers()
        .get("x-request-id")
        .is_some_and(|v| !v.is_empty()));
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let (app, [token]) = spawn_app_with_users(["jake"]).await;
    let huge = "x".repeat(2 * 1024 * 1024);
    // The server closes the connection after refusing an unread body, so this is the test's last request.
    let (status, body) = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {"title": "t", "description": "d", "body": huge}}),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["errors"]["body"], json!(["is too large"]));
}

/// A request refused before its body is read (no token: 401 before the JSON is parsed) still leaves the
/// connection usable: the next request on it is answered. When the api closed such a connection, nginx — still
/// sending the body — answered its client 502 (schemathesis found it as a 503 to a 600 KB create).
#[tokio::test]
async fn a_request_refused_before_its_body_is_read_leaves_the_connection_usable() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = spawn_app().await;
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let body = format!(
        r#"{{"article":{{"title":"t","description":"d","body":"{}"}}}}"#,
        "x".repeat(600_000)
    );
    let requests = format!(
        "POST /api/articles HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}\
         GET /api/tags HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(requests.as_bytes()).await.expect("send");
    let mut answers = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answers),
    )
    .await
    .expect("answered in time")
    .expect("read");
    let answers = String::from_utf8_lossy(&answers);
    // Each answer's status line (the first body ends without a newline).
    let statuses: Vec<&str> = answers
        .match_indices("HTTP/1.1 ")
        .filter_map(|(at, _)| answers.get(at + 9..at + 12))
        .collect();
    assert_eq!(statuses, ["401", "200"], "{answers}");
}

#[tokio::test]
async fn unknown_routes_are_404s_in_the_realworld_shape() {
    let app = spawn_app().await;
    let (status, body) = app.get("/api/nope", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"]["route"], json!(["not found"]));
}
