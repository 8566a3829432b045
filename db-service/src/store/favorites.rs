//! Favorites: which user likes which article. Counts are kept on the article by triggers.

use db_client::{ArticleRecord, Entity, UserId};

use super::{
    articles::article_id_by_slug,
    backend::{retry_transaction, Backend, Conn},
    rows::{ArticleRow, KeyedArticleRow},
    sql::{Relation, SqlQuery},
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

/// [`write_favorite`] for the databases' sole writer (SQLite's group commit), answering with the article as `user`
/// sees it once the write is made, so that no read is needed after the commit: the row is read in the same
/// transaction before the write (the read that finds the article's id anyway) and corrected by what the write
/// changed. Exact only because nothing else writes between the two statements; where replicas share the data
/// (MySQL), a concurrent favorite could commit in between, so they read the article back after the commit.
pub(super) async fn write_favorite_as_sole_writer<C: Conn>(
    conn: &mut C,
    slug: &str,
    user: UserId,
    favorite: bool,
) -> Result<ArticleRow, ServiceError> {
    let mut q = SqlQuery::default();
    C::DIALECT.select_articles(&mut q, Some(user), true);
    q.push(", a.id AS id FROM articles a WHERE a.slug = ")
        .bind_text(slug);
    let KeyedArticleRow { id, mut row } = conn.fetch_found(&q, Entity::Article).await?;
    let done = conn
        .execute(&FAVORITES.set(C::DIALECT, user.0, id, favorite))
        .await?;
    if done.rows_affected > 0 {
        row.favorites_count += if favorite { 1 } else { -1 };
    }
    row.favorited = favorite;
    Ok(row)
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
        if let Some(writer) = self.blog_writer() {
            let row = writer.set_favorite(slug, user, favorite).await?;
            return self.article_with_author(row, Some(user)).await;
        }
        let article_id = retry_transaction(|| async {
            let mut tx = self.blog.write.begin().await?;
            let article_id = write_favorite(&mut *tx, slug, user, favorite).await?;
            tx.commit().await?;
            Ok(article_id)
        })
        .await?;
        self.wrote();
        self.read_back(article_id, user).await
    }
}
