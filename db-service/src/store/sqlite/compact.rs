//! `db-service compact`: gives back the pages a file no longer uses and packs its tables' rows together again, as
//! a rebuild of a table (migration 4), mass deletions or years of edits leave them. Each file is copied by
//! `VACUUM INTO` next to itself, the copy checked, and renamed over the original: at every moment the file is
//! either the old one or the complete new one, whenever the process stops. The original is locked for this
//! process alone throughout, so no write can land in it after it was copied.

use std::{
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteLockingMode},
    ConnectOptions, Connection, SqliteConnection,
};

use super::{BLOG_FILE, USERS_FILE};
use crate::{
    backup::{check_integrity, sync_dir},
    folder_lock::{FilesLock, FolderLock},
};

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
/// lock), a `db-service backup` or `export` copies them (the files lock), or another process has one open (a
/// sqlite3 shell). Needs free space on the data volume for a copy of the larger file as it will be once compacted.
pub async fn compact(data_dir: &Path) -> anyhow::Result<Vec<Compacted>> {
    let _lock = FolderLock::try_acquire(data_dir)?;
    let _files = FilesLock::try_replace(data_dir)?;
    crate::backup::refuse_after_interrupted_restore(data_dir)?;
    let mut done = Vec::new();
    for name in [USERS_FILE, BLOG_FILE] {
        let path = data_dir.join(name);
        let kind = std::fs::symlink_metadata(&path)
            .with_context(|| format!("{} does not exist: is DATA_DIR right?", path.display()))?
            .file_type();
        if kind.is_symlink() || !kind.is_file() {
            bail!(
                "{} is not a regular file: compact works on the file itself, beside which it writes its copy",
                path.display()
            );
        }
        tracing::info!(file = name, bytes = with_wal_len(&path), "compacting");
        let compacted = compact_file(name, &path).await?;
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

/// Removes the copies a `compact` that was stopped left in `data_dir` (db-service, holding the folder's lock, at
/// start): they take up to a file's size on the data volume and serve nothing.
pub fn remove_abandoned_copies(data_dir: &Path) {
    for name in [USERS_FILE, BLOG_FILE] {
        let copy = copy_path(&data_dir.join(name));
        if copy.exists() {
            match remove_copy(&copy) {
                Ok(()) => {
                    tracing::warn!(path = %copy.display(), "removed the copy a stopped compact left")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot remove the copy a stopped compact left")
                }
            }
        }
    }
}

/// Compacts the file at `path`. The original is held with an exclusive lock from before it is read until the copy
/// has replaced it, so no other process reads or writes it meanwhile.
async fn compact_file(name: &'static str, path: &Path) -> anyhow::Result<Compacted> {
    let started = Instant::now();
    let bytes_before = with_wal_len(path);
    let copy = copy_path(path);
    let unchanged = || format!("cannot compact {}; it is unchanged", path.display());
    remove_copy(&copy).with_context(unchanged)?;
    let mut original = take_for_itself(path).await.with_context(unchanged)?;
    let placed = match copy_compacted(&mut original, path, &copy).await {
        Ok(()) => place(&copy, path),
        Err(e) => {
            if let Err(left) = remove_copy(&copy) {
                tracing::warn!(error = %left, "cannot remove the unfinished copy");
            }
            Err(e.context(unchanged()))
        }
    };
    // Whatever happened: let go of the original, and of the rollback journal SQLite keeps beside it while the lock
    // is held (a header of zeros: nothing to play back) and leaves behind. A file left in place is in rollback mode
    // now, which db-service turns back into WAL when it opens it; the new file, in WAL mode, keeps no journal.
    if let Err(e) = original.close().await {
        tracing::warn!(error = %e, "cannot close the original file");
    }
    if let Err(e) = remove_if_present(&side_file(path, "-journal")) {
        tracing::warn!(error = %e, "cannot remove the original's journal");
    }
    placed?;
    Ok(Compacted {
        name,
        bytes_before,
        bytes_after: with_wal_len(path),
        took: started.elapsed(),
    })
}

/// Opens `path` with an exclusive lock held until the connection closes, taking it out of WAL mode (which writes a
/// WAL a stopped db-service left into the file). Another process that has read it since opening it makes this fail;
/// one that opens it later waits for the lock, and, if it outwaits the run, reads the replaced file — the same data,
/// since nothing can write meanwhile.
async fn take_for_itself(path: &Path) -> anyhow::Result<SqliteConnection> {
    let mut original = SqliteConnectOptions::new()
        .filename(path)
        .locking_mode(SqliteLockingMode::Exclusive)
        .journal_mode(SqliteJournalMode::Delete)
        .busy_timeout(Duration::from_secs(2))
        .pragma("temp_store", "memory")
        .connect()
        .await
        .with_context(|| {
            format!(
                "cannot take {} for itself: is another process using it (a db-service backup or export, a \
                 sqlite3 shell)?",
                path.display()
            )
        })?;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut original)
        .await?;
    if mode != "delete" {
        bail!("{} stayed in journal mode {mode}", path.display());
    }
    sqlx::raw_sql("BEGIN EXCLUSIVE; COMMIT")
        .execute(&mut original)
        .await?;
    // Nothing else has the file open, so the index a WAL reader left serves no one.
    remove_if_present(&side_file(path, "-shm"))?;
    Ok(original)
}

/// Writes the compacted copy of the file `original` holds, at `path`, to `copy` — durably, with the original's
/// owner and permissions, in WAL mode — and checks it.
async fn copy_compacted(
    original: &mut SqliteConnection,
    path: &Path,
    copy: &Path,
) -> anyhow::Result<()> {
    let copy_text = copy.to_str().context("the data dir's path is not UTF-8")?;
    sqlx::query("VACUUM INTO ?")
        .bind(copy_text)
        .execute(&mut *original)
        .await?;
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    // Run as root on files the service user owns, the copy would be root's, and db-service could not write it.
    std::os::unix::fs::chown(copy, Some(metadata.uid()), Some(metadata.gid())).with_context(
        || {
            format!(
                "cannot give {} the owner of {}",
                copy.display(),
                path.display()
            )
        },
    )?;
    std::fs::set_permissions(copy, metadata.permissions())
        .with_context(|| format!("cannot set the permissions of {}", copy.display()))?;
    std::fs::File::open(copy)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", copy.display()))?;
    check_integrity(copy).await?;
    // `VACUUM INTO` writes a file in rollback-journal mode: made a WAL file here, as db-service keeps its files,
    // so that opening it after the swap writes nothing.
    SqliteConnectOptions::new()
        .filename(copy)
        .journal_mode(SqliteJournalMode::Wal)
        .connect()
        .await?
        .close()
        .await?;
    Ok(())
}

/// Renames the checked `copy` over `path` and syncs their folder.
fn place(copy: &Path, path: &Path) -> anyhow::Result<()> {
    std::fs::rename(copy, path).with_context(|| {
        format!(
            "cannot move {} over {}; the original is unchanged",
            copy.display(),
            path.display()
        )
    })?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)
            .context("the compacted copy replaced the file, but the folder could not be synced")?;
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

    /// A data dir whose blog.db held `ARTICLES` articles of 16 KB and now holds `KEPT`, the store closed; the
    /// path of its blog.db, and the articles' author.
    async fn after_mass_deletion() -> (tempfile::TempDir, PathBuf, UserId) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, jake) = super::super::open_with_user(dir.path(), "jake").await;
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
        close(store, dir.path()).await;
        let blog = dir.path().join(BLOG_FILE);
        (dir, blog, jake)
    }

    /// Closes `store`, on the files in `dir`, and waits (up to 10 s) until SQLite has closed its last connection
    /// to each: sqlx's connection threads may still be closing (checkpointing into the file) when `close` returns,
    /// under load, and a clean last close removes the file's WAL.
    async fn close(store: SqlStore<sqlx::Sqlite>, dir: &Path) {
        store.close().await;
        drop(store);
        let wals = [USERS_FILE, BLOG_FILE].map(|name| side_file(&dir.join(name), "-wal"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while wals.iter().any(|wal| wal.exists()) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The one value `sql` reads from the file at `path`.
    fn value<T: rusqlite::types::FromSql>(path: &Path, sql: &str) -> T {
        let conn = rusqlite::Connection::open(path).expect("open");
        conn.query_row(sql, [], |row| row.get(0)).expect(sql)
    }

    #[tokio::test]
    async fn compacting_gives_back_freed_pages_and_keeps_every_row() {
        let (dir, blog, jake) = after_mass_deletion().await;
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
            "-journal",
            ".compacting",
            ".compacting-wal",
            ".compacting-shm",
        ] {
            assert!(!side_file(&blog, leftover).exists(), "{leftover}");
        }

        // The compacted files are migrated, complete and writable as before.
        let store = open(dir.path(), Durability::Full, 0).await.expect("reopen");
        let (slugs, total) = super::super::page_slugs(
            &store,
            &ArticleFilter {
                limit: 20,
                author: Some("jake".into()),
                ..ArticleFilter::default()
            },
        )
        .await;
        assert_eq!(total, KEPT);
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
        close(store, dir.path()).await;
        assert_eq!(value::<String>(&blog, "PRAGMA integrity_check"), "ok");
    }

    #[tokio::test]
    async fn a_served_data_dir_is_refused_and_left_as_it_is() {
        let (dir, blog, _) = after_mass_deletion().await;
        let before = std::fs::read(&blog).expect("read");
        let serving = open(dir.path(), Durability::Full, 0).await.expect("open");
        let refused = compact(dir.path()).await.expect_err("refused while served");
        assert!(
            refused
                .to_string()
                .contains("in use by a running db-service"),
            "{refused:#}"
        );
        close(serving, dir.path()).await;
        assert_eq!(std::fs::read(&blog).expect("read"), before);
    }

    #[tokio::test]
    async fn the_copy_an_interrupted_run_left_is_replaced() {
        let (dir, blog, _) = after_mass_deletion().await;
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

    #[tokio::test]
    async fn db_service_removes_the_copy_a_stopped_run_left() {
        let (dir, blog, _) = after_mass_deletion().await;
        let copy = copy_path(&blog);
        std::fs::write(&copy, b"half a copy").expect("leftover");
        close(
            open(dir.path(), Durability::Full, 0).await.expect("open"),
            dir.path(),
        )
        .await;
        assert!(!copy.exists());
    }

    #[tokio::test]
    async fn writes_a_stopped_db_service_left_in_its_wal_are_kept() {
        let (dir, blog, _) = after_mass_deletion().await;
        let wal = side_file(&blog, "-wal");
        // A commit still in the WAL when the process died (`kill -9`: nothing checkpointed, nothing closed).
        let (file, frames) = {
            let conn = rusqlite::Connection::open(&blog).expect("open");
            conn.execute_batch(
                "PRAGMA wal_autocheckpoint = 0; UPDATE articles SET title = 'Committed' WHERE slug = 'article-1'",
            )
            .expect("commit");
            let saved = (
                std::fs::read(&blog).expect("db"),
                std::fs::read(&wal).expect("wal"),
            );
            drop(conn);
            saved
        };
        std::fs::write(&blog, file).expect("db as it was");
        std::fs::write(&wal, frames).expect("wal as it was");

        compact(dir.path()).await.expect("compact");
        let title: String = value(&blog, "SELECT title FROM articles WHERE slug = 'article-1'");
        assert_eq!(title, "Committed");
        assert!(!wal.exists());
    }

    #[tokio::test]
    async fn a_file_another_process_has_open_is_refused_and_left_as_it_is() {
        let (dir, blog, _) = after_mass_deletion().await;
        let before = std::fs::read(&blog).expect("read");
        // As a sqlite3 shell would: a connection of its own, no lock of ours.
        let reader = sqlx::SqlitePool::connect_with(
            SqliteConnectOptions::new().filename(&blog).read_only(true),
        )
        .await
        .expect("reader");
        let _: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
            .fetch_one(&reader)
            .await
            .expect("read");

        let refused = compact(dir.path()).await.expect_err("refused while read");
        assert!(
            format!("{refused:#}").contains("is another process using it"),
            "{refused:#}"
        );
        assert!(
            format!("{refused:#}").contains("it is unchanged"),
            "{refused:#}"
        );
        assert_eq!(std::fs::read(&blog).expect("read"), before);
        assert!(!copy_path(&blog).exists());
        reader.close().await;
        compact(dir.path()).await.expect("compact once it is gone");
    }

    #[tokio::test]
    async fn a_backup_copying_the_files_is_refused_before_anything_is_opened() {
        let (dir, blog, _) = after_mass_deletion().await;
        let before = std::fs::read(&blog).expect("read");
        let copying = crate::store::SnapshotSources::open(dir.path())
            .await
            .expect("a backup's readers");

        let refused = compact(dir.path()).await.expect_err("refused while copied");
        assert!(
            format!("{refused:#}").contains("a `backup` or `export` copying them"),
            "{refused:#}"
        );
        assert_eq!(std::fs::read(&blog).expect("read"), before);
        copying.close().await;
        compact(dir.path())
            .await
            .expect("compact once it has finished");
    }
}
