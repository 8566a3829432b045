//! Articles with their tags and favorites (blog.db), joined with author profiles from users.db.

use anyhow::anyhow;
use db_client::{ArticleFilter, ArticlePage, ArticleRecord, NewArticle, UserId, MAX_PAGE_SIZE};
use sqlx::{QueryBuilder, Sqlite};

use super::{unique_violation_column, Store};
use crate::error::ServiceError;

#[derive(sqlx::FromRow)]
struct ArticleRow {
    slug: String,
    author_id: i64,
    title: String,
    description: String,
    body: Option<String>,
    /// JSON array of tags, sorted (NOTES.md #1: tags are returned alphabetically).
    tags: String,
    favorites_count: i64,
    favorited: bool,
    created_at: String,
    updated_at: String,
}

/// Every article query starts with this: the viewer's id (or NULL) is its first bind.
const WITH_VIEWER: &str = "WITH viewer (id) AS (SELECT ?) ";

/// `SELECT <article columns> FROM articles a`, seen by the `viewer` of [`WITH_VIEWER`]; `body` is selected only
/// for single-article reads.
fn select_articles(with_body: bool) -> String {
    let body = if with_body { "a.body" } else { "NULL" };
    format!(
        "SELECT a.slug, a.author_id, a.title, a.description, {body} AS body, \
         (SELECT json_group_array(tag) FROM \
             (SELECT t.tag FROM article_tags t WHERE t.article_id = a.id ORDER BY t.tag)) AS tags, \
         a.favorites_count, \
         EXISTS (SELECT 1 FROM favorites f WHERE f.user_id = (SELECT id FROM viewer) AND f.article_id = a.id) AS favorited, \
         a.created_at, a.updated_at FROM articles a"
    )
}

/// How many numbered suffixes to try before giving up on a slug.
const MAX_SLUG_ATTEMPTS: u32 = 1000;

