//! `db-service export` and `import`: every row of Conduit's data as JSON Lines, written and read the same way
//! on both backends, to move an installation from SQLite to MySQL (or back) without loss.
//!
//! The file is a header line, one line per row (users, follows, articles, tags, favorites, comments, in that
//! order, each table by key), and a trailer with the row counts. Ids and timestamps are kept; counters (favorites,
//! tag and article counts) are rebuilt by the target's triggers. An import reads the whole file once to check it
//! (a truncated or edited file is refused before anything is written), refuses a target that already holds data,
//! and counts what it wrote against the trailer.

use std::{
    io::{BufRead, Write},
    path::Path,
};

use anyhow::{bail, ensure, Context};
use serde::{Deserialize, Serialize};
use sqlx::{database::Database, Acquire, Encode, Executor, FromRow, IntoArguments, Pool, Type};

use super::sql::{Dialect, SqlQuery};

/// What the first line says; an import refuses anything else.
const FORMAT: &str = "conduit-export";
const VERSION: u32 = 1;
/// Rows read per query from tables with long text (keyset pages, so memory stays flat).
const PAGE: i64 = 500;
/// Rows between progress lines.
const PROGRESS_EVERY: u64 = 10_000;

#[derive(Debug, Serialize, Deserialize, FromRow)]
pub struct UserLine {
    id: i64,
    username: String,
    email: String,
    password_hash: String,
    bio: Option<String>,
    image: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Debug, Serialize, Deserialize, FromRow)]
pub struct FollowLine {
    follower_id: i64,
    followee_id: i64,
    created_at: String,
}

#[derive(Debug, Serialize, Deserialize, FromRow)]
pub struct ArticleLine {
    id: i64,
    slug: String,
    author_id: i64,
    title: String,
    description: String,
    body: String,
    created_at: String,
    updated_at: String,
}

#[derive(Debug, Serialize, Deserialize, FromRow)]
pub struct TagLine {
    article_id: i64,
    tag: String,
}

#[derive(Debug, Serialize, Deserialize, FromRow)]
pub struct FavoriteLine {
    user_id: i64,
    article_id: i64,
}

#[derive(Debug, Serialize, Deserialize, FromRow)]
pub struct CommentLine {
    id: i64,
    article_id: i64,
    author_id: i64,
    body: String,
    created_at: String,
    updated_at: String,
}

/// Rows per table; the trailer of a file and the report of a command.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub users: u64,
    pub follows: u64,
    pub articles: u64,
    pub tags: u64,
    pub favorites: u64,
    pub comments: u64,
}

impl Counts {
    fn total(&self) -> u64 {
        self.users + self.follows + self.articles + self.tags + self.favorites + self.comments
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} users, {} follows, {} articles, {} tags, {} favorites, {} comments",
            self.users, self.follows, self.articles, self.tags, self.favorites, self.comments
        )
    }
}

/// One line of the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    Header { format: String, version: u32 },
    User(UserLine),
    Follow(FollowLine),
    Article(ArticleLine),
    Tag(TagLine),
    Favorite(FavoriteLine),
    Comment(CommentLine),
    End(Counts),
}

/// Writes lines to a file, counting rows and reporting progress on stderr.
struct Output<W: Write> {
    out: W,
    counts: Counts,
}

impl<W: Write> Output<W> {
    fn line(&mut self, line: &Line) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.out, line)?;
        self.out.write_all(b"\n")?;
        let counter = match line {
            Line::User(_) => &mut self.counts.users,
            Line::Follow(_) => &mut self.counts.follows,
            Line::Article(_) => &mut self.counts.articles,
            Line::Tag(_) => &mut self.counts.tags,
            Line::Favorite(_) => &mut self.counts.favorites,
            Line::Comment(_) => &mut self.counts.comments,
            Line::Header { .. } | Line::End(_) => return Ok(()),
        };
        *counter += 1;
        if self.counts.total().is_multiple_of(PROGRESS_EVERY) {
            tracing::info!(rows = self.counts.total(), "exporting");
        }
        Ok(())
    }
}

