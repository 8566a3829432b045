//! Group commit for blog.db: new articles, favorites and comments that arrive while a commit is in flight are
//! written together in the next transaction, so N concurrent writes cost one BEGIN/COMMIT and one fsync instead of
//! N, and the authors of new articles are checked (their profiles taken from the read cache, the others read in
//! one users.db query). Nothing waits for company: a lone write is committed at once. Each caller is answered
//! only after its batch committed.
//!
//! Bounded by construction: the queue holds at most `writer::QUEUE_CAPACITY` (1,024) writes (more are refused
//! with [`ServiceError::Busy`], 503). A write whose caller has gone (the api timed out and closed the connection) is
//! dropped before the batch is written, and a new article or comment whose caller leaves while it is being
//! written is rolled back alone, so a client that tries again gets no duplicate (only a caller leaving during the
//! final commit can still find its write stored; a favorite is the same either way). New articles and comments
//! are written under savepoints, so one that fails rolls back alone; a favorite is two statements (its read and
//! its write), and a database error fails the batch.
//!
//! A batch's statements run on the writer's own thread, straight through SQLite (direct.rs): taking the
//! connection's handle from sqlx's worker thread is the batch's one round trip between threads. Returning the
//! connection to sqlx's pool costs another (a ping), and while writes keep coming each waits for the batches
//! before it: so the writer keeps its connection from one batch to the next while its queue is not empty, for at
//! most [`LEASE`], so that blog.db's other users of that one connection (edits and deletions, readiness checks)
//! wait at most that long and one batch more (with the read of its new articles' authors).

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use db_client::{ArticleRecord, AuthorView, Entity, NewArticle, NewComment, UserId};
use sqlx::{pool::PoolConnection, Sqlite, SqlitePool};
use tokio::sync::mpsc;

use super::direct::Direct;
use crate::{
    error::ServiceError,
    store::{
        articles::{created_record, InsertedArticle},
        backend::Pools,
        read_cache::ReadCache,
        rows::{Authors, CommentRow, KeyedArticleRow},
        tags::Tags,
        users::cached_profiles,
        writer::{Queue, Reply},
    },
};

/// The histogram of how long blog.db's COMMITs take.
pub(super) const BLOG_COMMIT_SECONDS: &str = "db_blog_commit_duration_seconds";

/// Most writes made in one transaction (bounds the time a batch holds the writer).
const MAX_BATCH: usize = 64;

/// How long the writer keeps its connection while writes keep coming, before it goes back to the pool where edits,
/// deletions and readiness checks wait for it (a batch takes a few milliseconds under load).
const LEASE: Duration = Duration::from_millis(10);

/// A write waiting for the writer, with the channel its caller waits on.
enum Job {
    Create {
        article: NewArticle,
        reply: Reply<ArticleRecord>,
    },
    /// Answered with the article as the user sees it after the write.
    Favorite {
        slug: String,
        user: UserId,
        favorite: bool,
        reply: Reply<KeyedArticleRow>,
    },
    Comment {
        slug: String,
        comment: NewComment,
        reply: Reply<CommentRow>,
    },
}

/// What one job wrote (or why it did not), kept until its batch commits.
enum Written {
    Article(Result<(InsertedArticle, Tags), ServiceError>),
    Favorite(Result<KeyedArticleRow, ServiceError>),
    Comment(Result<CommentRow, ServiceError>),
}

impl Job {
    /// The caller has gone: nobody would learn of this write.
    fn is_abandoned(&self) -> bool {
        match self {
            Job::Create { reply, .. } => reply.is_closed(),
            Job::Favorite { reply, .. } => reply.is_closed(),
            Job::Comment { reply, .. } => reply.is_closed(),
        }
    }

    fn fail(self, error: ServiceError) {
        let _ = match self {
            Job::Create { reply, .. } => reply.send(Err(error)).map_err(drop),
            Job::Favorite { reply, .. } => reply.send(Err(error)).map_err(drop),
            Job::Comment { reply, .. } => reply.send(Err(error)).map_err(drop),
        };
    }

    /// Whether the write may change what a search matches or how it ranks (ReadCache::articles_changed).
    fn changes_articles(&self) -> bool {
        match self {
            Job::Create { .. } => true,
            Job::Favorite { .. } | Job::Comment { .. } => false,
        }
    }

    /// Whether the write changes what the read cache holds (comments are not cached).
    fn changes_cached_reads(&self) -> bool {
        !matches!(self, Job::Comment { .. })
    }

