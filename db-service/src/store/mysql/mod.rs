//! The MySQL/MariaDB backend: the same data and answers as the SQLite one, for running several db-service
//! replicas against one central server. Users and blog data live in two databases, `<name>_users` and
//! `<name>_blog` (`<name>` from the URL's path, `conduit` by default), each with its own pool. Another replica may
//! write at any time, so nothing is group-committed, and a cached read is served only while the databases'
//! version (kept by triggers, see migrations `0003`/`0004` `data_version`) is the one it was read at; a search's
//! ranking while the articles' version (blog migration `0005`) is.

pub(super) mod article_batches;

use std::{str::FromStr, sync::Arc, time::Duration};

use anyhow::{bail, Context};
use backon::{ExponentialBuilder, Retryable};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{
    migrate::Migrator,
    mysql::{MySqlConnectOptions, MySqlPoolOptions},
    ConnectOptions, MySql, MySqlPool,
};

use super::{
    backend::{mysql_error_number, Pools},
    Freshness, SharedVersion, SqlStore, Writers,
};

static USERS_MIGRATIONS: Migrator = sqlx::migrate!("migrations/mysql/users");
static BLOG_MIGRATIONS: Migrator = sqlx::migrate!("migrations/mysql/blog");

/// The database name prefix when the URL names none.
const DEFAULT_NAME: &str = "conduit";

/// Connects to the server at `url` (retrying while it is unreachable), creates the two databases if they are
/// missing, and migrates them. Wrong credentials or a refused database fail at once, with the reason.
pub async fn open(
    url: &SecretString,
    max_connections: u32,
    patience: Duration,
) -> anyhow::Result<SqlStore<MySql>> {
    let options = MySqlConnectOptions::from_str(url.expose_secret())
        .context("DATABASE_URL is not a valid mysql:// URL")?;
    let name = options
        .get_database()
        .filter(|name| !name.is_empty())
        .unwrap_or(DEFAULT_NAME)
        .to_owned();
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("the database name in DATABASE_URL may hold only letters, digits and _: {name:?}");
    }
    // information_schema is readable by every account: a place to stand while creating our databases.
    let server = connect(options.clone().database("information_schema"), 1, patience).await?;
    let mut pools = Vec::with_capacity(2);
    for (suffix, migrations) in [("users", &USERS_MIGRATIONS), ("blog", &BLOG_MIGRATIONS)] {
        let database = format!("{name}_{suffix}");
        create_database_if_missing(&server, &database).await?;
        let pool = connect(
            options.clone().database(&database),
            max_connections,
            patience,
        )
        .await?;
        // Replicas starting together take turns: sqlx holds a server-side lock while migrating.
        migrations
            .run(&pool)
            .await
            .with_context(|| format!("cannot migrate database {database}"))?;
        pools.push(pool);
    }
    server.close().await;
    let (Some(blog), Some(users)) = (pools.pop(), pools.pop()) else {
        bail!("databases missing after opening");
    };
    tracing::info!(users = %format!("{name}_users"), blog = %format!("{name}_blog"), "using MySQL");
    let article_batches = article_batches::ArticleBatches::start(&blog, &users)
        .context("cannot start the writer of new articles")?;
    Ok(SqlStore {
        users: Pools::shared(users),
        blog: Pools::shared(blog),
        cache: Arc::default(),
        freshness: Arc::new(Freshness::Shared {
            data: SharedVersion::new(version_query(&name)),
            articles: SharedVersion::new(format!(
                "SELECT CAST(COALESCE(SUM(version), 0) AS SIGNED) FROM `{name}_blog`.articles_versions"
            )),
        }),
        search_turns: super::search::SearchTurns::default(),
        writers: Writers::Shared(article_batches),
    })
}

/// The statement reading the data's version: the sum of both databases' counters. (The name was checked to be
/// [A-Za-z0-9_]+, so quoting it is enough.)
fn version_query(name: &str) -> String {
    format!(
        "SELECT CAST((SELECT COALESCE(SUM(version), 0) FROM `{name}_users`.data_versions) \
         + (SELECT COALESCE(SUM(version), 0) FROM `{name}_blog`.data_versions) AS SIGNED)"
    )
}

/// A pool on `options`, retried with backoff for up to `patience` while the server cannot be reached (it may be
/// starting too); other errors (wrong password, no such database, no privilege) are final.
async fn connect(
    options: MySqlConnectOptions,
    max_connections: u32,
    patience: Duration,
) -> anyhow::Result<MySqlPool> {
    let target = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    );
    // One connection first, so that retries are ours (a pool retries refused connections until its acquire
    // timeout); each attempt is bounded, as a dropped SYN would otherwise wait for the kernel's timeout.
    let probe = || async {
        match tokio::time::timeout(ATTEMPT_TIMEOUT, options.connect()).await {
            Ok(connected) => connected.map(drop),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    };
    probe
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(5))
                .with_total_delay(Some(patience))
                .without_max_times(),
        )
        .when(is_transient)
        .notify(
            |e, wait| tracing::warn!(%target, error = %e, ?wait, "database unreachable, retrying"),
        )
        .await
        .map_err(|e| match e.as_database_error() {
            Some(db) if db.code().as_deref() == Some("28000") => {
                anyhow::anyhow!("MySQL refused the credentials in DATABASE_URL ({target}): {db}")
            }
            _ => anyhow::Error::new(e).context(format!("cannot connect to MySQL at {target}")),
        })?;
    MySqlPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(ATTEMPT_TIMEOUT)
        .connect_with(options)
        .await
        .with_context(|| format!("cannot connect to MySQL at {target}"))
}

/// The longest wait for one connection.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether connecting is worth another try: the server could not be reached, dropped the connection, or is
/// starting, stopping or full.
fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        // Not TLS failures (a certificate that does not verify will not start to), which rustls reports as
        // invalid data on the socket.
        sqlx::Error::Io(io) => io.kind() != std::io::ErrorKind::InvalidData,
        sqlx::Error::Tls(_) => false,
        sqlx::Error::PoolTimedOut => true,
        // Server shutting down, too many connections.
        sqlx::Error::Database(_) => matches!(mysql_error_number(e), Some(1053 | 1040)),
        _ => false,
    }
}

async fn create_database_if_missing(server: &MySqlPool, database: &str) -> anyhow::Result<()> {
    let exists: Option<String> = sqlx::query_scalar(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
    )
    .bind(database)
    .fetch_optional(server)
    .await?;
    if exists.is_none() {
        // The name was checked to be [A-Za-z0-9_]+, so quoting it is enough.
        sqlx::query(&format!(
            "CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .execute(server)
        .await
        .with_context(|| {
            format!("database {database} does not exist and cannot be created: create it, or grant CREATE")
        })?;
        tracing::info!(%database, "database created");
    }
    Ok(())
}
