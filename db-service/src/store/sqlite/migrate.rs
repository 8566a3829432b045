//! Schema migrations of the SQLite files, run at start on a connection of their own.
//!
//! Foreign keys are off while they run: SQLite can change a table's columns other than by adding one only by
//! rebuilding it (a new table, the rows copied, the old one dropped), and dropping a table others refer to deletes
//! their rows through ON DELETE CASCADE when foreign keys are on. SQLite switches them only outside a transaction,
//! and sqlx runs each migration inside one, so they are switched on the connection before, and every reference is
//! checked after a migration ran.

use std::{path::Path, time::Instant};

use anyhow::{bail, Context};
use sqlx::{
    migrate::Migrator, sqlite::SqliteConnectOptions, ConnectOptions, Connection, SqliteConnection,
};

/// Applies what `migrations` holds that the file behind `options` lacks, logging what it does when there is
/// anything to do (a rebuild of a large table can take minutes).
pub(super) async fn migrate(
    options: &SqliteConnectOptions,
    migrations: &Migrator,
    path: &Path,
) -> anyhow::Result<()> {
    let mut conn = options
        .clone()
        .foreign_keys(false)
        .connect()
        .await
        .with_context(|| format!("cannot open {} to migrate it", path.display()))?;
    run_migrations(&mut conn, migrations, path)
        .await
        .with_context(|| format!("cannot migrate {}", path.display()))?;
    conn.close()
        .await
        .context("closing the migration connection")?;
    Ok(())
}

/// [`migrate`] on an open connection (whose foreign keys it turns off).
pub(in crate::store) async fn run_migrations(
    conn: &mut SqliteConnection,
    migrations: &Migrator,
    path: &Path,
) -> anyhow::Result<()> {
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await?;
    let latest = migrations.iter().map(|m| m.version).max().unwrap_or(0);
    let applied = applied_version(conn).await?;
    if applied >= latest {
        return Ok(());
    }
    let pending: Vec<String> = migrations
        .iter()
        .filter(|m| m.version > applied)
        .map(|m| format!("{} {}", m.version, m.description))
        .collect();
    tracing::info!(file = %path.display(), from = applied, to = latest, ?pending, "migrating");
    let started = Instant::now();
    migrations.run_direct(&mut *conn).await?;
    let broken: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT \"table\" FROM pragma_foreign_key_check")
            .fetch_all(&mut *conn)
            .await?;
    if !broken.is_empty() {
        let tables: Vec<String> = broken.into_iter().map(|(t,)| t).collect();
        bail!(
            "after migrating, rows of {} refer to rows that do not exist",
            tables.join(", ")
        );
    }
    tracing::info!(
        file = %path.display(),
        version = latest,
        seconds = started.elapsed().as_secs_f64(),
        "migrated"
    );
    Ok(())
}