/// Runs `write` (an [`export`] into the path it is given) into a temporary file next to `path`, and moves the file
/// to `path` only once complete and on disk; on failure no half file is left to be mistaken for an export.
pub(super) async fn into_file<W, Fut>(path: &Path, write: W) -> anyhow::Result<Counts>
where
    W: FnOnce(std::path::PathBuf) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Counts>>,
{
    let partial = std::path::PathBuf::from(format!("{}.partial", path.display()));
    match write(partial.clone()).await {
        Ok(counts) => {
            std::fs::rename(&partial, path)
                .with_context(|| format!("cannot move the export to {}", path.display()))?;
            Ok(counts)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Writes every row of `users` and `blog` to the file `path`, synced to disk (through [`into_file`]). Both databases
/// are read in one snapshot each, blog's taken first: every author and user a blog row names was created before
/// it, so it is in the users snapshot too.
pub(super) async fn export<DB>(
    users: &Pool<DB>,
    blog: &Pool<DB>,
    dialect: Dialect,
    path: &Path,
) -> anyhow::Result<Counts>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'r> UserLine: FromRow<'r, DB::Row>,
    for<'r> FollowLine: FromRow<'r, DB::Row>,
    for<'r> ArticleLine: FromRow<'r, DB::Row>,
    for<'r> TagLine: FromRow<'r, DB::Row>,
    for<'r> FavoriteLine: FromRow<'r, DB::Row>,
    for<'r> CommentLine: FromRow<'r, DB::Row>,
{
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = Output {
        out: std::io::BufWriter::new(file),
        counts: Counts::default(),
    };
    let (mut blog_conn, mut users_conn) = (blog.acquire().await?, users.acquire().await?);
    if dialect == Dialect::Mysql {
        // A snapshot needs REPEATABLE READ (InnoDB's default, which a server may have changed); this applies to
        // the next transaction on the connection.
        for conn in [&mut blog_conn, &mut users_conn] {
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .await?;
        }
    }
    let mut blog_tx = blog_conn.begin().await?;
    let mut users_tx = users_conn.begin().await?;
    // Snapshots start with a transaction's first read (on both backends): blog first.
    start_snapshot::<DB>(&mut blog_tx, "articles").await?;
    start_snapshot::<DB>(&mut users_tx, "users").await?;

    out.line(&Line::Header {
        format: FORMAT.into(),
        version: VERSION,
    })?;
    let d = dialect;
    let (created, updated) = (d.timestamp("created_at"), d.timestamp("updated_at"));
    let users_sql = format!(
        "SELECT id, username, email, password_hash, bio, image, {created} AS created_at, \
         {updated} AS updated_at FROM users WHERE id > "
    );
    for_each_page(&mut users_tx, &users_sql, |row: UserLine| {
        out.line(&Line::User(row))
    })
    .await?;
    let follows_sql = format!(
        "SELECT follower_id, followee_id, {created} AS created_at FROM follows \
         ORDER BY follower_id, followee_id"
    );
    for_each_row(&mut users_tx, follows_sql, |row: FollowLine| {
        out.line(&Line::Follow(row))
    })
    .await?;
    let articles_sql = format!(
        "SELECT id, {} AS slug, author_id, title, description, body, {created} AS created_at, \
         {updated} AS updated_at FROM articles WHERE id > ",
        d.text("slug")
    );
    for_each_page(&mut blog_tx, &articles_sql, |row: ArticleLine| {
        out.line(&Line::Article(row))
    })
    .await?;
    let tags_sql = format!(
        "SELECT article_id, {} AS tag FROM article_tags ORDER BY article_id, tag",
        d.text("tag")
    );
    for_each_row(&mut blog_tx, tags_sql, |row: TagLine| {
        out.line(&Line::Tag(row))
    })
    .await?;
    let favorites_sql = "SELECT user_id, article_id FROM favorites ORDER BY user_id, article_id";
    for_each_row(
        &mut blog_tx,
        favorites_sql.to_owned(),
        |row: FavoriteLine| out.line(&Line::Favorite(row)),
    )
    .await?;
    let comments_sql = format!(
        "SELECT id, article_id, author_id, body, {created} AS created_at, {updated} AS updated_at \
         FROM comments WHERE id > "
    );
    for_each_page(&mut blog_tx, &comments_sql, |row: CommentLine| {
        out.line(&Line::Comment(row))
    })
    .await?;
    blog_tx.rollback().await?;
    users_tx.rollback().await?;

    let counts = out.counts.clone();
    out.line(&Line::End(counts.clone()))?;
    let file = out
        .out
        .into_inner()
        .map_err(|e| e.into_error())
        .context("cannot write the export")?;
    file.sync_all()?;
    Ok(counts)
}

async fn start_snapshot<DB>(conn: &mut DB::Connection, table: &str) -> anyhow::Result<()>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    conn.execute(format!("SELECT 1 FROM {table} LIMIT 1").as_str())
        .await?;
    Ok(())
}

/// Reads every row of `select` (a table of short rows) and hands each to `each`.
async fn for_each_row<DB, R>(
    conn: &mut DB::Connection,
    select: String,
    mut each: impl FnMut(R) -> anyhow::Result<()>,
) -> anyhow::Result<()>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'r> R: FromRow<'r, DB::Row> + Send + Unpin,
{
    let query = SqlQuery::from(select);
    for row in query.query_as::<DB, R>().fetch_all(&mut *conn).await? {
        each(row)?;
    }
    Ok(())
}

/// Reads `select … WHERE id > ` page by page in id order and hands each row to `each`.
async fn for_each_page<DB, R>(
    conn: &mut DB::Connection,
    select: &str,
    mut each: impl FnMut(R) -> anyhow::Result<()>,
) -> anyhow::Result<()>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'r> R: FromRow<'r, DB::Row> + Keyed + Send + Unpin,
{
    let mut after = 0_i64;
    loop {
        let mut page = SqlQuery::from(select.to_owned());
        page.bind_int(Some(after))
            .push(" ORDER BY id LIMIT ")
            .bind_int(Some(PAGE));
        let rows = page.query_as::<DB, R>().fetch_all(&mut *conn).await?;
        let full = rows.len() as i64 == PAGE;
        for row in rows {
            after = row.key();
            each(row)?;
        }
        if !full {
            return Ok(());
        }
    }
}

/// Rows read in pages, by id.
trait Keyed {
    fn key(&self) -> i64;
}

impl Keyed for UserLine {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for ArticleLine {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for CommentLine {
    fn key(&self) -> i64 {
        self.id
    }
}

/// Reads `path` through and checks it: the header, every line, and the trailer's counts. Returns the counts.
pub(super) fn check_file(path: &Path) -> anyhow::Result<Counts> {
    let mut counts = Counts::default();
    let mut trailer = None;
    for read in read_lines(path)? {
        let (number, line) = read?;
        match (number, &line, &trailer) {
            (_, _, Some(_)) => bail!("line {number}: data after the end line"),
            (1, Line::Header { format, version }, _) => {
                ensure!(
                    format == FORMAT && *version == VERSION,
                    "not a {FORMAT} version {VERSION} file ({format} {version})"
                );
            }
            (1, _, _) => bail!("line 1: not a {FORMAT} file"),
            (_, Line::Header { .. }, _) => bail!("line {number}: a second header"),
            (_, Line::End(end), _) => trailer = Some(end.clone()),
            (_, Line::User(_), _) => counts.users += 1,
            (_, Line::Follow(_), _) => counts.follows += 1,
            (_, Line::Article(_), _) => counts.articles += 1,
            (_, Line::Tag(_), _) => counts.tags += 1,
            (_, Line::Favorite(_), _) => counts.favorites += 1,
            (_, Line::Comment(_), _) => counts.comments += 1,
        }
    }
    let Some(trailer) = trailer else {
        bail!(
            "{} has no end line: the export is incomplete",
            path.display()
        );
    };
    ensure!(
        trailer == counts,
        "{} holds {counts}, but its end line says {trailer}",
        path.display()
    );
    Ok(counts)
}

/// The lines of the file at `path`, parsed, with their numbers.
fn read_lines(path: &Path) -> anyhow::Result<impl Iterator<Item = anyhow::Result<(u64, Line)>>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let name = path.display().to_string();
    Ok(std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .map(move |(index, text)| {
            let number = index as u64 + 1;
            let text = text.with_context(|| format!("{name}: cannot read line {number}"))?;
            let line = serde_json::from_str(&text)
                .with_context(|| format!("{name}: line {number} is not a valid row"))?;
            Ok((number, line))
        }))
}

/// Writes every row of the (checked) file at `path` into the empty databases `users` and `blog`, one
/// transaction per database, then counts the rows written against `expected`.
pub(super) async fn import<DB>(
    users: &Pool<DB>,
    blog: &Pool<DB>,
    dialect: Dialect,
    path: &Path,
    expected: &Counts,
) -> anyhow::Result<()>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
{
    let found = count_rows(users, blog).await?;
    ensure!(
        found.total() == 0,
        "the target already holds data ({found}): import only into an empty installation"
    );
    let mut users_tx = users.begin().await?;
    let mut blog_tx = blog.begin().await?;
    // Lines are read back from the file (checked already) and written one statement each; a transaction per
    // database means nothing is visible, and nothing stays, unless the whole file went in.
    let mut written = 0_u64;
    for read in read_lines(path)? {
        let (_, line) = read?;
        let Some((database, statement)) = insert_statement(&line, dialect) else {
            continue;
        };
        let target = match database {
            Target::Users => &mut users_tx,
            Target::Blog => &mut blog_tx,
        };
        statement
            .query::<DB>()
            .execute(&mut **target)
            .await
            .with_context(|| format!("cannot import {line:?}"))?;
        written += 1;
        if written.is_multiple_of(PROGRESS_EVERY) {
            tracing::info!(rows = written, of = expected.total(), "importing");
        }
    }
    users_tx.commit().await?;
    blog_tx.commit().await?;
    let stored = count_rows(users, blog).await?;
    ensure!(
        &stored == expected,
        "imported {stored}, but the file holds {expected}"
    );
    Ok(())
}

/// The database a row belongs in.
enum Target {
    Users,
    Blog,
}

/// A value of an imported row.
enum Value<'a> {
    Int(i64),
    Text(&'a str),
    OptionalText(Option<&'a str>),
    /// `YYYY-MM-DDTHH:MM:SS.sssZ`, stored as the backend stores timestamps.
    Time(&'a str),
}

/// The `INSERT` that writes `line`'s row, and where; `None` for the header and end lines.
fn insert_statement(line: &Line, dialect: Dialect) -> Option<(Target, SqlQuery)> {
    use Value::{Int, OptionalText, Text, Time};
    let (target, table, columns, values) = match line {
        Line::User(u) => (
            Target::Users,
            "users",
            "id, username, email, password_hash, bio, image, created_at, updated_at",
            vec![
                Int(u.id),
                Text(&u.username),
                Text(&u.email),
                Text(&u.password_hash),
                OptionalText(u.bio.as_deref()),
                OptionalText(u.image.as_deref()),
                Time(&u.created_at),
                Time(&u.updated_at),
            ],
        ),
        Line::Follow(f) => (
            Target::Users,
            "follows",
            "follower_id, followee_id, created_at",
            vec![Int(f.follower_id), Int(f.followee_id), Time(&f.created_at)],
        ),
        Line::Article(a) => (
            Target::Blog,
            "articles",
            "id, slug, author_id, title, description, body, created_at, updated_at",
            vec![
                Int(a.id),
                Text(&a.slug),
                Int(a.author_id),
                Text(&a.title),
                Text(&a.description),
                Text(&a.body),
                Time(&a.created_at),
                Time(&a.updated_at),
            ],
        ),
        Line::Tag(t) => (
            Target::Blog,
            "article_tags",
            "article_id, tag",
            vec![Int(t.article_id), Text(&t.tag)],
        ),
        Line::Favorite(f) => (
            Target::Blog,
            "favorites",
            "user_id, article_id",
            vec![Int(f.user_id), Int(f.article_id)],
        ),
        Line::Comment(c) => (
            Target::Blog,
            "comments",
            "id, article_id, author_id, body, created_at, updated_at",
            vec![
                Int(c.id),
                Int(c.article_id),
                Int(c.author_id),
                Text(&c.body),
                Time(&c.created_at),
                Time(&c.updated_at),
            ],
        ),
        Line::Header { .. } | Line::End(_) => return None,
    };
    let mut q = SqlQuery::from(format!("INSERT INTO {table} ({columns}) VALUES ("));
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        match value {
            Int(n) => q.bind_int(Some(n)),
            Text(text) | OptionalText(Some(text)) => q.bind_text(text),
            OptionalText(None) => q.bind_int(None),
            Time(time) if dialect == Dialect::Mysql => q
                .push("STR_TO_DATE(")
                .bind_text(time)
                .push(", '%Y-%m-%dT%H:%i:%s.%fZ')"),
            Time(time) => q.bind_text(time),
        };
    }
    q.push(")");
    Some((target, q))
}

/// Rows per table in `users` and `blog`.
async fn count_rows<DB>(users: &Pool<DB>, blog: &Pool<DB>) -> anyhow::Result<Counts>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
{
    let count = |pool: &Pool<DB>, table: &'static str| {
        let pool = pool.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&pool)
                .await?;
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
