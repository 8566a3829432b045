//! Favorites: which user likes which article. Counts are kept on the article by triggers.

use db_client::{ArticleRecord, UserId};

use super::{
    articles::{article_id_by_slug, select_article_id},
    backend::{commit_failed, retry_transaction, Backend, Conn},
    rows::KeyedArticleRow,
    sql::{Dialect, Relation, SqlQuery},
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

/// Bodies up to this size are read in the writer's transaction with a favorite; a larger one is read after the
/// commit, so that a batch of favorites (at most 64) never has the single writer copy more than ~64 × this.
pub(super) const BODY_READ_BY_THE_WRITER: usize = 64 * 1024;

/// A favorite as blog.db's only writer makes it (SQLite's group commit, store/sqlite/direct.rs), in two
/// statements, answering with the article as `user` sees it right after the write without
/// reading it again after the commit (its author's profile still is, from users.db): the row read just before the
/// write (a [`KeyedArticleRow`], its body left out when larger than [`BODY_READ_BY_THE_WRITER`] for the caller to
/// read after the commit), and the write, which finds the article by its slug again. The row is then corrected by
/// what the write changed ([`as_after_the_write`]). Exact because no other write can come between the two
/// statements: SQLite lets one transaction write at a time, and every blog.db write goes through this one writer.
/// Favorites batched together are answered as the transaction wrote them, one after another in queue order (each
/// count includes the favorites before it).
pub(super) fn favorite_by_sole_writer(
    slug: &str,
    user: UserId,
    favorite: bool,
) -> (SqlQuery, SqlQuery) {
    let d = Dialect::Sqlite;
    let mut read = SqlQuery::default();
    d.with_viewer(&mut read, Some(user));
    read.push(" ");
    d.article_columns_with_body(
        &mut read,
        &format!("CASE WHEN OCTET_LENGTH(a.body) <= {BODY_READ_BY_THE_WRITER} THEN a.body END"),
    );
    read.push(", a.id AS id FROM articles a WHERE a.slug = ")
        .bind_text(slug);
    let mut article = SqlQuery::from("(");
    article.append(select_article_id(slug)).push(")");
    (read, FAVORITES.set_to(d, user.0, article, favorite))
}

/// The row [`favorite_by_sole_writer`] read before its write, as it is after: the write changed something exactly
/// when the flag differed.
pub(super) fn as_after_the_write(mut keyed: KeyedArticleRow, favorite: bool) -> KeyedArticleRow {
    let row = &mut keyed.row;
    if row.favorited != favorite {
        row.favorites_count += if favorite { 1 } else { -1 };
        row.favorited = favorite;
    }
    keyed
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
            let KeyedArticleRow { id, row } = writer.set_favorite(slug, user, favorite).await?;
            return match row.body {
                Some(_) => self.article_with_author(row, Some(user)).await,
                None => self.read_back(id, user).await,
            };
        }
        // Where replicas share the data (MySQL), another's favorite could commit between a read and this write:
        // the article is read back after the commit.
        let article_id = retry_transaction(|| async {
            let mut tx = self.blog.write.begin().await?;
            let article_id = write_favorite(&mut *tx, slug, user, favorite).await?;
            tx.commit().await.map_err(commit_failed::<B>)?;
            Ok(article_id)
        })
        .await?;
        self.read_back(article_id, user).await
    }
}
