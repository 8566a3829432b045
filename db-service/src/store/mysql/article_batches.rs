//! New articles on MySQL, written together: creates that arrive while a batch is being written go into the next
//! one, which reads its authors in one query and writes every article and every tag with one statement per table,
//! in one transaction — seven statements and one commit for any number of articles instead of six statements
//! each (on a server sharing the cores, a create's cost is mostly its statements' round trips). A lone create is
//! written as before. Another replica may write at any time, so a slug chosen here can be taken meanwhile: the
//! batch's INSERT then fails as a whole and its articles are written one at a time, each finding a free slug.
//!
//! Bounded like blog.db's writer on SQLite: at most `writer::QUEUE_CAPACITY` (1,024) creates wait (more are
//! refused with `Busy`, 503), and one statement holds at most [`MAX_BATCH`] articles and [`MAX_BATCH_BYTES`] of
//! their text (below any server's `max_allowed_packet`: 16 MiB by default on MariaDB, 64 on MySQL 8). Only a
//! refusal of one of its rows (a slug taken meanwhile, a value the server rejects) sends a batch one by one;
//! anything else (a lost connection, a deadlock) fails the batch's creates with it — as 503, worth another try,
//! when it happened before the commit, so nothing was stored. A create whose caller has gone is dropped before
//! writing, and one whose caller leaves while it is written is deleted again (or rolled back) before the commit,
//! so a client that tries again gets no duplicate (only a caller leaving during the commit itself can still find
//! its article stored).

use std::time::Duration;

use db_client::{ArticleRecord, AuthorView, Entity, NewArticle};
use futures_util::future::join_all;
use sqlx::{mysql::MySqlPoolOptions, Connection, MySql, MySqlConnection, MySqlPool};
use tokio::sync::mpsc;

use crate::{
    error::ServiceError,
    store::{
        articles::{
            created_record, insert_article_alone, insert_articles_together, InsertedArticle,
        },
        backend::{commit_failed, is_contention, refuses_one_row, uncommitted, Conn, Pools},
        sql::{Dialect, SqlQuery},
        tags::Tags,
        users::authors,
        writer::{Queue, Reply},
    },
};

/// Most articles in one batch.
const MAX_BATCH: usize = 64;

/// Most text (titles, descriptions, bodies, tags) in one batch; a single article may exceed it alone.
const MAX_BATCH_BYTES: usize = 1 << 20;

/// The writer's connections to blog's database: one batch at a time, or a batch's articles one by one.
const BLOG_CONNECTIONS: u32 = 4;

/// A new article waiting for its batch.
struct Job {
    article: NewArticle,
    tags: Tags,
    reply: Reply<ArticleRecord>,
}

impl Job {
    /// The text it adds to a batch's statements.
    fn bytes(&self) -> usize {
        let a = &self.article;
        a.title.len()
            + a.description.len()
            + a.body.len()
            + 2 * self.tags.as_slice().iter().map(String::len).sum::<usize>()
    }

    /// Answers the caller with the article as its author sees it, or with why it was not stored.
    fn answer(self, row: Result<InsertedArticle, ServiceError>, author: AuthorView) {
        let _ = self
            .reply
            .send(row.map(|row| created_record(self.article, row, self.tags, author)));
    }

    fn fail(self, error: ServiceError) {
        let _ = self.reply.send(Err(error));
    }
}

/// Hands new articles to the batch writer. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct ArticleBatches {
    jobs: Queue<Job>,
    /// The writer's own connections, shown in metrics and closed with the store's.
    blog: MySqlPool,
    users: MySqlPool,
}

impl ArticleBatches {
    /// Starts the batch writer on a thread of its own (store/writer.rs), with connections of its own to the
    /// databases of `blog` and `users`. It ends when the last handle is dropped.
    pub(crate) fn start(blog: &MySqlPool, users: &MySqlPool) -> std::io::Result<Self> {
        let pool = |of: &MySqlPool, connections| {
            MySqlPoolOptions::new()
                .max_connections(connections)
                .min_connections(0)
                .acquire_timeout(Duration::from_secs(10))
                .connect_lazy_with((*of.connect_options()).clone())
        };
        let (blog, users) = (pool(blog, BLOG_CONNECTIONS), pool(users, 1));
        let writer = Writer {
            blog: Pools::shared(blog.clone()),
            users: Pools::shared(users.clone()),
        };
        let jobs = Queue::start("article-batches", |queue| writer.run(queue))?;
        Ok(Self { jobs, blog, users })
    }

