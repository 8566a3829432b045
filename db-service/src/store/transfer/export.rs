//! Writing an export: one consistent snapshot per database, every table read in key order a page at a time (so
//! memory stays flat however large the data), into a temporary file that is moved into place only when complete
//! and on disk.

use std::{io::Write, path::Path};

use anyhow::Context;
use sqlx::{Connection, Pool};

use super::format::{
    select, ArticleLine, CommentLine, Counts, FavoriteLine, FollowLine, Line, Table, TagLine,
    UserLine, Value, FORMAT, VERSION,
};
use crate::store::{
    backend::{Backend, Conn},
    sql::{Dialect, SqlQuery},
};

/// Rows read per query.
const PAGE: usize = 500;
/// Rows between progress lines.
const PROGRESS_EVERY: u64 = 10_000;

/// Writes every row of `users` and `blog` to `path` (replacing it only once the export is complete and synced;
/// the file is readable by its owner only: it holds password hashes). Both databases are read in one snapshot
/// each, blog's taken first: every author and user a blog row names was created before it, so it is in the
/// users snapshot too.
pub async fn export<B: Backend>(
    users: &Pool<B>,
    blog: &Pool<B>,
    path: &Path,
) -> anyhow::Result<Counts> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut partial = tempfile::Builder::new()
        .prefix(".conduit-export-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    let counts = {
        let mut out = Output {
            out: std::io::BufWriter::new(partial.as_file_mut()),
            counts: Counts::default(),
        };
        write_snapshot(users, blog, &mut out).await?;
        let counts = out.counts.clone();
        out.line(&Line::End(counts.clone()))?;
        out.out
            .into_inner()
            .map_err(|e| e.into_error())
            .context("cannot write the export")?
            .sync_all()?;
        counts
    };
    partial
        .persist(path)
        .with_context(|| format!("cannot move the export to {}", path.display()))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))?;
    Ok(counts)
}

async fn write_snapshot<B: Backend>(
    users: &Pool<B>,
    blog: &Pool<B>,
    out: &mut Output<impl Write>,
) -> anyhow::Result<()> {
    let (mut blog_conn, mut users_conn) = (blog.acquire().await?, users.acquire().await?);
    if B::DIALECT == Dialect::Mysql {
        // A snapshot needs REPEATABLE READ (InnoDB's default, which a server may have changed); this applies to
        // the next transaction on the connection.
        let isolation = SqlQuery::from("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        for conn in [&mut blog_conn, &mut users_conn] {
            conn.execute(&isolation).await?;
        }
    }
    let mut blog_tx = blog_conn.begin().await?;
    let mut users_tx = users_conn.begin().await?;
    // Snapshots start with a transaction's first read (on both backends): blog first.
    for (conn, table) in [(&mut *blog_tx, "articles"), (&mut *users_tx, "users")] {
        conn.execute(&SqlQuery::from(format!("SELECT 1 FROM {table} LIMIT 1")))
            .await?;
    }
    out.line(&Line::Header {
        format: FORMAT.into(),
        version: VERSION,
    })?;
    write_table::<UserLine, _>(&mut *users_tx, out).await?;
    write_table::<FollowLine, _>(&mut *users_tx, out).await?;
    write_table::<ArticleLine, _>(&mut *blog_tx, out).await?;
    write_table::<TagLine, _>(&mut *blog_tx, out).await?;
    write_table::<FavoriteLine, _>(&mut *blog_tx, out).await?;
    write_table::<CommentLine, _>(&mut *blog_tx, out).await?;
    blog_tx.rollback().await?;
    users_tx.rollback().await?;
    Ok(())
}

/// An owned key value of the last row read, to continue after.
enum Key {
    Int(i64),
    Text(Option<String>),
}

/// Every row of table `T`, in key order, a page at a time (keyset: each page starts after the last key read).
async fn write_table<T: Table, C: Conn>(
    conn: &mut C,
    out: &mut Output<impl Write>,
) -> anyhow::Result<()> {
    let dialect = C::DIALECT;
    // Qualified: on MySQL a bare name in ORDER BY would mean the select list's converted alias.
    let keys: Vec<String> = T::COLUMNS[..T::KEY_COLUMNS]
        .iter()
        .map(|(name, _)| format!("{}.{name}", T::NAME))
        .collect();
    let keys = keys.join(", ");
    let mut after: Option<Vec<Key>> = None;
    loop {
        let mut q = SqlQuery::from(select::<T>(dialect));
        if let Some(last) = &after {
            q.push(&format!(" WHERE ({keys}) > ("));
            for (i, key) in last.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                match key {
                    Key::Int(n) => q.bind_int(Some(*n)),
                    Key::Text(text) => q.bind_optional_text(text.as_deref()),
                };
            }
            q.push(")");
        }
        q.push(&format!(" ORDER BY {keys} LIMIT {PAGE}"));
        let rows: Vec<T> = conn.fetch_all(&q).await?;
        let full = rows.len() == PAGE;
        for row in rows {
            after = Some(
                row.values()
                    .into_iter()
                    .take(T::KEY_COLUMNS)
                    .map(|value| match value {
                        Value::Int(n) => Key::Int(n),
                        Value::Text(text) => Key::Text(text.map(str::to_owned)),
                    })
                    .collect(),
            );
            out.line(&row.into_line())?;
        }
        if !full {
            return Ok(());
        }
    }
}

/// Writes lines, counting rows and reporting progress.
struct Output<W: Write> {
    out: W,
    counts: Counts,
}

impl<W: Write> Output<W> {
    fn line(&mut self, line: &Line) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.out, line)?;
        self.out.write_all(b"\n")?;
        if line.count_in(&mut self.counts) && self.counts.total().is_multiple_of(PROGRESS_EVERY) {
            tracing::info!(rows = self.counts.total(), "exporting");
        }
        Ok(())
    }
}
