//! db-service's internal API, driven through the real client over a real socket.

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use db_client::{
    ArticleFilter, DbClient, DbError, NewArticle, NewComment, NewUser, UserId, UserRecord,
    ViewerQuery,
};
use db_service::config::{
    Backend as StorageBackend, Config, Durability, LogFormat, ObjectStoreSettings, Storage,
};

const TOKEN: &str = "test-internal-token-0123456789";

struct TestService {
    base_url: String,
    client: DbClient,
    http: reqwest::Client,
    _data_dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Which database server a test's db-service uses.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Mysql,
}

/// A URL naming databases of their own on the MariaDB server that `scripts/with-mariadb` started (`make test`
/// runs the tests through it).
fn fresh_mysql_url() -> String {
    format!(
        "{}/{}",
        test_env("CONDUIT_TEST_MYSQL_URL"),
        fresh_database_name()
    )
}

/// A database name no other test uses.
fn fresh_database_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    format!("t{}_{n}", std::process::id())
}

/// A setting of the test server that `scripts/with-mariadb` started.
fn test_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/with-mariadb (as make test does)")
    })
}

async fn spawn_service(backend: Backend) -> TestService {
    spawn_on(match backend {
        Backend::Sqlite => StorageBackend::Sqlite,
        Backend::Mysql => mysql_backend(&fresh_mysql_url()),
    })
    .await
}

fn mysql_backend(url: &str) -> StorageBackend {
    StorageBackend::Mysql {
        url: url.to_owned().into(),
        max_connections: 8,
        connect_patience: Duration::from_secs(5),
    }
}

/// The configuration of a test db-service on `backend` (SQLite: in `data_dir`), listening on `addr`.
fn test_config(
    backend: StorageBackend,
    data_dir: &std::path::Path,
    addr: std::net::SocketAddr,
) -> Config {
    Config {
        addr,
        storage: Storage {
            backend,
            data_dir: data_dir.to_owned(),
            backup_dir: data_dir.join("backups"),
            backup_retention: 3,
            remote: None,
            object_store: ObjectStoreSettings::default(),
            synchronous: Durability::Full,
        },
        backup_interval: None,
        max_concurrent_requests: 64,
        internal_token: TOKEN.to_owned().into(),
        log_format: LogFormat::Text,
    }
}

async fn spawn_on(backend: StorageBackend) -> TestService {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let config = test_config(backend, data_dir.path(), addr);
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(db_service::run(listener, config, async {
        let _ = stopped.await;
    }));
    let base_url = format!("http://{addr}");
    let client = DbClient::new(&base_url, TOKEN, Duration::from_secs(5)).expect("client");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while client.ready().await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "db-service not ready in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    TestService {
        base_url,
        client,
        http: reqwest::Client::new(),
        _data_dir: data_dir,
        _shutdown: shutdown,
    }
}

impl TestService {
    async fn user(&self, name: &str) -> UserRecord {
        self.client
            .create_user(&NewUser {
                username: name.into(),
                email: format!("{name}@example.com"),
                password_hash: "$argon2id$fake".into(),
            })
            .await
            .expect("create user")
    }

    async fn article(
        &self,
        author: UserId,
        title: &str,
        tags: &[&str],
    ) -> db_client::ArticleRecord {
        self.client
            .create_article(&NewArticle {
                author,
                slug: title.to_lowercase().replace(' ', "-"),
                title: title.into(),
                description: "about it".into(),
                body: "the body".into(),
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            })
            .await
            .expect("create article")
    }
}

async fn calls_without_the_internal_token_are_refused_but_health_is_open(svc: TestService) {
    let no_token = svc
        .http
        .get(format!("{}/v1/users/1", svc.base_url))
        .send()
        .await
        .expect("send");
    assert_eq!(no_token.status(), 401);
    let body: serde_json::Value = no_token.json().await.expect("json body");
    assert_eq!(body["kind"], "unauthorized");

    let wrong = svc
        .http
        .get(format!("{}/v1/users/1", svc.base_url))
        .header("x-internal-token", "test-internal-token-0123456788")
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), 401);

    for path in ["/healthz", "/readyz"] {
        let open = svc
            .http
            .get(format!("{}{path}", svc.base_url))
            .send()
            .await
            .expect("send");
        assert_eq!(open.status(), 200, "{path}");
    }
}