    /// The writer's connections as (database, pool, open, idle), for metrics.
    pub(crate) fn pool_usage(&self) -> [(&'static str, &'static str, u32, usize); 2] {
        [("blog", &self.blog), ("users", &self.users)]
            .map(|(name, pool)| (name, "batches", pool.size(), pool.num_idle()))
    }

    /// Creates waiting for a batch.
    pub(crate) fn queued(&self) -> usize {
        self.jobs.queued()
    }

    /// Whether the writer has stopped (it would only on a bug): every create would fail.
    pub(crate) fn stopped(&self) -> bool {
        self.jobs.stopped()
    }

    /// Closes the writer's connections (once the batch in flight has let go of them).
    pub(crate) async fn close(&self) {
        self.blog.close().await;
        self.users.close().await;
    }

    /// Stores `article` once its author is known to exist and returns it as the author sees it, once the
    /// transaction holding it has committed. `Busy` when the queue is full, or when a deadlock or a lost
    /// connection failed its batch before the commit.
    pub(crate) async fn insert(&self, article: NewArticle) -> Result<ArticleRecord, ServiceError> {
        let tags = Tags::new(article.tags.clone());
        self.jobs
            .submit(|reply| Job {
                article,
                tags,
                reply,
            })
            .await
    }
}

/// Why a batch was not committed together.
enum Failure {
    /// Before the commit: nothing of it is stored, and its articles can be written one by one.
    NotWritten(ServiceError),
    /// At the commit, which may or may not have happened: written again, they could be stored twice.
    Commit(ServiceError),
}

/// The task that writes the batches.
struct Writer {
    blog: Pools<MySql>,
    users: Pools<MySql>,
}

impl Writer {
    async fn run(self, mut queue: mpsc::Receiver<Job>) {
        let mut received = Vec::with_capacity(MAX_BATCH);
        while queue.recv_many(&mut received, MAX_BATCH).await > 0 {
            // The api timed out and closed the connection: nobody would learn of these articles, and a client
            // that tries again would only get a duplicate.
            let mut jobs: Vec<Job> = received
                .drain(..)
                .filter(|job| !job.reply.is_closed())
                .collect();
            while !jobs.is_empty() {
                let rest = jobs.split_off(batch_len(&jobs));
                self.write(jobs).await;
                jobs = rest;
            }
        }
    }

    /// Stores `jobs` — together when there are several, one by one when alone or when the server refused a row
    /// of them together — and answers each caller.
    async fn write(&self, jobs: Vec<Job>) {
        let known = match self.with_authors(jobs).await {
            Some(known) if !known.is_empty() => known,
            _ => return,
        };
        if known.len() > 1 {
            let error = match self.write_together(&known).await {
                Ok(rows) => {
                    committed(rows.len());
                    for ((job, author), row) in known.into_iter().zip(rows) {
                        job.answer(Ok(row), author);
                    }
                    return;
                }
                Err(Failure::NotWritten(e)) if refuses_one_row(&e) => e,
                Err(Failure::NotWritten(e)) => {
                    fail_uncommitted(known, e);
                    return;
                }
                Err(Failure::Commit(e)) => {
                    // Whether the commit took effect is unknown: never "try again" (a retry could store twice).
                    let answer = e.into_answer_for_each_caller("the batch's commit failed");
                    for (job, _) in known {
                        job.fail(answer());
                    }
                    return;
                }
            };
            metrics::counter!("db_article_batch_fallbacks_total").increment(1);
            tracing::debug!(%error, articles = known.len(), "a row of a batch was refused; writing it one by one");
        }
        join_all(known.into_iter().map(|(job, author)| async move {
            let gone = || job.reply.is_closed();
            if gone() {
                return;
            }
            let row = insert_article_alone(&self.blog, &job.article, &job.tags, gone).await;
            if row.is_ok() {
                committed(1);
            }
            job.answer(row, author);
        }))
        .await;
    }

