//! Single articles: insert, read, change, delete — each joined with its author from the users database.

use std::{
    collections::{HashMap, HashSet},
    hash::{BuildHasher, RandomState},
    sync::Arc,
};

use db_client::{ArticleChanges, ArticleRecord, AuthorView, Entity, NewArticle, UserId};

use super::{
    backend::{
        commit_failed, retry_transaction, uncommitted, unique_violation, Backend, Conn, Pools,
    },
    rows::{ArticleKey, ArticleRow},
    sql::{Dialect, SqlQuery},
    tags::{insert_tags, Tags},
    Change, SqlStore, Writers,
};
use crate::error::ServiceError;

/// Slugs tried for one article: the one derived from its title, then that with a random suffix. A title shared
/// by any number of articles costs the same few statements; a suffix repeats with a chance of 1 in 36⁸.
const SLUG_ATTEMPTS: usize = 3;

/// What the database decided for a new article row.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct InsertedArticle {
    pub id: i64,
    pub slug: String,
    pub created_at: String,
    pub updated_at: String,
}

super::direct_readers::named_row!(InsertedArticle {
    id,
    slug,
    created_at,
    updated_at
});

/// The slugs to try for `base`, in order, [`SLUG_ATTEMPTS`] of them: `base`, then suffixed ones.
pub(super) fn slug_candidates(base: &str) -> impl Iterator<Item = String> + '_ {
    (0..SLUG_ATTEMPTS).map(move |attempt| slug_candidate(base, attempt))
}

/// The slug to try at `attempt` (from 0): `base`, then `base-<8 random base-36 digits>`.
fn slug_candidate(base: &str, attempt: usize) -> String {
    if attempt == 0 {
        return base.to_owned();
    }
    // RandomState is seeded from the operating system's randomness: enough to spread suffixes, no crate needed.
    let mut n = RandomState::new().hash_one(attempt);
    let mut suffix = String::with_capacity(8);
    for _ in 0..8 {
        suffix.push(char::from_digit((n % 36) as u32, 36).unwrap_or('0'));
        n /= 36;
    }
    format!("{base}-{suffix}")
}

/// What gets a slug: a new article with its tags, or an existing one (by id) that changed its title.
#[derive(Clone, Copy)]
enum Slugged<'a> {
    New(&'a NewArticle, &'a Tags),
    Renamed(i64),
}

/// The start of an INSERT of new articles; each row's values follow from [`push_article_values`].
const INSERT_ARTICLES: &str = "INSERT INTO articles \
    (slug, author_id, title, description, body, search_tags, created_at, updated_at) VALUES ";

/// `(…)`: the values of a new article's row under `slug`, created and updated at `now` (SQL).
fn push_article_values(q: &mut SqlQuery, slug: &str, new: &NewArticle, tags: &Tags, now: &str) {
    q.push("(")
        .bind_text(slug)
        .push(", ")
        .bind_int(Some(new.author.0))
        .push(", ")
        .bind_text(&new.title)
        .push(", ")
        .bind_text(&new.description)
        .push(", ")
        .bind_text(&new.body)
        .push(", ")
        .bind_text(&tags.search_text())
        .push(&format!(", {now}, {now})"));
}

/// The INSERT of one new article's row under `slug`, created and updated now.
pub(super) fn new_article_insert(
    dialect: Dialect,
    slug: &str,
    new: &NewArticle,
    tags: &Tags,
) -> SqlQuery {
    let mut q = SqlQuery::from(INSERT_ARTICLES);
    push_article_values(&mut q, slug, new, tags, dialect.now());
    q
}

/// Writes `what` under the first slug candidate for `base` that no other article has; returns the article's id.
async fn write_under_free_slug<C: Conn>(
    conn: &mut C,
    base: &str,
    what: Slugged<'_>,
) -> Result<i64, ServiceError> {
    for slug in slug_candidates(base) {
        let q = match what {
            Slugged::New(new, tags) => new_article_insert(C::DIALECT, &slug, new, tags),
            Slugged::Renamed(id) => {
                let mut q = SqlQuery::from("UPDATE articles SET slug = ");
                q.bind_text(&slug).push(" WHERE id = ").bind_int(Some(id));
                q
            }
        };
        match conn.execute(&q).await {
            Err(e) if unique_violation(&e) == Some("slug") => continue,
            Err(e) => return Err(e.into()),
            Ok(done) => {
                return Ok(match what {
                    Slugged::New(..) => done.last_insert_id,
                    Slugged::Renamed(id) => id,
                })
            }
        }
    }
    Err(ServiceError::Conflict("slug"))
}

