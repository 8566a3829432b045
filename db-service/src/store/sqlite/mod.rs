//! The SQLite backend: one file per owning service (`users.db`, `blog.db`), each with a single writer connection
//! (so concurrent writes queue instead of failing with "database is locked") and read-only connections: kept by
//! db-service for reads of a small cost on the caller's thread (store::direct_readers), held outside sqlx's pool
//! for the rest (store::held_readers), and a pool for readiness checks and backups. Being the files' only writer,
//! db-service knows every write (so cached reads are checked against a counter in memory) and can group-commit
//! blog.db's writes (new articles, favorites, comments) and users.db's follows.

pub(super) mod blog_writer;
pub(super) mod compact;
mod direct;
pub(super) mod follow_writer;
pub(super) mod migrate;

use std::{path::Path, str::FromStr, sync::Arc, time::Duration};

use tokio::sync::Semaphore;

use anyhow::{bail, Context};
use sqlx::{
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Sqlite, SqlitePool,
};

use super::{
    backend::Pools, direct_readers::DirectReaders, held_readers::HeldReaders,
    read_cache::ReadCache, search::SearchTurns, Freshness, SqlStore, Writers,
};
use crate::{
    config::Durability,
    folder_lock::{FilesLock, FolderLock},
};

static USERS_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite/users");
pub(super) static BLOG_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite/blog");

/// What only the sole writer of its databases can do. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SoleWriter {
    /// New articles, favorites and comments, group-committed on blog.db's writer.
    pub blog_writer: blog_writer::BlogWriter,
    /// Follows and unfollows, group-committed on users.db's writer.
    pub follow_writer: follow_writer::FollowWriter,
    /// Held while the store is open, so that a restore cannot swap files under a running service.
    _lock: Arc<FolderLock>,
    /// Slots of the writes to users.db run in tasks of their own (SqlStore::write_then_mark_stale).
    pub detached_user_writes: Arc<Semaphore>,
    /// The same for blog.db's writes outside the group commit (edits, deletions).
    pub detached_blog_writes: Arc<Semaphore>,
}

/// Most writes to one file run at once in tasks of their own, which outlive a caller who leaves: each file has one
/// writer connection, so more would only wait for it.
pub const DETACHED_WRITES_PER_FILE: usize = 2;

/// Opens (creating if needed) and migrates `users.db` and `blog.db` under `data_dir`, locking it; connections read
/// up to `mmap_mib` MiB of each file through a memory map.
pub async fn open(
    data_dir: &Path,
    durability: Durability,
    mmap_mib: u32,
) -> anyhow::Result<SqlStore<Sqlite>> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
    let lock = FolderLock::try_acquire(data_dir)?;
    crate::backup::refuse_after_interrupted_restore(data_dir)?;
    if let Err(e) = crate::backup::remove_abandoned_staging(data_dir) {
        tracing::warn!(error = %e, "cannot remove a restore's abandoned staging folder");
    }
    compact::remove_abandoned_copies(data_dir);
    let mmap_bytes = u64::from(mmap_mib) << 20;
    let open = |name: &str, migrations: &'static Migrator| {
        let path = data_dir.join(name);
        async move { open_file(&path, migrations, durability, mmap_bytes).await }
    };
    let users = open(USERS_FILE, &USERS_MIGRATIONS).await?;
    let blog = open(BLOG_FILE, &BLOG_MIGRATIONS).await?;
    let cache = Arc::new(ReadCache::default());
    let blog_writer =
        blog_writer::BlogWriter::start(blog.write.clone(), users.clone(), Arc::clone(&cache))
            .context("cannot start blog.db's writer thread")?;
    let follow_writer = follow_writer::FollowWriter::start(users.write.clone(), Arc::clone(&cache))
        .context("cannot start users.db's follow writer thread")?;
    Ok(SqlStore {
        users,
        blog,
        cache,
        freshness: Arc::new(Freshness::Local),
        search_turns: SearchTurns::default(),
        writers: Writers::Sole(SoleWriter {
            blog_writer,
            follow_writer,
            _lock: Arc::new(lock),
            detached_user_writes: Arc::new(Semaphore::new(DETACHED_WRITES_PER_FILE)),
            detached_blog_writes: Arc::new(Semaphore::new(DETACHED_WRITES_PER_FILE)),
        }),
    })
}

