//! The data, behind one interface whichever server holds it: SQLite files owned by this process (the default),
//! or a MySQL/MariaDB server shared by several replicas. Every query is written once ([`SqlStore`], generic over
//! the backend) with the few fragments where the two differ named by [`sql::Dialect`]; `sqlite/` and `mysql/`
//! hold only what truly differs — opening the databases, and on SQLite the read cache and group commit that only
//! a database's sole writer can have.

mod article_list;
mod articles;
mod backend;
mod comments;
mod favorites;
mod mysql;
mod rows;
mod search;
mod sitemap;
mod sql;
mod sqlite;
mod tags;
mod transfer;
mod users;

use std::{path::Path, sync::Arc};

use db_client::{
    ArticleChanges, ArticleFilter, ArticleRecord, AuthorView, CommentPage, CommentRecord,
    NewArticle, NewComment, NewUser, SitemapKind, SitemapPage, UserChanges, UserId, UserRecord,
};
use sqlx::{MySql, Sqlite, SqlitePool};

pub use sqlite::{open_snapshot_sources, DataDirLock};
pub use transfer::Counts;

use crate::{
    config::{Backend as BackendChoice, Storage},
    error::ServiceError,
};
use backend::{Backend, Pools};
use sqlite::{article_batch::ArticleInserter, cache::ReadCache, SoleWriter};

/// The open databases. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqlStore<Sqlite>),
    Mysql(SqlStore<MySql>),
}

/// Both databases on one backend. Cheap to clone: pools are reference-counted.
#[derive(Debug)]
pub struct SqlStore<B: Backend> {
    /// The user service's data: users, follows.
    users: Pools<B>,
    /// The blog service's data: articles, tags, favorites, comments.
    blog: Pools<B>,
    /// What only the databases' sole writer can do (SQLite); `None` where replicas share them (MySQL).
    sole_writer: Option<SoleWriter>,
}

impl<B: Backend> Clone for SqlStore<B> {
    fn clone(&self) -> Self {
        Self {
            users: self.users.clone(),
            blog: self.blog.clone(),
            sole_writer: self.sole_writer.clone(),
        }
    }
}

/// Calls the same method on whichever backend is open.
macro_rules! on_backend {
    ($self:ident.$method:ident($($arg:expr),*)) => {
        match $self {
            Store::Sqlite(store) => store.$method($($arg),*).await,
            Store::Mysql(store) => store.$method($($arg),*).await,
        }
    };
}

impl Store {
    /// Opens (creating and migrating if needed) the databases `storage` names.
    pub async fn open(storage: &Storage) -> anyhow::Result<Self> {
        Ok(match &storage.backend {
            BackendChoice::Sqlite => {
                Self::Sqlite(sqlite::open(&storage.data_dir, storage.synchronous).await?)
            }
            BackendChoice::Mysql {
                url,
                max_connections,
                connect_patience,
            } => Self::Mysql(mysql::open(url, *max_connections, *connect_patience).await?),
        })
    }

    /// Every database's file name with a read-only pool on it, for backups; `None` on MySQL, whose server is
    /// backed up by its operator.
    pub fn snapshot_sources(&self) -> Option<Vec<(&'static str, SqlitePool)>> {
        match self {
            Store::Sqlite(store) => Some(store.snapshot_sources()),
            Store::Mysql(_) => None,
        }
    }

    /// Connection counts per database and pool, as (database, pool, open, idle), for metrics.
    pub fn pool_usage(&self) -> Vec<(&'static str, &'static str, u32, usize)> {
        match self {
            Store::Sqlite(store) => store.pool_usage(),
            Store::Mysql(store) => store.pool_usage(),
        }
    }

    /// Answers a trivial query on every pool: the databases are open and usable.
    pub async fn ready(&self) -> Result<(), sqlx::Error> {
        on_backend!(self.ready())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on_backend!(self.close());
    }

    pub async fn insert_user(&self, new: &NewUser) -> Result<UserRecord, ServiceError> {
        on_backend!(self.insert_user(new))
    }

