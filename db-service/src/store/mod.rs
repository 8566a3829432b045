//! The databases: one SQLite file per owning service, each with a single writer connection (so concurrent writes
//! queue instead of failing with "database is locked") and a pool of read-only connections.

mod article_list;
mod articles;
mod comments;
mod favorites;
mod tags;
mod users;

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};

static USERS_MIGRATIONS: Migrator = sqlx::migrate!("migrations/users");
static BLOG_MIGRATIONS: Migrator = sqlx::migrate!("migrations/blog");

/// Both databases. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    /// The user service's data: users, follows.
    users: Database,
    /// The blog service's data: articles, tags, favorites, comments.
    blog: Database,
}

/// One SQLite file: a one-connection writer pool and a read-only reader pool.
#[derive(Debug, Clone)]
struct Database {
    write: SqlitePool,
    read: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) and migrates `users.db` and `blog.db` under `data_dir`.
    pub async fn open(data_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
        let users = Database::open(&data_dir.join("users.db"), &USERS_MIGRATIONS).await?;
        let blog = Database::open(&data_dir.join("blog.db"), &BLOG_MIGRATIONS).await?;
        Ok(Self { users, blog })
    }

    /// Answers a trivial query on every pool: the databases are open and usable.
    pub async fn ready(&self) -> Result<(), sqlx::Error> {
        for pool in [
            &self.users.read,
            &self.users.write,
            &self.blog.read,
            &self.blog.write,
        ] {
            sqlx::query("SELECT 1").execute(pool).await?;
        }
        Ok(())
    }

    /// Closes every connection, checkpointing the WAL.
    pub async fn close(&self) {
        for db in [&self.users, &self.blog] {
            db.read.close().await;
            db.write.close().await;
        }
    }
}

impl Database {
    async fn open(path: &Path, migrations: &Migrator) -> anyhow::Result<Self> {
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url)
            .with_context(|| format!("invalid database path {}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before we acknowledge it, so acknowledged writes survive power loss too.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .pragma("temp_store", "memory");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot open {}", path.display()))?;
        migrations
            .run(&write)
            .await
            .with_context(|| format!("cannot migrate {}", path.display()))?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.read_only(true))
            .await
            .with_context(|| format!("cannot open {} for reading", path.display()))?;
        Ok(Self { write, read })
    }
}

/// The column a unique-constraint violation names (`UNIQUE constraint failed: users.email` → `email`).
fn unique_violation_column(e: &sqlx::Error) -> Option<String> {
    let db = e.as_database_error()?;
    if !db.is_unique_violation() {
        return None;
    }
    db.message().rsplit('.').next().map(str::to_owned)
}

/// Encodes ids as a JSON array, bound as one parameter and expanded with `json_each` so that one prepared
/// statement serves any number of ids.
fn json_ids(ids: impl IntoIterator<Item = i64>) -> String {
    let ids: Vec<i64> = ids.into_iter().collect();
    serde_json::Value::from(ids).to_string()
}
