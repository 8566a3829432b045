//! blog.db's group-committed writes, made on the writer's own thread straight through SQLite (rusqlite on the
//! handle of sqlx's connection) rather than as sqlx queries.
//!
//! Why: each sqlx query is a round trip to its connection's worker thread, two thread wake-ups that each wait for
//! a core while the cores are busy, and a batch made that way costs BEGIN, COMMIT, one to six per write
//! (savepoints, the slug's insert, the row read back, the tags) of them. bench/mixed.sh at 32 connections: a
//! transaction of 3.2 writes held the single writer 3.4 ms, of which 1.2 ms was COMMIT, and a favorite took
//! 11.7 ms on average at the api. Here a batch costs one round trip (taking the handle) whatever it holds.
//!
//! The SQL is the text sqlx runs for the same writes elsewhere (store::{favorites, comments, articles, tags} build
//! it); only how it is run and how its rows are read differ.

use std::time::Instant;

use db_client::{Entity, NewArticle, NewComment, UserId};
use rusqlite::{types::ToSqlOutput, Connection, Row};
use sqlx::SqliteConnection;

use crate::{
    error::ServiceError,
    store::{
        articles::{
            new_article_insert, select_inserted, slug_candidate, InsertedArticle, SLUG_ATTEMPTS,
        },
        comments::insert_comment_returning,
        favorites::{as_after_the_write, favorite_by_sole_writer},
        rows::{ArticleRow, CommentRow, KeyedArticleRow},
        sql::{Dialect, Param, SqlQuery},
        tags::{tag_rows_insert, Tags},
    },
};

/// blog.db's writer connection, lent by sqlx for one batch.
pub(super) struct Direct(Connection);

