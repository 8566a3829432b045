//! Favorites: which user likes which article. Counts are kept on the article by triggers.

use db_client::{ArticleRecord, UserId};

use super::{
    articles::article_id_by_slug,
    backend::{retry_transaction, Backend, Conn},
    sql::SqlQuery,
    SqlStore,
};
use crate::error::ServiceError;

impl<B: Backend> SqlStore<B> {
    /// Adds the article to `user`'s favorites (`favorite`) or removes it; either is a no-op when already so.
    /// Answers with the article as `user` sees it.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn set_favorite(
        &self,
        slug: &str,
        user: UserId,
        favorite: bool,
    ) -> Result<ArticleRecord, ServiceError> {
        let d = B::DIALECT;
        let article_id = retry_transaction(|| async {
            let mut tx = self.blog.write.begin().await?;
            let article_id = article_id_by_slug(&mut *tx, slug).await?;
            let q = if favorite {
                let mut q = SqlQuery::from(
                    d.insert_ignoring_duplicates("favorites", "user_id, article_id"),
                );
                q.push("(")
                    .bind_int(Some(user.0))
                    .push(", ")
                    .bind_int(Some(article_id))
                    .push(")")
                    .push(&d.end_insert_ignoring("user_id"));
                q
            } else {
                let mut q = SqlQuery::from("DELETE FROM favorites WHERE user_id = ");
                q.bind_int(Some(user.0))
                    .push(" AND article_id = ")
                    .bind_int(Some(article_id));
                q
            };
            tx.execute(&q).await?;
            tx.commit().await?;
            Ok(article_id)
        })
        .await?;
        self.wrote();
        self.read_back(article_id, user).await
    }
}
