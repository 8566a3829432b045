//! Article lists and feeds. Each filter picks the index that drives the query, so a page costs what it returns,
//! not what the table holds; the `EXPLAIN QUERY PLAN` tests below keep it that way on SQLite. Offsets are capped
//! ([`MAX_OFFSET`]), so no page walks more than that many rows.

use std::sync::Arc;

use bytes::Bytes;
use db_client::{ArticleFilter, ArticlePage, UserId, MAX_OFFSET, MAX_PAGE_SIZE};

use super::{
    backend::{Backend, Conn, ReadCost, Record},
    direct_readers::MAX_ROWS_READ_DIRECTLY,
    rows::{ArticleRow, CountedArticleRow},
    search::{Scored, SearchTerms},
    sql::{Dialect, SqlQuery},
    SqlStore,
};
use crate::error::ServiceError;

impl<B: Backend> SqlStore<B> {
    /// One page of articles, newest first, plus the total count, as the JSON it is sent as ([`ArticlePage`]).
    /// Pages come from the read cache when nothing was written since they were computed.
    #[tracing::instrument(skip_all)]
    pub async fn list_articles(&self, filter: &ArticleFilter) -> Result<Bytes, ServiceError> {
        let limit = filter.limit.clamp(1, MAX_PAGE_SIZE);
        let offset = filter.offset.min(MAX_OFFSET);
        // A page is cached under its filter with the limit and offset it was answered with.
        let key = ArticleFilter {
            limit,
            offset,
            ..filter.clone()
        };
        self.cached(
            |cache, version| cache.list(&key, version),
            |version| async move {
                let page = self.query_articles(filter, limit, offset, version).await?;
                let mut json =
                    serde_json::to_vec(&page).map_err(|e| ServiceError::Internal(e.into()))?;
                // The cache counts a page by its length: without this, the vector's spare capacity (up to as
                // much again) would be held uncounted.
                json.shrink_to_fit();
                Ok(Bytes::from(json))
            },
            |cache, version, json| cache.put_list(key.clone(), version, json.clone()),
        )
        .await
    }

    /// The page `filter` asks for, as the data is at `version` or later.
    async fn query_articles(
        &self,
        filter: &ArticleFilter,
        limit: u32,
        offset: u64,
        version: u64,
    ) -> Result<ArticlePage, ServiceError> {
        let Some(resolved) = self.resolve_filter(filter).await? else {
            return Ok(ArticlePage {
                articles: Vec::new(),
                total: 0,
            });
        };
        if resolved.search.is_some() && resolved.feed_authors.is_none() {
            return self
                .search_page(filter, resolved, limit, offset, version)
                .await;
        }
        // Bodies (the Atom feed's) may be a megabyte each, written by others.
        let cost = match filter.with_bodies {
            true => ReadCost::Any,
            false => resolved.cost(limit, offset),
        };
        // The total, once counted (a feed read whole, counted first to know whether its page is past its end).
        let mut counted = None;
        if resolved.may_be_past_the_feed_s_end(B::DIALECT, limit, offset) {
            let total = self.count(&resolved.count_query(B::DIALECT), cost).await?;
            if offset >= u64::try_from(total).unwrap_or(0) {
                return Ok(ArticlePage {
                    articles: Vec::new(),
                    total: u64::try_from(total).unwrap_or(0),
                });
            }
            counted = Some(total);
        }
        let total = || async {
            match counted {
                Some(total) => Ok(total),
                None => self.count(&resolved.count_query(B::DIALECT), cost).await,
            }
        };
        // A search within a feed, ranked for this page alone.
        let _turn = match resolved.search {
            Some(_) => Some(self.search_turns.take().await?),
            None => None,
        };
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let page =
            resolved.page_query(B::DIALECT, filter.viewer, filter.with_bodies, limit, offset);
        let (total, rows) = if !resolved.total_in_page() {
            // Counted beside the page, on another reader.
            tokio::try_join!(total(), self.read_rows::<ArticleRow>(&page, cost))?
        } else {
            // The page carries its total in every row (one statement, one snapshot); a page past the end has no
            // rows to carry it, so its total is counted then.
            let rows = self.read_rows::<CountedArticleRow>(&page, cost).await?;
            let total = match rows.first() {
                Some(row) => row.total,
                None if offset == 0 => 0,
                None => total().await?,
            };
            (total, rows.into_iter().map(|counted| counted.row).collect())
        };
        self.page_of(rows, filter.viewer, u64::try_from(total).unwrap_or(0))
            .await
    }

