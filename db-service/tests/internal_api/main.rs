//! db-service's internal API, driven through the real client over a real socket, on both backends (one file
//! per aggregate; `on_every_backend!` runs each test on SQLite and on MySQL).

mod articles;
mod comments;
mod lists;
mod mysql_only;
mod search;
mod social;
mod users;

use std::time::Duration;

use conduit_testkit::{fresh_mysql_url, new_user};

use conduit_runtime::config::LogFormat;
use db_client::{
    ArticleFilter, ArticlePage, ArticleRecord, AuthorView, CommentPage, CommentRecord,
    CommentsQuery, DbClient, DbError, Entity, NewArticle, NewComment, NewUser, UserId, UserRecord,
    ViewerQuery,
};
use db_service::config::{
    Backend as StorageBackend, Config, Durability, ObjectStoreSettings, Storage,
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
        unix_socket: None,
        storage: Storage {
            backend,
            data_dir: data_dir.to_owned(),
            backup_dir: data_dir.join("backups"),
            backup_retention: 3,
            remote: None,
            object_store: ObjectStoreSettings::default(),
            synchronous: Durability::Full,
            sqlite_mmap_mib: 256,
        },
        backup_interval: None,
        max_concurrent_requests: 64,
        internal_token: TOKEN.to_owned().into(),
        log_format: LogFormat::Text,
    }
}

/// A fresh data folder, a listener on a free loopback port, and the configuration of a test db-service on
/// `backend` serving on it: what `db_service::run` takes.
async fn prepare(backend: StorageBackend) -> (tempfile::TempDir, tokio::net::TcpListener, Config) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let config = test_config(backend, data_dir.path(), addr);
    (data_dir, listener, config)
}

async fn spawn_on(backend: StorageBackend) -> TestService {
    let (data_dir, listener, config) = prepare(backend).await;
    let base_url = format!("http://{}", config.addr);
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(db_service::run(listener, config, async {
        let _ = stopped.await;
    }));
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
            .create_user(&new_user(name))
            .await
            .expect("create user")
    }

    /// One user per name, created in this order.
    async fn users<const N: usize>(&self, names: [&str; N]) -> [UserRecord; N] {
        let mut users = Vec::with_capacity(N);
        for name in names {
            users.push(self.user(name).await);
        }
        users.try_into().expect("one user per name")
    }

    /// An article by `author` with a slug from its title and a standard body.
    async fn article(&self, author: UserId, title: &str, tags: &[&str]) -> ArticleRecord {
        self.publish(author, title, "the body", tags).await
    }

    /// An article by `author` with a slug from its title and the given body.
    async fn publish(
        &self,
        author: UserId,
        title: &str,
        body: &str,
        tags: &[&str],
    ) -> ArticleRecord {
        self.client
            .create_article(&NewArticle {
                author,
                slug: title.to_lowercase().replace(' ', "-"),
                title: title.into(),
                description: "about it".into(),
                body: body.into(),
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            })
            .await
            .expect("create article")
    }

    /// The article with this slug, as an anonymous reader sees it.
    async fn read(&self, slug: &str) -> Result<ArticleRecord, DbError> {
        self.read_as(slug, None).await
    }

    /// The article with this slug, as `viewer` sees it.
    async fn read_as(&self, slug: &str, viewer: Option<UserId>) -> Result<ArticleRecord, DbError> {
        let query = ViewerQuery { viewer };
        self.client.find_article_by_slug(slug, query).await
    }

    /// The page of articles `filter` selects.
    async fn list(&self, filter: &ArticleFilter) -> ArticlePage {
        self.client
            .list_articles(filter)
            .await
            .expect("list articles")
    }

    /// The profile of `username` as `viewer` sees it.
    async fn profile(&self, username: &str, viewer: Option<UserId>) -> AuthorView {
        self.client
            .find_profile(username, ViewerQuery { viewer })
            .await
            .expect("profile")
    }

    /// Makes `user` favorite the article with this slug (`on`) or not: the article as `user` sees it then.
    async fn set_favorite(&self, slug: &str, user: UserId, on: bool) -> ArticleRecord {
        self.client
            .set_favorite(slug, user, on)
            .await
            .expect("set favorite")
    }

    /// Makes `follower` follow `username` (`on`) or not: the profile as `follower` sees it then.
    async fn set_follow(&self, username: &str, follower: UserId, on: bool) -> AuthorView {
        self.client
            .set_follow(username, follower, on)
            .await
            .expect("set follow")
    }

    /// A comment by `author` on the article with this slug.
    async fn comment(&self, slug: &str, author: UserId, body: &str) -> CommentRecord {
        let comment = NewComment {
            author,
            body: body.into(),
        };
        self.client
            .create_comment(slug, &comment)
            .await
            .expect("create comment")
    }

    /// The first page of comments on the article with this slug, as an anonymous reader sees them.
    async fn comments(&self, slug: &str) -> Result<CommentPage, DbError> {
        self.client
            .list_comments(slug, CommentsQuery::default())
            .await
    }

    /// A request for `path` over plain HTTP, for what the typed client never sends; no internal token unless
    /// the caller adds one.
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base_url))
    }
}

/// The titles on a page of articles, in order.
fn titles_of(page: &ArticlePage) -> Vec<&str> {
    page.articles.iter().map(|a| a.title.as_str()).collect()
}

/// Sends `request`: the status of the answer and its JSON body (`null` when it has none).
async fn send(request: reqwest::RequestBuilder) -> (reqwest::StatusCode, serde_json::Value) {
    let response = request.send().await.expect("send");
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

/// Defines each test once and runs it on every backend, as `<test>::sqlite` and `<test>::mysql`: the same suite
/// holds SQLite and MySQL to the same answers.
macro_rules! on_every_backend {
    ($(
        $(#[$attr:meta])*
        async fn $test:ident($svc:ident: TestService) $body:block
    )*) => {
        $(
            $(#[$attr])*
            mod $test {
                #[allow(unused_imports)]
                use super::*;

                async fn run($svc: TestService) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run(spawn_service(Backend::Sqlite).await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn mysql() {
                    run(spawn_service(Backend::Mysql).await).await;
                }
            }
        )*
    };
}
pub(crate) use on_every_backend;
