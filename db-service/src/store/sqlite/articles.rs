//! Single articles (blog.db): insert, read, change, delete — each joined with its author from users.db.

use std::sync::Arc;

use db_client::{ArticleChanges, ArticleRecord, NewArticle, UserId};
use sqlx::{Sqlite, SqliteConnection};

use super::{article_batch::Created, SqliteStore};
use crate::{
    error::ServiceError,
    store::{
        rows::{ArticleKey, ArticleRow, MAX_SLUG_ATTEMPTS},
        shared::article_with_author,
        sql::{Dialect, SqlQuery},
    },
};

impl SqliteStore {
    #[tracing::instrument(skip_all)]
    pub async fn insert_article(&self, new: NewArticle) -> Result<ArticleRecord, ServiceError> {
        // Written together with the creates that arrive meanwhile, once the author is known (article_batch.rs).
        let Created {
            article,
            row,
            author,
        } = self.article_inserter.insert(new).await?;
        // Everything else a new article shows is known without reading it back: the row is as given, nobody
        // has favorited it yet, and its author is the viewer (who cannot follow themselves). Tags read back
        // sorted (byte order, as SQLite's BINARY collation) without duplicates.
        let mut tags = article.tags;
        tags.sort_unstable();
        tags.dedup();
        Ok(ArticleRecord {
            slug: row.slug,
            title: article.title,
            description: article.description,
            body: Some(article.body),
            tags,
            created_at: row.created_at,
            updated_at: row.updated_at,
            favorited: false,
            favorites_count: 0,
            author,
        })
    }

    /// The article with this slug as `viewer` sees it; anonymous reads come from the read cache when fresh.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn find_article_by_slug(
        &self,
        slug: &str,
        viewer: Option<UserId>,
    ) -> Result<Arc<ArticleRecord>, ServiceError> {
        if viewer.is_none() {
            if let Some(article) = self.cache.article(slug) {
                return Ok(article);
            }
        }
        let generation = self.cache.generation();
        let article = Arc::new(self.query_article_by_slug(slug, viewer).await?);
        if viewer.is_none() {
            self.cache.put_article(generation, Arc::clone(&article));
        }
        Ok(article)
    }

    async fn query_article_by_slug(
        &self,
        slug: &str,
        viewer: Option<UserId>,
    ) -> Result<ArticleRecord, ServiceError> {
        let mut q = SqlQuery::default();
        Dialect::Sqlite.select_articles(&mut q, viewer, true);
        q.push(" FROM articles a WHERE a.slug = ").bind_text(slug);
        let row = q
            .query_as::<Sqlite, ArticleRow>()
            .fetch_optional(&self.blog.read)
            .await?
            .ok_or(ServiceError::NotFound("article"))?;
        article_with_author(self, row, viewer).await
    }

    /// Applies `changes` if the editor is the author. A new title brings a new slug (NOTES.md #5).
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn update_article(
        &self,
        slug: &str,
        changes: &ArticleChanges,
    ) -> Result<ArticleRecord, ServiceError> {
        let mut tx = self.blog.write.begin().await?;
        let article = authored_article(&mut tx, slug, changes.editor).await?;
        let new_slug = match (&changes.title, &changes.slug) {
            (Some(_), Some(base)) => Some(unused_slug(&mut tx, base, Some(article.id)).await?),
            _ => None,
        };
        sqlx::query(
            "UPDATE articles SET \
                 slug = COALESCE(?, slug), title = COALESCE(?, title), \
                 description = COALESCE(?, description), body = COALESCE(?, body), \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
             WHERE id = ?",
        )
        .bind(&new_slug)
        .bind(&changes.title)
        .bind(&changes.description)
        .bind(&changes.body)
        .bind(article.id)
        .execute(&mut *tx)
        .await?;
        if let Some(tags) = &changes.tags {
            sqlx::query("DELETE FROM article_tags WHERE article_id = ?")
                .bind(article.id)
                .execute(&mut *tx)
                .await?;
            insert_tags(&mut tx, article.id, tags).await?;
        }
        tx.commit().await?;
        self.cache.invalidate();
        self.read_back(article.id, changes.editor).await
    }

    /// Deletes the article (its tags, favorites and comments go with it) if `by` is the author.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn delete_article(&self, slug: &str, by: UserId) -> Result<(), ServiceError> {
        let mut tx = self.blog.write.begin().await?;
        let article = authored_article(&mut tx, slug, by).await?;
        sqlx::query("DELETE FROM articles WHERE id = ?")
            .bind(article.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.cache.invalidate();
        Ok(())
    }

    /// The id of the article with this slug, or `NotFound`.
    pub(super) async fn article_id_by_slug(
        &self,
        conn: &mut SqliteConnection,
        slug: &str,
    ) -> Result<i64, ServiceError> {
        sqlx::query_scalar("SELECT id FROM articles WHERE slug = ?")
            .bind(slug)
            .fetch_optional(conn)
            .await?
            .ok_or(ServiceError::NotFound("article"))
    }

    /// Reads an article just written, as `viewer` sees it. A reader connection suffices: each statement starts a
    /// new read transaction, which sees every commit that returned before it (WAL), and the writer stays free.
    pub(super) async fn read_back(
        &self,
        article_id: i64,
        viewer: UserId,
    ) -> Result<ArticleRecord, ServiceError> {
        let mut q = SqlQuery::default();
        Dialect::Sqlite.select_articles(&mut q, Some(viewer), true);
        q.push(" FROM articles a WHERE a.id = ")
            .bind_int(Some(article_id));
        let row = q
            .query_as::<Sqlite, ArticleRow>()
            .fetch_one(&self.blog.read)
            .await?;
        article_with_author(self, row, Some(viewer)).await
    }
}