    /// A page of a search not within a feed (whose key would carry every author followed): the matches are ranked
    /// once per version of what the ranking depends on ([`Self::ranking_version`]), for every viewer and page,
    /// under the filter as resolved to ids (the same ranking whatever names or case the request used, never
    /// another user's after a rename), taking a turn only to rank; the page's rows are then read by id, as its
    /// viewer sees them.
    async fn search_page(
        &self,
        filter: &ArticleFilter,
        resolved: ListFilter,
        limit: u32,
        offset: u64,
        version: u64,
    ) -> Result<ArticlePage, ServiceError> {
        let ranking_version = self.ranking_version(&resolved, Some(version)).await?;
        let ranked = match self.cache.search_hits(&resolved, ranking_version) {
            Some(ranked) => ranked,
            None => self.rank(resolved).await?,
        };
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(ranked.len());
        let end = start.saturating_add(limit as usize).min(ranked.len());
        let page = &ranked[start..end];
        let rows: Vec<ArticleRow> = if page.is_empty() {
            Vec::new()
        } else {
            // At most a page of rows by key; bodies may be a megabyte each.
            let cost = match filter.with_bodies {
                true => ReadCost::Any,
                false => ReadCost::Small,
            };
            let query = rows_by_id_query(B::DIALECT, filter.viewer, filter.with_bodies, page);
            self.read_rows(&query, cost).await?
        };
        self.page_of(rows, filter.viewer, ranked.len() as u64).await
    }

    /// The search `resolved` describes, ranked in its turn and kept. While this request waited, the one before may
    /// have ranked the same search, or a write have passed: the version then is as good for this page (the data is
    /// at least as new) and keeps what is ranked for those who come after.
    async fn rank(&self, resolved: ListFilter) -> Result<Arc<Vec<i64>>, ServiceError> {
        let _turn = self.search_turns.take().await?;
        let now = self.ranking_version(&resolved, None).await?;
        if let Some(ranked) = self.cache.search_hits(&resolved, now) {
            return Ok(ranked);
        }
        let query = resolved.ranked_ids_query(B::DIALECT);
        let ranking = std::time::Instant::now();
        let ids = self.read_rows::<(i64,)>(&query, ReadCost::Any).await?;
        // How often searches are ranked, and what each costs: what SEARCHES_PER_IP_PER_MINUTE and the turns bound.
        metrics::histogram!("db_search_ranking_duration_seconds")
            .record(ranking.elapsed().as_secs_f64());
        let mut ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
        ids.shrink_to_fit();
        let ranked = Arc::new(ids);
        self.cache
            .put_search_hits(resolved, now, Arc::clone(&ranked));
        Ok(ranked)
    }

    /// The version the ranking of `resolved` is kept under: the articles' for a search not within someone's
    /// favorites (favorites, follows and profiles change no search's matches or scores, so the rankings a crowd
    /// reads survive the writes it makes; the rows of each page are still read as they are now), else the data's
    /// (`data_version` when the caller has read it). On MySQL the articles' version is one more coalesced read,
    /// where a ranking costs `MATCH … AGAINST` over every match.
    async fn ranking_version(
        &self,
        resolved: &ListFilter,
        data_version: Option<u64>,
    ) -> Result<u64, ServiceError> {
        match (&resolved.favorited_by, data_version) {
            (None, _) => self.articles_version().await,
            (Some(_), Some(version)) => Ok(version),
            (Some(_), None) => self.version().await,
        }
    }

    /// A page of `rows` with their authors as `viewer` sees them, out of `total`.
    async fn page_of(
        &self,
        rows: Vec<ArticleRow>,
        viewer: Option<UserId>,
        total: u64,
    ) -> Result<ArticlePage, ServiceError> {
        let authors = self
            .authors(rows.iter().map(|r| r.author_id).collect(), viewer)
            .await?;
        Ok(ArticlePage {
            articles: rows
                .into_iter()
                .map(|row| row.into_record(&authors))
                .collect::<Result<_, _>>()?,
            total,
        })
    }

