//! SQL text both backends share: a small builder of statements with their bound values ([`SqlQuery`]), and the
//! few fragments where SQLite and MySQL differ, named by [`Dialect`].

use db_client::UserId;
use sqlx::{
    database::Database,
    query::{Query, QueryAs},
    Encode, Type,
};

/// Which SQL the text is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Mysql,
}

/// A bind value of a built query.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(Option<i64>),
    Text(String),
}

/// SQL text with `?` placeholders and their values, in order.
#[derive(Debug, Default)]
pub(crate) struct SqlQuery {
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

impl From<&str> for SqlQuery {
    fn from(sql: &str) -> Self {
        Self::from(sql.to_owned())
    }
}

impl SqlQuery {
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends `other`'s text and values, e.g. a subquery built on its own.
    pub fn append(&mut self, other: SqlQuery) -> &mut Self {
        self.sql.push_str(&other.sql);
        self.params.extend(other.params);
        self
    }

    pub fn bind_int(&mut self, value: Option<i64>) -> &mut Self {
        self.bind(Param::Int(value))
    }

    pub fn bind_text(&mut self, value: &str) -> &mut Self {
        self.bind(Param::Text(value.to_owned()))
    }

    fn bind(&mut self, value: Param) -> &mut Self {
        self.sql.push('?');
        self.params.push(value);
        self
    }

