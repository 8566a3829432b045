//! Comments on articles (the blog database), with their authors from the users database.

use anyhow::anyhow;
use db_client::{CommentRecord, NewComment, UserId};

use super::{articles::article_id_by_slug, retry_transaction, MysqlStore};
use crate::{
    error::ServiceError,
    store::{rows::CommentRow, shared::comments_with_authors, sql::Dialect},
};

/// `SELECT <comment columns>` (a [`CommentRow`]); the caller appends `WHERE …`.
fn select_comments() -> String {
    format!(
        "SELECT id, author_id, body, {} AS created_at, {} AS updated_at FROM comments",
        Dialect::Mysql.timestamp("created_at"),
        Dialect::Mysql.timestamp("updated_at"),
    )
}

impl MysqlStore {
    /// The article's comments, oldest first (NOTES.md #16).
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn list_comments(
        &self,
        slug: &str,
        viewer: Option<UserId>,
    ) -> Result<Vec<CommentRecord>, ServiceError> {
        let mut conn = self.blog.acquire().await?;
        let article_id = article_id_by_slug(&mut conn, slug).await?;
        let rows = sqlx::query_as::<_, CommentRow>(&format!(
            "{} WHERE article_id = ? ORDER BY id",
            select_comments()
        ))
        .bind(article_id)
        .fetch_all(&mut *conn)
        .await?;
        drop(conn);
        comments_with_authors(self, rows, viewer).await
    }

    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn insert_comment(
        &self,
        slug: &str,
        new: &NewComment,
    ) -> Result<CommentRecord, ServiceError> {
        self.find_user_by_id(new.author).await?;
        let row = retry_transaction(|| async {
            let mut tx = self.blog.begin().await?;
            let article_id = article_id_by_slug(&mut tx, slug).await?;
            let done = sqlx::query(
                "INSERT INTO comments (article_id, author_id, body, created_at, updated_at) \
                 VALUES (?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))",
            )
            .bind(article_id)
            .bind(new.author.0)
            .bind(&new.body)
            .execute(&mut *tx)
            .await?;
            let row =
                sqlx::query_as::<_, CommentRow>(&format!("{} WHERE id = ?", select_comments()))
                    .bind(done.last_insert_id())
                    .fetch_one(&mut *tx)
                    .await?;
            tx.commit().await?;
            Ok(row)
        })
        .await?;
        comments_with_authors(self, vec![row], Some(new.author))
            .await?
            .pop()
            .ok_or_else(|| anyhow!("inserted comment lost its author").into())
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
            let mut tx = self.blog.begin().await?;
            let article_id = article_id_by_slug(&mut tx, slug).await?;
            let author_id: i64 = sqlx::query_scalar(
                "SELECT author_id FROM comments WHERE id = ? AND article_id = ? FOR UPDATE",
            )
            .bind(id)
            .bind(article_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(ServiceError::NotFound("comment"))?;
            if author_id != by.0 {
                return Err(ServiceError::Forbidden("comment"));
            }
            sqlx::query("DELETE FROM comments WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}
