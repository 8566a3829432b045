//! SQL both backends share, written once with the few spots where SQLite and MySQL differ named by
//! [`Dialect`]: the article columns, id lists, and the article list/count queries of every filter.

use db_client::UserId;
use sqlx::{
    database::Database,
    query::{Query, QueryAs},
    Encode, Type,
};

use super::rows::PROFILE_SELECT;

/// Which SQL the text is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Sqlite,
    Mysql,
}

/// A bind value of a built query.
#[derive(Debug, Clone)]
pub(super) enum Param {
    Int(Option<i64>),
    Text(String),
}

/// SQL text with `?` placeholders and their values, in order.
#[derive(Debug, Default)]
pub(super) struct SqlQuery {
    pub sql: String,
    pub params: Vec<Param>,
}

impl From<String> for SqlQuery {
    fn from(sql: String) -> Self {
        Self {
            sql,
            params: Vec::new(),
        }
    }
}

impl SqlQuery {
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    pub fn bind_int(&mut self, value: Option<i64>) -> &mut Self {
        self.sql.push('?');
        self.params.push(Param::Int(value));
        self
    }

    pub fn bind_text(&mut self, value: &str) -> &mut Self {
        self.sql.push('?');
        self.params.push(Param::Text(value.to_owned()));
        self
    }

    /// `(<ids>)`, for `… IN`: SQLite gets one JSON parameter expanded by `json_each`, so that one prepared
    /// statement serves any number of ids; MySQL gets one placeholder per id.
    pub fn push_id_list(&mut self, dialect: Dialect, ids: &[i64]) -> &mut Self {
        match dialect {
            Dialect::Sqlite => {
                let json = serde_json::Value::from(ids.to_vec()).to_string();
                self.push("(SELECT value FROM json_each(")
                    .bind_text(&json)
                    .push("))")
            }
            // `IN ()` is a syntax error; no id matches NULL.
            Dialect::Mysql if ids.is_empty() => self.push("(NULL)"),
            Dialect::Mysql => {
                self.push("(");
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.bind_int(Some(*id));
                }
                self.push(")")
            }
        }
    }

    /// The statement, ready to run, with every value bound.
    pub fn query<'q, DB>(&'q self) -> Query<'q, DB, <DB as Database>::Arguments<'q>>
    where
        DB: Database,
        Option<i64>: Encode<'q, DB> + Type<DB>,
        &'q str: Encode<'q, DB> + Type<DB>,
    {
        let mut query = sqlx::query::<DB>(&self.sql);
        for param in &self.params {
            query = match param {
                Param::Int(value) => query.bind(*value),
                Param::Text(value) => query.bind(value.as_str()),
            };
        }
        query
    }

    /// The query, ready to run, with every value bound.
    pub fn query_as<'q, DB, O>(&'q self) -> QueryAs<'q, DB, O, <DB as Database>::Arguments<'q>>
    where
        DB: Database,
        O: for<'r> sqlx::FromRow<'r, DB::Row>,
        Option<i64>: Encode<'q, DB> + Type<DB>,
        &'q str: Encode<'q, DB> + Type<DB>,
    {
        let mut query = sqlx::query_as::<DB, O>(&self.sql);
        for param in &self.params {
            query = match param {
                Param::Int(value) => query.bind(*value),
                Param::Text(value) => query.bind(value.as_str()),
            };
        }
        query
    }
}

/// The profiles (an [`super::rows::AuthorRow`] each) of users `ids` as `viewer` sees them.
pub(super) fn profiles_by_ids(dialect: Dialect, ids: &[i64], viewer: Option<UserId>) -> SqlQuery {
    let mut q = SqlQuery {
        sql: PROFILE_SELECT.to_owned(),
        params: vec![Param::Int(viewer.map(|v| v.0))],
    };
    q.push(" WHERE u.id IN ").push_id_list(dialect, ids);
    q
}

impl Dialect {
    /// A timestamp column as the API shows it: ISO 8601 UTC with milliseconds (`2026-01-02T03:04:05.678Z`).
    /// SQLite stores exactly that text; MySQL stores DATETIME(3) in UTC.
    pub fn timestamp(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => column.to_owned(),
            Dialect::Mysql => {
                format!("CONCAT(LEFT(DATE_FORMAT({column}, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')")
            }
        }
    }

    /// A byte-order (`utf8mb4_bin`) text column, readable as a string: sqlx takes MySQL's binary collations
    /// for binary data, so those are cast to the connection's character set.
    pub fn text(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => column.to_owned(),
            Dialect::Mysql => format!("CAST({column} AS CHAR)"),
        }
    }

    /// `WITH viewer … SELECT <article columns>` of `articles a` (an [`super::rows::ArticleRow`]) for the viewer
    /// bound here; `body` only for single-article reads. The caller appends `FROM …`.
    pub fn select_articles(self, q: &mut SqlQuery, viewer: Option<UserId>, with_body: bool) {
        let body = if with_body { "a.body" } else { "NULL" };
        let tags = match self {
            // Sorted here; MySQL's JSON_ARRAYAGG takes no ORDER BY, so rows sort their tags when read.
            Dialect::Sqlite => {
                "(SELECT json_group_array(tag) FROM \
                 (SELECT t.tag FROM article_tags t WHERE t.article_id = a.id ORDER BY t.tag))"
            }
            Dialect::Mysql => {
                "(SELECT CAST(JSON_ARRAYAGG(t.tag) AS CHAR) \
                 FROM article_tags t WHERE t.article_id = a.id)"
            }
        };
        q.push("WITH viewer (id) AS (SELECT ")
            .bind_int(viewer.map(|v| v.0))
            .push(&format!(
                ") SELECT {} AS slug, a.author_id, a.title, a.description, {body} AS body, {tags} AS tags, \
                 a.favorites_count, \
                 EXISTS (SELECT 1 FROM favorites f \
                     WHERE f.user_id = (SELECT id FROM viewer) AND f.article_id = a.id) AS favorited, \
                 {} AS created_at, {} AS updated_at",
                self.text("a.slug"),
                self.timestamp("a.created_at"),
                self.timestamp("a.updated_at"),
            ));
    }
}

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
    fn push_source(&self, q: &mut SqlQuery) -> &'static str {
        if let Some(tag) = &self.tag {
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

    /// The remaining filters, as conditions on `a`.
    fn push_conditions(&self, dialect: Dialect, q: &mut SqlQuery) {
        if let (Some(_), Some(user_id)) = (&self.tag, self.favorited_by) {
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

    /// `SELECT … page` for `viewer`, newest first.
    pub fn page_query(
        &self,
        dialect: Dialect,
        viewer: Option<UserId>,
        limit: u32,
        offset: i64,
    ) -> SqlQuery {
        let mut q = SqlQuery::default();
        dialect.select_articles(&mut q, viewer, false);
        let order_key = self.push_source(&mut q);
        self.push_conditions(dialect, &mut q);
        q.push(&format!(" ORDER BY {order_key} DESC LIMIT "))
            .bind_int(Some(i64::from(limit)))
            .push(" OFFSET ")
            .bind_int(Some(offset));
        q
    }

    /// `SELECT` of the total number of matches (one BIGINT), from trigger-kept counters when a single filter (or
    /// none) is given, else by counting through the driving index.
    pub fn count_query(&self, dialect: Dialect) -> SqlQuery {
        let filters = [
            self.tag.is_some(),
            self.favorited_by.is_some(),
            self.author_id.is_some(),
            self.feed_authors.is_some(),
        ];
        let mut q = SqlQuery::default();
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
