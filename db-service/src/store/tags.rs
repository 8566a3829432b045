//! Tags: the one order an article's tags are shown in ([`Tags`]), writing them, and the `/tags` ranking.

use std::sync::Arc;

use db_client::MAX_TAGS_LISTED;

use super::{
    backend::{Backend, Conn},
    read_cache::ReadCache,
    sql::{Dialect, SqlQuery},
    SqlStore,
};
use crate::error::ServiceError;

/// An article's tags as every answer shows them: in byte order, each once (NOTES.md #1; `Rust` and `rust` are two
/// tags). Whatever order tags arrive or are aggregated in, they pass through here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(Vec<String>);

impl Tags {
    pub fn new(mut tags: Vec<String>) -> Self {
        tags.sort_unstable();
        tags.dedup();
        Self(tags)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }

    /// The tags as one text for the search index: space-separated.
    pub fn search_text(&self) -> String {
        self.0.join(" ")
    }
}

/// Tags each article with its tags (`(article id, tags)`), all in one statement (on SQLite the single writer's
/// time is the scarce resource, on MySQL each statement's round trip).
pub(super) async fn insert_tags(
    conn: &mut impl Conn,
    tagged: &[(i64, &Tags)],
) -> Result<(), ServiceError> {
    if let Some(q) = tag_rows_insert(tagged) {
        conn.execute(&q).await?;
    }
    Ok(())
}

/// The one statement of [`insert_tags`]; none when there are no tags.
pub(super) fn tag_rows_insert(tagged: &[(i64, &Tags)]) -> Option<SqlQuery> {
    let mut q = SqlQuery::from("INSERT INTO article_tags (article_id, tag) VALUES ");
    let mut rows = 0;
    for (id, tags) in tagged {
        for tag in tags.as_slice() {
            q.push(if rows == 0 { "(" } else { ", (" })
                .bind_int(Some(*id))
                .push(", ")
                .bind_text(tag)
                .push(")");
            rows += 1;
        }
    }
    (rows > 0).then_some(q)
}

/// The tags in use, most used first, then in byte order. The two backends keep their counters differently (one
/// row per tag on SQLite, each counter spread over slots on MySQL), so each has its query, side by side here.
fn ranking(dialect: Dialect) -> SqlQuery {
    let sql = match dialect {
        Dialect::Sqlite => "SELECT tag FROM tags ORDER BY article_count DESC, tag LIMIT ",
        Dialect::Mysql => {
            "SELECT CAST(tag AS CHAR) FROM tags GROUP BY tag HAVING SUM(article_count) > 0 \
             ORDER BY SUM(article_count) DESC, tag LIMIT "
        }
    };
    let mut q = SqlQuery::from(sql.to_owned());
    q.bind_int(Some(i64::from(MAX_TAGS_LISTED)));
    q
}

impl<B: Backend> SqlStore<B> {
    /// Tags in use, most used first; from the read cache when nothing was written since.
    #[tracing::instrument(skip_all)]
    pub async fn list_tags(&self) -> Result<Arc<Vec<String>>, ServiceError> {
        self.cached(
            ReadCache::tags,
            |_| async {
                let rows: Vec<(String,)> = self.blog.fetch_all_long(&ranking(B::DIALECT)).await?;
                Ok(Arc::new(rows.into_iter().map(|(tag,)| tag).collect()))
            },
            |cache, version, tags| cache.put_tags(version, Arc::clone(tags)),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_come_out_in_byte_order_each_once() {
        let tags = Tags::new(vec![
            "web".into(),
            "rust".into(),
            "Rust".into(),
            "web".into(),
            "ärger".into(),
        ]);
        assert_eq!(tags.into_vec(), vec!["Rust", "rust", "web", "ärger"]);
    }
}
