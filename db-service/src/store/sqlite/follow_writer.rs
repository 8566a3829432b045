//! Group commit for follows and unfollows on users.db: those that arrive while a commit is in flight are written
//! together in the next transaction, on a thread of the writer's own, straight through SQLite (direct.rs), and
//! each caller is answered once its batch committed and the cached followees of its follower are marked stale.
//!
//! Why: users.db has one writer connection, and a follow written alone holds it for a round trip to sqlx's thread,
//! its COMMIT, and the hand-over to the next follow on the shared runtime, which under load waits behind every
//! ready read. bench/mixed.sh at 256 connections, once reads ran on the runtime's threads (store::direct_readers):
//! follows came 160 a second and went 50 to 100, and took 577 ms on average. A batch writes all those waiting.
//!
//! Bounded like blog.db's writer: at most `writer::QUEUE_CAPACITY` follows wait (more get 503), at most
//! [`MAX_BATCH`] are written in one transaction, and one whose caller has gone before its batch began is not
//! written.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use db_client::{Entity, UserId};
use sqlx::{pool::PoolConnection, Sqlite, SqlitePool};
use tokio::sync::mpsc;

use super::direct::Direct;
use crate::{
    error::ServiceError,
    store::{
        backend::uncommitted,
        read_cache::ReadCache,
        sql::{Dialect, SqlQuery},
        users::FOLLOWS,
        writer::{Queue, Reply},
    },
};

/// The histogram of how long users.db's COMMITs of follows take.
const FOLLOW_COMMIT_SECONDS: &str = "db_follow_commit_duration_seconds";

/// Most follows written in one transaction (bounds the time a batch holds users.db's writer).
const MAX_BATCH: usize = 64;

/// A follow or unfollow waiting for the writer, with the channel its caller waits on.
struct Job {
    follower: UserId,
    followee: i64,
    follow: bool,
    reply: Reply<()>,
}

/// Hands follows to users.db's batching writer. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct FollowWriter {
    jobs: Queue<Job>,
    /// Transactions committed so far.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests of batching"))]
    batches: Arc<AtomicU64>,
}

impl FollowWriter {
    /// Starts the writer on `users` (users.db's single writer), marking stale in `cache` whom each follower
    /// follows; it ends when the last handle is dropped.
    pub(crate) fn start(users: SqlitePool, cache: Arc<ReadCache>) -> std::io::Result<Self> {
        let batches = Arc::new(AtomicU64::new(0));
        let writer = Writer {
            users,
            cache,
            batches: Arc::clone(&batches),
        };
        let jobs = Queue::start("follow-writer", |queue| writer.run(queue))?;
        Ok(Self { jobs, batches })
    }

    /// Makes `follower` follow `followee` or stop (a no-op when already so), once both are known users.
    /// `NotFound(User)` when either is not; `Busy` when the queue is full.
    pub(crate) async fn set(
        &self,
        follower: UserId,
        followee: i64,
        follow: bool,
    ) -> Result<(), ServiceError> {
        self.jobs
            .submit(|reply| Job {
                follower,
                followee,
                follow,
                reply,
            })
            .await
    }

    /// Follows waiting for a batch.
    pub(crate) fn queued(&self) -> usize {
        self.jobs.queued()
    }

    /// Transactions committed so far.
    #[cfg(test)]
    pub(crate) fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Whether the writer has stopped (it would only on a bug): every follow would fail.
    pub(crate) fn stopped(&self) -> bool {
        self.jobs.stopped()
    }

    /// Makes this handle's writer look stopped, as one that panicked would.
    #[cfg(test)]
    pub(crate) fn stop_for_test(&mut self) {
        self.jobs = Queue::stopped_for_test();
    }
}

/// The task that owns users.db's writer while it writes follows.
struct Writer {
    users: SqlitePool,
    cache: Arc<ReadCache>,
    batches: Arc<AtomicU64>,
}