impl Direct {
    /// Runs `batch` on `conn`'s SQLite handle, on this thread, while sqlx's worker thread for `conn` waits.
    pub(super) async fn run<T>(
        conn: &mut SqliteConnection,
        batch: impl FnOnce(&Direct) -> T,
    ) -> Result<T, ServiceError> {
        let mut locked = conn.lock_handle().await?;
        let handle = locked.as_raw_handle();
        // SAFETY: the handle is sqlx's open connection, which `locked` keeps from its worker thread until dropped,
        // so nothing else uses it meanwhile; it outlives `direct`, which is dropped first (finalizing the
        // statements it prepared) and never closes it (`from_handle` lends, and rusqlite is built without
        // `hooks`, so dropping it leaves sqlx's settings on the connection alone).
        #[expect(
            unsafe_code,
            reason = "the only way to run statements on sqlx's connection in this thread"
        )]
        let direct = Direct(unsafe { Connection::from_handle(handle.as_ptr()) }?);
        let done = batch(&direct);
        drop(direct);
        drop(locked);
        Ok(done)
    }

    /// Makes `body`'s writes in one transaction and commits them; rolled back if anything fails. Records how long
    /// the COMMIT took (its fsync, with `DB_SYNCHRONOUS=full`).
    pub(super) fn transaction<T>(
        &self,
        body: impl FnOnce(&Self) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        self.statements("BEGIN IMMEDIATE")?;
        let done = body(self).and_then(|done| {
            let committing = Instant::now();
            self.statements("COMMIT")?;
            metrics::histogram!("db_blog_commit_duration_seconds")
                .record(committing.elapsed().as_secs_f64());
            Ok(done)
        });
        // SQLite may have rolled the transaction back itself (e.g. for want of room).
        if done.is_err() && !self.0.is_autocommit() {
            let _ = self.statements("ROLLBACK");
        }
        done
    }

    /// Runs `write` under a savepoint: kept if it succeeds and its caller still waits, rolled back alone otherwise
    /// (a caller that has gone would only get a duplicate when its client tries again). The outer error is the
    /// savepoint's own (the whole batch fails: SQLite may have rolled the transaction back), the inner one the
    /// write's.
    pub(super) fn under_savepoint<T>(
        &self,
        abandoned: impl Fn() -> bool,
        write: impl FnOnce(&Self) -> Result<T, ServiceError>,
    ) -> Result<Result<T, ServiceError>, ServiceError> {
        self.statements("SAVEPOINT job")?;
        let written = write(self);
        if written.is_ok() && !abandoned() {
            self.statements("RELEASE job")?;
            return Ok(written);
        }
        self.statements("ROLLBACK TO job; RELEASE job")?;
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
            .first_row(&read, keyed_article_row)?
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
        self.first_row(&insert_comment_returning(slug, comment), comment_row)?
            .ok_or(ServiceError::NotFound(Entity::Article))
    }

    /// Inserts a new article with its tags under its slug, or under a suffixed one when that is taken
    /// (store::articles::slug_candidate); what the database decided.
    pub(super) fn create(
        &self,
        new: &NewArticle,
        tags: &Tags,
    ) -> Result<InsertedArticle, ServiceError> {
        let id = self.insert_under_free_slug(new, tags)?;
        let mut q = SqlQuery::from(select_inserted(Dialect::Sqlite) + "id = ");
        q.bind_int(Some(id));
        let row = self
            .first_row(&q, inserted_article)?
            .ok_or_else(|| anyhow::anyhow!("article {id} vanished after its insert"))?;
        if let Some(q) = tag_rows_insert(&[(row.id, tags)]) {
            self.execute(&q)?;
        }
        Ok(row)
    }

    /// The new article's id, under the first slug candidate no other article has.
    fn insert_under_free_slug(&self, new: &NewArticle, tags: &Tags) -> Result<i64, ServiceError> {
        for attempt in 0..SLUG_ATTEMPTS {
            let slug = slug_candidate(&new.slug, attempt);
            match self.execute(&new_article_insert(Dialect::Sqlite, &slug, new, tags)) {
                Err(e) if takes_a_used_slug(&e) => continue,
                Err(e) => return Err(e.into()),
                Ok(()) => return Ok(self.0.last_insert_rowid()),
            }
        }
        Err(ServiceError::Conflict("slug"))
    }

    fn statements(&self, sql: &str) -> rusqlite::Result<()> {
        self.0.execute_batch(sql)
    }

    fn execute(&self, q: &SqlQuery) -> rusqlite::Result<()> {
        self.0
            .prepare_cached(&q.sql)?
            .execute(rusqlite::params_from_iter(&q.params))
            .map(drop)
    }

    /// The first row `q` returns, read by `read`. Every row is stepped through, so that a statement that writes
    /// (`… RETURNING`) runs to its end.
    fn first_row<T>(
        &self,
        q: &SqlQuery,
        read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Option<T>> {
        let mut statement = self.0.prepare_cached(&q.sql)?;
        let mut rows = statement.query_map(rusqlite::params_from_iter(&q.params), read)?;
        let first = rows.next().transpose()?;
        for rest in rows {
            rest?;
        }
        Ok(first)
    }
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Param::Int(value) => value.to_sql(),
            Param::Text(value) => value.to_sql(),
        }
    }
}

/// Whether an INSERT failed because another article has its slug (`UNIQUE constraint failed: articles.slug`).
fn takes_a_used_slug(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(failure, Some(message))
        if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            && message.ends_with("articles.slug"))
}

/// The rows below are the sqlx `FromRow` shapes of store::rows and store::articles, read by column name the same
/// way.
fn keyed_article_row(row: &Row<'_>) -> rusqlite::Result<KeyedArticleRow> {
    Ok(KeyedArticleRow {
        id: row.get("id")?,
        row: ArticleRow {
            slug: row.get("slug")?,
            author_id: row.get("author_id")?,
            title: row.get("title")?,
            description: row.get("description")?,
            body: row.get("body")?,
            tags: row.get("tags")?,
            favorites_count: row.get("favorites_count")?,
            favorited: row.get("favorited")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        },
    })
}

fn comment_row(row: &Row<'_>) -> rusqlite::Result<CommentRow> {
    Ok(CommentRow {
        id: row.get("id")?,
        author_id: row.get("author_id")?,
        body: row.get("body")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

fn inserted_article(row: &Row<'_>) -> rusqlite::Result<InsertedArticle> {
    Ok(InsertedArticle {
        id: row.get("id")?,
        slug: row.get("slug")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}
