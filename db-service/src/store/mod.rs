//! The data, behind one interface whichever server holds it: SQLite files owned by this process (the default),
//! or a MySQL/MariaDB server shared by several replicas. Every query is written once ([`SqlStore`], generic over
//! the backend) with the few fragments where the two differ named by [`sql::Dialect`]; `sqlite/` and `mysql/`
//! hold only what truly differs — opening the databases, how the data's version is known (which the read cache,
//! [`read_cache`], checks before answering), and on SQLite the group commit only a database's sole writer can
//! have.

mod article_list;
mod articles;
mod backend;
mod comments;
mod direct_readers;
mod favorites;
mod held_readers;
mod mysql;
mod read_cache;
mod rows;
mod search;
mod sitemap;
mod sql;
mod sqlite;
mod tags;
mod transfer;
mod users;
mod version_reads;
mod writer;

use std::{future::Future, path::Path, sync::Arc};

use db_client::{
    ArticleChanges, ArticleFilter, ArticleRecord, AuthorView, CommentPage, CommentRecord,
    NewArticle, NewComment, NewUser, SitemapKind, SitemapPage, UserChanges, UserId, UserRecord,
};
use sqlx::{MySql, Sqlite, SqlitePool};

pub use sqlite::{compact::Compacted, SnapshotSources};
pub use transfer::Counts;

use anyhow::Context;

use crate::{
    config::{Backend as BackendChoice, Storage},
    error::ServiceError,
    folder_lock::FilesLock,
};
use backend::{Backend, Pools};
use mysql::article_batches::ArticleBatches;
use read_cache::ReadCache;
use sql::SqlQuery;
use sqlite::{blog_writer::BlogWriter, SoleWriter};
use version_reads::VersionReads;

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
    /// Reads answered again while the data has not changed.
    cache: Arc<ReadCache>,
    /// How the data's version is known.
    freshness: Arc<Freshness>,
    /// Whose turn it is to rank a search.
    search_turns: search::SearchTurns,
    /// Who batches writes: the databases' sole writer (SQLite) or this replica's writer of new articles (MySQL).
    writers: Writers,
}

/// The writers that batch writes, on a thread of their own (store/writer.rs).
#[derive(Debug, Clone)]
enum Writers {
    /// This process is the databases' only writer (SQLite): blog.db's group commit, users.db's of follows, and
    /// the data dir's lock.
    Sole(SoleWriter),
    /// Replicas share the databases (MySQL): this one batches its new articles.
    Shared(ArticleBatches),
}

/// What a write may change of the cached reads. Every write makes the lists, articles and tags cached at the data's
/// version stale; some also make stale what is cached at finer versions.
#[derive(Debug, Clone, Copy)]
enum Change {
    /// An article's text or tags, or its deletion (with its favorites and comments): what searches rank, too.
    Article,
    /// A user's name, bio or image.
    Profile,
}

/// Marks `change` stale in `store`'s cache when dropped, unless `store` was taken.
struct MarksStale<B: Backend> {
    store: Option<SqlStore<B>>,
    change: Change,
}

impl<B: Backend> MarksStale<B> {
    /// Marks nothing after all.
    fn disarm(&mut self) {
        self.store = None;
    }
}

impl<B: Backend> Drop for MarksStale<B> {
    fn drop(&mut self) {
        if let Some(store) = &self.store {
            store.mark_stale(self.change);
        }
    }
}

/// How a store knows the version of its data, which moves with every write a cached read could show.
#[derive(Debug)]
enum Freshness {
    /// This process is the data's only writer: the cache's own counter, bumped after every write.
    Local,
    /// Replicas share the data: the sum of the counters the databases' triggers bump in every writing
    /// transaction, and of those they bump when an article's text or tags change or an article comes or goes.
    Shared {
        data: SharedVersion,
        articles: SharedVersion,
    },
}

/// A version the databases keep: read with `query` (one number), one read for all the requests that wait together.
#[derive(Debug)]
struct SharedVersion {
    query: String,
    reads: VersionReads,
}

impl SharedVersion {
    fn new(query: String) -> Self {
        Self {
            query,
            reads: VersionReads::default(),
        }
    }