impl Store {
    #[tracing::instrument(skip_all)]
    pub async fn insert_article(&self, new: &NewArticle) -> Result<ArticleRecord, ServiceError> {
        // users.db is a different file, so the author reference is checked here rather than by a foreign key.
        self.find_user_by_id(new.author).await?;

        let mut tx = self.blog.write.begin().await?;
        let slug = unused_slug(&mut tx, &new.slug).await?;
        let article_id: i64 = sqlx::query_scalar(
            "INSERT INTO articles (slug, author_id, title, description, body) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&slug)
        .bind(new.author.0)
        .bind(&new.title)
        .bind(&new.description)
        .bind(&new.body)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match unique_violation_column(&e).as_deref() {
            Some("slug") => ServiceError::Conflict("slug"),
            _ => e.into(),
        })?;
        for tag in &new.tags {
            sqlx::query("INSERT OR IGNORE INTO article_tags (article_id, tag) VALUES (?, ?)")
                .bind(article_id)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;

        // Read back through the writer: a reader might not see the commit yet under WAL snapshot reuse.
        let sql = format!("{WITH_VIEWER}{} WHERE a.id = ?", select_articles(true));
        let row = sqlx::query_as::<_, ArticleRow>(&sql)
            .bind(new.author.0)
            .bind(article_id)
            .fetch_one(&self.blog.write)
            .await?;
        let mut records = self.join_authors(vec![row], Some(new.author)).await?;
        records
            .pop()
            .ok_or_else(|| anyhow!("inserted article vanished").into())
    }

    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn find_article_by_slug(
        &self,
        slug: &str,
        viewer: Option<UserId>,
    ) -> Result<ArticleRecord, ServiceError> {
        let sql = format!("{WITH_VIEWER}{} WHERE a.slug = ?", select_articles(true));
        let row = sqlx::query_as::<_, ArticleRow>(&sql)
            .bind(viewer.map(|v| v.0))
            .bind(slug)
            .fetch_optional(&self.blog.read)
            .await?
            .ok_or(ServiceError::NotFound("article"))?;
        let mut records = self.join_authors(vec![row], viewer).await?;
        records
            .pop()
            .ok_or_else(|| anyhow!("article lost its author").into())
    }

    /// One page of articles, newest first, plus the total count. Every filter uses an index.
    #[tracing::instrument(skip_all)]
    pub async fn list_articles(&self, filter: &ArticleFilter) -> Result<ArticlePage, ServiceError> {
        let empty = ArticlePage {
            articles: Vec::new(),
            total: 0,
        };
        let author_id = match &filter.author {
            Some(name) => match self.find_user_id_by_username(name).await? {
                Some(id) => Some(id),
                None => return Ok(empty),
            },
            None => None,
        };
        let favorited_by = match &filter.favorited {
            Some(name) => match self.find_user_id_by_username(name).await? {
                Some(id) => Some(id),
                None => return Ok(empty),
            },
            None => None,
        };
        let conditions = Conditions {
            author_id,
            favorited_by,
            tag: filter.tag.as_deref(),
        };
        let limit = filter.limit.clamp(1, MAX_PAGE_SIZE);
        let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);

        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM articles a");
        conditions.push_where(&mut count);
        let mut page = QueryBuilder::<Sqlite>::new("WITH viewer (id) AS (SELECT ");
        page.push_bind(filter.viewer.map(|v| v.0))
            .push(") ")
            .push(select_articles(false));
        conditions.push_where(&mut page);
        page.push(" ORDER BY a.id DESC LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(offset);

        let (total, rows) = tokio::try_join!(
            count.build_query_scalar::<i64>().fetch_one(&self.blog.read),
            page.build_query_as::<ArticleRow>()
                .fetch_all(&self.blog.read),
        )?;
        Ok(ArticlePage {
            articles: self.join_authors(rows, filter.viewer).await?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// Attaches each row's author profile, fetched for the whole page in one users.db query.
    async fn join_authors(
        &self,
        rows: Vec<ArticleRow>,
        viewer: Option<UserId>,
    ) -> Result<Vec<ArticleRecord>, ServiceError> {
        let authors = self
            .list_authors_by_ids(rows.iter().map(|r| r.author_id), viewer)
            .await?;
        rows.into_iter()
            .map(|row| {
                let author = authors.get(&row.author_id).cloned().ok_or_else(|| {
                    anyhow!("author {} of {} is missing", row.author_id, row.slug)
                })?;
                let tags: Vec<String> = serde_json::from_str(&row.tags)
                    .map_err(|e| anyhow!("bad tag list for {}: {e}", row.slug))?;
                Ok(ArticleRecord {
                    slug: row.slug,
                    title: row.title,
                    description: row.description,
                    body: row.body,
                    tags,
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                    favorited: row.favorited,
                    favorites_count: u64::try_from(row.favorites_count).unwrap_or(0),
                    author,
                })
            })
            .collect()
    }
}

/// The filters of a list query, each turned into an indexed condition.
struct Conditions<'a> {
    author_id: Option<i64>,
    favorited_by: Option<i64>,
    tag: Option<&'a str>,
}

impl Conditions<'_> {
    fn push_where<'q>(&self, query: &mut QueryBuilder<'q, Sqlite>)
    where
        Self: 'q,
    {
        let mut separator = " WHERE ";
        if let Some(author_id) = self.author_id {
            query
                .push(separator)
                .push("a.author_id = ")
                .push_bind(author_id);
            separator = " AND ";
        }
        if let Some(tag) = self.tag {
            query
                .push(separator)
                .push("a.id IN (SELECT t.article_id FROM article_tags t WHERE t.tag = ")
                .push_bind(tag.to_owned())
                .push(")");
            separator = " AND ";
        }
        if let Some(user_id) = self.favorited_by {
            query
                .push(separator)
                .push("a.id IN (SELECT fav.article_id FROM favorites fav WHERE fav.user_id = ")
                .push_bind(user_id)
                .push(")");
        }
    }
}

/// `base` if no article has it, else the first free `base-2`, `base-3`, … Runs inside the write transaction, so
/// the answer cannot go stale before the insert.
async fn unused_slug(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    base: &str,
) -> Result<String, ServiceError> {
    let mut candidate = base.to_owned();
    for n in 2..MAX_SLUG_ATTEMPTS + 2 {
        let taken: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM articles WHERE slug = ?)")
                .bind(&candidate)
                .fetch_one(&mut **tx)
                .await?;
        if !taken {
            return Ok(candidate);
        }
        candidate = format!("{base}-{n}");
    }
    Err(ServiceError::Conflict("slug"))
}
