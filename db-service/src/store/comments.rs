//! Comments on articles, with their authors from the users database; read a bounded page at a time.

use db_client::{
    CommentPage, CommentRecord, Entity, NewComment, UserId, MAX_COMMENT_PAGE_BYTES, MAX_OFFSET,
    MAX_PAGE_SIZE,
};

use super::{
    articles::article_id_by_slug,
    backend::{commit_failed, retry_transaction, Backend, Conn, ReadCost},
    direct_readers::MAX_ROWS_READ_DIRECTLY,
    rows::CommentRow,
    sql::{Dialect, SqlQuery},
    SqlStore,
};
use crate::error::ServiceError;

/// `SELECT <comment columns> FROM comments WHERE ` (a [`CommentRow`]); the caller appends the condition.
fn select_comments(d: Dialect) -> SqlQuery {
    SqlQuery::from(format!(
        "SELECT id, author_id, body, {} AS created_at, {} AS updated_at FROM comments WHERE ",
        d.timestamp("created_at"),
        d.timestamp("updated_at"),
    ))
}

/// The start of an INSERT of a comment.
const INSERT_COMMENT: &str =
    "INSERT INTO comments (article_id, author_id, body, created_at, updated_at)";

/// The one SQLite statement that adds `new` to the article and returns it as stored (a [`CommentRow`]), or no row
/// when no article has this slug: blog.db's only writer makes it (store/sqlite/direct.rs).
pub(super) fn insert_comment_returning(slug: &str, new: &NewComment) -> SqlQuery {
    let mut q = SqlQuery::from(INSERT_COMMENT);
    q.push(" SELECT id, ")
        .bind_int(Some(new.author.0))
        .push(", ")
        .bind_text(&new.body)
        .push(&format!(
            ", {now}, {now} FROM articles WHERE slug = ",
            now = Dialect::Sqlite.now()
        ))
        .bind_text(slug)
        .push(" RETURNING id, author_id, body, created_at, updated_at");
    q
}

/// Adds `new` to the article in the caller's transaction, and reads it back as stored: finds the article,
/// inserts, and reads the row back (MySQL has no `RETURNING`; SQLite's writer uses [`insert_comment_returning`]).
async fn write_comment<C: Conn>(
    conn: &mut C,
    slug: &str,
    new: &NewComment,
) -> Result<CommentRow, ServiceError> {
    let d = C::DIALECT;
    let article_id = article_id_by_slug(&mut *conn, slug).await?;
    let mut q = SqlQuery::from(INSERT_COMMENT);
    q.push(" VALUES (")
        .bind_int(Some(article_id))
        .push(", ")
        .bind_int(Some(new.author.0))
        .push(", ")
        .bind_text(&new.body)
        .push(&format!(", {now}, {now})", now = d.now()));
    let id = conn.execute(&q).await?.last_insert_id;
    let mut q = select_comments(d);
    q.push("id = ").bind_int(Some(id));
    let row: Option<CommentRow> = conn.fetch_optional(&q).await?;
    row.ok_or_else(|| anyhow::anyhow!("comment {id} vanished after its insert").into())
}

