//! `db-service compact`: gives back the pages a file no longer uses and packs its tables' rows together again, as
//! a rebuild of a table (migration 4), mass deletions or years of edits leave them. Each file is copied by
//! `VACUUM INTO` next to itself, the copy checked, and renamed over the original: at every moment the file is
//! either the old one or the complete new one, whenever the process stops.

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode},
    ConnectOptions, Connection,
};

use super::{BLOG_FILE, USERS_FILE};
use crate::{backup::sync_dir, folder_lock::FolderLock};

/// What compacting one file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compacted {
    /// The file's name in the data dir.
    pub name: &'static str,
    /// Its size before (its WAL included) and after, in bytes.
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// How long it took.
    pub took: Duration,
}

impl std::fmt::Display for Compacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {:.1} MB -> {:.1} MB in {:.1} s",
            self.name,
            self.bytes_before as f64 / 1e6,
            self.bytes_after as f64 / 1e6,
            self.took.as_secs_f64()
        )
    }
}

/// Compacts users.db and blog.db in `data_dir`, in turn. Refuses while a db-service serves them (their folder's
/// lock). Needs free space on the data volume for a copy of the larger file as it will be once compacted.
pub async fn compact(data_dir: &Path) -> anyhow::Result<Vec<Compacted>> {
    let _lock = FolderLock::try_acquire(data_dir, "a running db-service")?;
    let mut done = Vec::new();
    for name in [USERS_FILE, BLOG_FILE] {
        let path = data_dir.join(name);
        if !path.is_file() {
            bail!("{} does not exist: is DATA_DIR right?", path.display());
        }
        tracing::info!(file = name, bytes = with_wal_len(&path), "compacting");
        let compacted = compact_file(name, &path)
            .await
            .with_context(|| format!("cannot compact {}; it is unchanged", path.display()))?;
        tracing::info!(
            file = name,
            bytes = compacted.bytes_after,
            seconds = compacted.took.as_secs_f64(),
            "compacted"
        );
        done.push(compacted);
    }
    Ok(done)
}

async fn compact_file(name: &'static str, path: &Path) -> anyhow::Result<Compacted> {
    let started = Instant::now();
    let bytes_before = with_wal_len(path);
    let copy = copy_path(path);
    remove_copy(&copy)?;
    let copied = copy_compacted(path, &copy).await;
    if let Err(e) = copied {
        remove_copy(&copy)?;
        return Err(e);
    }
    // The original was closed with its WAL checkpointed into it, so the SQLite files beside it hold nothing: the
    // copy replaces the file whole. A WAL left with frames (a process that had not closed the file) would be
    // replayed onto the copy, so it stops the swap.
    for suffix in ["-wal", "-shm"] {
        let side = side_file(path, suffix);
        if suffix == "-wal" && std::fs::metadata(&side).is_ok_and(|m| m.len() > 0) {
            remove_copy(&copy)?;
            bail!("{} still holds writes after a checkpoint", side.display());
        }
        remove_if_present(&side)?;
    }
    std::fs::rename(&copy, path)
        .with_context(|| format!("cannot move {} into place", copy.display()))?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(Compacted {
        name,
        bytes_before,
        bytes_after: with_wal_len(path),
        took: started.elapsed(),
    })
}

/// Writes the compacted copy of `path` to `copy` (durably, the original's permissions), checks it, and closes the
/// original with its WAL checkpointed.
async fn copy_compacted(path: &Path, copy: &Path) -> anyhow::Result<()> {
    let mut original = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5))
        .pragma("temp_store", "memory")
        .connect()
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    let copy_text = copy.to_str().context("the data dir's path is not UTF-8")?;
    sqlx::query("VACUUM INTO ?")
        .bind(copy_text)
        .execute(&mut original)
        .await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut original)
        .await?;
    original.close().await?;

    let permissions = std::fs::metadata(path)?.permissions();
    std::fs::set_permissions(copy, permissions)?;
    std::fs::File::open(copy)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", copy.display()))?;
    // `VACUUM INTO` writes a file in rollback-journal mode: made a WAL file here, as db-service keeps its files,
    // so that opening it after the swap writes nothing.
    let mut check = SqliteConnectOptions::from_str(&format!("sqlite://{copy_text}"))?
        .journal_mode(SqliteJournalMode::Wal)
        .connect()
        .await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check(1)")
        .fetch_one(&mut check)
        .await?;
    check.close().await?;
    if verdict != "ok" {
        bail!("the compacted copy fails its integrity check: {verdict}");
    }
    Ok(())
}

/// Where `path`'s compacted copy is written: beside it, on the same filesystem, so placing it is a rename.
fn copy_path(path: &Path) -> PathBuf {
    side_file(path, ".compacting")
}

fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes a copy and the journal, WAL and index SQLite may have left beside it (a run that was stopped). SQLite
/// itself ignores and deletes a journal or WAL beside an empty file, which the next copy starts as; removing them
/// here leaves nothing behind either way.
fn remove_copy(copy: &Path) -> anyhow::Result<()> {
    for suffix in ["-journal", "-wal", "-shm"] {
        remove_if_present(&side_file(copy, suffix))?;
    }
    remove_if_present(copy)
}

/// The file's size with its WAL's, in bytes.
fn with_wal_len(path: &Path) -> u64 {
    let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    len(path) + len(&side_file(path, "-wal"))
}

fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use db_client::{ArticleFilter, NewArticle, UserId};

    use super::*;
    use crate::{
        config::Durability,
        store::{sqlite::open, SqlStore},
    };

    const ARTICLES: usize = 120;
    const KEPT: usize = 10;

    /// A data dir whose blog.db held `ARTICLES` articles of 16 KB and now holds `KEPT`; the store is closed.
    async fn after_mass_deletion(dir: &Path) -> UserId {
        let store = open(dir, Durability::Full, 0).await.expect("open");
        let jake = store
            .insert_user(&conduit_testkit::new_user("jake"))
            .await
            .expect("user")
            .id;
        for n in 0..ARTICLES {
            store
                .insert_article(NewArticle {
                    author: jake,
                    slug: format!("article-{n}"),
                    title: format!("Article {n}"),
                    description: "d".into(),
                    body: "b".repeat(16_000),
                    tags: vec![format!("tag{}", n % 3)],
                })
                .await
                .expect("article");
        }
        for n in KEPT..ARTICLES {
            store
                .delete_article(&format!("article-{n}"), jake)
                .await
                .expect("delete");
        }
        close(store).await;
        jake
    }

    async fn close(store: SqlStore<sqlx::Sqlite>) {
        store.close().await;
        drop(store);
    }

    /// The one value `sql` reads from the file at `path`.
    fn value<T: rusqlite::types::FromSql>(path: &Path, sql: &str) -> T {
        let conn = rusqlite::Connection::open(path).expect("open");
        conn.query_row(sql, [], |row| row.get(0)).expect(sql)
    }

    #[tokio::test]
    async fn compacting_gives_back_freed_pages_and_keeps_every_row() {
        let dir = tempfile::tempdir().expect("tempdir");
        let jake = after_mass_deletion(dir.path()).await;
        let blog = dir.path().join(BLOG_FILE);
        assert!(
            value::<i64>(&blog, "PRAGMA freelist_count") > 100,
            "the deletions freed pages"
        );

        let done = compact(dir.path()).await.expect("compact");
        assert_eq!(
            done.iter().map(|c| c.name).collect::<Vec<_>>(),
            [USERS_FILE, BLOG_FILE]
        );
        let blog_done = &done[1];
        assert!(
            blog_done.bytes_after * 4 < blog_done.bytes_before,
            "{blog_done}"
        );
        assert_eq!(value::<i64>(&blog, "PRAGMA freelist_count"), 0);
        let header = std::fs::read(&blog).expect("read");
        assert_eq!(header[18..20], [2, 2], "a WAL file, as db-service keeps it");
        for leftover in [
            "-wal",
            "-shm",
            ".compacting",
            ".compacting-wal",
            ".compacting-shm",
        ] {
            assert!(!side_file(&blog, leftover).exists(), "{leftover}");
        }

        // The compacted files are migrated, complete and writable as before.
        let store = open(dir.path(), Durability::Full, 0).await.expect("reopen");
        let page: serde_json::Value = serde_json::from_slice(
            &store
                .list_articles(&ArticleFilter {
                    limit: 20,
                    author: Some("jake".into()),
                    ..ArticleFilter::default()
                })
                .await
                .expect("list"),
        )
        .expect("json");
        assert_eq!(page["articlesCount"], KEPT);
        let slugs: Vec<&str> = page["articles"]
            .as_array()
            .expect("articles")
            .iter()
            .map(|a| a["slug"].as_str().expect("slug"))
            .collect();
        let expected: Vec<String> = (0..KEPT).rev().map(|n| format!("article-{n}")).collect();
        assert_eq!(slugs, expected);
        let body = store
            .find_article_by_slug("article-3", None)
            .await
            .expect("article");
        assert_eq!(body.body.as_deref().map(str::len), Some(16_000));
        store
            .insert_article(NewArticle {
                author: jake,
                slug: "after".into(),
                title: "After".into(),
                description: "d".into(),
                body: "b".into(),
                tags: Vec::new(),
            })
            .await
            .expect("a write after compacting");
        close(store).await;
        assert_eq!(value::<String>(&blog, "PRAGMA integrity_check"), "ok");
    }

    #[tokio::test]
    async fn a_served_data_dir_is_refused_and_left_as_it_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        after_mass_deletion(dir.path()).await;
        let blog = dir.path().join(BLOG_FILE);
        let before = std::fs::read(&blog).expect("read");
        let serving = open(dir.path(), Durability::Full, 0).await.expect("open");
        let refused = compact(dir.path()).await.expect_err("refused while served");
        assert!(
            refused
                .to_string()
                .contains("in use by a running db-service"),
            "{refused:#}"
        );
        close(serving).await;
        assert_eq!(std::fs::read(&blog).expect("read"), before);
    }

    #[tokio::test]
    async fn the_copy_an_interrupted_run_left_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        after_mass_deletion(dir.path()).await;
        let blog = dir.path().join(BLOG_FILE);
        let copy = copy_path(&blog);
        // What `kill -9` during a run can leave: the copy, and a WAL with frames of its own (here a table the data
        // never had). Neither may end up in blog.db, nor stop the next run.
        {
            let stale = rusqlite::Connection::open(&copy).expect("open");
            stale
                .execute_batch("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE stale (x); INSERT INTO stale VALUES (1);")
                .expect("stale writes");
            let wal = std::fs::read(side_file(&copy, "-wal")).expect("wal");
            drop(stale);
            std::fs::write(side_file(&copy, "-wal"), wal).expect("leave the wal");
        }
        compact(dir.path()).await.expect("compact");
        for leftover in ["", "-wal", "-shm", "-journal"] {
            assert!(!side_file(&copy, leftover).exists(), "{leftover}");
        }
        let stale: i64 = value(
            &blog,
            "SELECT count(*) FROM sqlite_schema WHERE name = 'stale'",
        );
        assert_eq!(stale, 0, "the stale WAL was played onto the compacted file");
        assert_eq!(value::<String>(&blog, "PRAGMA integrity_check"), "ok");
        let kept = value::<i64>(&blog, "SELECT count(*) FROM articles");
        assert_eq!(kept, i64::try_from(KEPT).expect("small"));
    }
}
