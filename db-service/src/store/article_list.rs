//! Article lists and feeds. Each filter picks the index that drives the query, so a page costs what it returns,
//! not what the table holds; `EXPLAIN QUERY PLAN` tests below keep it that way.

use std::sync::Arc;

use db_client::{ArticleFilter, ArticlePage, UserId, MAX_PAGE_SIZE};
use sqlx::{QueryBuilder, Sqlite};

use super::{
    articles::{article_columns, ArticleRow},
    cache::ListKey,
    json_ids, Store,
};
use crate::error::ServiceError;

/// The filters of one list call, resolved to ids.
#[derive(Debug, Default, Clone)]
pub(super) struct ListFilter {
    pub tag: Option<String>,
    pub author_id: Option<i64>,
    pub favorited_by: Option<i64>,
    /// Authors the viewer follows, for the feed.
    pub feed_authors: Option<Vec<i64>>,
}

impl ListFilter {
    /// The table whose index yields the page in order: the most selective filter present.
    fn push_source(&self, q: &mut QueryBuilder<'_, Sqlite>) -> &'static str {
        if let Some(tag) = &self.tag {
            q.push(" FROM article_tags d JOIN articles a ON a.id = d.article_id WHERE d.tag = ")
                .push_bind(tag.clone());
            "d.article_id"
        } else if let Some(user_id) = self.favorited_by {
            q.push(" FROM favorites d JOIN articles a ON a.id = d.article_id WHERE d.user_id = ")
                .push_bind(user_id);
            "d.article_id"
        } else {
            q.push(" FROM articles a WHERE 1");
            "a.id"
        }
    }

    /// The remaining filters, as conditions on `a`.
    fn push_conditions(&self, q: &mut QueryBuilder<'_, Sqlite>) {
        if let (Some(_), Some(user_id)) = (&self.tag, self.favorited_by) {
            q.push(" AND EXISTS (SELECT 1 FROM favorites f2 WHERE f2.user_id = ")
                .push_bind(user_id)
                .push(" AND f2.article_id = a.id)");
        }
        if let Some(author_id) = self.author_id {
            q.push(" AND a.author_id = ").push_bind(author_id);
        }
        if let Some(authors) = &self.feed_authors {
            q.push(" AND a.author_id IN (SELECT value FROM json_each(")
                .push_bind(json_ids(authors.iter().copied()))
                .push("))");
        }
    }

    /// `SELECT … page` for `viewer`, newest first.
    pub(super) fn page_query(
        &self,
        viewer: Option<UserId>,
        limit: u32,
        offset: i64,
    ) -> QueryBuilder<'_, Sqlite> {
        let mut q = QueryBuilder::new("WITH viewer (id) AS (SELECT ");
        q.push_bind(viewer.map(|v| v.0))
            .push(") ")
            .push(article_columns(false));
        let order_key = self.push_source(&mut q);
        self.push_conditions(&mut q);
        q.push(format_args!(" ORDER BY {order_key} DESC LIMIT "))
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(offset);
        q
    }

    /// `SELECT` of the total number of matches, from a trigger-kept counter when a single filter (or none) is
    /// given, else by counting through the driving index.
    pub(super) fn count_query(&self) -> QueryBuilder<'_, Sqlite> {
        let filters = [
            self.tag.is_some(),
            self.favorited_by.is_some(),
            self.author_id.is_some(),
            self.feed_authors.is_some(),
        ];
        let mut q = QueryBuilder::new("SELECT ");
        match filters.iter().filter(|f| **f).count() {
            0 => {
                q.push("total FROM article_totals WHERE id = 1");
            }
            1 if self.tag.is_some() => {
                q.push("COALESCE((SELECT article_count FROM tags WHERE tag = ")
                    .push_bind(self.tag.clone())
                    .push("), 0)");
            }
            1 if self.author_id.is_some() => {
                q.push(
                    "COALESCE((SELECT article_count FROM author_article_counts WHERE author_id = ",
                )
                .push_bind(self.author_id)
                .push("), 0)");
            }
            1 if self.feed_authors.is_some() => {
                q.push("COALESCE(SUM(article_count), 0) FROM author_article_counts WHERE author_id IN \
                        (SELECT value FROM json_each(")
                    .push_bind(json_ids(self.feed_authors.iter().flatten().copied()))
                    .push("))");
            }
            _ => {
                q.push("COUNT(*)");
                self.push_source(&mut q);
                self.push_conditions(&mut q);
            }
        }
        q
    }
}