/// Inserts the article row (searchable by `tags` too) under its slug, or under a suffixed one when that is
/// taken, and returns what the database decided. The caller tags it.
pub(super) async fn insert_article_row<C: Conn>(
    conn: &mut C,
    new: &NewArticle,
    tags: &Tags,
) -> Result<InsertedArticle, ServiceError> {
    let id = write_under_free_slug(conn, &new.slug, Slugged::New(new, tags)).await?;
    let mut q = SqlQuery::from(select_inserted(C::DIALECT) + "id = ");
    q.bind_int(Some(id));
    conn.fetch_optional(&q)
        .await?
        .ok_or_else(|| anyhow::anyhow!("article {id} vanished after its insert").into())
}

/// The columns of [`InsertedArticle`], selected `FROM articles`; the caller appends the condition.
pub(super) fn select_inserted(dialect: Dialect) -> String {
    format!(
        "SELECT id, {} AS slug, {} AS created_at, {} AS updated_at FROM articles WHERE ",
        dialect.text("slug"),
        dialect.timestamp("created_at"),
        dialect.timestamp("updated_at")
    )
}

/// Inserts several new articles with their tags in the caller's transaction, one statement per table however
/// many there are (MySQL's batches of creates, store/mysql/article_batches.rs). Which slugs are taken is read
/// once; an article whose slug is taken, or was chosen for one before it, gets a suffixed one. Should another
/// writer take a chosen slug meanwhile, the INSERT fails as a whole, and nothing of it is written. Returns each
/// article's row, in the order given.
pub(super) async fn insert_articles_together<C: Conn>(
    conn: &mut C,
    batch: &[(&NewArticle, &Tags)],
) -> Result<Vec<InsertedArticle>, ServiceError> {
    let d = C::DIALECT;
    let mut q = SqlQuery::from(format!(
        "SELECT {} FROM articles WHERE slug IN ",
        d.text("slug")
    ));
    q.push_text_list(d, batch.iter().map(|(new, _)| new.slug.as_str()));
    let taken: Vec<(String,)> = conn.fetch_all(&q).await?;
    let mut used: HashSet<String> = taken.into_iter().map(|(slug,)| slug).collect();
    let mut slugs = Vec::with_capacity(batch.len());
    for (new, _) in batch {
        let slug = slug_candidates(&new.slug)
            .find(|candidate| !used.contains(candidate))
            .ok_or(ServiceError::Conflict("slug"))?;
        used.insert(slug.clone());
        slugs.push(slug);
    }
    let mut q = SqlQuery::from(INSERT_ARTICLES);
    for (i, ((new, tags), slug)) in batch.iter().zip(&slugs).enumerate() {
        if i > 0 {
            q.push(", ");
        }
        push_article_values(&mut q, slug, new, tags, d.now());
    }
    conn.execute(&q).await?;
    let mut q = SqlQuery::from(select_inserted(d) + "slug IN ");
    q.push_text_list(d, slugs.iter().map(String::as_str));
    let mut by_slug: HashMap<String, InsertedArticle> = conn
        .fetch_all::<InsertedArticle>(&q)
        .await?
        .into_iter()
        .map(|row| (row.slug.clone(), row))
        .collect();
    let rows = slugs
        .iter()
        .map(|slug| {
            by_slug
                .remove(slug)
                .ok_or_else(|| anyhow::anyhow!("article {slug} vanished after its insert").into())
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    let tagged: Vec<(i64, &Tags)> = rows
        .iter()
        .zip(batch)
        .map(|(row, (_, tags))| (row.id, *tags))
        .collect();
    insert_tags(conn, &tagged).await?;
    Ok(rows)
}

/// Stores one new article with its tags in a transaction of its own; what the database decided. Rolled back
/// (`Busy`) if its caller has gone by the commit (`abandoned`): a client that tries again would get a duplicate.
pub(super) async fn insert_article_alone<B: Backend>(
    blog: &Pools<B>,
    new: &NewArticle,
    tags: &Tags,
    abandoned: impl Fn() -> bool,
) -> Result<InsertedArticle, ServiceError> {
    retry_transaction(|| async {
        if abandoned() {
            return Err(ServiceError::Busy);
        }
        let (tx, row) = async {
            let mut tx = blog.write.begin().await?;
            let row = insert_article_row(&mut *tx, new, tags).await?;
            insert_tags(&mut *tx, &[(row.id, tags)]).await?;
            Ok::<_, ServiceError>((tx, row))
        }
        .await
        .map_err(|e| uncommitted(e, 1))?;
        if abandoned() {
            tx.rollback().await?;
            return Err(ServiceError::Busy);
        }
        tx.commit().await.map_err(commit_failed::<B>)?;
        Ok(row)
    })
    .await
}

/// The record of an article just created: what the caller sent, what the database decided, and its author as
/// the author sees themselves. Nobody has favorited it yet, and nobody follows themselves.
pub(super) fn created_record(
    new: NewArticle,
    row: InsertedArticle,
    tags: Tags,
    author: AuthorView,
) -> ArticleRecord {
    ArticleRecord {
        slug: row.slug,
        title: new.title,
        description: new.description,
        body: Some(new.body),
        tags: tags.into_vec(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        favorited: false,
        favorites_count: 0,
        author,
    }
}

/// `SELECT id FROM articles WHERE slug = ?`: the article's id, as a statement or (in parentheses) a subquery.
pub(super) fn select_article_id(slug: &str) -> SqlQuery {
    let mut q = SqlQuery::from("SELECT id FROM articles WHERE slug = ");
    q.bind_text(slug);
    q
}

/// The id of the article with this slug, or `NotFound`.
pub(super) async fn article_id_by_slug(
    conn: &mut impl Conn,
    slug: &str,
) -> Result<i64, ServiceError> {
    conn.fetch_found::<(i64,)>(&select_article_id(slug), Entity::Article)
        .await
        .map(|(id,)| id)
}

/// The article with this slug, locked for the transaction where the backend needs it, if `user` wrote it:
/// `NotFound` or `Forbidden` otherwise.
async fn authored_article<C: Conn>(
    conn: &mut C,
    slug: &str,
    user: UserId,
) -> Result<ArticleKey, ServiceError> {
    let mut q = SqlQuery::from("SELECT id, author_id FROM articles WHERE slug = ");
    q.bind_text(slug).push(C::DIALECT.for_update());
    let article: ArticleKey = conn.fetch_found(&q, Entity::Article).await?;
    if article.author_id == user.0 {
        Ok(article)
    } else {
        Err(ServiceError::Forbidden(Entity::Article))
    }
}

impl<B: Backend> SqlStore<B> {
    /// Stores a new article with its tags once its author is known to exist; answers with it as the author sees
    /// it. Creates are group-committed on SQLite (sqlite/blog_writer.rs) and batched on MySQL
    /// (mysql/article_batches.rs).
    #[tracing::instrument(skip_all)]
    pub async fn insert_article(&self, new: NewArticle) -> Result<ArticleRecord, ServiceError> {
        match &self.writers {
            Writers::Sole(sole) => sole.blog_writer.insert(new).await,
            Writers::Shared(batches) => batches.insert(new).await,
        }
    }

    /// The article with this slug as `viewer` sees it; from the read cache when fresh.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn find_article_by_slug(
        &self,
        slug: &str,
        viewer: Option<UserId>,
    ) -> Result<Arc<ArticleRecord>, ServiceError> {
        self.cached(
            |cache, version| cache.article(slug, viewer, version),
            |_| async {
                let mut q = SqlQuery::default();
                B::DIALECT.select_articles(&mut q, viewer, true);
                q.push(" FROM articles a WHERE a.slug = ").bind_text(slug);
                let row = self
                    .blog
                    .fetch_found_small::<ArticleRow>(&q, Entity::Article)
                    .await?;
                Ok(Arc::new(self.article_with_author(row, viewer).await?))
            },
            |cache, version, article| cache.put_article(viewer, version, Arc::clone(article)),
        )
        .await
    }

    /// Applies `changes` if the editor is the author. A new title brings a new slug (NOTES.md #5).
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn update_article(
        &self,
        slug: &str,
        changes: &ArticleChanges,
    ) -> Result<ArticleRecord, ServiceError> {
        let tags = changes.tags.clone().map(Tags::new);
        let (blog, slug, edit) = (self.blog.clone(), slug.to_owned(), changes.clone());
        let write = async move {
            retry_transaction(|| async {
                let (slug, changes) = (slug.as_str(), &edit);
                let mut tx = blog.write.begin().await?;
                let article = authored_article(&mut *tx, slug, changes.editor).await?;
                if let (Some(_), Some(base)) = (&changes.title, &changes.slug) {
                    write_under_free_slug(&mut *tx, base, Slugged::Renamed(article.id)).await?;
                }
                let mut q = SqlQuery::from("UPDATE articles SET ");
                q.push_changes(&[
                    ("title", changes.title.as_deref()),
                    ("description", changes.description.as_deref()),
                    ("body", changes.body.as_deref()),
                ])
                .push(&format!(", updated_at = {} WHERE id = ", B::DIALECT.now()))
                .bind_int(Some(article.id));
                tx.execute(&q).await?;
                if let Some(tags) = &tags {
                    let mut q = SqlQuery::from("DELETE FROM article_tags WHERE article_id = ");
                    q.bind_int(Some(article.id));
                    tx.execute(&q).await?;
                    insert_tags(&mut *tx, &[(article.id, tags)]).await?;
                    let mut q = SqlQuery::from("UPDATE articles SET search_tags = ");
                    q.bind_text(&tags.search_text())
                        .push(" WHERE id = ")
                        .bind_int(Some(article.id));
                    tx.execute(&q).await?;
                }
                tx.commit().await.map_err(commit_failed::<B>)?;
                Ok(article.id)
            })
            .await
        };
        let id = self.write_then_mark_stale(Change::Article, write).await?;
        self.read_back(id, changes.editor).await
    }

    /// Deletes the article with its tags, favorites and comments if `by` is the author. They go one table at a
    /// time rather than by cascade: InnoDB fires no triggers (which keep the counters) for rows a cascade
    /// removes, and one way for both backends is one way to test.
    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn delete_article(&self, slug: &str, by: UserId) -> Result<(), ServiceError> {
        let (blog, slug) = (self.blog.clone(), slug.to_owned());
        let write = async move {
            retry_transaction(|| async {
                let mut tx = blog.write.begin().await?;
                let article = authored_article(&mut *tx, &slug, by).await?;
                for statement in [
                    "DELETE FROM article_tags WHERE article_id = ",
                    "DELETE FROM favorites WHERE article_id = ",
                    "DELETE FROM comments WHERE article_id = ",
                    "DELETE FROM articles WHERE id = ",
                ] {
                    let mut q = SqlQuery::from(statement.to_owned());
                    q.bind_int(Some(article.id));
                    tx.execute(&q).await?;
                }
                tx.commit().await.map_err(commit_failed::<B>)?;
                Ok(())
            })
            .await
        };
        self.write_then_mark_stale(Change::Article, write).await
    }

    /// Reads an article just written, as `viewer` sees it. On SQLite a reader suffices: each statement starts a
    /// new read transaction, which sees every commit that returned before it (WAL), and the writer stays free.
    pub(super) async fn read_back(
        &self,
        article_id: i64,
        viewer: UserId,
    ) -> Result<ArticleRecord, ServiceError> {
        let mut q = SqlQuery::default();
        B::DIALECT.select_articles(&mut q, Some(viewer), true);
        q.push(" FROM articles a WHERE a.id = ")
            .bind_int(Some(article_id));
        let row = self
            .blog
            .fetch_found_small::<ArticleRow>(&q, Entity::Article)
            .await?;
        self.article_with_author(row, Some(viewer)).await
    }

    /// The one article of `row` with its author.
    pub(super) async fn article_with_author(
        &self,
        row: ArticleRow,
        viewer: Option<UserId>,
    ) -> Result<ArticleRecord, ServiceError> {
        let authors = self.authors(vec![row.author_id], viewer).await?;
        row.into_record(&authors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_slug_is_the_title_s_then_random_suffixes() {
        assert_eq!(slug_candidate("dragons", 0), "dragons");
        let second = slug_candidate("dragons", 1);
        let suffix = second.strip_prefix("dragons-").expect("suffixed");
        assert_eq!(suffix.len(), 8);
        assert!(suffix
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        let many: std::collections::HashSet<String> =
            (0..100).map(|_| slug_candidate("x", 1)).collect();
        assert!(many.len() > 95, "suffixes repeat: {}", many.len());
    }
}