    /// A page's rows, read where their `cost` allows (Pools::reader_for).
    async fn read_rows<R: Record>(
        &self,
        page: &SqlQuery,
        cost: ReadCost,
    ) -> Result<Vec<R>, ServiceError> {
        Ok(self.blog.reader_for(cost).await?.fetch_all(page).await?)
    }

    async fn count(&self, count: &SqlQuery, cost: ReadCost) -> Result<i64, ServiceError> {
        let (total,) = self
            .blog
            .reader_for(cost)
            .await?
            .fetch_optional::<(i64,)>(count)
            .await?
            .ok_or_else(|| anyhow::anyhow!("a count returned no row"))?;
        Ok(total)
    }

    /// Turns a list call's usernames into ids. `None` when a filter names nobody (or the feed follows nobody),
    /// so nothing can match.
    async fn resolve_filter(
        &self,
        filter: &ArticleFilter,
    ) -> Result<Option<ListFilter>, ServiceError> {
        let mut resolved = ListFilter {
            tag: filter.tag.clone(),
            ..ListFilter::default()
        };
        if let Some(q) = &filter.q {
            match SearchTerms::parse(q) {
                Some(terms) => resolved.search = Some(terms),
                None => return Ok(None),
            }
        }
        if let Some(name) = &filter.author {
            match self.user_id(name).await? {
                Some(id) => resolved.author_id = Some(id),
                None => return Ok(None),
            }
        }
        if let Some(name) = &filter.favorited {
            match self.user_id(name).await? {
                Some(id) => resolved.favorited_by = Some(id),
                None => return Ok(None),
            }
        }
        if let Some(follower) = filter.followed_by {
            let mut authors = self.followee_ids(follower).await?;
            // Sorted already; each author once, or the feed read author by author would count its articles twice.
            authors.dedup();
            if authors.is_empty() {
                return Ok(None);
            }
            resolved.feed_authors = Some(authors);
        }
        Ok(Some(resolved))
    }
}

/// Most index entries a feed's page read author by author may walk on MySQL ([`ListFilter::push_feed_source`]):
/// 100 followed authors on the first 10 pages of 20, 5 to the 4,000th article. Past it the page is found through
/// `author_id IN (…)`, as MariaDB plans it.
const MAX_FEED_ENTRIES_READ_BY_AUTHOR: u64 = 20_000;

/// Most followed authors whose feed is read author by author on MySQL: each is a derived table of its own, which
/// MariaDB plans and fills apart (about 40 µs each on this machine kind with the cores busy).
const MAX_FEED_AUTHORS_READ_BY_AUTHOR: usize = 100;

/// Largest feed (in followed authors) whose total is counted in the page's own statement.
const MAX_FEED_AUTHORS_COUNTED_IN_PAGE: usize = 1_000;

/// The filters of one list call, resolved to ids.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub(super) struct ListFilter {
    pub tag: Option<String>,
    pub author_id: Option<i64>,
    pub favorited_by: Option<i64>,
    /// Authors the viewer follows, for the feed.
    pub feed_authors: Option<Vec<i64>>,
    /// Words every article must contain; the page is then ordered by relevance.
    pub search: Option<SearchTerms>,
}

impl ListFilter {
    /// `WITH viewer …` and, for a search, its hits.
    fn push_with(
        &self,
        dialect: Dialect,
        q: &mut SqlQuery,
        viewer: Option<UserId>,
        scored: Scored,
    ) {
        dialect.with_viewer(q, viewer);
        if let Some(terms) = &self.search {
            q.push(", ");
            terms.push_hits(dialect, q, scored);
        }
    }

