//! The data, behind one interface whichever server holds it: SQLite files owned by this process (the default),
//! or a MySQL/MariaDB server shared by several replicas. Both answer every call with the same records, errors,
//! ordering and timestamps; the SQL they share is in [`sql`], the rows they read in [`rows`].

mod mysql;
mod rows;
mod shared;
mod sql;
mod sqlite;
mod transfer;

use std::{path::Path, sync::Arc};

use db_client::{
    ArticleChanges, ArticleFilter, ArticlePage, ArticleRecord, AuthorView, CommentRecord,
    NewArticle, NewComment, NewUser, UserChanges, UserId, UserRecord,
};
use sqlx::SqlitePool;

pub use sqlite::{open_snapshot_sources, DataDirLock};
pub use transfer::Counts;

use crate::{
    config::{Backend, Storage},
    error::ServiceError,
};
use sql::Dialect;

/// The open databases. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Mysql(mysql::MysqlStore),
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
            Backend::Sqlite => Self::Sqlite(
                sqlite::SqliteStore::open(&storage.data_dir, storage.synchronous).await?,
            ),
            Backend::Mysql {
                url,
                max_connections,
                connect_patience,
            } => Self::Mysql(
                mysql::MysqlStore::open(url, *max_connections, *connect_patience).await?,
            ),
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

    pub async fn insert_follow(
        &self,
        username: &str,
        follower: UserId,
    ) -> Result<AuthorView, ServiceError> {
        match self {
            Store::Sqlite(store) => shared::set_follow(store, username, follower, true).await,
            Store::Mysql(store) => shared::set_follow(store, username, follower, true).await,
        }
    }

    pub async fn delete_follow(
        &self,
        username: &str,
        follower: UserId,
    ) -> Result<AuthorView, ServiceError> {
        match self {
            Store::Sqlite(store) => shared::set_follow(store, username, follower, false).await,
            Store::Mysql(store) => shared::set_follow(store, username, follower, false).await,
        }
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
    ) -> Result<Arc<ArticlePage>, ServiceError> {
        on_backend!(self.list_articles(filter))
    }

    pub async fn insert_favorite(
        &self,
        slug: &str,
        user: UserId,
    ) -> Result<ArticleRecord, ServiceError> {
        on_backend!(self.insert_favorite(slug, user))
    }

    pub async fn delete_favorite(
        &self,
        slug: &str,
        user: UserId,
    ) -> Result<ArticleRecord, ServiceError> {
        on_backend!(self.delete_favorite(slug, user))
    }

    pub async fn list_comments(
        &self,
        slug: &str,
        viewer: Option<UserId>,
    ) -> Result<Vec<CommentRecord>, ServiceError> {
        on_backend!(self.list_comments(slug, viewer))
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
}

/// Writes all of Conduit's data in the databases `storage` names to `path` (see [`transfer`]). SQLite files
/// are read without taking the data dir's lock, so a serving db-service keeps running.
pub async fn export(storage: &Storage, path: &Path) -> anyhow::Result<Counts> {
    match &storage.backend {
        Backend::Sqlite => {
            let sources = open_snapshot_sources(&storage.data_dir).await?;
            let [(_, users), (_, blog)] = <[_; 2]>::try_from(sources)
                .map_err(|_| anyhow::anyhow!("expected the users and blog databases"))?;
            let (users_ref, blog_ref) = (&users, &blog);
            let counts = transfer::into_file(path, |partial| async move {
                transfer::export(users_ref, blog_ref, Dialect::Sqlite, &partial).await
            })
            .await;
            users.close().await;
            blog.close().await;
            counts
        }
        Backend::Mysql { .. } => {
            let Store::Mysql(store) = Store::open(storage).await? else {
                anyhow::bail!("a MySQL URL opened another backend");
            };
            let (users, blog) = store.pools();
            let counts = transfer::into_file(path, |partial| async move {
                transfer::export(users, blog, Dialect::Mysql, &partial).await
            })
            .await;
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
        Store::Sqlite(sqlite) => {
            let (users, blog) = sqlite.write_pools();
            transfer::import(users, blog, Dialect::Sqlite, path, &expected).await
        }
        Store::Mysql(mysql) => {
            let (users, blog) = mysql.pools();
            transfer::import(users, blog, Dialect::Mysql, path, &expected).await
        }
    };
    store.close().await;
    imported.map(|()| expected)
}
