//! Favorites: which user likes which article. Counts are kept on the article by triggers.

use db_client::{ArticleRecord, UserId};

use super::{
    articles::article_id_by_slug,
    backend::{retry_transaction, Backend, Conn},
    sql::Relation,
    SqlStore,
};
use crate::error::ServiceError;

/// Who favorites which article.
const FAVORITES: Relation = Relation {
    table: "favorites",
    owner: "user_id",
    other: "article_id",
    stamped: false,
};

/// Adds the article to `user`'s favorites or removes it, in the caller's transaction; the article's id.
pub(super) async fn write_favorite<C: Conn>(
    conn: &mut C,
    slug: &str,
    user: UserId,
    favorite: bool,
) -> Result<i64, ServiceError> {
    let article_id = article_id_by_slug(&mut *conn, slug).await?;
    conn.execute(&FAVORITES.set(C::DIALECT, user.0, article_id, favorite))
        .await?;
    Ok(article_id)
}

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
        // The group-committing writer moves the cache's version once per batch itself.
        let article_id = match self.blog_writer() {
            Some(writer) => writer.set_favorite(slug, user, favorite).await?,
            None => {
                let article_id = retry_transaction(|| async {
                    let mut tx = self.blog.write.begin().await?;
                    let article_id = write_favorite(&mut *tx, slug, user, favorite).await?;
                    tx.commit().await?;
                    Ok(article_id)
                })
                .await?;
                self.wrote();
                article_id
            }
        };
        self.read_back(article_id, user).await
    }
}
