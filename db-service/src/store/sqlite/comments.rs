//! Comments on articles (blog.db), with their authors from users.db.

use anyhow::anyhow;
use db_client::{CommentRecord, NewComment, UserId};

use super::SqliteStore;
use crate::error::ServiceError;
use crate::store::{rows::CommentRow, shared::comments_with_authors};

const COMMENT_COLUMNS: &str = "id, author_id, body, created_at, updated_at";

impl SqliteStore {
    /// The article's comments, oldest first (NOTES.md #16).
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn list_comments(
        &self,
        slug: &str,
        viewer: Option<UserId>,
    ) -> Result<Vec<CommentRecord>, ServiceError> {
        let mut conn = self.blog.read.acquire().await?;
        let article_id = self.article_id_by_slug(&mut conn, slug).await?;
        let sql =
            format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE article_id = ? ORDER BY id");
        let rows = sqlx::query_as::<_, CommentRow>(&sql)
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
        let mut tx = self.blog.write.begin().await?;
        let article_id = self.article_id_by_slug(&mut tx, slug).await?;
        let sql = format!(
            "INSERT INTO comments (article_id, author_id, body) VALUES (?, ?, ?) RETURNING {COMMENT_COLUMNS}"
        );
        let row = sqlx::query_as::<_, CommentRow>(&sql)
            .bind(article_id)
            .bind(new.author.0)
            .bind(&new.body)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
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
        let mut tx = self.blog.write.begin().await?;
        let article_id = self.article_id_by_slug(&mut tx, slug).await?;
        let author_id: i64 =
            sqlx::query_scalar("SELECT author_id FROM comments WHERE id = ? AND article_id = ?")
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
    }
}
