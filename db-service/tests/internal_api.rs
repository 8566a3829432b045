//! db-service's internal API, driven through the real client over a real socket.

use std::time::Duration;

use db_client::{
    ArticleFilter, DbClient, DbError, NewArticle, NewUser, UserId, UserRecord, ViewerQuery,
};
use db_service::config::{Config, LogFormat};

const TOKEN: &str = "test-internal-token-0123456789";

struct TestService {
    base_url: String,
    client: DbClient,
    http: reqwest::Client,
    _data_dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn spawn_service() -> TestService {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let config = Config {
        addr,
        data_dir: data_dir.path().to_owned(),
        internal_token: TOKEN.to_owned().into(),
        log_format: LogFormat::Text,
    };
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

#[tokio::test]
async fn calls_without_the_internal_token_are_refused_but_health_is_open() {
    let svc = spawn_service().await;
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

#[tokio::test]
async fn a_taken_username_or_email_is_a_typed_conflict_naming_the_field() {
    let svc = spawn_service().await;
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

#[tokio::test]
async fn users_are_found_by_id_and_by_email_case_insensitively() {
    let svc = spawn_service().await;
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

#[tokio::test]
async fn articles_get_unique_slugs_sorted_tags_and_millisecond_timestamps() {
    let svc = spawn_service().await;
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

#[tokio::test]
async fn articles_of_an_unknown_author_are_refused() {
    let svc = spawn_service().await;
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

#[tokio::test]
async fn lists_are_newest_first_filtered_paginated_bodiless_and_counted_in_full() {
    let svc = spawn_service().await;
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

#[tokio::test]
async fn bad_requests_get_json_errors_and_the_service_keeps_serving() {
    let svc = spawn_service().await;
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