    /// The rows a page is read from: for a search its hits, else the table whose index yields the page in order
    /// (the most selective filter present). Returns the ordering key for non-search pages.
    fn push_source(&self, q: &mut SqlQuery) -> &'static str {
        if self.search.is_some() {
            q.push(" FROM hits JOIN articles a ON a.id = hits.id WHERE 1 = 1");
            "a.id"
        } else if let Some(tag) = &self.tag {
            q.push(" FROM article_tags d JOIN articles a ON a.id = d.article_id WHERE d.tag = ")
                .bind_text(tag);
            "d.article_id"
        } else if let Some(user_id) = self.favorited_by {
            q.push(" FROM favorites d JOIN articles a ON a.id = d.article_id WHERE d.user_id = ")
                .bind_int(Some(user_id));
            "d.article_id"
        } else {
            q.push(" FROM articles a WHERE 1 = 1");
            "a.id"
        }
    }

    /// The feed's rows, read author by author: for each followed author, the ids of its `walked` newest articles,
    /// found through `articles_by_author` — at most `walked` index entries per author (twice on SQLite, which
    /// first finds where they start), whatever the authors wrote before — of which the newest `walked` are read as
    /// rows. The page at an offset below `walked` is among them: an article newer than all of them would be among
    /// its author's `walked` newest. On MySQL a derived table per author, which also keeps MariaDB from walking
    /// every article by id (as it does for `author_id IN (…) ORDER BY id DESC LIMIT …` when the authors wrote
    /// little: the whole table for each page).
    fn push_feed_source(&self, dialect: Dialect, q: &mut SqlQuery, walked: i64) -> &'static str {
        let authors = self.feed_authors.as_deref().unwrap_or_default();
        q.push(" FROM articles a WHERE a.id IN (SELECT y.id FROM ");
        match dialect {
            Dialect::Sqlite => {
                q.push_id_list(dialect, authors)
                    .push(
                        " f JOIN articles y ON y.author_id = f.value AND y.id >= COALESCE((SELECT x.id FROM \
                         articles x WHERE x.author_id = f.value ORDER BY x.id DESC LIMIT 1 OFFSET ",
                    )
                    .bind_int(Some(walked.saturating_sub(1)))
                    .push("), 0) ORDER BY y.id DESC LIMIT ")
                    .bind_int(Some(walked))
                    .push(")");
            }
            Dialect::Mysql => {
                q.push("(");
                for (i, author) in authors.iter().enumerate() {
                    if i > 0 {
                        q.push(" UNION ALL ");
                    }
                    q.push("(SELECT x.id FROM articles x WHERE x.author_id = ")
                        .bind_int(Some(*author))
                        .push(" ORDER BY x.id DESC LIMIT ")
                        .bind_int(Some(walked))
                        .push(")");
                }
                q.push(") y)");
            }
        }
        "a.id"
    }

    /// The authors of a feed with no other filter (a form with no conditions: [`Self::push_feed_source`], and a
    /// total the counters hold).
    fn only_the_feed(&self) -> Option<&[i64]> {
        // Every field named, so that a new filter must say whether it goes with this form.
        let ListFilter {
            tag,
            author_id,
            favorited_by,
            feed_authors,
            search,
        } = self;
        let only_the_feed =
            tag.is_none() && author_id.is_none() && favorited_by.is_none() && search.is_none();
        feed_authors.as_deref().filter(|_| only_the_feed)
    }

    /// Whether the feed's page at `offset` of `limit` rows is read author by author ([`Self::push_feed_source`]):
    /// a feed alone ([`Self::only_the_feed`]), of at least one author, whose authors times the rows walked stay
    /// within a bound: on SQLite, twice that (each author's index entries are walked once to find where to start,
    /// once to read them) within [`MAX_ROWS_READ_DIRECTLY`], where alone a small read runs on the caller's thread;
    /// on MySQL within [`MAX_FEED_ENTRIES_READ_BY_AUTHOR`], of at most [`MAX_FEED_AUTHORS_READ_BY_AUTHOR`].
    fn feed_read_by_author(&self, dialect: Dialect, limit: u32, offset: u64) -> bool {
        let walked = offset.saturating_add(u64::from(limit));
        self.only_the_feed().is_some_and(|authors| {
            let entries = u64::try_from(authors.len())
                .unwrap_or(u64::MAX)
                .saturating_mul(walked);
            !authors.is_empty()
                && match dialect {
                    Dialect::Sqlite => entries.saturating_mul(2) <= MAX_ROWS_READ_DIRECTLY,
                    Dialect::Mysql => {
                        authors.len() <= MAX_FEED_AUTHORS_READ_BY_AUTHOR
                            && entries <= MAX_FEED_ENTRIES_READ_BY_AUTHOR
                    }
                }
        })
    }

    /// Whether the page at `offset` is past the end of a feed read whole, whose rows are found by walking every
    /// article its authors wrote or every article by id (as the database plans it) however far the page is: its
    /// total, from the counters, tells without walking.
    fn may_be_past_the_feed_s_end(&self, dialect: Dialect, limit: u32, offset: u64) -> bool {
        offset > 0
            && self.only_the_feed().is_some()
            && !self.feed_read_by_author(dialect, limit, offset)
    }

    /// The remaining filters, as conditions on `a`.
    fn push_conditions(&self, dialect: Dialect, q: &mut SqlQuery) {
        if let (true, Some(tag)) = (self.search.is_some(), &self.tag) {
            q.push(" AND EXISTS (SELECT 1 FROM article_tags t2 WHERE t2.article_id = a.id AND t2.tag = ")
                .bind_text(tag)
                .push(")");
        }
        if let (true, Some(user_id)) = (
            self.search.is_some() || self.tag.is_some(),
            self.favorited_by,
        ) {
            q.push(" AND EXISTS (SELECT 1 FROM favorites f2 WHERE f2.user_id = ")
                .bind_int(Some(user_id))
                .push(" AND f2.article_id = a.id)");
        }
        if let Some(author_id) = self.author_id {
            q.push(" AND a.author_id = ").bind_int(Some(author_id));
        }
        if let Some(authors) = &self.feed_authors {
            q.push(" AND a.author_id IN ")
                .push_id_list(dialect, authors);
        }
    }

    /// What reading the page at `offset` of `limit` rows costs. Small ([`MAX_ROWS_READ_DIRECTLY`]) with no
    /// filter, a tag or an author, near the start: the page is walked through an index in its order and its total
    /// read from a counter; and the feed near its start when it follows few enough authors, read author by author
    /// ([`Self::feed_read_by_author`], on SQLite, where alone a small read runs on the caller's thread). A search,
    /// other feeds, filters combined (the driving index is walked until enough rows pass the others) and favorites
    /// (counted row by row) cost what the data holds.
    pub fn cost(&self, limit: u32, offset: u64) -> ReadCost {
        let walked = offset.saturating_add(u64::from(limit));
        let by_index_with_a_counter = self.search.is_none()
            && self.feed_authors.is_none()
            && self.favorited_by.is_none()
            && !(self.tag.is_some() && self.author_id.is_some());
        // Direct reads are SQLite's alone.
        if (by_index_with_a_counter && walked <= MAX_ROWS_READ_DIRECTLY)
            || self.feed_read_by_author(Dialect::Sqlite, limit, offset)
        {
            ReadCost::Small
        } else {
            ReadCost::Any
        }
    }

    /// Whether the page's rows carry the total ([`CountedArticleRow`]) rather than it being counted beside the
    /// page. Not for a search, which counts among the hits its page's own `WITH` defines, nor for a feed of many
    /// authors: the count would bind the author ids a second time, and MySQL binds each id on its own (at most
    /// 65,535 values per statement).
    pub fn total_in_page(&self) -> bool {
        self.search.is_none()
            && self
                .feed_authors
                .as_ref()
                .is_none_or(|authors| authors.len() <= MAX_FEED_AUTHORS_COUNTED_IN_PAGE)
    }

    /// `SELECT … page` for `viewer`: newest first, or for a search most relevant first. When
    /// [`ListFilter::total_in_page`], each row also carries the total number of matches, counted once per statement.
    pub fn page_query(
        &self,
        dialect: Dialect,
        viewer: Option<UserId>,
        with_bodies: bool,
        limit: u32,
        offset: i64,
    ) -> SqlQuery {
        let mut q = SqlQuery::default();
        self.push_with(dialect, &mut q, viewer, Scored::Yes);
        q.push(" ");
        dialect.article_columns(&mut q, with_bodies);
        if self.total_in_page() {
            q.push(", (")
                .append(self.count_query(dialect))
                .push(") AS total");
        }
        let by_author =
            self.feed_read_by_author(dialect, limit, u64::try_from(offset).unwrap_or(u64::MAX));
        let order_key = if by_author {
            let walked = offset.saturating_add(i64::from(limit));
            self.push_feed_source(dialect, &mut q, walked)
        } else {
            let key = self.push_source(&mut q);
            self.push_conditions(dialect, &mut q);
            key
        };
        let order = match self.search {
            Some(_) => SearchTerms::order(dialect).to_owned(),
            None => format!(" ORDER BY {order_key} DESC"),
        };
        q.push(&order)
            .push(" LIMIT ")
            .bind_int(Some(i64::from(limit)))
            .push(" OFFSET ")
            .bind_int(Some(offset));
        q
    }

    /// `SELECT a.id` of every match of a search, most relevant first, then newest: the order its pages show.
    pub fn ranked_ids_query(&self, dialect: Dialect) -> SqlQuery {
        let mut q = SqlQuery::default();
        self.push_with(dialect, &mut q, None, Scored::Yes);
        q.push(" SELECT a.id");
        self.push_source(&mut q);
        self.push_conditions(dialect, &mut q);
        q.push(SearchTerms::order(dialect));
        q
    }

    /// `SELECT` of the total number of matches (one BIGINT), from trigger-kept counters when a single filter (or
    /// none) is given, else by counting through the driving index — for a search, among its hits.
    pub fn count_query(&self, dialect: Dialect) -> SqlQuery {
        let mut q = SqlQuery::default();
        if self.search.is_some() {
            self.push_with(dialect, &mut q, None, Scored::No);
            q.push(" SELECT COUNT(*)");
            self.push_source(&mut q);
            self.push_conditions(dialect, &mut q);
            return q;
        }
        let filters = [
            self.tag.is_some(),
            self.favorited_by.is_some(),
            self.author_id.is_some(),
            self.feed_authors.is_some(),
        ];
        q.push("SELECT ");
        // SQLite keeps one counter row per key, MySQL spreads each counter over slots: a sum reads either (SUM is
        // DECIMAL on MySQL: cast back to an integer).
        let sum = |q: &mut SqlQuery, column: &str, table: &str| {
            q.push(&format!(
                "CAST(COALESCE(SUM({column}), 0) AS SIGNED) FROM {table} WHERE "
            ));
        };
        match filters.iter().filter(|f| **f).count() {
            0 if dialect == Dialect::Sqlite => {
                q.push("total FROM article_totals WHERE id = 1");
            }
            0 => {
                q.push("CAST(COALESCE(SUM(total), 0) AS SIGNED) FROM article_totals");
            }
            1 if self.tag.is_some() => {
                sum(&mut q, "article_count", "tags");
                q.push("tag = ")
                    .bind_text(self.tag.as_deref().unwrap_or_default());
            }
            1 if self.author_id.is_some() => {
                sum(&mut q, "article_count", "author_article_counts");
                q.push("author_id = ").bind_int(self.author_id);
            }
            1 if self.feed_authors.is_some() => {
                sum(&mut q, "article_count", "author_article_counts");
                q.push("author_id IN ")
                    .push_id_list(dialect, self.feed_authors.as_deref().unwrap_or_default());
            }
            _ => {
                q.push("COUNT(*)");
                self.push_source(&mut q);
                self.push_conditions(dialect, &mut q);
            }
        }
        q
    }
}