    pub async fn update_user(
        &self,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<UserRecord, ServiceError> {
        on_backend!(self.update_user(id, changes))
    }

    pub async fn find_user_by_id(&self, id: UserId) -> Result<UserRecord, ServiceError> {
        on_backend!(self.find_user_by_id(id))
    }

    pub async fn find_user_by_email(&self, email: &str) -> Result<UserRecord, ServiceError> {
        on_backend!(self.find_user_by_email(email))
    }

    pub async fn find_profile(
        &self,
        username: &str,
        viewer: Option<UserId>,
    ) -> Result<AuthorView, ServiceError> {
        on_backend!(self.find_profile(username, viewer))
    }

    pub async fn set_follow(
        &self,
        username: &str,
        follower: UserId,
        follow: bool,
    ) -> Result<AuthorView, ServiceError> {
        on_backend!(self.set_follow(username, follower, follow))
    }

    pub async fn insert_article(&self, new: NewArticle) -> Result<ArticleRecord, ServiceError> {
        on_backend!(self.insert_article(new))
    }

    pub async fn find_article_by_slug(
        &self,
        slug: &str,
        viewer: Option<UserId>,
    ) -> Result<Arc<ArticleRecord>, ServiceError> {
        on_backend!(self.find_article_by_slug(slug, viewer))
    }

    pub async fn update_article(
        &self,
        slug: &str,
        changes: &ArticleChanges,
    ) -> Result<ArticleRecord, ServiceError> {
        on_backend!(self.update_article(slug, changes))
    }

    pub async fn delete_article(&self, slug: &str, by: UserId) -> Result<(), ServiceError> {
        on_backend!(self.delete_article(slug, by))
    }

    pub async fn list_articles(
        &self,
        filter: &ArticleFilter,
    ) -> Result<bytes::Bytes, ServiceError> {
        on_backend!(self.list_articles(filter))
    }

    pub async fn set_favorite(
        &self,
        slug: &str,
        user: UserId,
        favorite: bool,
    ) -> Result<ArticleRecord, ServiceError> {
        on_backend!(self.set_favorite(slug, user, favorite))
    }

    pub async fn list_comments(
        &self,
        slug: &str,
        viewer: Option<UserId>,
        limit: u32,
        offset: u64,
    ) -> Result<CommentPage, ServiceError> {
        on_backend!(self.list_comments(slug, viewer, limit, offset))
    }

    pub async fn insert_comment(
        &self,
        slug: &str,
        new: &NewComment,
    ) -> Result<CommentRecord, ServiceError> {
        on_backend!(self.insert_comment(slug, new))
    }

    pub async fn delete_comment(
        &self,
        slug: &str,
        id: i64,
        by: UserId,
    ) -> Result<(), ServiceError> {
        on_backend!(self.delete_comment(slug, id, by))
    }

    pub async fn list_tags(&self) -> Result<Arc<Vec<String>>, ServiceError> {
        on_backend!(self.list_tags())
    }

    pub async fn sitemap(&self, kind: SitemapKind, page: u32) -> Result<SitemapPage, ServiceError> {
        on_backend!(self.sitemap(kind, page))
    }
}

impl<B: Backend> SqlStore<B> {
    /// The read cache, where this process is the sole writer.
    fn cache(&self) -> Option<&ReadCache> {
        self.sole_writer.as_ref().map(|w| &*w.cache)
    }

    /// The group-committing writer of new articles, where this process is the sole writer.
    fn article_inserter(&self) -> Option<&ArticleInserter> {
        self.sole_writer.as_ref().map(|w| &w.article_inserter)
    }

    /// Call after a write committed and before it is acknowledged: cached reads are stale from now on.
    fn wrote(&self) {
        if let Some(cache) = self.cache() {
            cache.invalidate();
        }
    }

    /// Every pool of both databases, named (database, pool); on MySQL a database's one pool is named `shared`.
    fn named_pools(&self) -> Vec<(&'static str, &'static str, &sqlx::Pool<B>)> {
        let mut pools = Vec::with_capacity(4);
        for (name, db) in [("users", &self.users), ("blog", &self.blog)] {
            if self.sole_writer.is_some() {
                pools.push((name, "read", &db.read));
                pools.push((name, "write", &db.write));
            } else {
                pools.push((name, "shared", &db.write));
            }
        }
        pools
    }

    /// Connection counts per database and pool, as (database, pool, open, idle), for metrics.
    pub fn pool_usage(&self) -> Vec<(&'static str, &'static str, u32, usize)> {
        self.named_pools()
            .into_iter()
            .map(|(db, name, pool)| (db, name, pool.size(), pool.num_idle()))
            .collect()
    }

    /// Answers a trivial query on every pool.
    pub async fn ready(&self) -> Result<(), sqlx::Error> {
        let select_one = sql::SqlQuery::from("SELECT 1");
        for (_, _, pool) in self.named_pools() {
            backend::Conn::execute(&mut *pool.acquire().await?, &select_one).await?;
        }
        Ok(())
    }

    /// Closes every connection (on SQLite, checkpointing the WAL).
    pub async fn close(&self) {
        for (_, _, pool) in self.named_pools() {
            pool.close().await;
        }
    }
}

/// Writes all of Conduit's data in the databases `storage` names to `path` (see [`transfer`]). SQLite files
/// are read without taking the data dir's lock, so a serving db-service keeps running.
pub async fn export(storage: &Storage, path: &Path) -> anyhow::Result<Counts> {
    match &storage.backend {
        BackendChoice::Sqlite => {
            let sources = open_snapshot_sources(&storage.data_dir).await?;
            let [(_, users), (_, blog)] = <[_; 2]>::try_from(sources)
                .map_err(|_| anyhow::anyhow!("expected the users and blog databases"))?;
            let counts = transfer::export(&users, &blog, path).await;
            users.close().await;
            blog.close().await;
            counts
        }
        BackendChoice::Mysql { .. } => {
            let store = Store::open(storage).await?;
            let counts = match &store {
                Store::Mysql(mysql) => {
                    transfer::export(&mysql.users.read, &mysql.blog.read, path).await
                }
                Store::Sqlite(_) => Err(anyhow::anyhow!("a MySQL URL opened another backend")),
            };
            store.close().await;
            counts
        }
    }
}

/// Loads the export at `path` into the (empty) databases `storage` names, creating them if needed; refuses an
/// incomplete file or a target holding data. Needs the data dir to itself on SQLite (db-service stopped).
pub async fn import(storage: &Storage, path: &Path) -> anyhow::Result<Counts> {
    let expected = transfer::check_file(path)?;
    let store = Store::open(storage).await?;
    let imported = match &store {
        Store::Sqlite(s) => transfer::import(&s.users.write, &s.blog.write, path, &expected).await,
        Store::Mysql(s) => transfer::import(&s.users.write, &s.blog.write, path, &expected).await,
    };
    store.close().await;
    imported.map(|()| expected)
}