impl SqlStore<Sqlite> {
    /// Every database's file name with a read-only pool on it, for backups.
    pub fn snapshot_sources(&self) -> Vec<(&'static str, SqlitePool)> {
        vec![
            (USERS_FILE, self.users.read.clone()),
            (BLOG_FILE, self.blog.read.clone()),
        ]
    }
}

/// Read-only pools on every database of a data dir, held as one set: for `db-service backup` and `export`, which
/// work while a db-service serves the same directory (they do not take its lock), but never while a restore,
/// compact or import replaces or fills the files.
#[derive(Debug)]
pub struct SnapshotSources {
    /// Each file's name with a one-connection read-only pool on it.
    pub files: Vec<(&'static str, SqlitePool)>,
    _lock: FilesLock,
}

impl SnapshotSources {
    /// Opens the databases in `data_dir`. Refuses while a restore, compact or import is replacing or filling them,
    /// and after a restore stopped while replacing them (they may belong to different sets).
    pub async fn open(data_dir: &Path) -> anyhow::Result<Self> {
        let paths = [USERS_FILE, BLOG_FILE].map(|name| (name, data_dir.join(name)));
        let no_data = paths.iter().all(|(_, path)| !path.is_file());
        // No lock file is made in a folder that holds no database (a mistyped DATA_DIR), unless a restore's
        // marker says why: the lock (taken while a restore runs) or the marker (one that stopped) then tells.
        if no_data && crate::backup::interrupted_restore(data_dir)?.is_none() {
            bail!(
                "{} holds no {USERS_FILE} or {BLOG_FILE}: is DATA_DIR right?",
                data_dir.display()
            );
        }
        let lock = FilesLock::try_read(data_dir)?;
        crate::backup::refuse_after_interrupted_restore(data_dir)?;
        if let Some((_, missing)) = paths.iter().find(|(_, path)| !path.is_file()) {
            bail!("{} does not exist: is DATA_DIR right?", missing.display());
        }
        let mut files = Vec::new();
        for (name, path) in paths {
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
                .read_only(true)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .with_context(|| format!("cannot open {}", path.display()))?;
            files.push((name, pool));
        }
        Ok(Self { files, _lock: lock })
    }

