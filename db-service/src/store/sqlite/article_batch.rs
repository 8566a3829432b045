//! Group commit for new articles: creates that arrive while a commit is in flight are written together in the
//! next transaction, so N concurrent creates cost one BEGIN/COMMIT and one fsync instead of N, and their authors
//! are checked (and their profiles fetched) in one users.db query. Nothing waits for company: a lone create is
//! committed at once. Each caller is answered only after its batch committed.
//!
//! Bounded by construction: the queue holds at most [`QUEUE_CAPACITY`] creates (more are refused with
//! [`ServiceError::Busy`], 503); a create whose caller has gone (the api timed out and closed the connection) is
//! dropped before it is written, so a client that retries gets no duplicate; and each article is written under a
//! savepoint, so one that fails rolls back alone.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use db_client::{ArticleRecord, AuthorView, Entity, NewArticle};
use sqlx::{Connection, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{
    mpsc::{self, error::TrySendError},
    oneshot,
};

use crate::store::read_cache::ReadCache;
use crate::{
    error::ServiceError,
    store::{
        articles::{created_record, insert_article_row, InsertedArticle},
        backend::Pools,
        tags::{insert_tags, Tags},
        users::authors,
    },
};

/// Most creates written in one transaction (bounds the time a batch holds the writer).
const MAX_BATCH: usize = 64;

/// Most creates waiting for the writer; a create beyond is refused at once rather than queued without end.
pub(crate) const QUEUE_CAPACITY: usize = 1024;

struct Job {
    article: NewArticle,
    reply: oneshot::Sender<Result<ArticleRecord, ServiceError>>,
}

/// Hands new articles to the batching writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct ArticleInserter {
    jobs: mpsc::Sender<Job>,
    /// Transactions committed so far.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests of batching"))]
    batches: Arc<AtomicU64>,
}

impl ArticleInserter {
    /// Starts the writer task on `blog` (blog.db's single writer), reading authors from `users` (a users.db
    /// reader); it ends when the last inserter is dropped.
    pub(crate) fn start(blog: SqlitePool, users: SqlitePool, cache: Arc<ReadCache>) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE_CAPACITY);
        let batches = Arc::new(AtomicU64::new(0));
        let writer = Writer {
            blog,
            users: Pools::shared(users),
            cache,
            batches: Arc::clone(&batches),
        };
        tokio::spawn(writer.run(queue));
        Self { jobs, batches }
    }

    /// Writes `article` once its author is known to exist, and returns it as the author sees it once the
    /// transaction holding it has committed. `Busy` when the queue is full.
    pub(crate) async fn insert(&self, article: NewArticle) -> Result<ArticleRecord, ServiceError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || ServiceError::Internal(anyhow::anyhow!("the article writer has stopped"));
        self.jobs
            .try_send(Job { article, reply })
            .map_err(|e| match e {
                TrySendError::Full(_) => ServiceError::Busy,
                TrySendError::Closed(_) => stopped(),
            })?;
        answer.await.map_err(|_| stopped())?
    }

    /// Transactions committed so far.
    #[cfg(test)]
    pub(crate) fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }
}

/// The task that owns blog.db's writer for new articles.
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
        while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let jobs = std::mem::take(&mut batch);
            metrics::histogram!("db_article_batch_size").record(jobs.len() as f64);
            let ids = jobs.iter().map(|job| job.article.author.0).collect();
            let authors = match authors(&self.users, ids, None).await {
                Ok(authors) => authors,
                Err(e) => {
                    let message = e.to_string();
                    for job in jobs {
                        let error = anyhow::anyhow!("cannot read the authors: {message}");
                        let _ = job.reply.send(Err(error.into()));
                    }
                    continue;
                }
            };
            let mut known = Vec::with_capacity(jobs.len());
            for job in jobs {
                match authors.get(job.article.author.0) {
                    Some(author) => known.push((job, author.clone())),
                    None => {
                        let _ = job.reply.send(Err(ServiceError::NotFound(Entity::User)));
                    }
                }
            }
            self.write(known).await;
        }
    }

    /// Commits the articles of `jobs` (whose authors exist) in one transaction, each under its own savepoint,
    /// and answers each caller. A caller that has gone by the time its article would be committed (the api timed
    /// out and closed the connection) never sees the answer, so its article is not written: it would only
    /// duplicate the one its client sends again.
    async fn write(&self, mut jobs: Vec<(Job, AuthorView)>) {
        let outcomes = loop {
            jobs.retain(|(job, _)| !job.reply.is_closed());
            if jobs.is_empty() {
                return;
            }
            match self.commit(&jobs).await {
                Ok(Some(outcomes)) => break outcomes,
                // Someone left while the batch was being written: it was rolled back; write the rest again.
                Ok(None) => continue,
                Err(e) => {
                    // Nothing of the batch is stored: every caller learns so.
                    let message = e.to_string();
                    for (job, _) in jobs {
                        let error =
                            anyhow::anyhow!("the article batch was not committed: {message}");
                        let _ = job.reply.send(Err(error.into()));
                    }
                    return;
                }
            }
        };
        self.batches.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("db_article_batches_total").increment(1);
        self.cache.invalidate();
        for ((Job { article, reply }, author), outcome) in jobs.into_iter().zip(outcomes) {
            let _ =
                reply.send(outcome.map(|(row, tags)| created_record(article, row, tags, author)));
        }
    }

    /// Writes every job's article in one transaction and commits it, unless a caller has gone meanwhile: then
    /// it rolls back and answers `None`. Each outcome is that job's own.
    async fn commit(
        &self,
        jobs: &[(Job, AuthorView)],
    ) -> Result<Option<Vec<Result<(InsertedArticle, Tags), ServiceError>>>, ServiceError> {
        let mut tx = self.blog.begin().await?;
        let mut outcomes = Vec::with_capacity(jobs.len());
        for (job, _) in jobs {
            outcomes.push(insert_one(&mut tx, &job.article).await);
        }
        if jobs.iter().any(|(job, _)| job.reply.is_closed()) {
            tx.rollback().await?;
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some(outcomes))
    }
}