impl Writer {
    async fn run(self, mut queue: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let mut jobs = std::mem::take(&mut batch);
            // Nobody would learn of these before they are taken; a client that tries again gets the same answer
            // either way. One taken is made, whether its caller waits or not.
            jobs.retain(|job| !job.reply.is_closed());
            if !jobs.is_empty() {
                self.write(jobs).await;
            }
        }
    }

    /// Commits the follows of `jobs` in one transaction and answers each caller: with its own outcome once the
    /// batch committed, or with the batch's error (nothing of it is stored).
    async fn write(&self, jobs: Vec<Job>) {
        // No connection free in time: nothing was written, nothing is marked.
        let conn = match self.users.acquire().await {
            Ok(conn) => conn,
            Err(e) => {
                let answer = uncommitted(e.into(), jobs.len())
                    .into_answer_for_each_caller("the batch was not begun");
                for job in jobs {
                    let _ = job.reply.send(Err(answer()));
                }
                return;
            }
        };
        // Marks every follower's followees stale, unless narrowed below to those whose follows changed a row:
        // also should the commit panic (its outcome unknown).
        let mut stale = MarksStale {
            cache: &self.cache,
            followers: jobs.iter().map(|job| job.follower).collect(),
        };
        let outcomes = commit(conn, &jobs).await;
        match &outcomes {
            Ok(outcomes) => {
                let changed = jobs
                    .iter()
                    .zip(outcomes)
                    .filter(|(_, outcome)| matches!(outcome, Ok(true)));
                stale.followers = changed.map(|(job, _)| job.follower).collect();
            }
            Err(e) if e.wrote_nothing() => stale.followers.clear(),
            // The commit may have happened.
            Err(_) => {}
        }
        // Before anyone hears of a follow.
        drop(stale);
        match outcomes {
            Ok(outcomes) => {
                self.batches.fetch_add(1, Ordering::Relaxed);
                metrics::histogram!("db_follow_batch_size").record(jobs.len() as f64);
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(outcome.map(drop));
                }
            }
            Err(e) => {
                let answer = e.into_answer_for_each_caller("the batch was not committed");
                for job in jobs {
                    let _ = job.reply.send(Err(answer()));
                }
            }
        }
    }
}

/// Makes every job's write in one transaction on `conn`, each under a savepoint (one that fails rolls back alone),
/// and commits it; each outcome tells whether the job changed a row. After a failure the connection is closed
/// rather than given back, so that the next batch starts on a fresh one whatever the failure left behind.
async fn commit(
    mut conn: PoolConnection<Sqlite>,
    jobs: &[Job],
) -> Result<Vec<Result<bool, ServiceError>>, ServiceError> {
    let written = Direct::run(&mut conn, |db| {
        db.transaction(FOLLOW_COMMIT_SECONDS, |db| {
            jobs.iter()
                // Kept once written even if its caller has gone meanwhile: a follow is the same made twice.
                .map(|job| db.under_savepoint(|| false, |db| follow(db, job)))
                .collect()
        })
    })
    .await
    .and_then(|written| written);
    if written.is_err() {
        let _ = conn.close().await;
    }
    written
}

/// Marks `followers`' cached followees stale, then every cached page (they carry their viewer's `following` flags),
/// when dropped: after a batch's commit, before its callers are answered, as SqlStore::mark_stale does for other
/// writes. Whom each follows first: a page read in between is cached at the old version.
struct MarksStale<'c> {
    cache: &'c ReadCache,
    followers: Vec<UserId>,
}

impl Drop for MarksStale<'_> {
    fn drop(&mut self) {
        if self.followers.is_empty() {
            return;
        }
        for follower in &self.followers {
            self.cache.followees_changed(*follower);
        }
        self.cache.invalidate();
    }
}

/// Writes one follow or unfollow; whether it changed a row (not when already so). A follower or followee that does
/// not exist is `NotFound(User)`.
fn follow(db: &Direct, job: &Job) -> Result<bool, ServiceError> {
    let q: SqlQuery = FOLLOWS.set(Dialect::Sqlite, job.follower.0, job.followee, job.follow);
    match db.execute(&q) {
        Ok(()) => Ok(db.changes() > 0),
        Err(e) if is_foreign_key(&e) => Err(ServiceError::NotFound(Entity::User)),
        Err(e) => Err(e.into()),
    }
}