    /// The version as of a read that started after this call (VersionReads::current).
    async fn current<B: Backend>(&self, blog: &Pools<B>) -> Result<u64, ServiceError> {
        self.reads
            .current(|| async {
                let (version,): (i64,) = blog
                    .fetch_optional_small(&SqlQuery::from(self.query.as_str()))
                    .await?
                    .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("no version")))?;
                u64::try_from(version).map_err(|e| ServiceError::Internal(e.into()))
            })
            .await
    }
}

impl<B: Backend> Clone for SqlStore<B> {
    fn clone(&self) -> Self {
        Self {
            users: self.users.clone(),
            blog: self.blog.clone(),
            cache: Arc::clone(&self.cache),
            freshness: Arc::clone(&self.freshness),
            search_turns: self.search_turns.clone(),
            writers: self.writers.clone(),
        }
    }
}

/// `Store`'s data methods, each forwarded to whichever backend is open; one line per method.
macro_rules! delegate_to_backend {
    ($($(#[$doc:meta])* pub async fn $method:ident(&self $(, $arg:ident: $ty:ty)*) -> $out:ty;)*) => {
        impl Store {
            $($(#[$doc])* pub async fn $method(&self $(, $arg: $ty)*) -> $out {
                match self {
                    Store::Sqlite(store) => store.$method($($arg),*).await,
                    Store::Mysql(store) => store.$method($($arg),*).await,
                }
            })*
        }
    };
}

delegate_to_backend! {
    /// Answers a trivial query on every pool: the databases are open and usable.
    pub async fn ready(&self) -> Result<(), ServiceError>;
    /// Closes every connection (on SQLite, checkpointing the WAL).
    pub async fn close(&self) -> ();
    pub async fn insert_user(&self, new: &NewUser) -> Result<UserRecord, ServiceError>;
    pub async fn update_user(&self, id: UserId, changes: &UserChanges) -> Result<UserRecord, ServiceError>;
    pub async fn find_user_by_id(&self, id: UserId) -> Result<UserRecord, ServiceError>;
    pub async fn find_user_by_email(&self, email: &str) -> Result<UserRecord, ServiceError>;
    pub async fn find_profile(&self, username: &str, viewer: Option<UserId>) -> Result<AuthorView, ServiceError>;
    pub async fn set_follow(&self, username: &str, follower: UserId, follow: bool) -> Result<AuthorView, ServiceError>;
    pub async fn insert_article(&self, new: NewArticle) -> Result<ArticleRecord, ServiceError>;
    pub async fn find_article_by_slug(&self, slug: &str, viewer: Option<UserId>) -> Result<Arc<ArticleRecord>, ServiceError>;
    pub async fn update_article(&self, slug: &str, changes: &ArticleChanges) -> Result<ArticleRecord, ServiceError>;
    pub async fn delete_article(&self, slug: &str, by: UserId) -> Result<(), ServiceError>;
    pub async fn list_articles(&self, filter: &ArticleFilter) -> Result<bytes::Bytes, ServiceError>;
    pub async fn set_favorite(&self, slug: &str, user: UserId, favorite: bool) -> Result<ArticleRecord, ServiceError>;
    pub async fn list_comments(&self, slug: &str, viewer: Option<UserId>, limit: u32, offset: u64) -> Result<CommentPage, ServiceError>;
    pub async fn insert_comment(&self, slug: &str, new: &NewComment) -> Result<CommentRecord, ServiceError>;
    pub async fn delete_comment(&self, slug: &str, id: i64, by: UserId) -> Result<(), ServiceError>;
    pub async fn list_tags(&self) -> Result<Arc<Vec<String>>, ServiceError>;
    pub async fn sitemap(&self, kind: SitemapKind, page: u32) -> Result<SitemapPage, ServiceError>;
}

impl Store {
    /// Opens (creating and migrating if needed) the databases `storage` names.
    pub async fn open(storage: &Storage) -> anyhow::Result<Self> {
        Ok(match &storage.backend {
            BackendChoice::Sqlite => Self::Sqlite(
                sqlite::open(
                    &storage.data_dir,
                    storage.synchronous,
                    storage.sqlite_mmap_mib,
                )
                .await?,
            ),
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

    /// Writes waiting for each batching writer, named after it, for metrics.
    pub fn writer_queues(&self) -> Vec<(&'static str, usize)> {
        match self {
            Store::Sqlite(store) => store.writer_queues(),
            Store::Mysql(store) => store.writer_queues(),
        }
    }

    /// The batching writer that has stopped, if one has: the process must restart (liveness fails).
    pub fn stopped_writer(&self) -> Option<&'static str> {
        match self {
            Store::Sqlite(store) => store.stopped_writer(),
            Store::Mysql(store) => store.stopped_writer(),
        }
    }

    /// Makes `writer` (named as in [`Self::writer_queues`]) look stopped, as one that panicked would.
    #[cfg(test)]
    pub fn stop_writer_for_test(&mut self, writer: &str) {
        let Store::Sqlite(SqlStore {
            writers: Writers::Sole(sole),
            ..
        }) = self
        else {
            panic!("only SQLite's writers can be stopped in tests");
        };
        match writer {
            "blog" => sole.blog_writer.stop_for_test(),
            "follows" => sole.follow_writer.stop_for_test(),
            other => panic!("no writer named {other}"),
        }
    }
}

impl<B: Backend> SqlStore<B> {
    /// The current version of the data: a read cached at another version is stale.
    async fn version(&self) -> Result<u64, ServiceError> {
        match &*self.freshness {
            Freshness::Local => Ok(self.cache.local_version()),
            Freshness::Shared { data, .. } => data.current(&self.blog).await,
        }
    }

    /// The current version of the articles' text, tags and existence: what searches match and rank.
    async fn articles_version(&self) -> Result<u64, ServiceError> {
        match &*self.freshness {
            Freshness::Local => Ok(self.cache.articles_version()),
            Freshness::Shared { articles, .. } => articles.current(&self.blog).await,
        }
    }

    /// Answers from the cache (`get`) when the value there was read at the data's current version; otherwise
    /// reads it (`read`, given that version) and caches it (`put`) under the version seen before reading. Should a
    /// write commit meanwhile, the value is kept under a version that has already passed, and never served.
    async fn cached<T, F>(
        &self,
        get: impl FnOnce(&ReadCache, u64) -> Option<T>,
        read: impl FnOnce(u64) -> F,
        put: impl FnOnce(&ReadCache, u64, &T),
    ) -> Result<T, ServiceError>
    where
        F: Future<Output = Result<T, ServiceError>>,
    {
        let version = self.version().await?;
        if let Some(hit) = get(&self.cache, version) {
            return Ok(hit);
        }
        let value = read(version).await?;
        put(&self.cache, version, &value);
        Ok(value)
    }

    /// The group-committing writer of blog.db (new articles, favorites, comments), where this process is the
    /// sole writer.
    fn blog_writer(&self) -> Option<&BlogWriter> {
        match &self.writers {
            Writers::Sole(sole) => Some(&sole.blog_writer),
            Writers::Shared(_) => None,
        }
    }

    /// The group-committing writer of users.db's follows, where this process is the sole writer.
    #[cfg(test)]
    fn follow_writer(&self) -> Option<&sqlite::follow_writer::FollowWriter> {
        match &self.writers {
            Writers::Sole(sole) => Some(&sole.follow_writer),
            Writers::Shared(_) => None,
        }
    }

    /// Runs `write`, then marks what it may have changed as stale before its caller hears of it — unless it failed
    /// having written nothing ([`ServiceError::wrote_nothing`]), so that failing requests cannot flush the cache.
    /// Where this process is the data's sole writer, in a task of its own: a caller that stops waiting (its
    /// request timed out) must not stop the marking after a commit, or the cache would go on serving what the
    /// write replaced. At most [`sqlite::DETACHED_WRITES_PER_FILE`] such tasks per file run at once, so callers
    /// who leave cannot pile them up: the others wait in their caller, where leaving still cancels them. (Where
    /// replicas share the data, the transaction itself moves the version, in the caller.)
    async fn write_then_mark_stale<T: Send + 'static>(
        &self,
        change: Change,
        write: impl Future<Output = Result<T, ServiceError>> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let Writers::Sole(sole) = &self.writers else {
            return write.await;
        };
        let slots = match change {
            Change::Article => &sole.detached_blog_writes,
            Change::Profile => &sole.detached_user_writes,
        };
        let slot = Arc::clone(slots)
            .acquire_owned()
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?;
        let mut marks = MarksStale {
            store: Some(self.clone()),
            change,
        };
        let write_and_mark = async move {
            let written = write.await;
            if written.as_ref().is_err_and(ServiceError::wrote_nothing) {
                marks.disarm();
            }
            drop(slot);
            // Marks here, before the caller hears of the write, or — should the write panic — as the task unwinds.
            drop(marks);
            written
        };
        tokio::spawn(tracing::Instrument::in_current_span(write_and_mark))
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?
    }

    /// Marks the cached reads `change` may have changed as stale. Call after a write committed and before it is
    /// acknowledged, from where nothing can stop it in between ([`SqlStore::write_then_mark_stale`]).
    fn mark_stale(&self, change: Change) {
        if !self.sole_writer() {
            return;
        }
        match change {
            Change::Article => self.cache.articles_changed(),
            Change::Profile => self.cache.profiles_changed(),
        }
        self.cache.invalidate();
    }

    /// Whether this process is the data's only writer (SQLite), so that the read cache alone knows when it
    /// changes.
    fn sole_writer(&self) -> bool {
        matches!(*self.freshness, Freshness::Local)
    }

    /// Every pool of both databases, named (database, pool); on MySQL a database's one pool is named `shared`.
    fn named_pools(&self) -> Vec<(&'static str, &'static str, &sqlx::Pool<B>)> {
        let mut pools = Vec::with_capacity(4);
        for (name, db) in [("users", &self.users), ("blog", &self.blog)] {
            if let Writers::Sole(_) = self.writers {
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
        let mut usage: Vec<_> = self
            .named_pools()
            .into_iter()
            .map(|(db, name, pool)| (db, name, pool.size(), pool.num_idle()))
            .collect();
        // Readers held outside the read pools count as theirs.
        for (db, pools) in [("users", &self.users), ("blog", &self.blog)] {
            if let Some((open, idle)) = pools.held_usage() {
                for row in usage
                    .iter_mut()
                    .filter(|row| row.0 == db && row.1 == "read")
                {
                    row.2 += open;
                    row.3 += idle;
                }
            }
            if let Some((open, idle)) = pools.direct_usage() {
                usage.push((db, "direct", open, idle));
            }
        }
        if let Writers::Shared(batches) = &self.writers {
            usage.extend(batches.pool_usage());
        }
        usage
    }

    /// Each batching writer by name: the writes waiting for it, and whether it has stopped.
    fn batching_writers(&self) -> Vec<(&'static str, usize, bool)> {
        match &self.writers {
            Writers::Sole(sole) => vec![
                (
                    "blog",
                    sole.blog_writer.queued(),
                    sole.blog_writer.stopped(),
                ),
                (
                    "follows",
                    sole.follow_writer.queued(),
                    sole.follow_writer.stopped(),
                ),
            ],
            Writers::Shared(batches) => vec![("new_articles", batches.queued(), batches.stopped())],
        }
    }

    /// Writes waiting for each batching writer, named after it, for metrics.
    pub fn writer_queues(&self) -> Vec<(&'static str, usize)> {
        self.batching_writers()
            .into_iter()
            .map(|(name, queued, _)| (name, queued))
            .collect()
    }

    /// The batching writer that has stopped, if one has (only a bug would stop one), named as in
    /// [`Self::writer_queues`]: every write it takes fails until the process restarts.
    pub fn stopped_writer(&self) -> Option<&'static str> {
        self.batching_writers()
            .into_iter()
            .find_map(|(name, _, stopped)| stopped.then_some(name))
    }

    /// Answers a trivial query on every pool (the readiness route asks [`Self::stopped_writer`] first).
    pub async fn ready(&self) -> Result<(), ServiceError> {
        let select_one = sql::SqlQuery::from("SELECT 1");
        for (_, _, pool) in self.named_pools() {
            backend::Conn::execute(&mut *pool.acquire().await?, &select_one).await?;
        }
        Ok(())
    }

    /// Closes every connection (on SQLite, checkpointing the WAL).
    pub async fn close(&self) {
        self.users.close_held().await;
        self.blog.close_held().await;
        for (_, _, pool) in self.named_pools() {
            pool.close().await;
        }
        if let Writers::Shared(batches) = &self.writers {
            batches.close().await;
        }
    }
}

/// Writes all of Conduit's data in the databases `storage` names to `path` (see [`transfer`]). SQLite files
/// are read without taking the data dir's lock, so a serving db-service keeps running.
pub async fn export(storage: &Storage, path: &Path) -> anyhow::Result<Counts> {
    match &storage.backend {
        BackendChoice::Sqlite => {
            let sources = SnapshotSources::open(&storage.data_dir).await?;
            let [(_, users), (_, blog)] = sources.files.as_slice() else {
                anyhow::bail!("expected the users and blog databases");
            };
            let counts = transfer::export(users, blog, path).await;
            sources.close().await;
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

/// Compacts the SQLite files in `storage.data_dir` (store/sqlite/compact.rs), which no db-service may be serving.
pub async fn compact(storage: &Storage) -> anyhow::Result<Vec<Compacted>> {
    match &storage.backend {
        BackendChoice::Sqlite => sqlite::compact::compact(&storage.data_dir).await,
        BackendChoice::Mysql { .. } => anyhow::bail!(
            "compact is for SQLite files: a MySQL server's tables are its operator's (OPTIMIZE TABLE)"
        ),
    }
}

/// Loads the export at `path` into the (empty) databases `storage` names, creating them if needed; refuses an
/// incomplete file or a target holding data. Needs the data dir to itself on SQLite (db-service stopped).
pub async fn import(storage: &Storage, path: &Path) -> anyhow::Result<Counts> {
    let expected = transfer::check_file(path)?;
    // The files fill up one after the other: no `db-service backup` or `export` copies them meanwhile.
    let _files = match &storage.backend {
        BackendChoice::Sqlite => {
            std::fs::create_dir_all(&storage.data_dir).with_context(|| {
                format!("cannot create data dir {}", storage.data_dir.display())
            })?;
            Some(FilesLock::try_replace(&storage.data_dir)?)
        }
        BackendChoice::Mysql { .. } => None,
    };
    let store = Store::open(storage).await?;
    let imported = match &store {
        Store::Sqlite(s) => transfer::import(&s.users.write, &s.blog.write, path, &expected).await,
        Store::Mysql(s) => transfer::import(&s.users.write, &s.blog.write, path, &expected).await,
    };
    store.close().await;
    imported.map(|()| expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::sqlite_storage_for_test;

    #[tokio::test]
    async fn an_import_is_refused_while_a_backup_copies_the_files() {
        let source = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&sqlite_storage_for_test(source.path()))
            .await
            .expect("open");
        store
            .insert_user(&conduit_testkit::new_user("jake"))
            .await
            .expect("user");
        store.close().await;
        let file = source.path().join("conduit.jsonl");
        export(&sqlite_storage_for_test(source.path()), &file)
            .await
            .expect("export");

        let target = tempfile::tempdir().expect("temp dir");
        let storage = sqlite_storage_for_test(target.path());
        let copying = FilesLock::try_read(target.path()).expect("a backup's hold");
        let refused = import(&storage, &file)
            .await
            .expect_err("refused while copied");
        assert!(
            refused
                .to_string()
                .contains("a `backup` or `export` copying them"),
            "{refused:#}"
        );
        for file in ["users.db", "blog.db"] {
            assert!(!target.path().join(file).exists(), "{file} made");
        }
        drop(copying);
        let counts = import(&storage, &file).await.expect("imported after");
        assert!(counts.to_string().starts_with("1 users"), "{counts}");
    }
}
