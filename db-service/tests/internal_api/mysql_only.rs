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
        let before = reader.list(&ArticleFilter::default()).await;
        let written = writer
            .article(jake.id, &format!("From {}", writer.base_url), &["shared"])
            .await;
        let after = reader.list(&ArticleFilter::default()).await;
        assert_eq!(after.total, before.total + 1);
        assert_eq!(after.articles[0].slug, written.slug);
        assert_eq!(
            reader.client.list_tags().await.expect("tags"),
            vec!["shared".to_owned()]
        );
    }
    // Single articles, feeds and profiles read (and cached) by one replica move with the other's writes too.
    let feed = ArticleFilter {
        followed_by: Some(anna.id),
        ..ArticleFilter::default()
    };
    let slug = b.list(&ArticleFilter::default()).await.articles[0]
        .slug
        .clone();
    let seen = b.read_as(&slug, Some(anna.id)).await.expect("article");
    assert!(!seen.favorited);
    a.set_favorite(&slug, anna.id, true).await;
    let seen = b.read_as(&slug, Some(anna.id)).await.expect("article");
    assert!(seen.favorited);
    assert_eq!(seen.favorites_count, 1);
    a.client
        .update_article(
            &slug,
            &conduit_testkit::body_edit(jake.id, "edited through a"),
        )
        .await
        .expect("edit");
    let seen = b.read_as(&slug, Some(anna.id)).await.expect("article");
    assert_eq!(seen.body.as_deref(), Some("edited through a"));
    assert_eq!(b.list(&feed).await.total, 0);
    assert!(a.set_follow("jake", anna.id, true).await.following);
    assert_eq!(b.list(&feed).await.total, 2);
    assert!(b.profile("jake", Some(anna.id)).await.following);
}

/// Runs db-service on `backend` expecting it to refuse to start: its error, in full, and how long it took to give
/// up.
async fn startup_error(backend: StorageBackend) -> (String, Duration) {
    let started = std::time::Instant::now();
    let (_data_dir, listener, config) = prepare(backend).await;
    let run = db_service::run(listener, config, async {});
    let error = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("startup gave up in time")
        .expect_err("startup must fail");
    (format!("{error:#}"), started.elapsed())
}

#[tokio::test]
async fn wrong_credentials_fail_startup_at_once_saying_so() {
    let url = fresh_mysql_url().replacen("conduit_test:", "conduit_test:wrong", 1);
    let (error, took) = startup_error(mysql_backend(&url)).await;
    assert!(error.contains("refused the credentials"), "{error}");
    assert!(
        !error.contains("wrong"),
        "the password leaked into: {error}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn an_unreachable_server_is_retried_then_reported() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let (error, took) = startup_error(StorageBackend::Mysql {
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
    assert!(took >= Duration::from_secs(1), "{took:?}");
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
    let (plain, _) = startup_error(mysql_backend(&format!(
        "{server}/{database}?ssl-mode=DISABLED"
    )))
    .await;
    assert!(plain.contains("refused the credentials"), "{plain}");
    // A server whose certificate does not verify (the test CA is not among the bundled roots) is refused,
    // at once rather than after retries.
    let (unverified, took) = startup_error(mysql_backend(&format!(
        "{server}/{database}?ssl-mode=VERIFY_CA"
    )))
    .await;
    assert!(
        unverified.contains("cannot connect to MySQL"),
        "{unverified}"
    );
    assert!(took < Duration::from_secs(3), "{took:?} {unverified}");
}

#[tokio::test]
async fn backups_are_refused_with_the_reason() {
    let svc = spawn_service(Backend::Mysql).await;
    let backup = svc
        .request(reqwest::Method::POST, "/v1/backups")
        .header("x-internal-token", TOKEN);
    let (status, body) = send(backup).await;
    assert_eq!(status, 400);
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("does not back up a MySQL server"),
        "{body}"
    );
}
