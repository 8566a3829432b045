//! Schema migrations of the SQLite files, run at start on a connection of their own.
//!
//! Foreign keys are off while they run: SQLite can change a table's columns other than by adding one only by
//! rebuilding it (a new table, the rows copied, the old one dropped), and dropping a table others refer to deletes
//! their rows through ON DELETE CASCADE when foreign keys are on. SQLite switches them only outside a transaction,
//! and sqlx runs each migration inside one (with its bookkeeping row), so they are switched on the connection
//! before. So a migration's DELETE does not cascade, and one that moves rows checks `pragma_foreign_key_check`
//! itself before it ends (as 0004 does), so that a dangling reference rolls it back whole.

use std::{path::Path, time::Instant};

use anyhow::Context;
use sqlx::{
    migrate::{Migrate, Migrator},
    sqlite::SqliteConnectOptions,
    ConnectOptions, Connection, SqliteConnection,
};

/// Applies what `migrations` holds that the file behind `options` lacks (refusing a file migrated by a release
/// this one does not know, or by a migration since changed, as sqlx does), logging what it does when there is
/// anything to do: a rebuild of a large table can take minutes.
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
    conn.ensure_migrations_table().await?;
    let applied: Vec<i64> = conn
        .list_applied_migrations()
        .await?
        .iter()
        .map(|m| m.version)
        .collect();
    let pending: Vec<String> = migrations
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .map(|m| format!("{} {}", m.version, m.description))
        .collect();
    if !pending.is_empty() {
        let from = applied.iter().max().copied().unwrap_or(0);
        tracing::info!(file = %path.display(), from, to = latest, ?pending, "migrating");
    }
    let started = Instant::now();
    // Also with nothing pending: sqlx checks the applied migrations against this release's.
    migrations.run_direct(&mut *conn).await?;
    if !pending.is_empty() {
        tracing::info!(
            file = %path.display(),
            version = latest,
            seconds = started.elapsed().as_secs_f64(),
            "migrated"
        );
    }
    Ok(())
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

    /// Everything the rebuild must keep as it was: the schema of every other table, index and trigger (the
    /// articles' own included, as SQL), and the articles' columns with their types, constraints and defaults.
    type Schema = (
        Vec<(String, String, String, Option<String>)>,
        Vec<(String, String, i64, Option<String>, i64)>,
        Vec<(String, i64, String)>,
        i64,
    );

    async fn schema(conn: &mut SqliteConnection) -> Schema {
        let entries = sqlx::query_as(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name <> 'articles' ORDER BY type, name",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("schema");
        let columns = sqlx::query_as(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo('articles') ORDER BY name",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("columns");
        let indexes = sqlx::query_as(
            "SELECT name, \"unique\", origin FROM pragma_index_list('articles') ORDER BY name",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("indexes");
        let strict =
            sqlx::query_scalar("SELECT strict FROM pragma_table_list WHERE name = 'articles'")
                .fetch_one(&mut *conn)
                .await
                .expect("strict");
        (entries, columns, indexes, strict)
    }

    /// Closes `conn`, migrates the file as db-service does, and opens it again as db-service does.
    async fn migrated(
        conn: SqliteConnection,
        options: &SqliteConnectOptions,
        path: &Path,
    ) -> SqliteConnection {
        conn.close().await.expect("close");
        migrate(options, &BLOG_MIGRATIONS, path)
            .await
            .expect("migrate");
        options.connect().await.expect("connect")
    }

    /// The favorites and comments counted on the long article after `sql` ran.
    async fn long_counters_after(conn: &mut SqliteConnection, sql: &str) -> (i64, i64) {
        sqlx::query(sql).execute(&mut *conn).await.expect(sql);
        sqlx::query_as("SELECT favorites_count, comments_count FROM articles WHERE slug = 'long'")
            .fetch_one(&mut *conn)
            .await
            .expect("counters")
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
        let schema_before = schema(&mut conn).await;
        assert_eq!(before.1, (2, 3, 2, 2, 2));
        assert_eq!(
            (before.0[1].6, before.0[1].7),
            (2, 2),
            "counters kept by triggers"
        );
        let mut conn = migrated(conn, &options, &path).await;
        assert_eq!(snapshot(&mut conn).await, before);
        let schema_after = schema(&mut conn).await;
        assert_eq!(schema_after, schema_before);
        assert_eq!(schema_after.3, 1, "STRICT");
        assert_eq!(
            schema_after.2.len(),
            2,
            "articles_by_author and the slug's UNIQUE"
        );
        sqlx::query(
            "INSERT INTO article_search (article_search, rank) VALUES ('integrity-check', 1)",
        )
        .execute(&mut conn)
        .await
        .expect("the search index matches the rebuilt rows");
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info('articles') ORDER BY cid")
                .fetch_all(&mut conn)
                .await
                .expect("columns");
        assert_eq!(columns[columns.len() - 2..], ["body", "search_tags"]);
        assert_eq!(search(&mut conn, "wombat").await, [2]);
        assert_eq!(search(&mut conn, "body").await, [1]);
        let foreign_keys_on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut conn)
            .await
            .expect("pragma");
        assert_eq!(foreign_keys_on, 1, "a connection as db-service opens it");

        // New and edited articles are counted and indexed, and a slug stays unique.
        sqlx::query(
            "INSERT INTO articles (slug, author_id, title, description, body) \
             VALUES ('new', 8, 'New', 'd', 'platypus'); \
             UPDATE articles SET body = 'echidna' WHERE slug = 'short';",
        )
        .execute(&mut conn)
        .await
        .expect("a new article and an edit");
        assert_eq!(search(&mut conn, "platypus").await, [3]);
        assert_eq!(search(&mut conn, "echidna").await, [1]);
        assert!(
            search(&mut conn, "body").await.is_empty(),
            "the old body's words are gone"
        );
        let totals: (i64, i64) = sqlx::query_as(
            "SELECT (SELECT total FROM article_totals), \
             (SELECT article_count FROM author_article_counts WHERE author_id = 8)",
        )
        .fetch_one(&mut conn)
        .await
        .expect("totals");
        assert_eq!(totals, (3, 1));
        let duplicate = sqlx::query(
            "INSERT INTO articles (slug, author_id, title, description, body) VALUES ('new', 8, 'x', 'd', 'b')",
        )
        .execute(&mut conn)
        .await;
        assert!(duplicate.is_err(), "a slug taken");
        sqlx::query("DELETE FROM articles WHERE slug = 'new'")
            .execute(&mut conn)
            .await
            .expect("delete the new one");

        // The triggers on favorites and comments keep counting, and deleting an article still deletes what
        // refers to it, its counters and its words.
        let more = "INSERT INTO favorites VALUES (5, 2); \
                    INSERT INTO comments (article_id, author_id, body) VALUES (2, 5, 'third');";
        assert_eq!(long_counters_after(&mut conn, more).await, (3, 3));
        let fewer =
            "DELETE FROM favorites WHERE user_id = 5; DELETE FROM comments WHERE author_id = 5;";
        assert_eq!(long_counters_after(&mut conn, fewer).await, (2, 2));
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
        // The same file migrates once foreign keys are off.
        let mut conn = migrated(conn, &options, &path).await;
        assert_eq!(snapshot(&mut conn).await, before);
    }

    #[tokio::test]
    async fn a_dangling_reference_rolls_the_rebuild_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("blog.db");
        let options = file_before_the_rebuild(&path).await;
        let mut conn = options
            .clone()
            .foreign_keys(false)
            .connect()
            .await
            .expect("connect");
        sqlx::query("INSERT INTO favorites VALUES (3, 99)")
            .execute(&mut conn)
            .await
            .expect("a favorite of no article");
        let before = snapshot(&mut conn).await;
        conn.close().await.expect("close");
        let refused = migrate(&options, &BLOG_MIGRATIONS, &path).await;
        assert!(
            format!("{:#}", refused.expect_err("refused")).contains("dangling_references"),
            "names the check"
        );
        let mut conn = options.connect().await.expect("connect");
        assert_eq!(snapshot(&mut conn).await, before);
        let last: String = sqlx::query_scalar(
            "SELECT name FROM pragma_table_info('articles') ORDER BY cid DESC LIMIT 1",
        )
        .fetch_one(&mut conn)
        .await
        .expect("columns");
        assert_eq!(last, "search_tags", "as migration 3 left it");
        let body_at: i64 =
            sqlx::query_scalar("SELECT cid FROM pragma_table_info('articles') WHERE name = 'body'")
                .fetch_one(&mut conn)
                .await
                .expect("body");
        assert_eq!(body_at, 5, "the body still in the middle");
    }
}
