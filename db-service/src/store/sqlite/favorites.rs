//! Favorites (blog.db): which user likes which article. Counts are kept on the article by triggers.

use db_client::{ArticleRecord, UserId};

use super::SqliteStore;
use crate::error::ServiceError;

impl SqliteStore {
    /// Adds the article to `user`'s favorites (no-op if already there).
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn insert_favorite(
        &self,
        slug: &str,
        user: UserId,
    ) -> Result<ArticleRecord, ServiceError> {
        self.set_favorite(
            slug,
            user,
            "INSERT OR IGNORE INTO favorites (user_id, article_id) VALUES (?, ?)",
        )
        .await
    }

    /// Removes the article from `user`'s favorites (no-op if not there).
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn delete_favorite(
        &self,
        slug: &str,
        user: UserId,
    ) -> Result<ArticleRecord, ServiceError> {
        self.set_favorite(
            slug,
            user,
            "DELETE FROM favorites WHERE user_id = ? AND article_id = ?",
        )
        .await
    }

    async fn set_favorite(
        &self,
        slug: &str,
        user: UserId,
        statement: &str,
    ) -> Result<ArticleRecord, ServiceError> {
        let mut tx = self.blog.write.begin().await?;
        let article_id = self.article_id_by_slug(&mut tx, slug).await?;
        sqlx::query(statement)
            .bind(user.0)
            .bind(article_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.cache.invalidate();
        self.read_back(article_id, user).await
    }
}
