//! The tags in use (blog.db), most used first.

use std::sync::Arc;

use db_client::MAX_TAGS_LISTED;

use super::SqliteStore;
use crate::error::ServiceError;

impl SqliteStore {
    /// Tags in use, most used first; from the read cache when nothing was written since.
    #[tracing::instrument(skip_all)]
    pub async fn list_tags(&self) -> Result<Arc<Vec<String>>, ServiceError> {
        if let Some(tags) = self.cache.tags() {
            return Ok(tags);
        }
        let generation = self.cache.generation();
        let tags: Arc<Vec<String>> = Arc::new(
            sqlx::query_scalar("SELECT tag FROM tags ORDER BY article_count DESC, tag LIMIT ?")
                .bind(MAX_TAGS_LISTED)
                .fetch_all(&self.blog.read)
                .await?,
        );
        self.cache.put_tags(generation, Arc::clone(&tags));
        Ok(tags)
    }
}