fn is_foreign_key(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(failure, _)
        if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

#[cfg(test)]
mod tests {
    use sqlx::Sqlite;

    use super::*;
    use crate::{config::Durability, store::SqlStore};

    /// A store in `dir` with `n` users, their ids, and its follow writer.
    async fn store_with_users(
        dir: &std::path::Path,
        n: usize,
    ) -> (SqlStore<Sqlite>, Vec<UserId>, FollowWriter) {
        let store = crate::store::sqlite::open(dir, Durability::Full, 256)
            .await
            .expect("open");
        let mut ids = Vec::new();
        for i in 0..n {
            let user = store
                .insert_user(&conduit_testkit::new_user(&format!("user{i}")))
                .await
                .expect("user");
            ids.push(user.id);
        }
        let writer = store
            .follow_writer()
            .cloned()
            .expect("SQLite group-commits");
        (store, ids, writer)
    }

    #[tokio::test]
    async fn follows_that_arrive_together_share_transactions_and_each_follower_sees_its_own_at_once(
    ) {
        let dir = tempfile::tempdir().expect("dir");
        let (store, users, writer) = store_with_users(dir.path(), 41).await;
        let star = users[0];
        // Each follower's followees are cached (empty) before it follows.
        for follower in &users[1..] {
            assert!(store
                .followee_ids(*follower)
                .await
                .expect("read")
                .is_empty());
        }
        let before = writer.batches();
        let follows = users[1..].iter().map(|follower| {
            let (store, writer) = (store.clone(), writer.clone());
            let follower = *follower;
            tokio::spawn(async move {
                writer.set(follower, star.0, true).await.expect("follow");
                store.followee_ids(follower).await.expect("read")
            })
        });
        for seen in futures_util::future::join_all(follows).await {
            assert_eq!(
                seen.expect("task"),
                [star.0],
                "the follower saw its follow at once"
            );
        }
        let batches = writer.batches() - before;
        assert!(batches < 40, "40 follows took {batches} transactions");
        writer.set(users[1], star.0, false).await.expect("unfollow");
        assert!(store.followee_ids(users[1]).await.expect("read").is_empty());
        assert_eq!(store.followee_ids(users[2]).await.expect("read"), [star.0]);
    }

    /// The slugs in `viewer`'s feed (cached by the store like every page).
    async fn feed(store: &SqlStore<Sqlite>, viewer: UserId) -> Vec<String> {
        let filter = db_client::ArticleFilter {
            followed_by: Some(viewer),
            viewer: Some(viewer),
            limit: 20,
            ..db_client::ArticleFilter::default()
        };
        let page: db_client::ArticlePage =
            serde_json::from_slice(&store.list_articles(&filter).await.expect("feed"))
                .expect("json");
        page.articles.into_iter().map(|a| a.slug).collect()
    }

    #[tokio::test]
    async fn a_cached_page_shows_a_follow_and_an_unfollow_at_once() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, users, writer) = store_with_users(dir.path(), 2).await;
        let (author, reader) = (users[0], users[1]);
        let article = store
            .insert_article(db_client::NewArticle {
                author,
                slug: "followed".into(),
                title: "Followed".into(),
                description: "d".into(),
                body: "b".into(),
                tags: Vec::new(),
            })
            .await
            .expect("article");
        assert!(feed(&store, reader).await.is_empty());
        writer.set(reader, author.0, true).await.expect("follow");
        assert_eq!(feed(&store, reader).await, [article.slug]);
        writer.set(reader, author.0, false).await.expect("unfollow");
        assert!(feed(&store, reader).await.is_empty());
    }

    /// A writer of `store`'s users.db, called directly (beside the store's own), to give it one batch.
    fn writer_of(store: &SqlStore<Sqlite>) -> Writer {
        Writer {
            users: store.users.write.clone(),
            cache: Arc::clone(&store.cache),
            batches: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A job and the channel its answer comes on.
    fn job(
        follower: UserId,
        followee: i64,
        follow: bool,
    ) -> (
        Job,
        tokio::sync::oneshot::Receiver<Result<(), ServiceError>>,
    ) {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job {
            follower,
            followee,
            follow,
            reply,
        };
        (job, answer)
    }

    #[tokio::test]
    async fn a_follow_of_nobody_fails_alone_in_its_batch() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, users, _) = store_with_users(dir.path(), 3).await;
        let writer = writer_of(&store);
        let (missing, missing_answer) = job(users[1], 999_999, true);
        let (kept, kept_answer) = job(users[2], users[0].0, true);
        let (again, again_answer) = job(users[1], users[0].0, true);
        writer.write(vec![missing, kept, again]).await;
        assert_eq!(writer.batches.load(Ordering::Relaxed), 1, "one batch");
        let missing = missing_answer.await.expect("answered");
        assert!(
            matches!(missing, Err(ServiceError::NotFound(Entity::User))),
            "{missing:?}"
        );
        kept_answer
            .await
            .expect("answered")
            .expect("the other follow");
        again_answer
            .await
            .expect("answered")
            .expect("the follower's next follow");
        assert_eq!(
            store.followee_ids(users[2]).await.expect("read"),
            [users[0].0]
        );
        assert_eq!(
            store.followee_ids(users[1]).await.expect("read"),
            [users[0].0]
        );
    }

    /// A stream of follows that change nothing (made already, of nobody, unfollows of someone not followed)
    /// cannot flush every reader's cached pages.
    #[tokio::test]
    async fn follows_that_change_nothing_leave_the_cache_as_it_was() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, users, _) = store_with_users(dir.path(), 3).await;
        let writer = writer_of(&store);
        let (first, answer) = job(users[1], users[0].0, true);
        writer.write(vec![first]).await;
        answer.await.expect("answered").expect("follow");
        let version = store.cache.local_version();
        let followees = store.cache.followees_version(users[1]);
        let (again, again_answer) = job(users[1], users[0].0, true);
        let (nobody, nobody_answer) = job(users[1], 999_999, true);
        let (not_followed, not_followed_answer) = job(users[1], users[2].0, false);
        writer.write(vec![again, nobody, not_followed]).await;
        again_answer.await.expect("answered").expect("no-op follow");
        assert!(nobody_answer.await.expect("answered").is_err());
        not_followed_answer
            .await
            .expect("answered")
            .expect("no-op unfollow");
        assert_eq!(store.cache.local_version(), version, "pages kept");
        assert_eq!(store.cache.followees_version(users[1]), followees);
        let (unfollow, answer) = job(users[1], users[0].0, false);
        writer.write(vec![unfollow]).await;
        answer.await.expect("answered").expect("unfollow");
        assert_ne!(
            store.cache.local_version(),
            version,
            "a change marks pages stale"
        );
    }
}
