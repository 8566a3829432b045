//! The tags in use (blog.db), most used first.

use db_client::MAX_TAGS_LISTED;

use super::Store;
use crate::error::ServiceError;

impl Store {
    #[tracing::instrument(skip_all)]
    pub async fn list_tags(&self) -> Result<Vec<String>, ServiceError> {
        Ok(
            sqlx::query_scalar("SELECT tag FROM tags ORDER BY article_count DESC, tag LIMIT ?")
                .bind(MAX_TAGS_LISTED)
                .fetch_all(&self.blog.read)
                .await?,
        )
    }
}
