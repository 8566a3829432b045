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

use conduit_testkit::fresh_mysql_url;

use conduit_runtime::config::LogFormat;
use db_client::{
    ArticleFilter, CommentsQuery, DbClient, DbError, Entity, NewArticle, NewComment, NewUser,
    UserId, UserRecord, ViewerQuery,
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