    /// Makes the write in the batch's transaction. A favorite's article missing is its own outcome, and anything
    /// else fails the batch (SQLite may have rolled the whole transaction back). The others are written under a
    /// savepoint, so that one failing rolls back alone: a new article writes several rows, and a comment — one
    /// statement, which SQLite would undo alone — can fail for want of room (a long one needs pages a favorite
    /// does not), and the savepoint tells whether SQLite kept the transaction.
    fn write(&self, db: &Direct) -> Result<Written, ServiceError> {
        Ok(match self {
            Job::Favorite {
                slug,
                user,
                favorite,
                ..
            } => Written::Favorite(match db.favorite(slug, *user, *favorite) {
                Err(missing @ ServiceError::NotFound(_)) => Err(missing),
                Err(batch_error) => return Err(batch_error),
                Ok(row) => Ok(row),
            }),
            Job::Create { article, .. } => Written::Article(db.under_savepoint(
                || self.is_abandoned(),
                |db| {
                    let tags = Tags::new(article.tags.clone());
                    Ok((db.create(article, &tags)?, tags))
                },
            )?),
            Job::Comment { slug, comment, .. } => Written::Comment(
                db.under_savepoint(|| self.is_abandoned(), |db| db.comment(slug, comment))?,
            ),
        })
    }

    /// Tells the caller what its committed batch wrote for it; `author` is a new article's.
    fn answer(self, written: Written, author: Option<AuthorView>) {
        let _ = match (self, written, author) {
            (Job::Create { article, reply }, Written::Article(r), Some(author)) => reply
                .send(r.map(|(row, tags)| created_record(article, row, tags, author)))
                .map_err(drop),
            (Job::Favorite { reply, .. }, Written::Favorite(r), _) => reply.send(r).map_err(drop),
            (Job::Comment { reply, .. }, Written::Comment(r), _) => reply.send(r).map_err(drop),
            (job, ..) => {
                job.fail(anyhow::anyhow!("a write was answered with another's outcome").into());
                Ok(())
            }
        };
    }
}

/// Hands blog.db writes to the batching writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct BlogWriter {
    jobs: Queue<Job>,
    /// Transactions committed so far.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests of batching"))]
    batches: Arc<AtomicU64>,
}

impl BlogWriter {
    /// Starts the writer on `blog` (blog.db's single writer), reading authors from `users` (a users.db reader),
    /// on a thread of its own (store/writer.rs); it ends when the last handle is dropped.
    pub(crate) fn start(
        blog: SqlitePool,
        users: Pools<Sqlite>,
        cache: Arc<ReadCache>,
    ) -> std::io::Result<Self> {
        let batches = Arc::new(AtomicU64::new(0));
        let writer = Writer {
            blog,
            users,
            cache,
            batches: Arc::clone(&batches),
        };
        let jobs = Queue::start("blog-writer", |queue| writer.run(queue))?;
        Ok(Self { jobs, batches })
    }

    /// Writes `article` once its author is known to exist, and returns it as the author sees it once the
    /// transaction holding it has committed. `Busy` when the queue is full.
    pub(crate) async fn insert(&self, article: NewArticle) -> Result<ArticleRecord, ServiceError> {
        self.submit(|reply| Job::Create { article, reply }).await
    }

    /// Adds the article to `user`'s favorites or removes it (a no-op when already so); the article as `user`
    /// sees it right after the write, without a large body (store::favorites).
    pub(crate) async fn set_favorite(
        &self,
        slug: &str,
        user: UserId,
        favorite: bool,
    ) -> Result<KeyedArticleRow, ServiceError> {
        let slug = slug.to_owned();
        self.submit(|reply| Job::Favorite {
            slug,
            user,
            favorite,
            reply,
        })
        .await
    }

    /// Adds `comment` (whose author the caller has checked) to the article.
    pub(crate) async fn add_comment(
        &self,
        slug: &str,
        comment: NewComment,
    ) -> Result<CommentRow, ServiceError> {
        let slug = slug.to_owned();
        self.submit(|reply| Job::Comment {
            slug,
            comment,
            reply,
        })
        .await
    }

    async fn submit<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T, ServiceError> {
        self.jobs.submit(job).await
    }

    /// Writes waiting for a batch.
    pub(crate) fn queued(&self) -> usize {
        self.jobs.queued()
    }

    /// Whether the writer has stopped (it would only on a bug): every write would fail.
    pub(crate) fn stopped(&self) -> bool {
        self.jobs.stopped()
    }

    /// Makes this handle's writer look stopped, as one that panicked would.
    #[cfg(test)]
    pub(crate) fn stop_for_test(&mut self) {
        self.jobs = Queue::stopped_for_test();
    }