    /// Closes every pool, then lets go of the files.
    pub async fn close(self) {
        for (_, pool) in &self.files {
            pool.close().await;
        }
    }
}

const USERS_FILE: &str = "users.db";
const BLOG_FILE: &str = "blog.db";

/// One file: a one-connection writer pool, a read-only pool, and readers held outside sqlx's pool and on the
/// caller's thread.
///
/// Connections read the first `mmap_bytes` of the file through a memory map. A reader's page cache is emptied
/// whenever a write committed since its last read (SQLite's WAL mode), which under a crowd's writes is nearly
/// every read: mapped, the file's pages come from the kernel's page cache without a system call and a copy each.
/// Those pages are the file's page cache, counted once by the container's memory (and given back under pressure,
/// as any page cache), though each connection's mapping shows them in the process's RSS; pages written since the
/// last checkpoint are still read from the WAL. The cost: a read error on the volume stops the process (SIGBUS)
/// rather than failing one request. SQLITE_MMAP_MIB=0 turns it off.
async fn open_file(
    path: &Path,
    migrations: &Migrator,
    durability: Durability,
    mmap_bytes: u64,
) -> anyhow::Result<Pools<Sqlite>> {
    let url = format!("sqlite://{}", path.display());
    let options = SqliteConnectOptions::from_str(&url)
        .with_context(|| format!("invalid database path {}", path.display()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL (default): a commit is on disk before it is acknowledged, surviving power loss too. NORMAL in WAL
        // mode still survives any process crash.
        .synchronous(match durability {
            Durability::Full => SqliteSynchronous::Full,
            Durability::Normal => SqliteSynchronous::Normal,
        })
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .pragma("temp_store", "memory")
        .pragma("mmap_size", mmap_bytes.to_string());
    // No ping before each acquire (sqlx's default): a connection to a local file has no network to lose, a ping is
    // a round trip to the connection's thread like a statement (two thread wake-ups), and a connection that did
    // break fails its next statement instead, as it could right after a ping.
    migrate::migrate(&options, migrations, path).await?;
    let write = SqlitePoolOptions::new()
        .test_before_acquire(false)
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone())
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    let reading = options.read_only(true);
    // Requests read on their own thread (store::direct_readers) or, when a read's cost is not bounded, through held
    // connections (store::held_readers); this pool serves the rest: readiness checks, backups.
    let read = SqlitePoolOptions::new()
        .test_before_acquire(false)
        .max_connections(2)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(reading.clone())
        .await
        .with_context(|| format!("cannot open {} for reading", path.display()))?;
    let held = HeldReaders::new(reading, reader_connections());
    let direct = DirectReaders::new(path, mmap_bytes, direct_reader_connections());
    Ok(Pools::with_own_readers(read, write, held, direct))
}

/// Readers on the caller's thread per database: one per core, as many as the runtime has worker threads to read on
/// at once (a read there never awaits), at most 8; past that, reads go through sqlx's.
fn direct_reader_connections() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    cores.min(8)
}

/// Readers through sqlx per database: two per core (a reader waits on I/O at times), between 2 and 8. Each
/// connection keeps its own page cache, so more than the CPUs can use only costs memory.
fn reader_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    u32::try_from(cores * 2).unwrap_or(8).clamp(2, 8)
}

/// A store opened (and migrated) in `dir`, holding the user `name`, whose id comes with it. For tests.
#[cfg(test)]
async fn open_with_user(dir: &Path, name: &str) -> (SqlStore<Sqlite>, db_client::UserId) {
    let store = open(dir, Durability::Full, 0).await.expect("open");
    let id = store
        .insert_user(&conduit_testkit::new_user(name))
        .await
        .expect("user")
        .id;
    (store, id)
}

