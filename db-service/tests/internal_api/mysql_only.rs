//! What only the MySQL backend has: a server shared by replicas, and a server that may be away or refuse us.

use conduit_testkit::{fresh_database_name, test_server_setting};

use super::*;

#[tokio::test]
async fn replicas_sharing_a_server_see_each_others_writes_at_once() {
    let url = fresh_mysql_url();
    let (a, b) = (
        spawn_on(mysql_backend(&url)).await,
        spawn_on(mysql_backend(&url)).await,
    );
    let jake = a.user("jake").await;
    let anna = b.user("anna").await;
    // Each replica reads before and after the other writes: nothing may be served from a stale copy.
    for (writer, reader) in [(&a, &b), (&b, &a)] {
        let before = reader
            .client
            .list_articles(&ArticleFilter::default())
            .await
            .expect("list");
        let written = writer
            .article(jake.id, &format!("From {}", writer.base_url), &["shared"])
            .await;
        let after = reader
            .client
            .list_articles(&ArticleFilter::default())
            .await
            .expect("list");
        assert_eq!(after.total, before.total + 1);
        assert_eq!(after.articles[0].slug, written.slug);
        assert_eq!(
            reader.client.list_tags().await.expect("tags"),
            vec!["shared".to_owned()]
        );
    }
    let profile = a
        .client
        .set_follow("jake", anna.id, true)
        .await
        .expect("follow through a");
    assert!(profile.following);
    let seen_by_b = b
        .client
        .find_profile(
            "jake",
            ViewerQuery {
                viewer: Some(anna.id),
            },
        )
        .await
        .expect("profile through b");
    assert!(seen_by_b.following);
}

/// Runs db-service on `backend` expecting it to refuse to start; its error, in full.
async fn startup_error(backend: StorageBackend) -> String {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let run = db_service::run(
        listener,
        test_config(backend, data_dir.path(), addr),
        async {},
    );
    let error = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("startup gave up in time")
        .expect_err("startup must fail");
    format!("{error:#}")
}

#[tokio::test]
async fn wrong_credentials_fail_startup_at_once_saying_so() {
    let url = fresh_mysql_url().replacen("conduit_test:", "conduit_test:wrong", 1);
    let started = std::time::Instant::now();
    let error = startup_error(mysql_backend(&url)).await;
    assert!(error.contains("refused the credentials"), "{error}");
    assert!(
        !error.contains("wrong"),
        "the password leaked into: {error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_unreachable_server_is_retried_then_reported() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let started = std::time::Instant::now();
    let error = startup_error(StorageBackend::Mysql {
        url: format!("mysql://u:p@127.0.0.1:{port}/conduit").into(),
        max_connections: 2,
        connect_patience: Duration::from_secs(2),
    })
    .await;
    assert!(
        error.contains("cannot connect to MySQL at 127.0.0.1"),
        "{error}"
    );
    // Retried for about the patience given, not given up on at the first refusal.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connections_are_encrypted_and_the_server_verified_when_the_url_asks() {
    let (server, ca) = (
        test_server_setting("CONDUIT_TEST_MYSQL_TLS_URL"),
        test_server_setting("CONDUIT_TEST_MYSQL_CA"),
    );
    let database = fresh_database_name();
    // Verified against the CA that signed the server's certificate: served.
    let verified = spawn_on(mysql_backend(&format!(
        "{server}/{database}?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"
    )))
    .await;
    let jake = verified.user("jake").await;
    assert_eq!(jake.username, "jake");
    // The same account without TLS is turned away (it is admitted over TLS only): the connection above was
    // encrypted.
    let plain = startup_error(mysql_backend(&format!(
        "{server}/{database}?ssl-mode=DISABLED"
    )))
    .await;
    assert!(plain.contains("refused the credentials"), "{plain}");
    // A server whose certificate does not verify (the test CA is not among the bundled roots) is refused,
    // at once rather than after retries.
    let started = std::time::Instant::now();
    let unverified = startup_error(mysql_backend(&format!(
        "{server}/{database}?ssl-mode=VERIFY_CA"
    )))
    .await;
    assert!(
        unverified.contains("cannot connect to MySQL"),
        "{unverified}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?} {unverified}",
        started.elapsed()
    );
}

#[tokio::test]
async fn backups_are_refused_with_the_reason() {
    let svc = spawn_service(Backend::Mysql).await;
    let refused = svc
        .http
        .post(format!("{}/v1/backups", svc.base_url))
        .header("x-internal-token", TOKEN)
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.expect("json");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("does not back up a MySQL server"),
        "{body}"
    );
}
