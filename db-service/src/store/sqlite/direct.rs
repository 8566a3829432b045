//! The group-committed writes (blog.db's, and users.db's follows), made on their writer's own thread straight
//! through SQLite (rusqlite on the handle of sqlx's connection) rather than as sqlx queries.
//!
//! Why: each sqlx query is a round trip to its connection's worker thread, two thread wake-ups that each wait for
//! a core while the cores are busy, and a batch made that way costs BEGIN, COMMIT, one to six per write
//! (savepoints, the slug's insert, the row read back, the tags) of them. bench/mixed.sh at 32 connections: a
//! transaction of 3.2 writes held the single writer 3.4 ms, of which 1.2 ms was COMMIT, and a favorite took
//! 11.7 ms on average at the api. Here a batch costs one round trip (taking the handle) whatever it holds.
//!
//! The statements are built beside the rest of their tables' SQL (store::{favorites, comments, articles, tags}),
//! by the builders MySQL's writes use where the two backends agree; only how they are run and how their rows are
//! read (by the same column names as the sqlx row shapes) is here.

use std::time::Instant;

use db_client::{Entity, NewArticle, NewComment, UserId};
use rusqlite::Connection;
use sqlx::sqlite::{LockedSqliteHandle, SqliteConnection};

use crate::{
    error::ServiceError,
    store::{
        articles::{new_article_insert, select_inserted, slug_candidates, InsertedArticle},
        comments::insert_comment_returning,
        direct_readers::FromSqliteRow,
        favorites::{as_after_the_write, favorite_by_sole_writer},
        rows::{CommentRow, KeyedArticleRow},
        sql::{Dialect, SqlQuery},
        tags::{tag_rows_insert, Tags},
    },
};

/// A database's writer connection, lent by sqlx for one batch: the SQLite handle of sqlx's connection, and the lock
/// that keeps sqlx's worker thread off it, dropped in that order (fields drop in declaration order, after
/// [`Drop::drop`]). A transaction the batch leaves open (it panicked, or forgot to end it) is rolled back first,
/// so that sqlx never gets the connection back inside a transaction it does not know of.
pub(super) struct Direct<'c> {
    connection: Connection,
    _locked: LockedSqliteHandle<'c>,
}

impl Drop for Direct<'_> {
    fn drop(&mut self) {
        if !self.connection.is_autocommit() {
            let _ = self.connection.execute_batch("ROLLBACK");
        }
    }
}

/// Statements a batch prepares at most (rusqlite's default keeps 16): the fixed ones (BEGIN, COMMIT, savepoints,
/// each kind of write) and a tag INSERT per number of tags, so that each is prepared once per batch.
const STATEMENTS_CACHED: usize = 64;