/// The latest migration the file has had; 0 for a new file.
async fn applied_version(conn: &mut SqliteConnection) -> anyhow::Result<i64> {
    let (tracked,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sqlite_schema WHERE name = '_sqlx_migrations'")
            .fetch_one(&mut *conn)
            .await?;
    if tracked == 0 {
        return Ok(0);
    }
    let (version,): (i64,) =
        sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *conn)
            .await?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    use std::{borrow::Cow, str::FromStr};

    use super::*;
    use crate::store::sqlite::BLOG_MIGRATIONS;

    /// Every column of every article, in id order, and the rows and counters that depend on them.
    type Snapshot = (
        Vec<(
            i64,
            i64,
            String,
            String,
            String,
            String,
            i64,
            i64,
            String,
            String,
            String,
        )>,
        (i64, i64, i64, i64, i64),
    );

    async fn snapshot(conn: &mut SqliteConnection) -> Snapshot {
        let articles = sqlx::query_as(
            "SELECT id, author_id, slug, title, description, body, favorites_count, comments_count, created_at, \
             updated_at, search_tags FROM articles ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("articles");
        let counts = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM article_tags), (SELECT COUNT(*) FROM favorites), \
             (SELECT COUNT(*) FROM comments), (SELECT total FROM article_totals), \
             (SELECT SUM(article_count) FROM author_article_counts)",
        )
        .fetch_one(&mut *conn)
        .await
        .expect("counts");
        (articles, counts)
    }

    async fn search(conn: &mut SqliteConnection, word: &str) -> Vec<i64> {
        sqlx::query_scalar(
            "SELECT rowid FROM article_search WHERE article_search MATCH ? ORDER BY rowid",
        )
        .bind(word)
        .fetch_all(&mut *conn)
        .await
        .expect("search")
    }

    /// A blog.db as the releases before 0004 left it, holding two articles (one with a body of many pages), their
    /// tags, favorites and comments, written with foreign keys on as db-service writes.
    async fn file_before_the_rebuild(path: &Path) -> SqliteConnectOptions {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .expect("options")
            .create_if_missing(true)
            .foreign_keys(true);
        let before = Migrator {
            migrations: Cow::Owned(
                BLOG_MIGRATIONS
                    .iter()
                    .filter(|m| m.version < 4)
                    .cloned()
                    .collect(),
            ),
            ..Migrator::DEFAULT
        };
        let mut conn = options.connect().await.expect("connect");
        before.run_direct(&mut conn).await.expect("old migrations");
        let long_body = "wombat ".repeat(15_000);
        for (slug, body, tags) in [
            ("short", "a short body", "rust"),
            ("long", &*long_body, "web"),
        ] {
            sqlx::query(
                "INSERT INTO articles (slug, author_id, title, description, body, search_tags) \
                 VALUES (?, 7, ?, 'about it', ?, ?)",
            )
            .bind(slug)
            .bind(format!("The {slug} one"))
            .bind(body)
            .bind(tags)
            .execute(&mut conn)
            .await
            .expect("article");
        }
        sqlx::query(
            "INSERT INTO article_tags VALUES (1, 'rust'), (2, 'web'); \
             INSERT INTO favorites VALUES (3, 1), (3, 2), (4, 2); \
             INSERT INTO comments (article_id, author_id, body) VALUES (2, 3, 'first'), (2, 4, 'second');",
        )
        .execute(&mut conn)
        .await
        .expect("rows that refer to articles");
        conn.close().await.expect("close");
        options
    }

    #[tokio::test]
    async fn the_rebuild_puts_bodies_last_and_keeps_every_row_counter_trigger_and_reference() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("blog.db");
        let options = file_before_the_rebuild(&path).await;
        let mut conn = options.connect().await.expect("connect");
        let before = snapshot(&mut conn).await;
        assert_eq!(before.1, (2, 3, 2, 2, 2));
        assert_eq!(
            (before.0[1].6, before.0[1].7),
            (2, 2),
            "counters kept by triggers"
        );
        conn.close().await.expect("close");

        migrate(&options, &BLOG_MIGRATIONS, &path)
            .await
            .expect("migrate");

        let mut conn = options.connect().await.expect("connect");
        assert_eq!(snapshot(&mut conn).await, before);
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info('articles') ORDER BY cid")
                .fetch_all(&mut conn)
                .await
                .expect("columns");
        assert_eq!(columns[columns.len() - 2..], ["body", "search_tags"]);
        assert_eq!(search(&mut conn, "wombat").await, [2]);
        let foreign_keys_on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut conn)
            .await
            .expect("pragma");
        assert_eq!(foreign_keys_on, 1, "a connection as db-service opens it");

        // The triggers on favorites and comments keep counting, and deleting an article still deletes what
        // refers to it, its counters and its words.
        sqlx::query(
            "INSERT INTO favorites VALUES (5, 2); \
             INSERT INTO comments (article_id, author_id, body) VALUES (2, 5, 'third');",
        )
        .execute(&mut conn)
        .await
        .expect("more rows");
        let counters: (i64, i64) = sqlx::query_as(
            "SELECT favorites_count, comments_count FROM articles WHERE slug = 'long'",
        )
        .fetch_one(&mut conn)
        .await
        .expect("counters");
        assert_eq!(counters, (3, 3));
        sqlx::query("DELETE FROM articles WHERE slug = 'long'")
            .execute(&mut conn)
            .await
            .expect("delete");
        let after = snapshot(&mut conn).await;
        assert_eq!(after.0.len(), 1);
        assert_eq!(after.1, (1, 1, 0, 1, 1));
        assert!(search(&mut conn, "wombat").await.is_empty());
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await
            .expect("integrity");
        assert_eq!(integrity, "ok");
    }

    #[tokio::test]
    async fn the_rebuild_refuses_to_run_with_foreign_keys_on_and_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("blog.db");
        let options = file_before_the_rebuild(&path).await;
        let mut conn = options.connect().await.expect("connect");
        let before = snapshot(&mut conn).await;
        let refused = BLOG_MIGRATIONS.run_direct(&mut conn).await;
        assert!(refused.is_err(), "{refused:?}");
        assert_eq!(snapshot(&mut conn).await, before, "no row lost");
        conn.close().await.expect("close");
        // The same file migrates once foreign keys are off.
        migrate(&options, &BLOG_MIGRATIONS, &path)
            .await
            .expect("migrate");
        let mut conn = options.connect().await.expect("connect");
        assert_eq!(snapshot(&mut conn).await, before);
    }
}