/// `SELECT` of the articles `ids` as `viewer` sees them, in that order. On SQLite one statement text for every
/// page (the ids one JSON parameter), so it stays in each connection's cache of prepared statements.
fn rows_by_id_query(
    dialect: Dialect,
    viewer: Option<UserId>,
    with_bodies: bool,
    ids: &[i64],
) -> SqlQuery {
    let mut q = SqlQuery::default();
    dialect.select_articles(&mut q, viewer, with_bodies);
    match dialect {
        Dialect::Sqlite => {
            let list = serde_json::Value::from(ids).to_string();
            q.push(" FROM json_each(")
                .bind_text(&list)
                .push(") page JOIN articles a ON a.id = page.value ORDER BY page.key");
        }
        Dialect::Mysql => {
            q.push(" FROM articles a WHERE a.id IN ")
                .push_id_list(dialect, ids)
                .push(" ORDER BY FIELD(a.id");
            for id in ids {
                q.push(", ").bind_int(Some(*id));
            }
            q.push(")");
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::{migrate::run_migrations, BLOG_MIGRATIONS};

    /// The plan lines of a query, via `EXPLAIN QUERY PLAN` on an in-memory copy of the schema.
    async fn plan(query: &SqlQuery) -> Vec<String> {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("memory db");
        run_migrations(
            &mut conn,
            &BLOG_MIGRATIONS,
            std::path::Path::new(":memory:"),
        )
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
            .fetch_all(&mut conn)
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
                "search",
                ListFilter {
                    search: SearchTerms::parse("rust async"),
                    ..ListFilter::default()
                },
            ),
            (
                "search+tag+favorited",
                ListFilter {
                    search: SearchTerms::parse("rust"),
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
        const TABLES: [&str; 12] = [
            "a",
            "x",
            "y",
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
            let page = plan(&filter.page_query(Dialect::Sqlite, None, false, 20, 0)).await;
            assert!(full_scans(&page).is_empty(), "{name} page scans: {page:#?}");
            let count = plan(&filter.count_query(Dialect::Sqlite)).await;
            assert!(
                full_scans(&count).is_empty(),
                "{name} count scans: {count:#?}"
            );
        }
    }

    /// Pages read on the caller's thread take their total from a counter, and come out of an index in order:
    /// neither costs more as others write.
    #[tokio::test]
    async fn pages_of_a_small_cost_count_from_counters_and_sort_nothing() {
        let counters = ["article_totals", "tags", "author_article_counts"];
        let mut small = Vec::new();
        let every = std::iter::once(("none", ListFilter::default())).chain(filters());
        for (name, filter) in every {
            if filter.cost(20, 0) != ReadCost::Small {
                continue;
            }
            small.push(name);
            let count = plan(&filter.count_query(Dialect::Sqlite)).await;
            // Each line reads a table ("SEARCH tags USING …"): one of the counters; the feed's also walk its list
            // of authors.
            let table = |line: &String| line.split(' ').nth(1).map(str::to_owned);
            let id_list = |line: &String| {
                line.starts_with("LIST SUBQUERY") || line.starts_with("SCAN json_each")
            };
            assert!(
                count
                    .iter()
                    .filter(|line| !id_list(line))
                    .all(|line| table(line).is_some_and(|t| counters.contains(&t.as_str()))),
                "{name} counts rows: {count:#?}"
            );
            let page = plan(&filter.page_query(Dialect::Sqlite, None, false, 20, 0)).await;
            if name == "feed" {
                assert!(full_scans(&page).is_empty(), "{name} scans: {page:#?}");
                // Author by author, from each one's 20th newest article on (through the index, both times):
                // it sorts at most authors × 20 ids, and reads 20 rows by their key.
                let expected = [
                    "SEARCH y USING COVERING INDEX articles_by_author (author_id=? AND id>?)",
                    "SEARCH x USING COVERING INDEX articles_by_author (author_id=?)",
                    "SEARCH a USING INTEGER PRIMARY KEY (rowid=?)",
                ];
                assert!(
                    expected.iter().all(|e| page.iter().any(|l| l == e)),
                    "{name}: {page:#?}"
                );
            } else {
                assert!(
                    !page.iter().any(|l| l.contains("TEMP B-TREE")),
                    "{name} sorts: {page:#?}"
                );
            }
        }
        assert_eq!(small, ["none", "tag", "author", "feed"]);
        // A feed of many authors, or far into a small one, is read through sqlx's threads.
        let feed_of = |n: i64| ListFilter {
            feed_authors: Some((1..=n).collect()),
            ..ListFilter::default()
        };
        assert_eq!(feed_of(27).cost(20, 0), ReadCost::Small);
        assert_eq!(feed_of(28).cost(20, 0), ReadCost::Any);
        assert_eq!(feed_of(2).cost(20, 255), ReadCost::Small);
        assert_eq!(feed_of(2).cost(20, 256), ReadCost::Any);
        // Far pages are walked through sqlx's threads, however they are filtered.
        let none = ListFilter::default();
        assert_eq!(none.cost(100, 1_000), ReadCost::Small);
        assert_eq!(none.cost(100, 1_001), ReadCost::Any);
        assert_eq!(none.cost(20, u64::MAX), ReadCost::Any);
    }

    /// bm25 reads every index entry of each word once per statement: the page ranks by it, its count does not.
    #[test]
    fn a_search_scores_its_page_and_not_its_count() {
        let search = ListFilter {
            search: SearchTerms::parse("rust async"),
            ..ListFilter::default()
        };
        for (dialect, score) in [
            (Dialect::Sqlite, "bm25("),
            (Dialect::Mysql, "SELECT id, MATCH"),
        ] {
            let page = search.page_query(dialect, None, false, 20, 0).sql;
            let count = search.count_query(dialect).sql;
            assert!(page.contains(score), "{page}");
            assert!(!count.contains(score), "{count}");
            assert!(count.contains("MATCH"), "the count still searches: {count}");
        }
    }

    /// MariaDB plans `author_id IN (…) ORDER BY id DESC LIMIT 20` as a walk of every article by id when the
    /// authors wrote little (seen in bench/mixed.sh): a feed near its start is read from each author's newest.
    #[test]
    fn a_feed_near_its_start_is_read_author_by_author_on_mysql() {
        let feed = ListFilter {
            feed_authors: Some(vec![4, 9, 16]),
            ..ListFilter::default()
        };
        let page = |offset| feed.page_query(Dialect::Mysql, None, false, 20, offset);
        let near = page(0);
        assert_eq!(
            near.sql.matches("x.author_id = ?").count(),
            3,
            "{}",
            near.sql
        );
        assert!(!near.sql.contains("a.author_id IN"), "{}", near.sql);
        // 3 authors × 6,667 rows walked: past MAX_FEED_ENTRIES_READ_BY_AUTHOR.
        let far = page(6_647);
        assert!(far.sql.contains("a.author_id IN"), "{}", far.sql);
        assert!(!far.sql.contains("x.author_id"), "{}", far.sql);
        assert!(!page(6_646).sql.contains("a.author_id IN"));
        // Each author is a derived table: past 100 the feed is read whole from its first page.
        let many = ListFilter {
            feed_authors: Some((1..=101).collect()),
            ..ListFilter::default()
        };
        let first = many.page_query(Dialect::Mysql, None, false, 1, 0).sql;
        assert!(first.contains("a.author_id IN"), "{first}");
        assert!(!first.contains("x.author_id"), "{first}");
    }

    #[tokio::test]
    async fn filtered_pages_come_out_of_an_index_in_order_except_the_feed_and_searches() {
        let ordered_by_index = |name: &&str| *name != "feed" && !name.starts_with("search");
        for (name, filter) in filters()
            .into_iter()
            .filter(|(name, _)| ordered_by_index(name))
        {
            let page = plan(&filter.page_query(Dialect::Sqlite, None, false, 20, 0)).await;
            assert!(
                !page.iter().any(|l| l.contains("TEMP B-TREE")),
                "{name} sorts: {page:#?}"
            );
        }
    }

    #[test]
    fn pages_carry_their_total_except_searches_and_feeds_of_many_authors() {
        let feed_of = |n: i64| ListFilter {
            feed_authors: Some((1..=n).collect()),
            ..ListFilter::default()
        };
        for (name, filter) in filters().into_iter().chain([
            ("feed of 1,000", feed_of(1_000)),
            ("feed of 1,001", feed_of(1_001)),
        ]) {
            let carried = !name.starts_with("search") && name != "feed of 1,001";
            assert_eq!(filter.total_in_page(), carried, "{name}");
            for dialect in [Dialect::Sqlite, Dialect::Mysql] {
                let page = filter.page_query(dialect, None, false, 20, 0);
                assert_eq!(
                    page.sql.contains(") AS total"),
                    carried,
                    "{name}: {}",
                    page.sql
                );
                if carried {
                    // The count's values come right after the viewer's, in the count's own order.
                    let count = filter.count_query(dialect);
                    assert_eq!(
                        format!("{:?}", &page.params[1..=count.params.len()]),
                        format!("{:?}", count.params),
                        "{name}"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn the_unfiltered_page_walks_the_primary_key_and_its_count_reads_a_counter() {
        let filter = ListFilter::default();
        let page = plan(&filter.page_query(Dialect::Sqlite, None, false, 20, 0)).await;
        // Reading newest-first along the rowid stops after offset + limit rows.
        assert!(!page.iter().any(|l| l.contains("TEMP B-TREE")), "{page:#?}");
        let count = plan(&filter.count_query(Dialect::Sqlite)).await;
        assert!(full_scans(&count).is_empty(), "{count:#?}");
    }
}