/// The slugs on the list page `filter` asks `store` for, and the total it reports. For tests.
#[cfg(test)]
async fn page_slugs(
    store: &SqlStore<Sqlite>,
    filter: &db_client::ArticleFilter,
) -> (Vec<String>, serde_json::Value) {
    let json = store.list_articles(filter).await.expect("list");
    let page: serde_json::Value = serde_json::from_slice(&json).expect("json");
    let slugs = page["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .map(|a| a["slug"].as_str().expect("slug").to_owned())
        .collect();
    (slugs, page["articlesCount"].clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{article_list::ListFilter, backend::ReadCost};

    #[tokio::test]
    async fn a_search_is_ranked_once_for_every_viewer_and_page_until_an_article_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake) = open_with_user(dir.path(), "jake").await;
        let publish = |n: u32| {
            store.insert_article(db_client::NewArticle {
                author: jake,
                slug: format!("note-{n}"),
                title: format!("Note {n}"),
                description: "d".into(),
                body: "a kestrel".into(),
                tags: Vec::new(),
            })
        };
        for n in 1..=3 {
            publish(n).await.expect("article");
        }
        let filter = db_client::ArticleFilter {
            q: Some("kestrel".into()),
            viewer: Some(jake),
            limit: 2,
            ..db_client::ArticleFilter::default()
        };
        // What the filter resolves to, whoever reads and whichever page.
        let key = ListFilter {
            search: crate::store::search::SearchTerms::parse("kestrel"),
            ..ListFilter::default()
        };
        page_slugs(&store, &filter).await;
        let version = store.cache.articles_version();
        let ranked = store.cache.search_hits(&key, version).expect("ranked");
        assert_eq!(ranked.len(), 3);

        // Another reader, another page: the same ranking, not a new one, and no turn needed for it.
        let ranking_elsewhere = store.search_turns.take().await.expect("the turn");
        let other = db_client::ArticleFilter {
            viewer: None,
            offset: 2,
            ..filter.clone()
        };
        let (slugs, total) = page_slugs(&store, &other).await;
        assert_eq!((slugs, total), (vec!["note-1".to_owned()], 3.into()));
        let again = store.cache.search_hits(&key, version).expect("kept");
        assert!(Arc::ptr_eq(&ranked, &again), "ranked again");
        // The same words spelled with other marks or capitals are the same search.
        page_slugs(
            &store,
            &db_client::ArticleFilter {
                q: Some("KESTREL!!".into()),
                ..other.clone()
            },
        )
        .await;
        let same = store.cache.search_hits(&key, version).expect("kept");
        assert!(Arc::ptr_eq(&ranked, &same), "ranked again for other marks");

        // A favorite and a follow change no ranking: it is kept through them (no turn is free to rank anew), and
        // the page shows both at once.
        let anna = store
            .insert_user(&conduit_testkit::new_user("anna"))
            .await
            .expect("anna")
            .id;
        store
            .set_favorite("note-1", anna, true)
            .await
            .expect("favorite");
        store.set_follow("jake", anna, true).await.expect("follow");
        let json = store
            .list_articles(&db_client::ArticleFilter {
                viewer: Some(anna),
                ..other.clone()
            })
            .await
            .expect("anna's page");
        let page: serde_json::Value = serde_json::from_slice(&json).expect("json");
        let seen = &page["articles"][0];
        assert_eq!(
            (
                &seen["slug"],
                &seen["favorited"],
                &seen["favoritesCount"],
                &seen["author"]["following"]
            ),
            (&"note-1".into(), &true.into(), &1.into(), &true.into()),
            "{page}"
        );
        assert_eq!(store.cache.articles_version(), version);
        let kept = store.cache.search_hits(&key, version).expect("kept");
        assert!(Arc::ptr_eq(&ranked, &kept), "ranked again after a favorite");

        // What is not ranked yet waits for the turn: here for longer than this impatient reader may wait.
        let impatient = SqlStore {
            search_turns: store
                .search_turns
                .waiting_at_most(std::time::Duration::from_millis(50)),
            ..store.clone()
        };
        let in_annas_favorites = db_client::ArticleFilter {
            favorited: Some("anna".into()),
            ..other.clone()
        };
        for unranked in [
            db_client::ArticleFilter {
                q: Some("note".into()),
                ..other.clone()
            },
            db_client::ArticleFilter {
                followed_by: Some(anna),
                ..other.clone()
            },
            in_annas_favorites.clone(),
        ] {
            let refused = impatient.list_articles(&unranked).await.expect_err("busy");
            assert!(
                matches!(refused, crate::error::ServiceError::Busy),
                "{refused:?}"
            );
        }
        // A search that waited for its turn while an article was published ranks at the version after it, for
        // those who come after.
        let waiting = tokio::spawn({
            let patient = SqlStore {
                search_turns: store
                    .search_turns
                    .waiting_at_most(std::time::Duration::from_secs(60)),
                ..store.clone()
            };
            let (store, filter) = (
                patient,
                db_client::ArticleFilter {
                    q: Some("note".into()),
                    ..other.clone()
                },
            );
            async move { store.list_articles(&filter).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        publish(4).await.expect("article");
        drop(ranking_elsewhere);
        waiting
            .await
            .expect("task")
            .expect("ranked once the turn was free");
        let notes = ListFilter {
            search: crate::store::search::SearchTerms::parse("note"),
            ..ListFilter::default()
        };
        let now = store.cache.articles_version();
        assert_ne!(now, version);
        assert!(
            store.cache.search_hits(&notes, now).is_some(),
            "kept under the version it was ranked at"
        );

        // Within someone's favorites, a search depends on them: another favorite shows at once.
        let first = db_client::ArticleFilter {
            offset: 0,
            ..in_annas_favorites.clone()
        };
        assert_eq!(page_slugs(&store, &first).await.1, 1);
        store
            .set_favorite("note-2", anna, true)
            .await
            .expect("favorite");
        assert_eq!(page_slugs(&store, &first).await.1, 2);

        // An article published moves the ranking on.
        assert_eq!(page_slugs(&store, &filter).await.1, 4);
        assert_eq!(
            store
                .cache
                .search_hits(&key, now)
                .expect("ranked anew")
                .len(),
            4
        );
        // So do an edit and a deletion.
        let edit = conduit_testkit::body_edit(jake, "no bird here");
        store.update_article("note-2", &edit).await.expect("edit");
        assert_ne!(store.cache.articles_version(), now);
        assert_eq!(page_slugs(&store, &filter).await.1, 3);
        store.delete_article("note-1", jake).await.expect("delete");
        assert_eq!(page_slugs(&store, &filter).await.1, 2);
        store.close().await;
    }

    #[tokio::test]
    async fn a_backup_of_a_folder_without_databases_says_so_and_leaves_nothing_there() {
        let dir = tempfile::tempdir().expect("tempdir");
        let refused = SnapshotSources::open(dir.path())
            .await
            .expect_err("nothing to copy");
        assert!(
            refused.to_string().contains("is DATA_DIR right?"),
            "{refused:#}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("read").count(), 0);
    }

    #[tokio::test]
    async fn every_connection_maps_as_much_of_its_file_as_configured() {
        for mib in [0, 3] {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = open(dir.path(), Durability::Full, mib).await.expect("open");
            let expected = i64::from(mib) << 20;
            assert_maps(&store, expected).await;
        }
    }

    async fn assert_maps(store: &SqlStore<Sqlite>, expected: i64) {
        let pragma = crate::store::sql::SqlQuery::from("PRAGMA mmap_size");
        for pools in [&store.users, &store.blog] {
            let direct: Option<(i64,)> = pools.fetch_optional_small(&pragma).await.expect("direct");
            assert_eq!(pools.held_usage(), Some((0, 0)), "read on this thread");
            let held: Option<(i64,)> = pools.fetch_optional_long(&pragma).await.expect("held");
            let pooled: i64 = sqlx::query_scalar("PRAGMA mmap_size")
                .fetch_one(&pools.read)
                .await
                .expect("pooled");
            let writer: i64 = sqlx::query_scalar("PRAGMA mmap_size")
                .fetch_one(&pools.write)
                .await
                .expect("writer");
            assert_eq!(
                (direct, held, pooled, writer),
                (Some((expected,)), Some((expected,)), expected, expected)
            );
        }
    }

    /// Which of `store`'s readers made `read`: true when sqlx's held readers did (none was open before).
    async fn read_through_sqlx<F, Fut>(read: F) -> bool
    where
        F: FnOnce(SqlStore<Sqlite>, db_client::UserId) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake) = open_with_user(dir.path(), "jake").await;
        store
            .insert_article(db_client::NewArticle {
                author: jake,
                slug: "one".into(),
                title: "One".into(),
                description: "d".into(),
                body: "b".into(),
                tags: Vec::new(),
            })
            .await
            .expect("article");
        let held = |store: &SqlStore<Sqlite>| {
            let (users, blog) = (store.users.held_usage(), store.blog.held_usage());
            users.map_or(0, |u| u.0) + blog.map_or(0, |b| b.0)
        };
        assert_eq!(held(&store), 0);
        read(store.clone(), jake).await;
        held(&store) > 0
    }

    /// Reads that may walk more than MAX_ROWS_READ_DIRECTLY rows are made on sqlx's threads, never on the
    /// request's; the first page of a list, an article and its comments on the request's.
    #[tokio::test]
    async fn reads_that_may_walk_far_go_through_sqlx() {
        let list = |offset: u64, with_bodies: bool| db_client::ArticleFilter {
            limit: 20,
            offset,
            with_bodies,
            ..db_client::ArticleFilter::default()
        };
        assert!(
            !read_through_sqlx(|s, _| async move {
                s.list_articles(&list(0, false)).await.expect("list");
            })
            .await
        );
        assert!(
            !read_through_sqlx(|s, _| async move {
                s.find_article_by_slug("one", None).await.expect("article");
            })
            .await
        );
        assert!(
            !read_through_sqlx(|s, _| async move {
                s.list_comments("one", None, 20, 0).await.expect("comments");
            })
            .await
        );
        assert!(
            read_through_sqlx(|s, _| async move {
                s.list_articles(&list(0, true)).await.expect("bodies");
            })
            .await,
            "with bodies"
        );
        assert!(
            read_through_sqlx(|s, _| async move {
                s.list_articles(&list(2_000, false)).await.expect("far");
            })
            .await,
            "a far page"
        );
        assert!(
            read_through_sqlx(|s, _| async move {
                s.list_comments("one", None, 20, 2_000)
                    .await
                    .expect("far comments");
            })
            .await,
            "far comments"
        );
        assert!(
            read_through_sqlx(|s, jake| async move {
                s.followee_ids(jake).await.expect("followees");
            })
            .await,
            "followees"
        );
    }

    /// The feed read author by author (a small read, on this thread) and the one read whole (through sqlx) give the
    /// same pages: authors who wrote nothing, one article, a few, many, interleaved with one not followed.
    #[tokio::test]
    async fn the_feed_is_the_same_page_read_author_by_author_or_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path(), Durability::Full, 0).await.expect("open");
        let user = |name: &'static str| {
            let store = &store;
            async move {
                store
                    .insert_user(&conduit_testkit::new_user(name))
                    .await
                    .expect("user")
                    .id
            }
        };
        let reader = user("reader").await;
        let written = [
            ("none", 0),
            ("one", 1),
            ("few", 3),
            ("many", 30),
            ("most", 60),
            ("other", 60),
        ];
        let mut authors = Vec::new();
        for (name, _) in written {
            authors.push(user(name).await);
        }
        for (name, _) in &written[..5] {
            store.set_follow(name, reader, true).await.expect("follow");
        }
        let mut expected = Vec::new();
        for round in 0..60 {
            for (k, (name, count)) in written.iter().enumerate() {
                if round < *count {
                    let slug = format!("{name}-{round}");
                    store
                        .insert_article(db_client::NewArticle {
                            author: authors[k],
                            slug: slug.clone(),
                            title: slug.clone(),
                            description: "d".into(),
                            body: "b".into(),
                            tags: Vec::new(),
                        })
                        .await
                        .expect("article");
                    if *name != "other" {
                        expected.push(slug);
                    }
                }
            }
        }
        expected.reverse();
        let followed = store.followee_ids(reader).await.expect("followees");
        let feed = ListFilter {
            feed_authors: Some(followed),
            ..ListFilter::default()
        };
        // 5 authors: up to 110 rows walked, the page is read author by author.
        for (limit, offset) in [
            (20, 0),
            (1, 0),
            (7, 5),
            (20, 19),
            (20, 60),
            (20, 80),
            (50, 60),
            (20, 90),
            (20, 91),
            (20, 200),
            (100, 150),
        ] {
            let by_author = feed.cost(limit, offset) == ReadCost::Small;
            assert_eq!(
                by_author,
                offset + u64::from(limit) <= 110,
                "{limit} at {offset}"
            );
            let (slugs, total) = page_slugs(
                &store,
                &db_client::ArticleFilter {
                    followed_by: Some(reader),
                    viewer: Some(reader),
                    limit,
                    offset,
                    ..db_client::ArticleFilter::default()
                },
            )
            .await;
            let start = usize::try_from(offset).expect("small").min(expected.len());
            let end = (start + usize::try_from(limit).expect("small")).min(expected.len());
            assert_eq!(
                slugs,
                expected[start..end],
                "{limit} at {offset} (by author: {by_author})"
            );
            assert_eq!(total, expected.len(), "{limit} at {offset}");
        }
    }
}