    /// Transactions committed so far.
    #[cfg(test)]
    pub(crate) fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }
}

/// The task that owns blog.db's writer.
struct Writer {
    blog: SqlitePool,
    /// A users.db reader: authors live in another file, so they are checked here rather than by a foreign key.
    users: Pools<Sqlite>,
    cache: Arc<ReadCache>,
    batches: Arc<AtomicU64>,
}

impl Writer {
    async fn run(self, mut queue: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut lease: Lease = None;
        while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let mut jobs = std::mem::take(&mut batch);
            // The api timed out and closed the connection: nobody would learn of these writes, and a client that
            // tries again would only get a duplicate.
            jobs.retain(|job| !job.is_abandoned());
            let known = self.with_authors(jobs).await;
            if !known.is_empty() {
                self.write(known, &mut lease).await;
            }
            // Back to the pool, where edits, deletions and readiness checks wait for it, when no write waits or
            // once kept LEASE.
            if queue.is_empty()
                || lease
                    .as_ref()
                    .is_some_and(|(_, taken)| taken.elapsed() >= LEASE)
            {
                lease = None;
            }
        }
    }

    /// Each job with the profile of the author of its new article (other jobs need none). A new article whose
    /// author does not exist, or whose author cannot be read, is answered here; the other jobs go on.
    async fn with_authors(&self, jobs: Vec<Job>) -> Vec<(Job, Option<AuthorView>)> {
        let ids: Vec<i64> = jobs
            .iter()
            .filter_map(|job| match job {
                Job::Create { article, .. } => Some(article.author.0),
                _ => None,
            })
            .collect();
        let authors = if ids.is_empty() {
            Ok(Default::default())
        } else {
            cached_profiles(&self.users, &self.cache, ids)
                .await
                .map(|profiles| Authors::as_followed(profiles, None))
                .map_err(|e| e.to_string())
        };
        let mut known = Vec::with_capacity(jobs.len());
        for job in jobs {
            let author = match (&job, &authors) {
                (Job::Create { article, .. }, Ok(authors)) => match authors.get(article.author.0) {
                    Some(author) => Some(author.clone()),
                    None => {
                        job.fail(ServiceError::NotFound(Entity::User));
                        continue;
                    }
                },
                (Job::Create { .. }, Err(message)) => {
                    job.fail(anyhow::anyhow!("cannot read the author: {message}").into());
                    continue;
                }
                _ => None,
            };
            known.push((job, author));
        }
        known
    }

    /// Commits the writes of `jobs` in one transaction and answers each caller: with its own outcome once the
    /// batch committed, or with the batch's error (nothing of it is stored).
    async fn write(&self, jobs: Vec<(Job, Option<AuthorView>)>, lease: &mut Lease) {
        let outcomes = match self.commit(&jobs, lease).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                let answer = e.into_answer_for_each_caller("the batch was not committed");
                for (job, _) in jobs {
                    job.fail(answer());
                }
                return;
            }
        };
        self.batches.fetch_add(1, Ordering::Relaxed);
        metrics::histogram!("db_blog_batch_size").record(jobs.len() as f64);
        metrics::counter!("db_blog_batches_total").increment(1);
        if jobs.iter().any(|(job, _)| job.changes_articles()) {
            self.cache.articles_changed();
        }
        if jobs.iter().any(|(job, _)| job.changes_cached_reads()) {
            self.cache.invalidate();
        }
        for ((job, author), written) in jobs.into_iter().zip(outcomes) {
            job.answer(written, author);
        }
    }

    /// Makes every job's write in one transaction and commits it; each outcome is that job's own. After a failure
    /// the connection is closed rather than kept, so that the next batch starts on a fresh one whatever the
    /// failure left behind (its ROLLBACK may have failed too).
    async fn commit(
        &self,
        jobs: &[(Job, Option<AuthorView>)],
        lease: &mut Lease,
    ) -> Result<Vec<Written>, ServiceError> {
        let (mut conn, taken) = match lease.take() {
            Some(leased) => leased,
            None => (self.blog.acquire().await?, Instant::now()),
        };
        let begun = Instant::now();
        let written = Direct::run(&mut conn, |db| {
            db.transaction(BLOG_COMMIT_SECONDS, |db| {
                jobs.iter().map(|(job, _)| job.write(db)).collect()
            })
        })
        .await
        .and_then(|written| written);
        // How long a batch holds the single writer, which every write queued behind it waits for, from taking the
        // connection's handle to the end of its COMMIT.
        metrics::histogram!("db_blog_transaction_duration_seconds")
            .record(begun.elapsed().as_secs_f64());
        if written.is_err() {
            let _ = conn.close().await;
        } else {
            *lease = Some((conn, taken));
        }
        written
    }
}

