//! Articles, lists, favorites and tags (the blog database), each joined with authors from the users database.

use std::sync::Arc;

use db_client::{
    ArticleChanges, ArticleFilter, ArticlePage, ArticleRecord, NewArticle, UserId, MAX_PAGE_SIZE,
    MAX_TAGS_LISTED,
};
use sqlx::{MySql, MySqlConnection};

use super::{retry_transaction, unique_violation_key, MysqlStore};
use crate::{
    error::ServiceError,
    store::{
        rows::{ArticleKey, ArticleRow, MAX_SLUG_ATTEMPTS},
        shared::{article_with_author, articles_with_authors, resolve_filter, Directory},
        sql::{Dialect, SqlQuery},
    },
};

impl MysqlStore {
    #[tracing::instrument(skip_all)]
    pub async fn insert_article(&self, new: NewArticle) -> Result<ArticleRecord, ServiceError> {
        // The users database is another database: the author reference is checked here, not by a foreign key.
        let authors = self.authors(&[new.author.0], None).await?;
        if authors.get(new.author.0).is_none() {
            return Err(ServiceError::NotFound("user"));
        }
        let mut tags = new.tags.clone();
        tags.sort_unstable();
        tags.dedup();
        let id = retry_transaction(|| async {
            let mut tx = self.blog.begin().await?;
            let id = match insert_article_row(&mut tx, &new, &new.slug).await {
                Err(e) if unique_violation_key(&e).as_deref() == Some("slug") => {
                    let slug = unused_slug(&mut tx, &new.slug, None).await?;
                    insert_article_row(&mut tx, &new, &slug).await?
                }
                inserted => inserted?,
            };
            insert_tags(&mut tx, id, &tags).await?;
            tx.commit().await?;
            Ok(id)
        })
        .await?;
        // The author's profile as the author sees it is the one fetched above: nobody follows themselves.
        self.read_row(id, new.author).await?.into_record(&authors)
    }

