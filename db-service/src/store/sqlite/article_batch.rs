//! Group commit for new articles: creates that arrive while a commit is in flight are written together in the
//! next transaction, so N concurrent creates cost one BEGIN/COMMIT and one fsync instead of N, and their authors
//! are checked (and their profiles fetched) in one users.db query. Nothing waits for company: a lone create is
//! committed at once. Each caller is answered only after its batch committed.

use std::sync::Arc;

use db_client::{AuthorView, NewArticle};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::{
    articles::{insert_article_row, insert_tags, unused_slug, InsertedArticle},
    cache::ReadCache,
    unique_violation_column,
    users::authors_by_ids,
};
use crate::error::ServiceError;

/// Most creates written in one transaction (bounds the time a batch holds the writer).
const MAX_BATCH: usize = 64;

/// A committed article: what the caller sent (handed back, not copied), what the database decided, and the
/// author's profile (as the author sees it).
#[derive(Debug)]
pub(super) struct Created {
    pub article: NewArticle,
    pub row: InsertedArticle,
    pub author: AuthorView,
}

struct Job {
    article: NewArticle,
    reply: oneshot::Sender<Result<Created, ServiceError>>,
}

/// Hands new articles to the batching writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct ArticleInserter {
    jobs: mpsc::UnboundedSender<Job>,
}

impl ArticleInserter {
    /// Starts the writer task on `blog` (blog.db's single writer), reading authors from `users` (a users.db
    /// reader); it ends when the last inserter is dropped.
    pub(super) fn start(blog: SqlitePool, users: SqlitePool, cache: Arc<ReadCache>) -> Self {
        // Unbounded is safe: each job is an in-flight request, and MAX_CONCURRENT_REQUESTS bounds those.
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(blog, users, cache, queue));
        Self { jobs }
    }

    /// Writes `article` once its author is known to exist, and returns its row and author once the transaction
    /// holding it has committed.
    pub(super) async fn insert(&self, article: NewArticle) -> Result<Created, ServiceError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || ServiceError::Internal(anyhow::anyhow!("the article writer has stopped"));
        self.jobs
            .send(Job { article, reply })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn write_batches(
    blog: SqlitePool,
    users: SqlitePool,
    cache: Arc<ReadCache>,
    mut queue: mpsc::UnboundedReceiver<Job>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        metrics::histogram!("db_article_batch_size").record(jobs.len() as f64);
        // users.db is a different file, so the author reference is checked here rather than by a foreign key.
        let ids = jobs.iter().map(|job| job.article.author.0);
        let authors = match authors_by_ids(&users, ids, None).await {
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
                    let _ = job.reply.send(Err(ServiceError::NotFound("user")));
                }
            }
        }
        write(&blog, &cache, known).await;
    }
}

/// Commits the articles of `jobs` (whose authors exist) and answers each caller.
async fn write(blog: &SqlitePool, cache: &ReadCache, jobs: Vec<(Job, AuthorView)>) {
    if jobs.is_empty() {
        return;
    }
    let (jobs, authors): (Vec<Job>, Vec<AuthorView>) = jobs.into_iter().unzip();
    match insert_all(blog, &jobs).await {
        Ok(rows) => {
            cache.invalidate();
            for ((Job { article, reply }, row), author) in jobs.into_iter().zip(rows).zip(authors) {
                let _ = reply.send(Ok(Created {
                    article,
                    row,
                    author,
                }));
            }
        }
        // One failing article must not fail the others: the batch was rolled back, so write each alone
        // and give every caller its own outcome.
        Err(_) if jobs.len() > 1 => {
            for (job, author) in jobs.into_iter().zip(authors) {
                let result = insert_all(blog, std::slice::from_ref(&job)).await;
                if result.is_ok() {
                    cache.invalidate();
                }
                let Job { article, reply } = job;
                let _ = reply.send(result.and_then(|rows| {
                    let row = rows
                        .into_iter()
                        .next()
                        .ok_or_else(|| anyhow::anyhow!("a one-article batch wrote nothing"))?;
                    Ok(Created {
                        article,
                        row,
                        author,
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

    use db_client::{NewUser, UserId};

    use super::*;
    use crate::{config::Durability, store::sqlite::SqliteStore};

    /// A store with one user, jake.
    async fn store_with_jake(dir: &std::path::Path) -> (SqliteStore, UserId) {
        let store = SqliteStore::open(dir, Durability::Full)
            .await
            .expect("open");
        let jake = store
            .insert_user(&NewUser {
                username: "jake".into(),
                email: "jake@example.com".into(),
                password_hash: "h".into(),
            })
            .await
            .expect("user");
        (store, jake.id)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn creates_queued_behind_a_busy_writer_commit_together_each_with_its_own_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake) = store_with_jake(dir.path()).await;
        // Hold blog.db's only writer connection: the first create waits on it, the rest queue up behind and
        // are then written as one batch. Every other article names an author who does not exist: those alone
        // are refused.
        let busy = store.blog.write.acquire().await.expect("writer");
        let creates: Vec<_> = (0..10)
            .map(|i| {
                let inserter = store.article_inserter.clone();
                let author = if i % 3 == 2 { UserId(999) } else { jake };
                tokio::spawn(async move {
                    let article = NewArticle {
                        author,
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
            let (i, created) = create.await.expect("task");
            if i % 3 == 2 {
                assert!(
                    matches!(created, Err(ServiceError::NotFound("user"))),
                    "#{i}: {created:?}"
                );
                continue;
            }
            let Created { row, author, .. } = created.expect("inserted");
            assert_eq!(author.username, "jake");
            let (description, slug, tag): (String, String, String) = sqlx::query_as(
                "SELECT a.description, a.slug, t.tag FROM articles a
                 JOIN article_tags t ON t.article_id = a.id WHERE a.id = ?",
            )
            .bind(row.id)
            .fetch_one(&store.blog.read)
            .await
            .expect("stored");
            assert_eq!((description, tag), (format!("#{i}"), format!("t{i}")));
            assert_eq!(slug, row.slug);
            assert!(slugs.insert(slug.clone()), "duplicate slug {slug}");
        }
        assert_eq!(slugs.len(), 7);
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
            .fetch_one(&store.blog.read)
            .await
            .expect("count");
        assert_eq!(stored, 7, "no article of an unknown author is stored");
    }
}