/// blog.db's connection while the writer keeps it between batches, with when it was taken from the pool.
type Lease = Option<(PoolConnection<Sqlite>, Instant)>;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::store::writer::QUEUE_CAPACITY;

    use db_client::{NewComment, UserId};
    use sqlx::Sqlite;

    use super::*;
    use crate::{config::Durability, store::SqlStore};

    /// A store in `dir` with one user, jake, and its article writer.
    async fn store_with_jake(dir: &std::path::Path) -> (SqlStore<Sqlite>, UserId, BlogWriter) {
        let store = crate::store::sqlite::open(dir, Durability::Full, 256)
            .await
            .expect("open");
        let jake = store
            .insert_user(&conduit_testkit::new_user("jake"))
            .await
            .expect("user");
        let writer = store.blog_writer().cloned().expect("SQLite group-commits");
        (store, jake.id, writer)
    }

    /// The slug of a new article titled `title` by `author`, written by `writer`.
    async fn new_slug(writer: &BlogWriter, author: UserId, title: &str) -> String {
        writer
            .insert(article(author, title))
            .await
            .expect("article")
            .slug
    }

    fn article(author: UserId, title: &str) -> NewArticle {
        NewArticle {
            author,
            slug: "same".into(),
            title: title.into(),
            description: "d".into(),
            body: "b".into(),
            tags: vec![format!("t-{title}")],
        }
    }

    async fn stored_titles(store: &SqlStore<Sqlite>) -> Vec<String> {
        sqlx::query_scalar("SELECT title FROM articles ORDER BY title")
            .fetch_all(&store.blog.read)
            .await
            .expect("titles")
    }

    /// How many rows blog.db's `table` holds.
    async fn stored_rows(store: &SqlStore<Sqlite>, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&store.blog.read)
            .await
            .expect("count")
    }

    /// Creates queued behind the busy writer took at most two transactions: the one waiting on the writer, and
    /// the rest together.
    fn assert_queued_creates_batched(writer: &BlogWriter) {
        assert!(writer.batches() <= 2, "{} transactions", writer.batches());
    }

    /// Holds blog.db's only writer connection for `busy`, while `creates` are sent: they queue behind it.
    async fn while_writer_busy<T: Send + 'static>(
        store: &SqlStore<Sqlite>,
        start: impl FnOnce() -> Vec<tokio::task::JoinHandle<T>>,
    ) -> Vec<T> {
        // Taken before the writes start, so that none can be committed before the rest have queued.
        let busy = store.blog.write.acquire().await.expect("writer");
        let writes = start();
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(busy);
        let mut results = Vec::new();
        for write in writes {
            results.push(write.await.expect("task"));
        }
        results
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn creates_queued_behind_a_busy_writer_commit_together_each_with_its_own_slug() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, writer) = store_with_jake(dir.path()).await;
        // Every third article names an author who does not exist: those alone are refused.
        let creates = || {
            (0..10)
                .map(|i| {
                    let writer = writer.clone();
                    let author = if i % 3 == 2 { UserId(999) } else { jake };
                    tokio::spawn(async move {
                        (i, writer.insert(article(author, &format!("a{i}"))).await)
                    })
                })
                .collect()
        };
        let results = while_writer_busy(&store, creates).await;

        let mut slugs = std::collections::HashSet::new();
        for (i, created) in results {
            if i % 3 == 2 {
                assert!(
                    matches!(created, Err(ServiceError::NotFound(Entity::User))),
                    "#{i}: {created:?}"
                );
                continue;
            }
            let created = created.expect("inserted");
            assert_eq!(created.author.username, "jake");
            assert_eq!(created.tags, vec![format!("t-a{i}")]);
            assert!(
                slugs.insert(created.slug.clone()),
                "duplicate slug {}",
                created.slug
            );
        }
        assert_eq!(slugs.len(), 7);
        assert_eq!(
            stored_titles(&store).await.len(),
            7,
            "no article of an unknown author is stored"
        );
        assert_queued_creates_batched(&writer);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn favorites_comments_and_creates_queued_together_share_a_transaction() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, writer) = store_with_jake(dir.path()).await;
        let slug = new_slug(&writer, jake, "first").await;
        let before = writer.batches();
        let jobs = || {
            (0..9)
                .map(|i| {
                    let (writer, slug) = (writer.clone(), slug.clone());
                    tokio::spawn(async move {
                        match i % 3 {
                            // The favorite of an article that does not exist fails alone.
                            0 if i == 6 => format!(
                                "{:?}",
                                writer.set_favorite("missing", jake, true).await.map(drop)
                            ),
                            0 => format!(
                                "{:?}",
                                writer.set_favorite(&slug, jake, true).await.map(drop)
                            ),
                            1 => {
                                let comment = NewComment {
                                    author: jake,
                                    body: format!("c{i}"),
                                };
                                format!(
                                    "{:?}",
                                    writer.add_comment(&slug, comment).await.map(|row| row.body)
                                )
                            }
                            _ => format!(
                                "{:?}",
                                writer
                                    .insert(article(jake, &format!("a{i}")))
                                    .await
                                    .map(drop)
                            ),
                        }
                    })
                })
                .collect()
        };
        let outcomes = while_writer_busy(&store, jobs).await;
        assert_eq!(
            outcomes,
            [
                "Ok(())",
                "Ok(\"c1\")",
                "Ok(())",
                "Ok(())",
                "Ok(\"c4\")",
                "Ok(())",
                "Err(NotFound(Article))",
                "Ok(\"c7\")",
                "Ok(())",
            ]
        );
        assert!(
            writer.batches() - before <= 2,
            "{} transactions for 9 writes",
            writer.batches() - before
        );
        let favorites: i64 =
            sqlx::query_scalar("SELECT favorites_count FROM articles WHERE slug = ?")
                .bind(&slug)
                .fetch_one(&store.blog.read)
                .await
                .expect("count");
        assert_eq!(favorites, 1, "favoriting twice is one favorite");
        let comments: i64 = stored_rows(&store, "comments").await;
        assert_eq!(comments, 3);
        assert_eq!(stored_titles(&store).await.len(), 4);
    }

    /// The favorites count and flag each caller is answered with come from the writer's transaction (no read
    /// after the commit): each must be the article as it stood right after that caller's own write.
    #[tokio::test]
    async fn favorites_batched_together_are_each_answered_with_the_article_after_their_own_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, writer) = store_with_jake(dir.path()).await;
        let slug = new_slug(&writer, jake, "liked").await;
        let mut fans = Vec::new();
        for i in 0..8 {
            let fan = store
                .insert_user(&conduit_testkit::new_user(&format!("fan{i}")))
                .await
                .expect("user");
            fans.push(fan.id);
        }
        // Every fan favorites twice (the second is a no-op) while the writer is busy: one batch, written in queue
        // order, which is the order the tasks are spawned in (this test's runtime polls them one by one, in turn).
        let favorite_all = |favorite: bool| {
            let (writer, slug, fans) = (writer.clone(), slug.clone(), fans.clone());
            move || {
                fans.iter()
                    .chain(&fans)
                    .map(|&fan| {
                        let (writer, slug) = (writer.clone(), slug.clone());
                        tokio::spawn(async move {
                            let row = writer.set_favorite(&slug, fan, favorite).await;
                            row.map(|keyed| (keyed.row.favorited, keyed.row.favorites_count))
                                .expect("favorite")
                        })
                    })
                    .collect()
            }
        };
        let before = writer.batches();
        let answers = while_writer_busy(&store, favorite_all(true)).await;
        assert!(
            writer.batches() - before <= 2,
            "{} transactions",
            writer.batches() - before
        );
        // The fans' first favorites count 1 to 8, their repeats see all 8.
        assert_eq!(
            answers,
            [1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8].map(|count| (true, count))
        );
        let answers = while_writer_busy(&store, favorite_all(false)).await;
        assert_eq!(
            answers,
            [7, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0].map(|count| (false, count))
        );
        // And the answers agree with a read after the commits.
        let stored = store
            .find_article_by_slug(&slug, Some(fans[0]))
            .await
            .expect("read");
        assert_eq!((stored.favorited, stored.favorites_count), (false, 0));
    }

    /// The writer copies a body with a favorite only up to a bound; a larger one is read after the commit, and
    /// either way the answer holds the whole body.
    #[tokio::test]
    async fn a_favorite_s_answer_has_the_whole_body_and_the_writer_copies_only_small_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, writer) = store_with_jake(dir.path()).await;
        let bound = crate::store::favorites::BODY_READ_BY_THE_WRITER;
        for (title, size, copied_by_writer) in [("small", bound, true), ("large", bound + 1, false)]
        {
            let body = "x".repeat(size);
            let slug = writer
                .insert(NewArticle {
                    body: body.clone(),
                    ..article(jake, title)
                })
                .await
                .expect("article")
                .slug;
            let by_writer = writer
                .set_favorite(&slug, jake, true)
                .await
                .expect("favorite");
            assert_eq!(by_writer.row.body.is_some(), copied_by_writer, "{title}");
            let answer = store
                .set_favorite(&slug, jake, false)
                .await
                .expect("unfavorite");
            assert_eq!(answer.body.as_deref(), Some(body.as_str()), "{title}");
            assert_eq!(
                (answer.favorited, answer.favorites_count),
                (false, 0),
                "{title}"
            );
        }
    }

    /// blog.db's writer connection held to the size it has now (as a full disk would hold it), or let go again.
    async fn hold_blog_db_to_its_size(store: &SqlStore<Sqlite>, held: bool) {
        let mut writer = store.blog.write.acquire().await.expect("writer");
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut *writer)
            .await
            .expect("page count");
        let limit = if held { pages } else { 1 << 30 };
        sqlx::query(&format!("PRAGMA max_page_count = {limit}"))
            .execute(&mut *writer)
            .await
            .expect("page limit");
    }

    /// A database error in a batch fails it as a whole (nothing of it is stored, its caller is told), and the
    /// writer goes on: the connection it failed on is not reused (this one carried the trigger that refused the
    /// write), and the same connection slot then serves sqlx's own transactions and the next batches.
    #[tokio::test]
    async fn a_batch_a_database_error_fails_stores_nothing_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, writer) = store_with_jake(dir.path()).await;
        let slug = new_slug(&writer, jake, "liked").await;
        let mut conn = store.blog.write.acquire().await.expect("writer");
        sqlx::query(
            "CREATE TEMP TRIGGER refuse_favorites BEFORE INSERT ON favorites \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .execute(&mut *conn)
        .await
        .expect("trigger");
        drop(conn);
        // A comment the trigger lets through, in the same batch as the favorite it refuses: given to the batch
        // writing itself, so that both are in one transaction whatever the timing.
        let (commented, comment_outcome) = tokio::sync::oneshot::channel();
        let (liked, favorite_outcome) = tokio::sync::oneshot::channel();
        let jobs = vec![
            (
                Job::Comment {
                    slug: slug.clone(),
                    comment: NewComment {
                        author: jake,
                        body: "in the failed batch".into(),
                    },
                    reply: commented,
                },
                None,
            ),
            (
                Job::Favorite {
                    slug: slug.clone(),
                    user: jake,
                    favorite: true,
                    reply: liked,
                },
                None,
            ),
        ];
        let batch_writer = Writer {
            blog: store.blog.write.clone(),
            users: store.users.clone(),
            cache: Arc::clone(&store.cache),
            batches: Arc::default(),
        };
        batch_writer.write(jobs, &mut None).await;
        let outcomes = [
            comment_outcome.await.expect("answered").map(drop),
            favorite_outcome.await.expect("answered").map(drop),
        ];
        for outcome in outcomes {
            assert!(
                matches!(outcome, Err(ServiceError::Internal(_))),
                "{outcome:?}"
            );
        }
        assert_eq!(
            (
                stored_rows(&store, "comments").await,
                stored_rows(&store, "favorites").await
            ),
            (0, 0),
            "a write of the failed batch was stored"
        );

        let mut tx = store.blog.write.begin().await.expect("sqlx begins");
        sqlx::query("UPDATE articles SET title = 'edited'")
            .execute(&mut *tx)
            .await
            .expect("edit");
        tx.commit().await.expect("commit");
        let liked = writer
            .set_favorite(&slug, jake, true)
            .await
            .expect("the writer goes on");
        assert_eq!(
            (
                liked.row.title.as_str(),
                liked.row.favorites_count,
                liked.row.favorited
            ),
            ("edited", 1, true)
        );
    }

    /// With no room left, writes are refused as `StorageFull` (503 at the api, worth another try) and nothing of
    /// them is stored, whether they fail alone (a new article) or fail their batch (a favorite); reads go on, and
    /// once there is room again the same writes succeed, without a restart.
    #[tokio::test]
    async fn a_full_disk_refuses_writes_as_storage_full_and_they_succeed_once_there_is_room() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, writer) = store_with_jake(dir.path()).await;
        let first = new_slug(&writer, jake, "first").await;
        let big = || NewArticle {
            body: "x".repeat(200_000),
            ..article(jake, "big")
        };
        let mut fans = Vec::new();
        for i in 0..1000 {
            let fan = conduit_testkit::new_user(&format!("fan{i}"));
            fans.push(store.insert_user(&fan).await.expect("user").id);
        }
        hold_blog_db_to_its_size(&store, true).await;
        let refused = writer.insert(big()).await;
        assert!(
            matches!(refused, Err(ServiceError::StorageFull(_))),
            "{refused:?}"
        );
        // Comments fail alone: written until the free pages blog.db had are used up.
        let comment = || NewComment {
            author: jake,
            body: "y".repeat(4000),
        };
        let mut comments = 0;
        let full = loop {
            match writer.add_comment(&first, comment()).await {
                Ok(_) if comments < 1000 => comments += 1,
                outcome => break outcome.map(drop),
            }
        };
        assert!(
            matches!(full, Err(ServiceError::StorageFull(_))),
            "{full:?} after {comments} comments"
        );
        let stored_comments: i64 = stored_rows(&store, "comments").await;
        assert_eq!(
            stored_comments, comments,
            "the refused comment is not stored"
        );
        // A favorite the full disk refuses fails its batch: every caller in it is told so. (A failed batch closes
        // the writer's connection, and this test's limit goes with it: it is set again, as a full disk stays
        // full.) Once one is refused, so is every later one: they all need the page there is no room for.
        let mut favorites = Vec::new();
        for &fan in &fans {
            let favorite = writer.set_favorite(&first, fan, true).await.map(drop);
            if matches!(favorite, Err(ServiceError::StorageFull(_))) {
                hold_blog_db_to_its_size(&store, true).await;
            }
            favorites.push(favorite);
        }
        let first_refused = favorites
            .iter()
            .position(Result::is_err)
            .expect("1,000 favorites fit in a full blog.db");
        assert!(
            favorites[first_refused..]
                .iter()
                .all(|f| matches!(f, Err(ServiceError::StorageFull(_)))),
            "a favorite was stored after one was refused"
        );
        let read = store
            .find_article_by_slug(&first, None)
            .await
            .expect("reads go on");
        assert_eq!(
            read.favorites_count, first_refused as u64,
            "refused favorites are not stored"
        );
        assert_eq!(stored_titles(&store).await, ["first"]);

        hold_blog_db_to_its_size(&store, false).await;
        let created = writer.insert(big()).await.expect("room again");
        assert_eq!(created.body.as_deref().map(str::len), Some(200_000));
        for &fan in &fans {
            writer
                .set_favorite(&first, fan, true)
                .await
                .expect("room again");
        }
        let read = store
            .find_article_by_slug(&first, None)
            .await
            .expect("read");
        assert_eq!(read.favorites_count, 1000);
        writer
            .add_comment(&first, comment())
            .await
            .expect("room again");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_article_that_fails_rolls_back_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, writer) = store_with_jake(dir.path()).await;
        // Refused at its tag, after its article row was written: only the savepoint takes that row back.
        sqlx::query(
            "CREATE TRIGGER refuse_bad BEFORE INSERT ON article_tags WHEN NEW.tag = 't-bad' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        )
        .execute(&store.blog.write)
        .await
        .expect("trigger");
        let creates = || {
            ["good 1", "bad", "good 2"]
                .into_iter()
                .map(|title| {
                    let writer = writer.clone();
                    tokio::spawn(async move { (title, writer.insert(article(jake, title)).await) })
                })
                .collect()
        };
        for (title, created) in while_writer_busy(&store, creates).await {
            assert_eq!(created.is_ok(), title != "bad", "{title}: {created:?}");
        }
        assert_eq!(stored_titles(&store).await, vec!["good 1", "good 2"]);
        assert_queued_creates_batched(&writer);
    }

    /// A comment whose caller leaves while it is being written is rolled back alone (its savepoint), and its
    /// article's comment count is as before.
    #[tokio::test]
    async fn a_comment_whose_caller_left_while_it_was_written_is_rolled_back_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, writer) = store_with_jake(dir.path()).await;
        let slug = new_slug(&writer, jake, "commented").await;
        let comment = |body: &str, reply| Job::Comment {
            slug: slug.clone(),
            comment: NewComment {
                author: jake,
                body: body.into(),
            },
            reply,
        };
        let (kept_reply, _waiting) = tokio::sync::oneshot::channel();
        let (left_reply, gone) = tokio::sync::oneshot::channel();
        let mut conn = store.blog.write.acquire().await.expect("writer");
        Direct::run(&mut conn, |db| {
            db.transaction(BLOG_COMMIT_SECONDS, |db| {
                let kept = comment("kept", kept_reply).write(db).expect("write");
                assert!(matches!(kept, Written::Comment(Ok(ref row)) if row.body == "kept"));
                let left = comment("left", left_reply);
                // Its caller gives up once the job was taken into the batch (the writer checks before writing, and
                // again before keeping the write).
                drop(gone);
                let left = left.write(db).expect("write");
                assert!(
                    matches!(left, Written::Comment(Err(ServiceError::Busy))),
                    "a comment whose caller left was answered as written"
                );
                Ok(())
            })
        })
        .await
        .expect("lent")
        .expect("committed");
        drop(conn);
        let (bodies, count): (String, i64) = sqlx::query_as(
            "SELECT (SELECT group_concat(body) FROM comments), comments_count FROM articles",
        )
        .fetch_one(&store.blog.read)
        .await
        .expect("comments");
        assert_eq!((bodies.as_str(), count), ("kept", 1));
    }

    /// While writes keep coming the writer keeps blog.db's connection from one batch to the next, but gives it
    /// back after LEASE: an edit, which takes the same connection from the pool, is not starved (it would wait
    /// until the pool's 10 s timeout and fail).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_edit_gets_the_connection_while_writes_keep_coming() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, writer) = store_with_jake(dir.path()).await;
        let slug = new_slug(&writer, jake, "busy").await;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // More writers than one batch takes, so the queue is never empty between batches.
        let flood: Vec<_> = (0..3 * MAX_BATCH)
            .map(|i| {
                let (writer, slug, stop) = (writer.clone(), slug.clone(), Arc::clone(&stop));
                tokio::spawn(async move {
                    let mut favorite = i % 2 == 0;
                    while !stop.load(Ordering::Relaxed) {
                        writer
                            .set_favorite(&slug, jake, favorite)
                            .await
                            .expect("favorite");
                        favorite = !favorite;
                    }
                })
            })
            .collect();
        while writer.batches() < 20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let changes = db_client::ArticleChanges {
            editor: jake,
            title: None,
            slug: None,
            description: Some("edited while busy".into()),
            body: None,
            tags: None,
        };
        let edited = store.update_article(&slug, &changes).await;
        // The flood went on past the edit (the edit may well have come in between two batches and finished
        // before the next, so batches during the edit itself prove nothing).
        let after_edit = writer.batches();
        let flood_went_on = tokio::time::timeout(Duration::from_secs(10), async {
            while writer.batches() == after_edit {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        assert!(
            flood_went_on.await.is_ok(),
            "the writes had stopped by the end of the edit"
        );
        stop.store(true, Ordering::Relaxed);
        for task in flood {
            task.await.expect("favorites");
        }
        assert_eq!(
            edited
                .expect("the edit waited for the writer's connection")
                .description,
            "edited while busy"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_create_whose_caller_has_gone_is_not_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, writer) = store_with_jake(dir.path()).await;
        let busy = store.blog.write.acquire().await.expect("writer");
        let abandoned = {
            let writer = writer.clone();
            tokio::spawn(async move { writer.insert(article(jake, "abandoned")).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        // The caller gives up (as a timed-out api request does) while its create waits for the writer.
        abandoned.abort();
        assert!(abandoned.await.is_err_and(|e| e.is_cancelled()));
        drop(busy);
        // A later create is written after the abandoned one was taken off the queue.
        writer
            .insert(article(jake, "later"))
            .await
            .expect("later create");
        assert_eq!(stored_titles(&store).await, vec!["later"]);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, writer) = store_with_jake(dir.path()).await;
        let _busy = store.blog.write.acquire().await.expect("writer");
        let mut waiting = Vec::new();
        // The writer task holds one batch; the queue holds QUEUE_CAPACITY more.
        for i in 0..QUEUE_CAPACITY + MAX_BATCH + 1 {
            let writer = writer.clone();
            waiting.push(tokio::spawn(async move {
                writer.insert(article(jake, &format!("q{i}"))).await
            }));
        }
        let refused = tokio::time::timeout(Duration::from_secs(8), async {
            loop {
                // An attempt that was queued instead waits on the writer: give up on it (its caller is gone).
                let attempt = writer.insert(article(jake, "one too many"));
                if let Ok(Err(ServiceError::Busy)) =
                    tokio::time::timeout(Duration::from_millis(20), attempt).await
                {
                    return;
                }
            }
        })
        .await;
        assert!(
            refused.is_ok(),
            "a create beyond the queue's capacity was not refused"
        );
        for task in waiting {
            task.abort();
        }
    }
}