async fn a_taken_username_or_email_is_a_typed_conflict_naming_the_field(svc: TestService) {
    svc.user("jake").await;
    let same_name = svc
        .client
        .create_user(&NewUser {
            username: "JAKE".into(),
            email: "other@example.com".into(),
            password_hash: "h".into(),
        })
        .await;
    assert!(
        matches!(same_name, Err(DbError::Conflict { ref field }) if field == "username"),
        "{same_name:?}"
    );
    let same_email = svc
        .client
        .create_user(&NewUser {
            username: "other".into(),
            email: "Jake@Example.com".into(),
            password_hash: "h".into(),
        })
        .await;
    assert!(
        matches!(same_email, Err(DbError::Conflict { ref field }) if field == "email"),
        "{same_email:?}"
    );
}

async fn users_are_found_by_id_and_by_email_case_insensitively(svc: TestService) {
    let jake = svc.user("jake").await;
    assert_eq!(
        svc.client.find_user_by_id(jake.id).await.expect("by id"),
        jake
    );
    assert_eq!(
        svc.client
            .find_user_by_email("JAKE@example.com")
            .await
            .expect("by email"),
        jake
    );
    let missing = svc.client.find_user_by_id(UserId(9999)).await;
    assert!(matches!(missing, Err(DbError::NotFound { ref entity }) if entity == "user"));
}

async fn articles_get_unique_slugs_sorted_tags_and_millisecond_timestamps(svc: TestService) {
    let jake = svc.user("jake").await;
    let first = svc
        .article(jake.id, "Dragons", &["training", "dragons"])
        .await;
    let second = svc.article(jake.id, "Dragons", &[]).await;
    assert_eq!(first.slug, "dragons");
    assert_eq!(second.slug, "dragons-2");
    assert_eq!(first.tags, vec!["dragons", "training"]);
    assert_eq!(first.author.username, "jake");
    assert_eq!(first.body.as_deref(), Some("the body"));
    // YYYY-MM-DDTHH:MM:SS.sssZ (NOTES.md #2)
    let ts = first.created_at.as_bytes();
    assert_eq!(ts.len(), 24, "{}", first.created_at);
    assert_eq!(
        (ts[10], ts[19], ts[23]),
        (b'T', b'.', b'Z'),
        "{}",
        first.created_at
    );

    let read = svc
        .client
        .find_article_by_slug("dragons-2", ViewerQuery::default())
        .await
        .expect("by slug");
    assert_eq!(read, second);
}