    /// The article with this slug as `viewer` sees it.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn find_article_by_slug(
        &self,
        slug: &str,
        viewer: Option<UserId>,
    ) -> Result<Arc<ArticleRecord>, ServiceError> {
        let mut q = SqlQuery::default();
        Dialect::Mysql.select_articles(&mut q, viewer, true);
        q.push(" FROM articles a WHERE a.slug = ").bind_text(slug);
        let row = q
            .query_as::<MySql, ArticleRow>()
            .fetch_optional(&self.blog)
            .await?
            .ok_or(ServiceError::NotFound("article"))?;
        Ok(Arc::new(article_with_author(self, row, viewer).await?))
    }

    /// Applies `changes` if the editor is the author. A new title brings a new slug (NOTES.md #5).
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn update_article(
        &self,
        slug: &str,
        changes: &ArticleChanges,
    ) -> Result<ArticleRecord, ServiceError> {
        let mut tags = changes.tags.clone();
        if let Some(tags) = &mut tags {
            tags.sort_unstable();
            tags.dedup();
        }
        let id = retry_transaction(|| async {
            let mut tx = self.blog.begin().await?;
            let article = authored_article(&mut tx, slug, changes.editor).await?;
            let new_slug = match (&changes.title, &changes.slug) {
                (Some(_), Some(base)) => Some(unused_slug(&mut tx, base, Some(article.id)).await?),
                _ => None,
            };
            sqlx::query(
                "UPDATE articles SET \
                     slug = COALESCE(?, slug), title = COALESCE(?, title), \
                     description = COALESCE(?, description), body = COALESCE(?, body), \
                     updated_at = UTC_TIMESTAMP(3) \
                 WHERE id = ?",
            )
            .bind(&new_slug)
            .bind(&changes.title)
            .bind(&changes.description)
            .bind(&changes.body)
            .bind(article.id)
            .execute(&mut *tx)
            .await?;
            if let Some(tags) = &tags {
                sqlx::query("DELETE FROM article_tags WHERE article_id = ?")
                    .bind(article.id)
                    .execute(&mut *tx)
                    .await?;
                insert_tags(&mut tx, article.id, tags).await?;
            }
            tx.commit().await?;
            Ok(article.id)
        })
        .await?;
        self.read_back(id, changes.editor).await
    }

    /// Deletes the article with its tags, favorites and comments if `by` is the author. They are deleted one
    /// table at a time rather than by cascade, because InnoDB fires no triggers (which keep the tag counts) for
    /// rows a cascade removes.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn delete_article(&self, slug: &str, by: UserId) -> Result<(), ServiceError> {
        retry_transaction(|| async {
            let mut tx = self.blog.begin().await?;
            let article = authored_article(&mut tx, slug, by).await?;
            for statement in [
                "DELETE FROM article_tags WHERE article_id = ?",
                "DELETE FROM favorites WHERE article_id = ?",
                "DELETE FROM comments WHERE article_id = ?",
                "DELETE FROM articles WHERE id = ?",
            ] {
                sqlx::query(statement)
                    .bind(article.id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// One page of articles, newest first, plus the total count.
    #[tracing::instrument(skip_all)]
    pub async fn list_articles(
        &self,
        filter: &ArticleFilter,
    ) -> Result<Arc<ArticlePage>, ServiceError> {
        let empty = || {
            Arc::new(ArticlePage {
                articles: Vec::new(),
                total: 0,
            })
        };
        let Some(resolved) = resolve_filter(self, filter).await? else {
            return Ok(empty());
        };
        let limit = filter.limit.clamp(1, MAX_PAGE_SIZE);
        let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
        let count = resolved.count_query(Dialect::Mysql);
        let page = resolved.page_query(Dialect::Mysql, filter.viewer, limit, offset);
        let ((total,), rows) = tokio::try_join!(
            count.query_as::<MySql, (i64,)>().fetch_one(&self.blog),
            page.query_as::<MySql, ArticleRow>().fetch_all(&self.blog),
        )?;
        Ok(Arc::new(ArticlePage {
            articles: articles_with_authors(self, rows, filter.viewer).await?,
            total: u64::try_from(total).unwrap_or(0),
        }))
    }

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
            "INSERT INTO favorites (user_id, article_id) VALUES (?, ?) \
             ON DUPLICATE KEY UPDATE user_id = user_id",
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
        let article_id = retry_transaction(|| async {
            let mut tx = self.blog.begin().await?;
            let article_id = article_id_by_slug(&mut tx, slug).await?;
            sqlx::query(statement)
                .bind(user.0)
                .bind(article_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(article_id)
        })
        .await?;
        self.read_back(article_id, user).await
    }

    /// Tags in use, most used first.
    #[tracing::instrument(skip_all)]
    pub async fn list_tags(&self) -> Result<Arc<Vec<String>>, ServiceError> {
        Ok(Arc::new(
            sqlx::query_scalar(
                "SELECT CAST(tag AS CHAR) FROM tags GROUP BY tag HAVING SUM(article_count) > 0 \
                 ORDER BY SUM(article_count) DESC, tag LIMIT ?",
            )
            .bind(MAX_TAGS_LISTED)
            .fetch_all(&self.blog)
            .await?,
        ))
    }

    /// Reads an article just written, as `viewer` sees it.
    async fn read_back(
        &self,
        article_id: i64,
        viewer: UserId,
    ) -> Result<ArticleRecord, ServiceError> {
        let row = self.read_row(article_id, viewer).await?;
        article_with_author(self, row, Some(viewer)).await
    }

    /// The row of an article just written, as `viewer` sees it.
    async fn read_row(&self, article_id: i64, viewer: UserId) -> Result<ArticleRow, ServiceError> {
        let mut q = SqlQuery::default();
        Dialect::Mysql.select_articles(&mut q, Some(viewer), true);
        q.push(" FROM articles a WHERE a.id = ")
            .bind_int(Some(article_id));
        Ok(q.query_as::<MySql, ArticleRow>()
            .fetch_one(&self.blog)
            .await?)
    }
}

/// The id of the article with this slug, or `NotFound`.
pub(super) async fn article_id_by_slug(
    conn: &mut MySqlConnection,
    slug: &str,
) -> Result<i64, ServiceError> {
    sqlx::query_scalar("SELECT id FROM articles WHERE slug = ?")
        .bind(slug)
        .fetch_optional(conn)
        .await?
        .ok_or(ServiceError::NotFound("article"))
}

/// The article with this slug, locked for the transaction, if `user` wrote it: `NotFound` or `Forbidden`
/// otherwise.
async fn authored_article(
    conn: &mut MySqlConnection,
    slug: &str,
    user: UserId,
) -> Result<ArticleKey, ServiceError> {
    let article: ArticleKey =
        sqlx::query_as("SELECT id, author_id FROM articles WHERE slug = ? FOR UPDATE")
            .bind(slug)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(ServiceError::NotFound("article"))?;
    if article.author_id == user.0 {
        Ok(article)
    } else {
        Err(ServiceError::Forbidden("article"))
    }
}

/// Inserts the article row under `slug`; a taken slug comes back as the duplicate-key error it is.
async fn insert_article_row(
    conn: &mut MySqlConnection,
    new: &NewArticle,
    slug: &str,
) -> Result<i64, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO articles (slug, author_id, title, description, body, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))",
    )
    .bind(slug)
    .bind(new.author.0)
    .bind(&new.title)
    .bind(&new.description)
    .bind(&new.body)
    .execute(conn)
    .await?;
    i64::try_from(done.last_insert_id()).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// Tags the article with `tags` (sorted, without duplicates) in one statement.
async fn insert_tags(
    conn: &mut MySqlConnection,
    article_id: i64,
    tags: &[String],
) -> Result<(), ServiceError> {
    if tags.is_empty() {
        return Ok(());
    }
    let mut q = SqlQuery::default();
    q.push("INSERT INTO article_tags (article_id, tag) VALUES ");
    for (i, tag) in tags.iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" })
            .bind_int(Some(article_id))
            .push(", ")
            .bind_text(tag)
            .push(")");
    }
    q.query::<MySql>().execute(conn).await?;
    Ok(())
}

/// `base` if no other article has it, else the first free `base-2`, `base-3`, … (`owner`, when given, may keep
/// its own slug). Runs inside the write transaction.
async fn unused_slug(
    conn: &mut MySqlConnection,
    base: &str,
    owner: Option<i64>,
) -> Result<String, ServiceError> {
    let mut candidate = base.to_owned();
    for n in 2..MAX_SLUG_ATTEMPTS + 2 {
        let taken: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM articles WHERE slug = ? AND NOT (id <=> ?))",
        )
        .bind(&candidate)
        .bind(owner)
        .fetch_one(&mut *conn)
        .await?;
        if !taken {
            return Ok(candidate);
        }
        candidate = format!("{base}-{n}");
    }
    Err(ServiceError::Conflict("slug"))
}
