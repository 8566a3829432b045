//! Loading an export into empty databases: one transaction per database, so nothing is visible, and nothing
//! stays, unless the whole file went in; then the rows are counted against the file's trailer.

use std::path::Path;

use anyhow::ensure;
use sqlx::Pool;

use super::format::{read_lines, Counts, Database};
use crate::store::{
    backend::{Backend, Conn},
    sql::{Dialect, SqlQuery},
};

/// Rows between progress lines.
const PROGRESS_EVERY: u64 = 10_000;

/// Writes every row of the (checked) file at `path` into the empty databases `users` and `blog`, then counts
/// the rows written against `expected`.
pub async fn import<B: Backend>(
    users: &Pool<B>,
    blog: &Pool<B>,
    path: &Path,
    expected: &Counts,
) -> anyhow::Result<()> {
    let found = count_rows(users, blog).await?;
    ensure!(
        found.total() == 0,
        "the target already holds data ({found}): import only into an empty installation"
    );
    let mut users_tx = users.begin().await?;
    let mut blog_tx = blog.begin().await?;
    let mut written = 0_u64;
    for read in read_lines(path)? {
        let (number, line) = read?;
        let Some((database, statement)) = line.insert(B::DIALECT) else {
            continue;
        };
        let target = match database {
            Database::Users => &mut *users_tx,
            Database::Blog => &mut *blog_tx,
        };
        // The message names the line and table, never the row: it may hold a password hash.
        target.execute(&statement).await.map_err(|e| {
            anyhow::anyhow!("cannot import line {number} ({} row): {e}", line.table())
        })?;
        written += 1;
        if written.is_multiple_of(PROGRESS_EVERY) {
            tracing::info!(rows = written, of = expected.total(), "importing");
        }
    }
    // The tags each article can be found by are kept beside it by the writes that change them; rows written
    // here gain theirs in one statement, which the search index follows.
    blog_tx.execute(&rebuild_search_tags(B::DIALECT)).await?;
    users_tx.commit().await?;
    blog_tx.commit().await?;
    let stored = count_rows(users, blog).await?;
    ensure!(
        &stored == expected,
        "imported {stored}, but the file holds {expected}"
    );
    Ok(())
}

/// `UPDATE` setting every article's `search_tags` from its tags.
fn rebuild_search_tags(dialect: Dialect) -> SqlQuery {
    let joined = match dialect {
        Dialect::Sqlite => "group_concat(t.tag, ' ')",
        Dialect::Mysql => "GROUP_CONCAT(t.tag SEPARATOR ' ')",
    };
    SqlQuery::from(format!(
        "UPDATE articles SET search_tags = COALESCE(\
         (SELECT {joined} FROM article_tags t WHERE t.article_id = articles.id), '')"
    ))
}

/// Rows per table in `users` and `blog`.
async fn count_rows<B: Backend>(users: &Pool<B>, blog: &Pool<B>) -> anyhow::Result<Counts> {
    let count = |pool: &Pool<B>, table: &'static str| {
        let pool = pool.clone();
        async move {
            let query = SqlQuery::from(format!("SELECT COUNT(*) FROM {table}"));
            let (n,): (i64,) = pool
                .acquire()
                .await?
                .fetch_optional(&query)
                .await?
                .unwrap_or((0,));
            anyhow::Ok(u64::try_from(n).unwrap_or(0))
        }
    };
    Ok(Counts {
        users: count(users, "users").await?,
        follows: count(users, "follows").await?,
        articles: count(blog, "articles").await?,
        tags: count(blog, "article_tags").await?,
        favorites: count(blog, "favorites").await?,
        comments: count(blog, "comments").await?,
    })
}
