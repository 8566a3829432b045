//! Group commit for new articles: creates that arrive while a commit is in flight are written together in the
//! next transaction, so N concurrent creates cost one BEGIN/COMMIT and one fsync instead of N. Nothing waits
//! for company: a lone create is committed at once. Each caller is answered only after its batch committed.

use std::sync::Arc;

use db_client::NewArticle;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::{
    articles::{insert_article_row, insert_tags, unused_slug, InsertedArticle},
    cache::ReadCache,
    unique_violation_column,
};
use crate::error::ServiceError;

/// Most creates written in one transaction (bounds the time a batch holds the writer).
const MAX_BATCH: usize = 64;

struct Job {
    article: NewArticle,
    reply: oneshot::Sender<Result<InsertedArticle, ServiceError>>,
}

/// Hands new articles to the batching writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct ArticleInserter {
    jobs: mpsc::UnboundedSender<Job>,
}

impl ArticleInserter {
    /// Starts the writer task on `pool` (blog.db's single writer); it ends when the last inserter is dropped.
    pub(super) fn start(pool: SqlitePool, cache: Arc<ReadCache>) -> Self {
        // Unbounded is safe: each job is an in-flight request, and MAX_CONCURRENT_REQUESTS bounds those.
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(pool, cache, queue));
        Self { jobs }
    }

    /// Writes `article` and returns its row once the transaction holding it has committed.
    pub(super) async fn insert(
        &self,
        article: NewArticle,
    ) -> Result<InsertedArticle, ServiceError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || ServiceError::Internal(anyhow::anyhow!("the article writer has stopped"));
        self.jobs
            .send(Job { article, reply })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn write_batches(
    pool: SqlitePool,
    cache: Arc<ReadCache>,
    mut queue: mpsc::UnboundedReceiver<Job>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        metrics::histogram!("db_article_batch_size").record(jobs.len() as f64);
        match insert_all(&pool, &jobs).await {
            Ok(ids) => {
                cache.invalidate();
                for (job, row) in jobs.into_iter().zip(ids) {
                    let _ = job.reply.send(Ok(row));
                }
            }
            // One failing article must not fail the others: the batch was rolled back, so write each alone
            // and give every caller its own outcome.
            Err(_) if jobs.len() > 1 => {
                for job in jobs {
                    let result = insert_all(&pool, std::slice::from_ref(&job)).await;
                    if result.is_ok() {
                        cache.invalidate();
                    }
                    let _ = job.reply.send(result.and_then(|rows| {
                        rows.into_iter().next().ok_or_else(|| {
                            anyhow::anyhow!("a one-article batch wrote nothing").into()
                        })
                    }));
                }
            }
            Err(e) => {
                if let Some(job) = jobs.into_iter().next() {
                    let _ = job.reply.send(Err(e));
                }
            }
        }
    }
}

/// Inserts every job's article and tags in one transaction; their rows in order.
async fn insert_all(pool: &SqlitePool, jobs: &[Job]) -> Result<Vec<InsertedArticle>, ServiceError> {
    let mut tx = pool.begin().await?;
    let mut rows = Vec::with_capacity(jobs.len());
    for Job { article, .. } in jobs {
        // Most titles are new: try the slug as given, and look for a free suffix only when it is taken.
        let row = match insert_article_row(&mut tx, article, &article.slug).await {
            Err(e) if unique_violation_column(&e).as_deref() == Some("slug") => {
                let slug = unused_slug(&mut tx, &article.slug, None).await?;
                insert_article_row(&mut tx, article, &slug).await?
            }
            inserted => inserted?,
        };
        insert_tags(&mut tx, row.id, &article.tags).await?;
        rows.push(row);
    }
    tx.commit().await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use db_client::UserId;

    use super::*;
    use crate::{config::Durability, store::Store};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn creates_queued_behind_a_busy_writer_commit_together_each_with_its_own_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), Durability::Full)
            .await
            .expect("open");
        // Hold blog.db's only writer connection: the first create waits on it, the rest queue up behind and
        // are then written as one batch.
        let busy = store.blog.write.acquire().await.expect("writer");
        let creates: Vec<_> = (0..10)
            .map(|i| {
                let inserter = store.article_inserter.clone();
                tokio::spawn(async move {
                    let article = NewArticle {
                        author: UserId(1),
                        slug: "same".into(),
                        title: "Same".into(),
                        description: format!("#{i}"),
                        body: "b".into(),
                        tags: vec![format!("t{i}")],
                    };
                    (i, inserter.insert(article).await)
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(busy);

        let mut slugs = std::collections::HashSet::new();
        for create in creates {
            let (i, row) = create.await.expect("task");
            let id = row.expect("inserted").id;
            let (description, slug, tag): (String, String, String) = sqlx::query_as(
                "SELECT a.description, a.slug, t.tag FROM articles a
                 JOIN article_tags t ON t.article_id = a.id WHERE a.id = ?",
            )
            .bind(id)
            .fetch_one(&store.blog.read)
            .await
            .expect("stored");
            assert_eq!((description, tag), (format!("#{i}"), format!("t{i}")));
            assert!(slugs.insert(slug.clone()), "duplicate slug {slug}");
        }
        assert_eq!(slugs.len(), 10);
    }
}