impl<B: Backend> SqlStore<B> {
    /// One page of the article's comments, oldest first (NOTES.md #16), with the article's comment count.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn list_comments(
        &self,
        slug: &str,
        viewer: Option<UserId>,
        limit: u32,
        offset: u64,
    ) -> Result<CommentPage, ServiceError> {
        let limit = limit.clamp(1, MAX_PAGE_SIZE);
        let offset = offset.min(MAX_OFFSET);
        // The page's comments up to where it ends are walked.
        let cost = match offset.saturating_add(u64::from(limit)) {
            walked if walked <= MAX_ROWS_READ_DIRECTLY => ReadCost::Small,
            _ => ReadCost::Any,
        };
        let mut conn = self.blog.reader_for(cost).await?;
        let mut q = SqlQuery::from("SELECT id, comments_count FROM articles WHERE slug = ");
        q.bind_text(slug);
        let (article_id, total): (i64, i64) = conn.fetch_found(&q, Entity::Article).await?;
        let d = B::DIALECT;
        // The page as asked, then only the comments that start within MAX_COMMENT_PAGE_BYTES of bodies (the
        // reader asks for the rest from where this page ends). Only ids and lengths are counted, and only the
        // page's bodies reach db-service (SQLite's OCTET_LENGTH does not even read a body; InnoDB may read it on
        // the server).
        let mut q = SqlQuery::from(format!(
            "SELECT c.id, c.author_id, c.body, {} AS created_at, {} AS updated_at FROM comments AS c \
             JOIN (SELECT id, SUM(bytes) OVER (ORDER BY id) - bytes AS bytes_before FROM \
             (SELECT id, OCTET_LENGTH(body) AS bytes FROM comments WHERE article_id = ",
            d.timestamp("c.created_at"),
            d.timestamp("c.updated_at"),
        ));
        q.bind_int(Some(article_id))
            .push(" ORDER BY id LIMIT ")
            .bind_int(Some(i64::from(limit)))
            .push(" OFFSET ")
            .bind_int(Some(i64::try_from(offset).unwrap_or(i64::MAX)))
            .push(") AS asked) AS counted ON counted.id = c.id WHERE counted.bytes_before < ")
            .bind_int(Some(MAX_COMMENT_PAGE_BYTES as i64))
            .push(" ORDER BY c.id");
        let rows: Vec<CommentRow> = conn.fetch_all(&q).await?;
        drop(conn);
        Ok(CommentPage {
            comments: self.comments_with_authors(rows, viewer).await?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn insert_comment(
        &self,
        slug: &str,
        new: &NewComment,
    ) -> Result<CommentRecord, ServiceError> {
        // The commenter's profile, read once: it shows the author exists (users.db has no foreign key into
        // blog.db) and becomes the new comment's author.
        let authors = self.authors(vec![new.author.0], Some(new.author)).await?;
        if authors.get(new.author.0).is_none() {
            return Err(ServiceError::NotFound(Entity::User));
        }
        let row = match self.blog_writer() {
            Some(writer) => writer.add_comment(slug, new.clone()).await?,
            None => {
                retry_transaction(|| async {
                    let mut tx = self.blog.write.begin().await?;
                    let row = write_comment(&mut *tx, slug, new).await?;
                    tx.commit().await.map_err(commit_failed::<B>)?;
                    Ok(row)
                })
                .await?
            }
        };
        row.into_record(&authors)
    }

    /// Deletes comment `id` of the article if `by` wrote it.
    #[tracing::instrument(skip_all, fields(slug, comment_id = id))]
    pub async fn delete_comment(
        &self,
        slug: &str,
        id: i64,
        by: UserId,
    ) -> Result<(), ServiceError> {
        retry_transaction(|| async {
            let mut tx = self.blog.write.begin().await?;
            let article_id = article_id_by_slug(&mut *tx, slug).await?;
            let mut q = SqlQuery::from("SELECT author_id FROM comments WHERE id = ");
            q.bind_int(Some(id))
                .push(" AND article_id = ")
                .bind_int(Some(article_id))
                .push(B::DIALECT.for_update());
            let (author_id,): (i64,) = tx.fetch_found(&q, Entity::Comment).await?;
            if author_id != by.0 {
                return Err(ServiceError::Forbidden(Entity::Comment));
            }
            let mut q = SqlQuery::from("DELETE FROM comments WHERE id = ");
            q.bind_int(Some(id));
            tx.execute(&q).await?;
            tx.commit().await.map_err(commit_failed::<B>)?;
            Ok(())
        })
        .await
    }

    /// The comments of `rows` with their authors as `viewer` sees them, fetched for all rows in one query.
    async fn comments_with_authors(
        &self,
        rows: Vec<CommentRow>,
        viewer: Option<UserId>,
    ) -> Result<Vec<CommentRecord>, ServiceError> {
        let authors = self
            .authors(rows.iter().map(|r| r.author_id).collect(), viewer)
            .await?;
        rows.into_iter()
            .map(|row| row.into_record(&authors))
            .collect()
    }
}