/// The article with this slug, if `user` wrote it: `NotFound` or `Forbidden` otherwise.
async fn authored_article(
    conn: &mut SqliteConnection,
    slug: &str,
    user: UserId,
) -> Result<ArticleKey, ServiceError> {
    let article: ArticleKey = sqlx::query_as("SELECT id, author_id FROM articles WHERE slug = ?")
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

/// What the database decided for a new article row.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct InsertedArticle {
    pub id: i64,
    pub slug: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Inserts the article row under `slug`; a taken slug comes back as the unique violation it is.
pub(super) async fn insert_article_row(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    new: &NewArticle,
    slug: &str,
) -> Result<InsertedArticle, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO articles (slug, author_id, title, description, body) VALUES (?, ?, ?, ?, ?) \
         RETURNING id, slug, created_at, updated_at",
    )
    .bind(slug)
    .bind(new.author.0)
    .bind(&new.title)
    .bind(&new.description)
    .bind(&new.body)
    .fetch_one(&mut **tx)
    .await
}

/// Tags the article with every tag in one statement (the single writer's time is the scarce resource).
pub(super) async fn insert_tags(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    article_id: i64,
    tags: &[String],
) -> Result<(), ServiceError> {
    if tags.is_empty() {
        return Ok(());
    }
    let tags = serde_json::to_string(tags).map_err(|e| ServiceError::Internal(e.into()))?;
    sqlx::query(
        "INSERT OR IGNORE INTO article_tags (article_id, tag) SELECT ?, value FROM json_each(?)",
    )
    .bind(article_id)
    .bind(tags)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `base` if no other article has it, else the first free `base-2`, `base-3`, … (`owner`, when given, may keep
/// its own slug). Runs inside the write transaction, so the answer cannot go stale before the write.
pub(super) async fn unused_slug(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    base: &str,
    owner: Option<i64>,
) -> Result<String, ServiceError> {
    let mut candidate = base.to_owned();
    for n in 2..MAX_SLUG_ATTEMPTS + 2 {
        let taken: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM articles WHERE slug = ? AND id IS NOT ?)",
        )
        .bind(&candidate)
        .bind(owner)
        .fetch_one(&mut **tx)
        .await?;
        if !taken {
            return Ok(candidate);
        }
        candidate = format!("{base}-{n}");
    }
    Err(ServiceError::Conflict("slug"))
}