impl Direct<'_> {
    /// Runs `batch` on `conn`'s SQLite handle, on this thread, while sqlx's worker thread for `conn` waits. An
    /// error, with `batch` not run, if the connection is inside a transaction (sqlx's: it is not this module's to
    /// end), and an error if `batch` left one open (it is rolled back).
    pub(super) async fn run<T>(
        conn: &mut SqliteConnection,
        batch: impl FnOnce(&Direct) -> T,
    ) -> Result<T, ServiceError> {
        let mut locked = conn.lock_handle().await?;
        let handle = locked.as_raw_handle();
        // SAFETY: the handle is sqlx's open connection, which `locked` keeps from its worker thread until dropped,
        // so nothing else uses it meanwhile. `Direct` holds both and drops the connection first, also when `batch`
        // panics, finalizing the statements it prepared; it never closes the handle: `from_handle` lends it, and
        // rusqlite is built without `hooks` (the workspace pins it; `make lint` checks no crate turns that on), so
        // dropping it leaves sqlx's settings on the connection alone.
        #[expect(
            unsafe_code,
            reason = "the only way to run statements on sqlx's connection in this thread"
        )]
        let connection = unsafe { Connection::from_handle(handle.as_ptr()) }?;
        if !connection.is_autocommit() {
            return Err(anyhow::anyhow!("the connection lent is inside a transaction").into());
        }
        connection.set_prepared_statement_cache_capacity(STATEMENTS_CACHED);
        let direct = Direct {
            connection,
            _locked: locked,
        };
        let done = batch(&direct);
        let left_open = !direct.connection.is_autocommit();
        drop(direct);
        if left_open {
            return Err(anyhow::anyhow!("a batch left its transaction open").into());
        }
        Ok(done)
    }

    /// Makes `body`'s writes in one transaction and commits them; rolled back if anything fails. Records how long
    /// the COMMIT took (its fsync, with `DB_SYNCHRONOUS=full`) in the histogram `commit_seconds`.
    pub(super) fn transaction<T>(
        &self,
        commit_seconds: &'static str,
        body: impl FnOnce(&Self) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        self.statement("BEGIN IMMEDIATE")?;
        let done = body(self).and_then(|done| {
            let committing = Instant::now();
            self.statement("COMMIT")?;
            metrics::histogram!(commit_seconds).record(committing.elapsed().as_secs_f64());
            Ok(done)
        });
        // SQLite may have rolled the transaction back itself (e.g. for want of room).
        if done.is_err() && !self.connection.is_autocommit() {
            let _ = self.statement("ROLLBACK");
        }
        done
    }

    /// Runs `write` under a savepoint: kept if it succeeds and its caller still waits, rolled back alone otherwise
    /// (a caller that has gone would only get a duplicate when its client tries again). The outer error fails the
    /// whole batch: the savepoint's own, or the write's when SQLite rolled the whole transaction back for it (e.g.
    /// for want of room); the inner one is the write's alone.
    pub(super) fn under_savepoint<T>(
        &self,
        abandoned: impl Fn() -> bool,
        write: impl FnOnce(&Self) -> Result<T, ServiceError>,
    ) -> Result<Result<T, ServiceError>, ServiceError> {
        self.statement("SAVEPOINT job")?;
        let written = write(self);
        if self.connection.is_autocommit() {
            return Err(written.err().unwrap_or_else(|| {
                anyhow::anyhow!("the transaction ended under a savepoint").into()
            }));
        }
        if written.is_ok() && !abandoned() {
            self.statement("RELEASE job")?;
            return Ok(written);
        }
        self.statement("ROLLBACK TO job")?;
        self.statement("RELEASE job")?;
        Ok(written.and(Err(ServiceError::Busy)))
    }

    /// Adds the article to `user`'s favorites or removes it (a no-op when already so), and answers with it as
    /// `user` sees it right after (store::favorites::favorite_by_sole_writer).
    pub(super) fn favorite(
        &self,
        slug: &str,
        user: UserId,
        favorite: bool,
    ) -> Result<KeyedArticleRow, ServiceError> {
        let (read, write) = favorite_by_sole_writer(slug, user, favorite);
        let before = self
            .first_row::<KeyedArticleRow>(&read)?
            .ok_or(ServiceError::NotFound(Entity::Article))?;
        self.execute(&write)?;
        Ok(as_after_the_write(before, favorite))
    }

    /// Adds `comment` to the article; `NotFound` when no article has this slug.
    pub(super) fn comment(
        &self,
        slug: &str,
        comment: &NewComment,
    ) -> Result<CommentRow, ServiceError> {
        self.first_row::<CommentRow>(&insert_comment_returning(slug, comment))?
            .ok_or(ServiceError::NotFound(Entity::Article))
    }

    /// Inserts a new article with its tags under its slug, or under a suffixed one when that is taken
    /// (store::articles::slug_candidates); what the database decided.
    pub(super) fn create(
        &self,
        new: &NewArticle,
        tags: &Tags,
    ) -> Result<InsertedArticle, ServiceError> {
        let id = self.insert_under_free_slug(new, tags)?;
        let mut q = SqlQuery::from(select_inserted(Dialect::Sqlite) + "id = ");
        q.bind_int(Some(id));
        let row = self
            .first_row::<InsertedArticle>(&q)?
            .ok_or_else(|| anyhow::anyhow!("article {id} vanished after its insert"))?;
        if let Some(q) = tag_rows_insert(&[(row.id, tags)]) {
            self.execute(&q)?;
        }
        Ok(row)
    }

    /// The new article's id, under the first slug candidate no other article has.
    fn insert_under_free_slug(&self, new: &NewArticle, tags: &Tags) -> Result<i64, ServiceError> {
        for slug in slug_candidates(&new.slug) {
            match self.execute(&new_article_insert(Dialect::Sqlite, &slug, new, tags)) {
                Err(e) if takes_a_used_slug(&e) => continue,
                Err(e) => return Err(e.into()),
                Ok(()) => return Ok(self.connection.last_insert_rowid()),
            }
        }
        Err(ServiceError::Conflict("slug"))
    }

    /// A statement without parameters (BEGIN, COMMIT, savepoints), prepared once per batch ([`STATEMENTS_CACHED`]).
    fn statement(&self, sql: &str) -> rusqlite::Result<()> {
        self.connection.prepare_cached(sql)?.execute([]).map(drop)
    }

    /// Rows the last statement inserted, changed or deleted.
    pub(super) fn changes(&self) -> u64 {
        self.connection.changes()
    }

    pub(super) fn execute(&self, q: &SqlQuery) -> rusqlite::Result<()> {
        self.connection
            .prepare_cached(&q.sql)?
            .execute(rusqlite::params_from_iter(&q.params))
            .map(drop)
    }

    /// The first row `q` returns. Every row is stepped through, so that a statement that writes (`… RETURNING`)
    /// runs to its end.
    fn first_row<T: FromSqliteRow>(&self, q: &SqlQuery) -> rusqlite::Result<Option<T>> {
        let mut statement = self.connection.prepare_cached(&q.sql)?;
        let mut rows = statement.query_map(rusqlite::params_from_iter(&q.params), T::from_row)?;
        let first = rows.next().transpose()?;
        for rest in rows {
            rest?;
        }
        Ok(first)
    }
}

