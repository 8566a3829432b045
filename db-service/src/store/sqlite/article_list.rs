//! Article lists and feeds. Each filter picks the index that drives the query, so a page costs what it returns,
//! not what the table holds; `EXPLAIN QUERY PLAN` tests below keep it that way.

use std::sync::Arc;

use db_client::{ArticleFilter, ArticlePage, MAX_PAGE_SIZE};
use sqlx::Sqlite;

use super::{cache::ListKey, SqliteStore};
use crate::{
    error::ServiceError,
    store::{
        rows::ArticleRow,
        shared::{articles_with_authors, resolve_filter},
        sql::Dialect,
    },
};

impl SqliteStore {
    /// One page of articles, newest first, plus the total count. Anonymous pages come from the read cache when
    /// nothing was written since they were computed.
    #[tracing::instrument(skip_all)]
    pub async fn list_articles(
        &self,
        filter: &ArticleFilter,
    ) -> Result<Arc<ArticlePage>, ServiceError> {
        let key = (filter.viewer.is_none() && filter.followed_by.is_none()).then(|| ListKey {
            tag: filter.tag.clone(),
            author: filter.author.clone(),
            favorited: filter.favorited.clone(),
            limit: filter.limit.clamp(1, MAX_PAGE_SIZE),
            offset: filter.offset,
        });
        if let Some(page) = key.as_ref().and_then(|key| self.cache.list(key)) {
            return Ok(page);
        }
        let generation = self.cache.generation();
        let page = Arc::new(self.query_articles(filter).await?);
        if let Some(key) = key {
            self.cache.put_list(key, generation, Arc::clone(&page));
        }
        Ok(page)
    }

    async fn query_articles(&self, filter: &ArticleFilter) -> Result<ArticlePage, ServiceError> {
        let Some(resolved) = resolve_filter(self, filter).await? else {
            return Ok(ArticlePage {
                articles: Vec::new(),
                total: 0,
            });
        };
        let limit = filter.limit.clamp(1, MAX_PAGE_SIZE);
        let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
        let count = resolved.count_query(Dialect::Sqlite);
        let page = resolved.page_query(Dialect::Sqlite, filter.viewer, limit, offset);
        let ((total,), rows) = tokio::try_join!(
            count
                .query_as::<Sqlite, (i64,)>()
                .fetch_one(&self.blog.read),
            page.query_as::<Sqlite, ArticleRow>()
                .fetch_all(&self.blog.read),
        )?;
        Ok(ArticlePage {
            articles: articles_with_authors(self, rows, filter.viewer).await?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{ListFilter, SqlQuery};

    /// The plan lines of a query, via `EXPLAIN QUERY PLAN` on an in-memory copy of the schema.
    async fn plan(query: &SqlQuery) -> Vec<String> {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:")
            .await
            .expect("memory db");
        super::super::BLOG_MIGRATIONS
            .run(&pool)
            .await
            .expect("migrate");
        let sql = format!("EXPLAIN QUERY PLAN {}", query.sql);
        // Bind placeholders as NULL: the plan depends on the shape of the query, not on the values.
        let placeholders = sql.matches('?').count();
        let mut explain = sqlx::query_as::<_, (i64, i64, i64, String)>(&sql);
        for _ in 0..placeholders {
            explain = explain.bind(None::<i64>);
        }
        explain
            .fetch_all(&pool)
            .await
            .expect("explain")
            .into_iter()
            .map(|(_, _, _, detail)| detail)
            .collect()
    }

    fn filters() -> Vec<(&'static str, ListFilter)> {
        let tag = || Some("rust".to_owned());
        vec![
            (
                "tag",
                ListFilter {
                    tag: tag(),
                    ..ListFilter::default()
                },
            ),
            (
                "author",
                ListFilter {
                    author_id: Some(1),
                    ..ListFilter::default()
                },
            ),
            (
                "favorited",
                ListFilter {
                    favorited_by: Some(1),
                    ..ListFilter::default()
                },
            ),
            (
                "feed",
                ListFilter {
                    feed_authors: Some(vec![1, 2]),
                    ..ListFilter::default()
                },
            ),
            (
                "tag+author",
                ListFilter {
                    tag: tag(),
                    author_id: Some(1),
                    ..ListFilter::default()
                },
            ),
            (
                "tag+favorited",
                ListFilter {
                    tag: tag(),
                    favorited_by: Some(1),
                    ..ListFilter::default()
                },
            ),
            (
                "favorited+author",
                ListFilter {
                    favorited_by: Some(1),
                    author_id: Some(1),
                    ..ListFilter::default()
                },
            ),
        ]
    }

    /// Lines that scan one of our tables (by name or query alias). Scans of the one-row viewer CTE, constant
    /// rows, `json_each` id lists and the per-article tag subquery's result are not table scans.
    fn full_scans(plan: &[String]) -> Vec<&String> {
        const TABLES: [&str; 10] = [
            "a",
            "d",
            "t",
            "f",
            "f2",
            "articles",
            "article_tags",
            "favorites",
            "tags",
            "article_totals",
        ];
        plan.iter()
            .filter(|line| {
                line.strip_prefix("SCAN ")
                    .and_then(|rest| rest.split(' ').next())
                    .is_some_and(|name| TABLES.contains(&name))
            })
            .collect()
    }

    #[tokio::test]
    async fn the_scan_detector_flags_an_unindexed_filter() {
        let by_title = SqlQuery {
            sql: "SELECT a.id FROM articles a WHERE a.title = 'x'".into(),
            params: Vec::new(),
        };
        let lines = plan(&by_title).await;
        assert_eq!(full_scans(&lines).len(), 1, "{lines:#?}");
    }

    #[tokio::test]
    async fn filtered_pages_and_counts_never_scan_a_whole_table() {
        for (name, filter) in filters() {
            let page = plan(&filter.page_query(Dialect::Sqlite, None, 20, 0)).await;
            assert!(full_scans(&page).is_empty(), "{name} page scans: {page:#?}");
            let count = plan(&filter.count_query(Dialect::Sqlite)).await;
            assert!(
                full_scans(&count).is_empty(),
                "{name} count scans: {count:#?}"
            );
        }
    }

    #[tokio::test]
    async fn filtered_pages_come_out_of_an_index_in_order_except_the_feed() {
        for (name, filter) in filters().into_iter().filter(|(name, _)| *name != "feed") {
            let page = plan(&filter.page_query(Dialect::Sqlite, None, 20, 0)).await;
            assert!(
                !page.iter().any(|l| l.contains("TEMP B-TREE")),
                "{name} sorts: {page:#?}"
            );
        }
    }

    #[tokio::test]
    async fn the_unfiltered_page_walks_the_primary_key_and_its_count_reads_a_counter() {
        let filter = ListFilter::default();
        let page = plan(&filter.page_query(Dialect::Sqlite, None, 20, 0)).await;
        // Reading newest-first along the rowid stops after offset + limit rows.
        assert!(!page.iter().any(|l| l.contains("TEMP B-TREE")), "{page:#?}");
        let count = plan(&filter.count_query(Dialect::Sqlite)).await;
        assert!(full_scans(&count).is_empty(), "{count:#?}");
    }
}