async fn text_keeps_every_character_tags_keep_their_case_and_times_are_utc(svc: TestService) {
    let emoji_user = svc.user("ünïcödé🦀").await;
    let profile = svc
        .client
        .find_profile("ünïcödé🦀", ViewerQuery::default())
        .await
        .expect("profile by a four-byte name");
    assert_eq!(profile.username, "ünïcödé🦀");
    let article = svc
        .client
        .create_article(&NewArticle {
            author: emoji_user.id,
            slug: "crabs".into(),
            title: "Crabs 🦀 and 𝄞 clefs".into(),
            description: "naïve café — 漢字".into(),
            body: "# 🦀\n\n𝌆 four-byte characters".into(),
            tags: vec!["Rust".into(), "rust".into(), "🦀".into()],
        })
        .await
        .expect("create");
    let read = svc
        .client
        .find_article_by_slug("crabs", ViewerQuery::default())
        .await
        .expect("read");
    assert_eq!(read.title, "Crabs 🦀 and 𝄞 clefs");
    assert_eq!(read.description, "naïve café — 漢字");
    assert_eq!(read.body.as_deref(), Some("# 🦀\n\n𝌆 four-byte characters"));
    assert_eq!(read.author.username, "ünïcödé🦀");
    // Tags compare byte by byte: "Rust" and "rust" are two tags, sorted in byte order.
    assert_eq!(read.tags, vec!["Rust", "rust", "🦀"]);
    assert_eq!(read, article);
    let mut tags = svc.client.list_tags().await.expect("tags");
    tags.sort();
    assert_eq!(tags, vec!["Rust", "rust", "🦀"]);
    // Timestamps are UTC: within a minute of this machine's clock.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let created = utc_seconds(&read.created_at);
    assert!(
        now.abs_diff(created) < 60,
        "{} vs now {now}",
        read.created_at
    );
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS.sssZ`.
fn utc_seconds(ts: &str) -> u64 {
    let field = |range: std::ops::Range<usize>| -> i64 { ts[range].parse().expect("digits") };
    let (year, month, day) = (field(0..4), field(5..7), field(8..10));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + field(11..13) * 3600 + field(14..16) * 60 + field(17..19);
    u64::try_from(secs).expect("after 1970")
}

async fn articles_of_an_unknown_author_are_refused(svc: TestService) {
    let result = svc
        .client
        .create_article(&NewArticle {
            author: UserId(42),
            slug: "x".into(),
            title: "x".into(),
            description: "x".into(),
            body: "x".into(),
            tags: vec![],
        })
        .await;
    assert!(
        matches!(result, Err(DbError::NotFound { ref entity }) if entity == "user"),
        "{result:?}"
    );
}

async fn lists_are_newest_first_filtered_paginated_bodiless_and_counted_in_full(svc: TestService) {
    let jake = svc.user("jake").await;
    let anna = svc.user("anna").await;
    for i in 0..5 {
        svc.article(jake.id, &format!("jake {i}"), &["rust"]).await;
    }
    svc.article(anna.id, "anna 0", &["go"]).await;

    let all = svc
        .client
        .list_articles(&ArticleFilter::default())
        .await
        .expect("list");
    assert_eq!(all.total, 6);
    assert_eq!(all.articles[0].title, "anna 0");
    assert!(all.articles.iter().all(|a| a.body.is_none()));

    let page = ArticleFilter {
        author: Some("jake".into()),
        limit: 2,
        offset: 1,
        ..ArticleFilter::default()
    };
    let page = svc.client.list_articles(&page).await.expect("page");
    assert_eq!(page.total, 5, "total counts every match, not the page");
    let titles: Vec<_> = page.articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["jake 3", "jake 2"]);

    let by_tag = ArticleFilter {
        tag: Some("go".into()),
        ..ArticleFilter::default()
    };
    let by_tag = svc.client.list_articles(&by_tag).await.expect("by tag");
    assert_eq!(
        (by_tag.total, by_tag.articles[0].title.as_str()),
        (1, "anna 0")
    );

    let nobody = ArticleFilter {
        author: Some("nobody".into()),
        ..ArticleFilter::default()
    };
    assert_eq!(
        svc.client
            .list_articles(&nobody)
            .await
            .expect("empty")
            .total,
        0
    );
}

async fn bad_requests_get_json_errors_and_the_service_keeps_serving(svc: TestService) {
    let malformed = svc
        .http
        .post(format!("{}/v1/users", svc.base_url))
        .header("x-internal-token", TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(malformed.status(), 400);
    let body: serde_json::Value = malformed.json().await.expect("json");
    assert_eq!(body["kind"], "bad_request");

    // Its own client: the server closes the connection after refusing an unread body.
    let oversized = reqwest::Client::new()
        .post(format!("{}/v1/users", svc.base_url))
        .header("x-internal-token", TOKEN)
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .expect("send");
    assert_eq!(oversized.status(), 413);

    let unknown = svc
        .http
        .get(format!("{}/nope", svc.base_url))
        .send()
        .await
        .expect("send");
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = unknown.json().await.expect("json");
    assert_eq!(body["kind"], "not_found");

    let bad_id = svc
        .http
        .get(format!("{}/v1/users/abc", svc.base_url))
        .header("x-internal-token", TOKEN)
        .send()
        .await
        .expect("send");
    assert_eq!(bad_id.status(), 400);

    svc.user("still-serving").await;
}

async fn users_change_only_what_is_given_and_keep_their_own_email(svc: TestService) {
    let jake = svc.user("jake").await;
    svc.user("anna").await;
    let changes = db_client::UserChanges {
        email: Some(jake.email.clone()),
        bio: Some("I like to skateboard".into()),
        ..Default::default()
    };
    let updated = svc
        .client
        .update_user(jake.id, &changes)
        .await
        .expect("update");
    assert_eq!(
        updated.email, jake.email,
        "own e-mail is no conflict (NOTES.md #14)"
    );
    assert_eq!(updated.bio.as_deref(), Some("I like to skateboard"));
    assert_eq!(updated.username, "jake");

    let cleared = db_client::UserChanges {
        bio: Some(String::new()),
        ..Default::default()
    };
    assert_eq!(
        svc.client
            .update_user(jake.id, &cleared)
            .await
            .expect("clear")
            .bio,
        None
    );

    let taken = db_client::UserChanges {
        username: Some("anna".into()),
        ..Default::default()
    };
    let result = svc.client.update_user(jake.id, &taken).await;
    assert!(
        matches!(result, Err(DbError::Conflict { ref field }) if field == "username"),
        "{result:?}"
    );
}

async fn following_shows_in_profiles_and_oneself_cannot_be_followed(svc: TestService) {
    let jake = svc.user("jake").await;
    let anna = svc.user("anna").await;

    let followed = svc.client.follow("anna", jake.id).await.expect("follow");
    assert!(followed.following);
    let again = svc
        .client
        .follow("anna", jake.id)
        .await
        .expect("follow twice");
    assert!(again.following, "following is idempotent");
    let seen = svc
        .client
        .find_profile(
            "anna",
            ViewerQuery {
                viewer: Some(jake.id),
            },
        )
        .await
        .expect("profile");
    assert!(seen.following);
    let anonymous = svc
        .client
        .find_profile("anna", ViewerQuery::default())
        .await
        .expect("profile");
    assert!(!anonymous.following);

    let unfollowed = svc
        .client
        .unfollow("anna", jake.id)
        .await
        .expect("unfollow");
    assert!(!unfollowed.following);

    let own = svc.client.follow("jake", jake.id).await;
    assert!(matches!(own, Err(DbError::Forbidden { .. })), "{own:?}");
    let nobody = svc.client.follow("nobody", anna.id).await;
    assert!(
        matches!(nobody, Err(DbError::NotFound { ref entity }) if entity == "profile"),
        "{nobody:?}"
    );
}

async fn only_the_author_edits_and_a_new_title_brings_a_new_slug(svc: TestService) {
    let jake = svc.user("jake").await;
    let anna = svc.user("anna").await;
    svc.article(jake.id, "Old title", &["a", "b"]).await;
    svc.article(jake.id, "New title", &[]).await;

    let by_anna = db_client::ArticleChanges {
        editor: anna.id,
        title: None,
        slug: None,
        description: Some("hijacked".into()),
        body: None,
        tags: None,
    };
    let refused = svc.client.update_article("old-title", &by_anna).await;
    assert!(
        matches!(refused, Err(DbError::Forbidden { ref entity }) if entity == "article"),
        "{refused:?}"
    );

    let by_jake = db_client::ArticleChanges {
        editor: jake.id,
        title: Some("New title".into()),
        slug: Some("new-title".into()),
        description: None,
        body: Some("rewritten".into()),
        tags: Some(vec!["c".into()]),
    };
    let edited = svc
        .client
        .update_article("old-title", &by_jake)
        .await
        .expect("edit");
    assert_eq!(edited.slug, "new-title-2", "the new slug is unique too");
    assert_eq!(
        (edited.title.as_str(), edited.body.as_deref()),
        ("New title", Some("rewritten"))
    );
    assert_eq!(edited.description, "about it", "untouched fields stay");
    assert_eq!(edited.tags, vec!["c"]);
    assert!(edited.updated_at > edited.created_at);
    let gone = svc
        .client
        .find_article_by_slug("old-title", ViewerQuery::default())
        .await;
    assert!(matches!(gone, Err(DbError::NotFound { .. })));
    assert_eq!(
        svc.client.list_tags().await.expect("tags"),
        vec!["c"],
        "unused tags disappear"
    );
}

async fn deleting_an_article_takes_its_comments_favorites_and_tags_along(svc: TestService) {
    let jake = svc.user("jake").await;
    let anna = svc.user("anna").await;
    svc.article(jake.id, "Doomed", &["gone"]).await;
    svc.client
        .favorite("doomed", anna.id)
        .await
        .expect("favorite");
    svc.client
        .create_comment(
            "doomed",
            &NewComment {
                author: anna.id,
                body: "nice".into(),
            },
        )
        .await
        .expect("comment");

    let refused = svc.client.delete_article("doomed", anna.id).await;
    assert!(
        matches!(refused, Err(DbError::Forbidden { .. })),
        "{refused:?}"
    );
    svc.client
        .delete_article("doomed", jake.id)
        .await
        .expect("delete");

    let gone = svc
        .client
        .find_article_by_slug("doomed", ViewerQuery::default())
        .await;
    assert!(matches!(gone, Err(DbError::NotFound { .. })));
    assert!(svc.client.list_tags().await.expect("tags").is_empty());
    let all = svc
        .client
        .list_articles(&ArticleFilter::default())
        .await
        .expect("list");
    assert_eq!(all.total, 0);
    let missing = svc.client.delete_article("doomed", jake.id).await;
    assert!(matches!(missing, Err(DbError::NotFound { .. })));
}

async fn favorites_count_per_article_and_filter_lists(svc: TestService) {
    let jake = svc.user("jake").await;
    let anna = svc.user("anna").await;
    svc.article(jake.id, "Liked", &[]).await;
    svc.article(jake.id, "Ignored", &[]).await;

    let liked = svc
        .client
        .favorite("liked", anna.id)
        .await
        .expect("favorite");
    assert!(liked.favorited);
    assert_eq!(liked.favorites_count, 1);
    let twice = svc
        .client
        .favorite("liked", anna.id)
        .await
        .expect("favorite again");
    assert_eq!(twice.favorites_count, 1, "favoriting is idempotent");
    let by_jake = svc
        .client
        .favorite("liked", jake.id)
        .await
        .expect("favorite");
    assert_eq!(by_jake.favorites_count, 2);

    let filter = ArticleFilter {
        favorited: Some("anna".into()),
        viewer: Some(anna.id),
        ..ArticleFilter::default()
    };
    let page = svc
        .client
        .list_articles(&filter)
        .await
        .expect("favorited list");
    assert_eq!(page.total, 1);
    assert_eq!(
        (page.articles[0].slug.as_str(), page.articles[0].favorited),
        ("liked", true)
    );

    let unliked = svc
        .client
        .unfavorite("liked", anna.id)
        .await
        .expect("unfavorite");
    assert!(!unliked.favorited);
    assert_eq!(unliked.favorites_count, 1);
    let missing = svc.client.favorite("nope", anna.id).await;
    assert!(matches!(missing, Err(DbError::NotFound { ref entity }) if entity == "article"));
}

async fn comments_list_oldest_first_and_only_their_author_deletes_them(svc: TestService) {
    let jake = svc.user("jake").await;
    let anna = svc.user("anna").await;
    svc.article(jake.id, "Talked about", &[]).await;
    let first = svc
        .client
        .create_comment(
            "talked-about",
            &NewComment {
                author: anna.id,
                body: "first".into(),
            },
        )
        .await
        .expect("comment");
    svc.client
        .create_comment(
            "talked-about",
            &NewComment {
                author: jake.id,
                body: "second".into(),
            },
        )
        .await
        .expect("comment");
    assert_eq!(first.author.username, "anna");

    let comments = svc
        .client
        .list_comments("talked-about", ViewerQuery::default())
        .await
        .expect("comments");
    let bodies: Vec<_> = comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(bodies, ["first", "second"]);

    let refused = svc
        .client
        .delete_comment("talked-about", first.id, jake.id)
        .await;
    assert!(
        matches!(refused, Err(DbError::Forbidden { ref entity }) if entity == "comment"),
        "{refused:?}"
    );
    svc.client
        .delete_comment("talked-about", first.id, anna.id)
        .await
        .expect("delete");
    let left = svc
        .client
        .list_comments("talked-about", ViewerQuery::default())
        .await
        .expect("comments");
    assert_eq!(left.len(), 1);
    let wrong_article = svc
        .client
        .list_comments("nope", ViewerQuery::default())
        .await;
    assert!(matches!(wrong_article, Err(DbError::NotFound { .. })));
}

async fn tags_are_listed_most_used_first(svc: TestService) {
    let jake = svc.user("jake").await;
    svc.article(jake.id, "One", &["rare", "common"]).await;
    svc.article(jake.id, "Two", &["common"]).await;
    svc.article(jake.id, "Three", &["common", "medium"]).await;
    svc.article(jake.id, "Four", &["medium"]).await;
    assert_eq!(
        svc.client.list_tags().await.expect("tags"),
        vec!["common", "medium", "rare"]
    );
    let tagged = ArticleFilter {
        tag: Some("medium".into()),
        ..ArticleFilter::default()
    };
    assert_eq!(
        svc.client.list_articles(&tagged).await.expect("list").total,
        2
    );
}

async fn the_feed_holds_only_followed_authors_newest_first(svc: TestService) {
    let jake = svc.user("jake").await;
    let anna = svc.user("anna").await;
    let bob = svc.user("bob").await;
    svc.article(anna.id, "Anna 1", &[]).await;
    svc.article(bob.id, "Bob 1", &[]).await;
    svc.article(anna.id, "Anna 2", &[]).await;

    let feed = ArticleFilter {
        followed_by: Some(jake.id),
        viewer: Some(jake.id),
        ..ArticleFilter::default()
    };
    assert_eq!(
        svc.client
            .list_articles(&feed)
            .await
            .expect("empty feed")
            .total,
        0
    );

    svc.client.follow("anna", jake.id).await.expect("follow");
    let page = svc.client.list_articles(&feed).await.expect("feed");
    let titles: Vec<_> = page.articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["Anna 2", "Anna 1"]);
    assert_eq!(page.total, 2);
    assert!(page.articles.iter().all(|a| a.author.following));
}

async fn anonymous_reads_never_show_data_older_than_an_acknowledged_write(svc: TestService) {
    let jake = svc.user("jake").await;
    let anna = svc.user("anna").await;
    svc.article(jake.id, "Cached", &["one"]).await;
    let anonymous = ViewerQuery::default();
    let everything = ArticleFilter::default();
    // Warm every anonymous read.
    assert_eq!(
        svc.client
            .list_articles(&everything)
            .await
            .expect("list")
            .total,
        1
    );
    assert_eq!(
        svc.client
            .find_article_by_slug("cached", anonymous)
            .await
            .expect("get")
            .favorites_count,
        0
    );
    assert_eq!(svc.client.list_tags().await.expect("tags"), vec!["one"]);

    svc.client
        .favorite("cached", anna.id)
        .await
        .expect("favorite");
    assert_eq!(
        svc.client
            .find_article_by_slug("cached", anonymous)
            .await
            .expect("get")
            .favorites_count,
        1
    );
    assert_eq!(
        svc.client
            .list_articles(&everything)
            .await
            .expect("list")
            .articles[0]
            .favorites_count,
        1
    );

    let bio = db_client::UserChanges {
        bio: Some("new bio".into()),
        ..Default::default()
    };
    svc.client
        .update_user(jake.id, &bio)
        .await
        .expect("update user");
    let seen = svc
        .client
        .find_article_by_slug("cached", anonymous)
        .await
        .expect("get");
    assert_eq!(seen.author.bio.as_deref(), Some("new bio"));

    let retitle = db_client::ArticleChanges {
        editor: jake.id,
        title: Some("Renamed".into()),
        slug: Some("renamed".into()),
        description: None,
        body: None,
        tags: Some(vec!["two".into()]),
    };
    svc.client
        .update_article("cached", &retitle)
        .await
        .expect("edit");
    assert_eq!(
        svc.client
            .list_articles(&everything)
            .await
            .expect("list")
            .articles[0]
            .title,
        "Renamed"
    );
    assert_eq!(svc.client.list_tags().await.expect("tags"), vec!["two"]);
    assert!(matches!(
        svc.client.find_article_by_slug("cached", anonymous).await,
        Err(DbError::NotFound { .. })
    ));

    svc.article(anna.id, "Second", &[]).await;
    assert_eq!(
        svc.client
            .list_articles(&everything)
            .await
            .expect("list")
            .total,
        2
    );
    svc.client
        .delete_article("renamed", jake.id)
        .await
        .expect("delete");
    assert!(matches!(
        svc.client.find_article_by_slug("renamed", anonymous).await,
        Err(DbError::NotFound { .. })
    ));
    assert_eq!(
        svc.client
            .list_articles(&everything)
            .await
            .expect("list")
            .total,
        1
    );
}

/// Concurrent creates are group-committed (store/sqlite/article_batch.rs): each caller must get its own article back,
/// same titles must still get distinct slugs within one batch, and every acknowledged article must be listed.
async fn concurrent_creates_each_get_their_own_article_and_all_are_stored(svc: TestService) {
    let jake = svc.user("jake").await;
    let creates = (0..48).map(|i| {
        let client = svc.client.clone();
        tokio::spawn(async move {
            // Half share one title, so slugs collide inside a batch.
            let title = if i % 2 == 0 {
                "Same".to_owned()
            } else {
                format!("Own {i}")
            };
            let created = client
                .create_article(&NewArticle {
                    author: jake.id,
                    slug: title.to_lowercase().replace(' ', "-"),
                    title,
                    description: format!("#{i}"),
                    body: "b".into(),
                    // Unsorted, with a duplicate: the answer must show them as a later read does.
                    tags: vec![format!("t{i}"), "batch".into(), "batch".into()],
                })
                .await
                .expect("create");
            (i, created)
        })
    });
    let mut slugs = std::collections::HashSet::new();
    for create in creates {
        let (i, created) = create.await.expect("task");
        assert_eq!(
            created.description,
            format!("#{i}"),
            "a caller got another's article"
        );
        assert_eq!(created.tags, vec!["batch".to_owned(), format!("t{i}")]);
        assert!(
            slugs.insert(created.slug.clone()),
            "duplicate slug {}",
            created.slug
        );
        let read = svc
            .client
            .find_article_by_slug(&created.slug, ViewerQuery::default())
            .await
            .expect("stored");
        assert_eq!(read, created);
    }
    let all = svc
        .client
        .list_articles(&ArticleFilter {
            tag: Some("batch".into()),
            ..ArticleFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(all.total, 48);
}

/// Every test above, once per backend: the same suite holds SQLite and MySQL to the same answers.
macro_rules! on_every_backend {
    ($module:ident = $backend:ident: $($test:ident),* ; multi_thread: $($mt_test:ident),*) => {
        mod $module {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::spawn_service(super::Backend::$backend).await).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $mt_test() {
                    super::$mt_test(super::spawn_service(super::Backend::$backend).await).await;
                }
            )*
        }
    };
}

on_every_backend!(sqlite = Sqlite:
    calls_without_the_internal_token_are_refused_but_health_is_open,
    a_taken_username_or_email_is_a_typed_conflict_naming_the_field,
    users_are_found_by_id_and_by_email_case_insensitively,
    articles_get_unique_slugs_sorted_tags_and_millisecond_timestamps,
    text_keeps_every_character_tags_keep_their_case_and_times_are_utc,
    articles_of_an_unknown_author_are_refused,
    lists_are_newest_first_filtered_paginated_bodiless_and_counted_in_full,
    bad_requests_get_json_errors_and_the_service_keeps_serving,
    users_change_only_what_is_given_and_keep_their_own_email,
    following_shows_in_profiles_and_oneself_cannot_be_followed,
    only_the_author_edits_and_a_new_title_brings_a_new_slug,
    deleting_an_article_takes_its_comments_favorites_and_tags_along,
    favorites_count_per_article_and_filter_lists,
    comments_list_oldest_first_and_only_their_author_deletes_them,
    tags_are_listed_most_used_first,
    the_feed_holds_only_followed_authors_newest_first,
    anonymous_reads_never_show_data_older_than_an_acknowledged_write;
    multi_thread: concurrent_creates_each_get_their_own_article_and_all_are_stored
);
on_every_backend!(mysql = Mysql:
    calls_without_the_internal_token_are_refused_but_health_is_open,
    a_taken_username_or_email_is_a_typed_conflict_naming_the_field,
    users_are_found_by_id_and_by_email_case_insensitively,
    articles_get_unique_slugs_sorted_tags_and_millisecond_timestamps,
    text_keeps_every_character_tags_keep_their_case_and_times_are_utc,
    articles_of_an_unknown_author_are_refused,
    lists_are_newest_first_filtered_paginated_bodiless_and_counted_in_full,
    bad_requests_get_json_errors_and_the_service_keeps_serving,
    users_change_only_what_is_given_and_keep_their_own_email,
    following_shows_in_profiles_and_oneself_cannot_be_followed,
    only_the_author_edits_and_a_new_title_brings_a_new_slug,
    deleting_an_article_takes_its_comments_favorites_and_tags_along,
    favorites_count_per_article_and_filter_lists,
    comments_list_oldest_first_and_only_their_author_deletes_them,
    tags_are_listed_most_used_first,
    the_feed_holds_only_followed_authors_newest_first,
    anonymous_reads_never_show_data_older_than_an_acknowledged_write;
    multi_thread: concurrent_creates_each_get_their_own_article_and_all_are_stored
);

/// What only the MySQL backend has: a server shared by replicas, and a server that may be away or refuse us.
mod mysql_only {
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
            .follow("jake", anna.id)
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
            test_env("CONDUIT_TEST_MYSQL_TLS_URL"),
            test_env("CONDUIT_TEST_MYSQL_CA"),
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
}