    /// Text, or NULL for `None`.
    pub fn bind_optional_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(text) => self.bind_text(text),
            None => self.bind_int(None),
        }
    }

    /// `<column> = COALESCE(<value>, <column>)` for each of `changes`, comma-separated: a column given no value
    /// keeps its own.
    pub fn push_changes(&mut self, changes: &[(&str, Option<&str>)]) -> &mut Self {
        for (i, (column, value)) in changes.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push(&format!("{column} = COALESCE("))
                .bind_optional_text(*value)
                .push(&format!(", {column})"));
        }
        self
    }

    /// `<column> = <value>` for a user's name or e-mail, compared case-insensitively: SQLite's columns collate
    /// NOCASE, MySQL keeps a lower-cased key column beside each (`username_key`).
    pub fn push_user_match(&mut self, dialect: Dialect, column: &str, value: &str) -> &mut Self {
        match dialect {
            Dialect::Sqlite => self.push(&format!("{column} = ")).bind_text(value),
            Dialect::Mysql => self
                .push(&format!("{column}_key = LOWER("))
                .bind_text(value)
                .push(")"),
        }
    }

    /// `(<ids>)`, for `… IN`: SQLite gets one JSON parameter expanded by `json_each`, so that one prepared
    /// statement serves any number of ids; MySQL gets one placeholder per id.
    pub fn push_id_list(&mut self, dialect: Dialect, ids: &[i64]) -> &mut Self {
        self.push_list(
            dialect,
            ids.iter().map(|id| Param::Int(Some(*id))).collect(),
        )
    }

    /// `(<texts>)`, for `… IN`, the way [`SqlQuery::push_id_list`] does ids.
    pub fn push_text_list<'t>(
        &mut self,
        dialect: Dialect,
        texts: impl Iterator<Item = &'t str>,
    ) -> &mut Self {
        self.push_list(
            dialect,
            texts.map(|text| Param::Text(text.to_owned())).collect(),
        )
    }

    /// `(<values>)`, for `… IN`: one JSON parameter on SQLite, one placeholder per value on MySQL.
    fn push_list(&mut self, dialect: Dialect, values: Vec<Param>) -> &mut Self {
        match dialect {
            Dialect::Sqlite => {
                let json: Vec<serde_json::Value> = values
                    .into_iter()
                    .map(|value| match value {
                        Param::Int(int) => int.into(),
                        Param::Text(text) => text.into(),
                    })
                    .collect();
                self.push("(SELECT value FROM json_each(")
                    .bind_text(&serde_json::Value::from(json).to_string())
                    .push("))")
            }
            // `IN ()` is a syntax error; nothing matches NULL.
            Dialect::Mysql if values.is_empty() => self.push("(NULL)"),
            Dialect::Mysql => {
                self.push("(");
                for (i, value) in values.into_iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.bind(value);
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

/// A table of pairs keyed by both its columns, e.g. who favorites which article, or who follows whom.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Relation {
    pub table: &'static str,
    /// The first column of the key: whose pair it is.
    pub owner: &'static str,
    /// The second column of the key.
    pub other: &'static str,
    /// Whether a pair records when it was made, in `created_at`.
    pub stamped: bool,
}

impl Relation {
    /// The statement that makes (`owner`, `other`) a pair (`on`) or not; either is a no-op when already so.
    pub fn set(self, dialect: Dialect, owner: i64, other: i64, on: bool) -> SqlQuery {
        let mut id = SqlQuery::default();
        id.bind_int(Some(other));
        self.set_to(dialect, owner, id, on)
    }

    /// [`Relation::set`] with the other side given by `other`, a scalar expression (e.g. a subquery finding an id
    /// by name): nothing is written when it is NULL, on SQLite (whose `INSERT OR IGNORE` skips a row that breaks
    /// `NOT NULL`, as every key column is).
    pub fn set_to(self, dialect: Dialect, owner: i64, other: SqlQuery, on: bool) -> SqlQuery {
        let Self {
            table,
            owner: owner_column,
            other: other_column,
            stamped,
        } = self;
        if !on {
            let mut q = SqlQuery::from(format!("DELETE FROM {table} WHERE {owner_column} = "));
            q.bind_int(Some(owner))
                .push(&format!(" AND {other_column} = "))
                .append(other);
            return q;
        }
        let stamp = if stamped { ", created_at" } else { "" };
        let mut q =
            SqlQuery::from(dialect.insert_ignoring_duplicates(
                table,
                &format!("{owner_column}, {other_column}{stamp}"),
            ));
        q.push("(").bind_int(Some(owner)).push(", ").append(other);
        if stamped {
            q.push(&format!(", {}", dialect.now()));
        }
        q.push(")").push(&dialect.end_insert_ignoring(owner_column));
        q
    }
}

impl Dialect {
    /// The current time as the backend stores timestamps (UTC, milliseconds).
    pub fn now(self) -> &'static str {
        match self {
            Dialect::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            Dialect::Mysql => "UTC_TIMESTAMP(3)",
        }
    }

    /// `INSERT INTO <table> (<columns>) VALUES (…)` that does nothing when the row's key is already there (but
    /// still fails on any other constraint); the caller appends the values, then [`Dialect::end_insert_ignoring`].
    pub fn insert_ignoring_duplicates(self, table: &str, columns: &str) -> String {
        match self {
            Dialect::Sqlite => format!("INSERT OR IGNORE INTO {table} ({columns}) VALUES "),
            Dialect::Mysql => format!("INSERT INTO {table} ({columns}) VALUES "),
        }
    }

    /// The end of an [`Dialect::insert_ignoring_duplicates`] statement whose first column is `key`.
    pub fn end_insert_ignoring(self, key: &str) -> String {
        match self {
            Dialect::Sqlite => String::new(),
            Dialect::Mysql => format!(" ON DUPLICATE KEY UPDATE {key} = {key}"),
        }
    }

    /// ` FOR UPDATE` on MySQL, where a read that decides a write must lock its row; SQLite's single writer
    /// already excludes every other write.
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Mysql => " FOR UPDATE",
        }
    }

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
        self.with_viewer(q, viewer);
        q.push(" ");
        self.article_columns(q, with_body);
    }

    /// `WITH viewer (id) AS (…)` for the viewer bound here; more common table expressions may follow (`, …`).
    pub fn with_viewer(self, q: &mut SqlQuery, viewer: Option<UserId>) {
        q.push("WITH viewer (id) AS (SELECT ")
            .bind_int(viewer.map(|v| v.0))
            .push(")");
    }

    /// `SELECT <article columns>` of `articles a` as the viewer of [`Dialect::with_viewer`] sees them.
    pub fn article_columns(self, q: &mut SqlQuery, with_body: bool) {
        self.article_columns_with_body(q, if with_body { "a.body" } else { "NULL" });
    }

    /// [`Dialect::article_columns`] with `body` (an expression of `a`) as the body.
    pub fn article_columns_with_body(self, q: &mut SqlQuery, body: &str) {
        let tags = match self {
            // In no particular order: rows put their tags in order when read (store::tags).
            Dialect::Sqlite => {
                "(SELECT json_group_array(t.tag) FROM article_tags t WHERE t.article_id = a.id)"
            }
            Dialect::Mysql => {
                "(SELECT CAST(JSON_ARRAYAGG(t.tag) AS CHAR) \
                 FROM article_tags t WHERE t.article_id = a.id)"
            }
        };
        q.push(&format!(
            "SELECT {} AS slug, a.author_id, a.title, a.description, {body} AS body, {tags} AS tags, \
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