/// Whether an INSERT failed because another article has its slug (`UNIQUE constraint failed: articles.slug`).
fn takes_a_used_slug(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(failure, Some(message))
        if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            && message.ends_with("articles.slug"))
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection, Sqlite};

    use super::super::blog_writer::BLOG_COMMIT_SECONDS;

    use super::*;
    use crate::{config::Durability, store::SqlStore};

    async fn store(dir: &std::path::Path) -> SqlStore<Sqlite> {
        crate::store::sqlite::open(dir, Durability::Full, 256)
            .await
            .expect("open")
    }

    /// How many tags blog.db holds, read in a transaction sqlx begins and commits on `conn` (which fails if the
    /// connection is still inside another).
    async fn tags_in_a_transaction_of_sqlx(conn: &mut SqliteConnection) -> i64 {
        let mut tx = conn.begin().await.expect("sqlx begins");
        let tags = sqlx::query_scalar("SELECT count(*) FROM tags")
            .fetch_one(&mut *tx)
            .await
            .expect("count");
        tx.commit().await.expect("commit");
        tags
    }

    /// A batch that ends without committing (as one that panics would) is an error, and what it wrote is rolled
    /// back before sqlx gets the connection back, which can then begin a transaction of its own.
    #[tokio::test]
    async fn a_batch_that_leaves_its_transaction_open_is_rolled_back_before_sqlx_gets_the_connection_back(
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path()).await;
        let mut conn = store.blog.write.acquire().await.expect("writer");
        let left_open = Direct::run(&mut conn, |db| {
            db.statement("BEGIN IMMEDIATE")?;
            db.statement("INSERT INTO tags (tag, article_count) VALUES ('left-open', 1)")
        })
        .await;
        assert!(left_open.is_err(), "{left_open:?}");
        assert_eq!(
            tags_in_a_transaction_of_sqlx(&mut conn).await,
            0,
            "the open transaction's write was kept"
        );
    }

    /// A batch that panics with a transaction open: the transaction is rolled back as the panic unwinds, and
    /// sqlx can begin one of its own on the connection.
    #[tokio::test]
    async fn a_batch_that_panics_leaves_no_transaction_behind() {
        use futures_util::FutureExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path()).await;
        let mut conn = store.blog.write.acquire().await.expect("writer");
        let panicked = std::panic::AssertUnwindSafe(Direct::run(&mut conn, |db| {
            db.statement("BEGIN IMMEDIATE").expect("begin");
            db.statement("INSERT INTO tags (tag, article_count) VALUES ('panicked', 1)")
                .expect("insert");
            panic!("a batch panics");
        }))
        .catch_unwind()
        .await;
        assert!(panicked.is_err());
        assert_eq!(
            tags_in_a_transaction_of_sqlx(&mut conn).await,
            0,
            "the panicked batch's write was kept"
        );
    }

    /// A connection lent inside sqlx's own transaction is refused, and that transaction is left as it was, for
    /// sqlx to commit.
    #[tokio::test]
    async fn a_connection_inside_a_transaction_of_sqlx_is_refused_and_its_transaction_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path()).await;
        let mut tx = store.blog.write.begin().await.expect("sqlx begins");
        sqlx::query("INSERT INTO tags (tag, article_count) VALUES ('sqlx', 1)")
            .execute(&mut *tx)
            .await
            .expect("insert");
        let refused = Direct::run(&mut tx, |db| db.statement("SELECT 1")).await;
        assert!(refused.is_err(), "{refused:?}");
        tx.commit().await.expect("sqlx commits its own transaction");
        let tags: i64 = sqlx::query_scalar("SELECT count(*) FROM tags WHERE tag = 'sqlx'")
            .fetch_one(&store.blog.read)
            .await
            .expect("count");
        assert_eq!(tags, 1, "sqlx's transaction was rolled back");
    }

    /// A write SQLite rolls the whole transaction back for fails the batch with its own error, not with the
    /// savepoint's that SQLite dropped with it.
    #[tokio::test]
    async fn a_write_whose_failure_ended_the_transaction_fails_the_batch_with_its_own_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path()).await;
        let mut conn = store.blog.write.acquire().await.expect("writer");
        let outcome = Direct::run(&mut conn, |db| {
            db.transaction(BLOG_COMMIT_SECONDS, |db| {
                db.under_savepoint(
                    || false,
                    |db| -> Result<(), ServiceError> {
                        // What SQLite does on its own after some failures (SQLITE_FULL, SQLITE_IOERR).
                        db.statement("ROLLBACK")?;
                        Err(ServiceError::StorageFull("the write's own".into()))
                    },
                )
            })
        })
        .await
        .expect("lent");
        assert!(
            matches!(outcome, Err(ServiceError::StorageFull(ref why)) if why == "the write's own"),
            "{outcome:?}"
        );
    }
}