/// Writes one article and its tags under a savepoint of the batch's transaction: if it fails, only it is
/// rolled back.
async fn insert_one(
    tx: &mut SqliteConnection,
    article: &NewArticle,
) -> Result<(InsertedArticle, Tags), ServiceError> {
    let mut savepoint = tx.begin().await?;
    let tags = Tags::new(article.tags.clone());
    let written = async {
        let row = insert_article_row(&mut *savepoint, article, &tags).await?;
        insert_tags(&mut *savepoint, row.id, &tags).await?;
        Ok::<_, ServiceError>(row)
    }
    .await;
    match written {
        Ok(row) => {
            savepoint.commit().await?;
            Ok((row, tags))
        }
        Err(e) => {
            savepoint.rollback().await?;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use db_client::UserId;
    use sqlx::Sqlite;

    use super::*;
    use crate::{config::Durability, store::SqlStore};

    /// A store in `dir` with one user, jake, and its article inserter.
    async fn store_with_jake(dir: &std::path::Path) -> (SqlStore<Sqlite>, UserId, ArticleInserter) {
        let store = crate::store::sqlite::open(dir, Durability::Full)
            .await
            .expect("open");
        let jake = store
            .insert_user(&conduit_testkit::new_user("jake"))
            .await
            .expect("user");
        let inserter = store
            .article_inserter()
            .cloned()
            .expect("SQLite group-commits");
        (store, jake.id, inserter)
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

    /// Creates queued behind the busy writer took at most two transactions: the one waiting on the writer, and
    /// the rest together.
    fn assert_queued_creates_batched(inserter: &ArticleInserter) {
        assert!(
            inserter.batches() <= 2,
            "{} transactions",
            inserter.batches()
        );
    }

    /// Holds blog.db's only writer connection for `busy`, while `creates` are sent: they queue behind it.
    async fn while_writer_busy<T: Send + 'static>(
        store: &SqlStore<Sqlite>,
        creates: Vec<tokio::task::JoinHandle<T>>,
    ) -> Vec<T> {
        let busy = store.blog.write.acquire().await.expect("writer");
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(busy);
        let mut results = Vec::new();
        for create in creates {
            results.push(create.await.expect("task"));
        }
        results
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn creates_queued_behind_a_busy_writer_commit_together_each_with_its_own_slug() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, inserter) = store_with_jake(dir.path()).await;
        // Every third article names an author who does not exist: those alone are refused.
        let creates = (0..10)
            .map(|i| {
                let inserter = inserter.clone();
                let author = if i % 3 == 2 { UserId(999) } else { jake };
                tokio::spawn(async move {
                    (i, inserter.insert(article(author, &format!("a{i}"))).await)
                })
            })
            .collect();
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
        assert_queued_creates_batched(&inserter);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_article_that_fails_rolls_back_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, inserter) = store_with_jake(dir.path()).await;
        sqlx::query(
            "CREATE TRIGGER refuse_bad BEFORE INSERT ON articles WHEN NEW.title = 'bad' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        )
        .execute(&store.blog.write)
        .await
        .expect("trigger");
        let creates = ["good 1", "bad", "good 2"]
            .into_iter()
            .map(|title| {
                let inserter = inserter.clone();
                tokio::spawn(async move { (title, inserter.insert(article(jake, title)).await) })
            })
            .collect();
        for (title, created) in while_writer_busy(&store, creates).await {
            assert_eq!(created.is_ok(), title != "bad", "{title}: {created:?}");
        }
        assert_eq!(stored_titles(&store).await, vec!["good 1", "good 2"]);
        assert_queued_creates_batched(&inserter);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_create_whose_caller_has_gone_is_not_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, inserter) = store_with_jake(dir.path()).await;
        let busy = store.blog.write.acquire().await.expect("writer");
        let abandoned = {
            let inserter = inserter.clone();
            tokio::spawn(async move { inserter.insert(article(jake, "abandoned")).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        // The caller gives up (as a timed-out api request does) while its create waits for the writer.
        abandoned.abort();
        assert!(abandoned.await.is_err_and(|e| e.is_cancelled()));
        drop(busy);
        // A later create is written after the abandoned one was taken off the queue.
        inserter
            .insert(article(jake, "later"))
            .await
            .expect("later create");
        assert_eq!(stored_titles(&store).await, vec!["later"]);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake, inserter) = store_with_jake(dir.path()).await;
        let _busy = store.blog.write.acquire().await.expect("writer");
        let mut waiting = Vec::new();
        // The writer task holds one batch; the queue holds QUEUE_CAPACITY more.
        for i in 0..QUEUE_CAPACITY + MAX_BATCH + 1 {
            let inserter = inserter.clone();
            waiting.push(tokio::spawn(async move {
                inserter.insert(article(jake, &format!("q{i}"))).await
            }));
        }
        let refused = tokio::time::timeout(Duration::from_secs(8), async {
            loop {
                // An attempt that was queued instead waits on the writer: give up on it (its caller is gone).
                let attempt = inserter.insert(article(jake, "one too many"));
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