impl Store {
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
        let Some(resolved) = self.resolve_filter(filter).await? else {
            return Ok(ArticlePage {
                articles: Vec::new(),
                total: 0,
            });
        };
        let limit = filter.limit.clamp(1, MAX_PAGE_SIZE);
        let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
        let mut count = resolved.count_query();
        let mut page = resolved.page_query(filter.viewer, limit, offset);
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

    /// Turns usernames into ids (users.db). `None` when a filter names nobody, so nothing can match.
    async fn resolve_filter(
        &self,
        filter: &ArticleFilter,
    ) -> Result<Option<ListFilter>, ServiceError> {
        let mut resolved = ListFilter {
            tag: filter.tag.clone(),
            ..ListFilter::default()
        };
        if let Some(name) = &filter.author {
            match self.find_user_id_by_username(name).await? {
                Some(id) => resolved.author_id = Some(id),
                None => return Ok(None),
            }
        }
        if let Some(name) = &filter.favorited {
            match self.find_user_id_by_username(name).await? {
                Some(id) => resolved.favorited_by = Some(id),
                None => return Ok(None),
            }
        }
        if let Some(follower) = filter.followed_by {
            let authors = self.list_followee_ids(follower).await?;
            if authors.is_empty() {
                return Ok(None);
            }
            resolved.feed_authors = Some(authors);
        }
        Ok(Some(resolved))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan lines of a query, via `EXPLAIN QUERY PLAN` on an in-memory copy of the schema.
    async fn plan(query: &mut QueryBuilder<'_, Sqlite>) -> Vec<String> {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:")
            .await
            .expect("memory db");
        super::super::BLOG_MIGRATIONS
            .run(&pool)
            .await
            .expect("migrate");
        let sql = format!("EXPLAIN QUERY PLAN {}", query.sql());
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
        let mut by_title =
            QueryBuilder::<Sqlite>::new("SELECT a.id FROM articles a WHERE a.title = 'x'");
        let lines = plan(&mut by_title).await;
        assert_eq!(full_scans(&lines).len(), 1, "{lines:#?}");
    }

    #[tokio::test]
    async fn filtered_pages_and_counts_never_scan_a_whole_table() {
        for (name, filter) in filters() {
            let page = plan(&mut filter.page_query(None, 20, 0)).await;
            assert!(full_scans(&page).is_empty(), "{name} page scans: {page:#?}");
            let count = plan(&mut filter.count_query()).await;
            assert!(
                full_scans(&count).is_empty(),
                "{name} count scans: {count:#?}"
            );
        }
    }

    #[tokio::test]
    async fn filtered_pages_come_out_of_an_index_in_order_except_the_feed() {
        for (name, filter) in filters().into_iter().filter(|(name, _)| *name != "feed") {
            let page = plan(&mut filter.page_query(None, 20, 0)).await;
            assert!(
                !page.iter().any(|l| l.contains("TEMP B-TREE")),
                "{name} sorts: {page:#?}"
            );
        }
    }

    #[tokio::test]
    async fn the_unfiltered_page_walks_the_primary_key_and_its_count_reads_a_counter() {
        let filter = ListFilter::default();
        let page = plan(&mut filter.page_query(None, 20, 0)).await;
        // Reading newest-first along the rowid stops after offset + limit rows.
        assert!(!page.iter().any(|l| l.contains("TEMP B-TREE")), "{page:#?}");
        let count = plan(&mut filter.count_query()).await;
        assert!(full_scans(&count).is_empty(), "{count:#?}");
    }
}