    /// Each job with its author's profile, after answering those whose author does not exist; `None` (every
    /// caller answered) when the authors cannot be read.
    async fn with_authors(&self, jobs: Vec<Job>) -> Option<Vec<(Job, AuthorView)>> {
        let ids = jobs.iter().map(|job| job.article.author.0).collect();
        let authors = match authors(&self.users, ids, None).await {
            Ok(authors) => authors,
            Err(e) => {
                // Before anything was written: a lost connection is worth another try.
                let answer = uncommitted(e, jobs.len())
                    .into_answer_for_each_caller("cannot read the authors");
                for job in jobs {
                    job.fail(answer());
                }
                return None;
            }
        };
        let mut known = Vec::with_capacity(jobs.len());
        for job in jobs {
            match authors.get(job.article.author.0) {
                Some(author) => known.push((job, author.clone())),
                None => job.fail(ServiceError::NotFound(Entity::User)),
            }
        }
        Some(known)
    }

    /// Writes every article of `jobs` in one transaction; the articles of callers gone meanwhile are deleted
    /// again before the commit.
    async fn write_together(
        &self,
        jobs: &[(Job, AuthorView)],
    ) -> Result<Vec<InsertedArticle>, Failure> {
        let not_written = |e: sqlx::Error| Failure::NotWritten(e.into());
        let mut conn = self.blog.write.acquire().await.map_err(not_written)?;
        let mut tx = conn.begin().await.map_err(not_written)?;
        let batch: Vec<_> = jobs
            .iter()
            .map(|(job, _)| (&job.article, &job.tags))
            .collect();
        let rows = insert_articles_together(&mut *tx, &batch)
            .await
            .map_err(Failure::NotWritten)?;
        let gone: Vec<i64> = rows
            .iter()
            .zip(jobs)
            .filter(|(_, (job, _))| job.reply.is_closed())
            .map(|(row, _)| row.id)
            .collect();
        if !gone.is_empty() {
            delete_articles(&mut tx, &gone).await.map_err(not_written)?;
        }
        tx.commit()
            .await
            .map_err(|e| Failure::Commit(commit_failed::<MySql>(e)))?;
        Ok(rows)
    }
}

/// Counts a committed transaction of `articles` new articles.
fn committed(articles: usize) {
    metrics::histogram!("db_blog_batch_size").record(articles as f64);
    metrics::counter!("db_blog_batches_total").increment(1);
}

/// Answers every caller of `jobs` with `error`, met before the batch's commit was tried (nothing of it is
/// stored): a deadlock, a lock wait or a lost connection as `Busy` (503, worth another try).
fn fail_uncommitted(jobs: Vec<(Job, AuthorView)>, error: ServiceError) {
    let error = if is_contention(&error) {
        ServiceError::Busy
    } else {
        uncommitted(error, jobs.len())
    };
    let answer = error.into_answer_for_each_caller("the batch was not written");
    for (job, _) in jobs {
        job.fail(answer());
    }
}

/// How many of `jobs`, from the first, go into one batch: at most [`MAX_BATCH_BYTES`] of text, and at least one.
fn batch_len(jobs: &[Job]) -> usize {
    let mut bytes = 0;
    jobs.iter()
        .take_while(|job| {
            bytes += job.bytes();
            bytes <= MAX_BATCH_BYTES
        })
        .count()
        .max(1)
}

/// Deletes articles `ids` (just inserted, so nothing refers to them but their tags).
async fn delete_articles(conn: &mut MySqlConnection, ids: &[i64]) -> Result<(), sqlx::Error> {
    for table in ["article_tags WHERE article_id", "articles WHERE id"] {
        let mut q = SqlQuery::from(format!("DELETE FROM {table} IN "));
        q.push_id_list(Dialect::Mysql, ids);
        conn.execute(&q).await?;
    }
    Ok(())
}
