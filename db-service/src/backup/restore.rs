//! Restoring a verified backup — a local folder or one in object storage — over the data directory, keeping the
//! replaced files aside.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context};

use super::{
    location::BackupSource,
    manifest::{private_dir_all, sync_dir, verify, Manifest, MANIFEST},
    remote::Remote,
};
use crate::{
    config::ObjectStoreSettings,
    folder_lock::{FilesLock, FolderLock},
};

/// Where a restore assembles the backup's files inside DATA_DIR (same filesystem, so placing them is a rename).
const STAGING: &str = ".restore-staging";

/// Written in DATA_DIR, durably, before the first live file is moved, holding the name of the folder the replaced
/// files go to; removed once every file is placed. While it is there DATA_DIR may hold some files of each set, or
/// none: db-service refuses to start on it ([`interrupted_restore`]) rather than create empty databases, and the
/// next restore goes on with the same folder.
const SWAPPING: &str = ".restore-swapping";

/// A restore that stopped while replacing the files in `data_dir`: its marker, and the folder it moved the replaced
/// files to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterruptedRestore {
    pub marker: PathBuf,
    pub aside: PathBuf,
}

/// The restore that stopped while replacing the files in `data_dir`, if one did. An error when that cannot be told
/// (a marker that cannot be read), which callers treat as a refusal too.
pub fn interrupted_restore(data_dir: &Path) -> anyhow::Result<Option<InterruptedRestore>> {
    let marker = data_dir.join(SWAPPING);
    let exists = marker
        .try_exists()
        .with_context(|| format!("cannot tell whether {} exists", marker.display()))?;
    if !exists {
        return Ok(None);
    }
    let name = std::fs::read_to_string(&marker)
        .with_context(|| format!("cannot read {}", marker.display()))?;
    let name = name.trim();
    // Only ever a folder name this module wrote: nothing that leads out of DATA_DIR.
    if !name.starts_with("replaced-before-") || name.contains('/') || name.contains("..") {
        bail!(
            "{} does not name a folder of replaced files",
            marker.display()
        );
    }
    Ok(Some(InterruptedRestore {
        aside: data_dir.join(name),
        marker,
    }))
}

/// An error naming what to do when a restore stopped while replacing the files in `data_dir` (or when that cannot
/// be told): for whatever would open them.
pub fn refuse_after_interrupted_restore(data_dir: &Path) -> anyhow::Result<()> {
    match interrupted_restore(data_dir)? {
        None => Ok(()),
        Some(InterruptedRestore { marker, aside }) => bail!(
            "a restore stopped while replacing the files in {} (the replaced ones are in {}): run `db-service \
             restore` again, with any backup that verifies; to go back instead, move every file in that folder \
             back and remove {}",
            data_dir.display(),
            aside.display(),
            marker.display()
        ),
    }
}

/// Replaces the databases in `data_dir` with those of the backup at `source`. Refuses while a db-service holds
/// the data directory, or a `db-service backup` or `export` is copying its files. The backup's files are first
/// copied (or downloaded) into a staging folder in `data_dir` and verified there — sizes, SHA-256 and integrity
/// against the manifest — before anything live is touched; the replaced files (with their -wal, -shm, -journal)
/// are then moved to `data_dir/replaced-before-<id>/` (or, after a restore that stopped while replacing files, to
/// the folder that one used). Returns that folder, if anything was replaced.
pub async fn restore(
    source: &BackupSource,
    data_dir: &Path,
    object_store: &ObjectStoreSettings,
) -> anyhow::Result<Option<PathBuf>> {
    private_dir_all(data_dir)?;
    let _lock = FolderLock::try_acquire(data_dir)?;
    let _files = FilesLock::try_replace(data_dir)?;
    let interrupted = interrupted_restore(data_dir)?;
    let staging = data_dir.join(STAGING);
    remove_abandoned_staging(data_dir)?;
    private_dir_all(&staging)?;
    let restored = async {
        match source {
            BackupSource::Local(dir) => copy_backup(dir, &staging)?,
            BackupSource::Remote { parent, id } => {
                Remote::new(parent.clone(), object_store)?
                    .download(id, &staging)
                    .await?;
            }
        }
        let manifest = verify(&staging)
            .await
            .with_context(|| format!("{source} does not verify"))?;
        let aside = match &interrupted {
            Some(earlier) => earlier.aside.clone(),
            None => {
                let aside = free_name(data_dir, &format!("replaced-before-{}", manifest.id));
                mark_swapping(data_dir, &aside)?;
                aside
            }
        };
        let mut touched = interrupted.is_some();
        if let Err(e) = place(&manifest, &staging, data_dir, &aside, &mut touched) {
            if !touched {
                // Nothing live was touched: DATA_DIR is as it was.
                if let Err(left) = std::fs::remove_file(data_dir.join(SWAPPING)) {
                    tracing::warn!(error = %left, "cannot remove the restore's marker");
                }
                return Err(e);
            }
            return Err(e.context(format!(
                "the restore stopped while replacing the files in {}, which may now hold neither set whole (the \
                 replaced ones are in {}): run a restore again; db-service refuses to start until one completes",
                data_dir.display(),
                aside.display()
            )));
        }
        let marker = data_dir.join(SWAPPING);
        std::fs::remove_file(&marker).with_context(|| {
            format!(
                "the files are restored, but {} could not be removed (db-service refuses to start while it is \
                 there): remove it",
                marker.display()
            )
        })?;
        sync_dir(data_dir)?;
        // The folder exists once a file was moved into it, by this restore or the one that stopped.
        Ok(aside.is_dir().then_some(aside))
    }
    .await;
    if let Err(e) = std::fs::remove_dir_all(&staging) {
        tracing::warn!(path = %staging.display(), error = %e, "cannot remove the restore's staging folder");
    }
    restored
}

/// Removes the staging folder a restore left (stopped, or it could not remove it): its files serve nothing once no
/// restore runs, and take up to a backup's size. Only with `data_dir`'s lock held.
pub fn remove_abandoned_staging(data_dir: &Path) -> anyhow::Result<()> {
    let staging = data_dir.join(STAGING);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove the abandoned {}", staging.display()))?;
    }
    Ok(())
}

/// Marks `data_dir` as having its files replaced, the replaced ones going to `aside` (durably: before any live
/// file moves).
fn mark_swapping(data_dir: &Path, aside: &Path) -> anyhow::Result<()> {
    let marker = data_dir.join(SWAPPING);
    let name = aside
        .file_name()
        .and_then(|n| n.to_str())
        .context("the folder for replaced files has no name")?;
    std::fs::write(&marker, name)
        .and_then(|()| std::fs::File::open(&marker)?.sync_all())
        .with_context(|| format!("cannot write {}", marker.display()))?;
    sync_dir(data_dir)
}

/// Copies the files the (checked) manifest of the backup in `dir` names, and the manifest, into `staging` (0600).
fn copy_backup(dir: &Path, staging: &Path) -> anyhow::Result<()> {
    let manifest = Manifest::read(dir)?;
    let names = manifest.report.files.iter().map(|f| f.name.as_str());
    for name in names.chain([MANIFEST]) {
        let target = staging.join(name);
        std::fs::copy(dir.join(name), &target)
            .and_then(|_| std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)))
            .and_then(|()| std::fs::File::open(&target)?.sync_all())
            .with_context(|| {
                format!(
                    "cannot copy {} into {}",
                    dir.join(name).display(),
                    staging.display()
                )
            })?;
    }
    Ok(())
}

/// Moves the live files (with their -wal, -shm and -journal) to `aside` and the verified copies in `staging` into
/// place: renames only, within one filesystem. A live file whose name `aside` already holds was placed by a restore
/// that stopped (the file it replaced is there): it is replaced again. Sets `touched` once anything live has moved.
fn place(
    manifest: &Manifest,
    staging: &Path,
    data_dir: &Path,
    aside: &Path,
    touched: &mut bool,
) -> anyhow::Result<()> {
    for file in &manifest.report.files {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let name = format!("{}{suffix}", file.name);
            let live = data_dir.join(&name);
            if !live.exists() {
                continue;
            }
            private_dir_all(aside)?;
            if aside.join(&name).exists() {
                std::fs::remove_file(&live)
                    .with_context(|| format!("cannot remove {}", live.display()))?;
            } else {
                std::fs::rename(&live, aside.join(&name))
                    .with_context(|| format!("cannot move {} aside", live.display()))?;
            }
            *touched = true;
        }
    }
    if aside.exists() {
        sync_dir(aside)?;
    }
    for file in &manifest.report.files {
        std::fs::rename(staging.join(&file.name), data_dir.join(&file.name))
            .with_context(|| format!("cannot move the restored {} into place", file.name))?;
        *touched = true;
    }
    sync_dir(data_dir)?;
    if !manifest
        .report
        .files
        .iter()
        .all(|f| data_dir.join(&f.name).is_file())
    {
        bail!(
            "restore incomplete: not every file is in {}",
            data_dir.display()
        );
    }
    Ok(())
}

/// `dir/name`, or `dir/name-2`, `-3`… when taken: restoring the same backup twice keeps both sets of old files.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    std::iter::once(dir.join(name))
        .chain((2..).map(|n| dir.join(format!("{name}-{n}"))))
        .find(|path| !path.exists())
        .unwrap_or_else(|| dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_object_store() -> ObjectStoreSettings {
        ObjectStoreSettings::default()
    }

    fn hostile_backup(root: &Path, created_at: &str, name: &str) -> PathBuf {
        let backup = root.join("backup");
        std::fs::create_dir_all(&backup).expect("backup dir");
        std::fs::write(backup.join("users.db"), b"not a database").expect("file");
        let manifest = serde_json::json!({"path": "/x", "created_at": created_at,
            "files": [{"name": name, "size": 14, "sha256": "a".repeat(64)}]});
        std::fs::write(backup.join(MANIFEST), manifest.to_string()).expect("manifest");
        backup
    }

    /// Every file under `root`, relative to it.
    fn files_under(root: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut pending = vec![root.to_owned()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    found.push(path.strip_prefix(root).expect("under root").to_owned());
                }
            }
        }
        found.sort();
        found
    }

    #[tokio::test]
    async fn a_hostile_manifest_cannot_write_outside_the_data_dir() {
        let root = tempfile::tempdir().expect("temp dir");
        let data = root.path().join("deep/data");
        std::fs::create_dir_all(&data).expect("data dir");
        for (created_at, name) in [
            ("2026-12-01T01:30:00.123Z", "../../escaped.db"),
            ("2026-12-01T01:30:00.123Z", "/tmp/escaped.db"),
            ("../../../escaped", "users.db"),
        ] {
            let backup = hostile_backup(root.path(), created_at, name);
            let before = files_under(root.path());
            let source = BackupSource::Local(backup.clone());
            let err = restore(&source, &data, &no_object_store())
                .await
                .expect_err("a hostile manifest must be refused");
            assert!(
                format!("{err:#}").contains("manifest"),
                "{created_at} {name}: {err:#}"
            );
            let after = files_under(root.path());
            let locks = [
                PathBuf::from("deep/data/.lock"),
                PathBuf::from("deep/data/.files.lock"),
            ];
            let new: Vec<_> = after
                .iter()
                .filter(|p| !before.contains(p) && !locks.contains(p))
                .collect();
            assert!(new.is_empty(), "{created_at} {name} wrote {new:?}");
            std::fs::remove_dir_all(&backup).expect("clean up");
        }
    }

    /// A data dir whose databases hold the user `name`, closed, and its storage.
    async fn data_with_user(name: &str) -> (tempfile::TempDir, crate::config::Storage) {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = crate::config::sqlite_storage_for_test(dir.path());
        let store = crate::store::Store::open(&storage).await.expect("open");
        store
            .insert_user(&conduit_testkit::new_user(name))
            .await
            .expect("user");
        store.close().await;
        (dir, storage)
    }

    /// A verified backup of a data dir whose user is `name`.
    async fn backup_with_user(name: &str) -> (tempfile::TempDir, BackupSource) {
        let (dir, storage) = data_with_user(name).await;
        let sources = crate::store::SnapshotSources::open(dir.path())
            .await
            .expect("sources");
        let report = crate::backup::Backups::new(&storage)
            .expect("backups")
            .take(&sources.files)
            .await
            .expect("backup");
        sources.close().await;
        (dir, BackupSource::Local(PathBuf::from(report.path)))
    }

    /// The usernames in the users.db at `path`.
    fn usernames(path: &Path) -> Vec<String> {
        let conn = rusqlite::Connection::open(path).expect("open");
        let mut names = conn.prepare("SELECT username FROM users").expect("select");
        names
            .query_map([], |row| row.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("names")
    }

    #[tokio::test]
    async fn after_a_restore_stopped_while_swapping_db_service_waits_for_one_that_completes() {
        let (_source, backup) = backup_with_user("jake").await;
        // What a restore stopped after it began to move files leaves (here before any moved).
        let target_dir = tempfile::tempdir().expect("temp dir");
        let target = crate::config::sqlite_storage_for_test(target_dir.path());
        let aside = target_dir.path().join("replaced-before-x");
        mark_swapping(target_dir.path(), &aside).expect("marker");
        let refused = crate::store::Store::open(&target)
            .await
            .expect_err("refused");
        assert!(
            refused.to_string().contains("a restore stopped"),
            "{refused:#}"
        );
        assert!(
            refused.to_string().contains("replaced-before-x"),
            "{refused:#}"
        );
        assert!(
            !target_dir.path().join("blog.db").exists(),
            "no empty database made"
        );

        // A restore that fails before it moves anything keeps the earlier marker.
        let missing = BackupSource::Local(target_dir.path().join("no-such-backup"));
        restore(&missing, target_dir.path(), &no_object_store())
            .await
            .expect_err("no backup there");
        assert!(
            crate::store::Store::open(&target).await.is_err(),
            "still refused"
        );

        restore(&backup, target_dir.path(), &no_object_store())
            .await
            .expect("the restore run again");
        assert_eq!(
            interrupted_restore(target_dir.path()).expect("readable"),
            None
        );
        assert_eq!(usernames(&target_dir.path().join("users.db")), ["jake"]);
        let restored = crate::store::Store::open(&target)
            .await
            .expect("open after the restore");
        restored.close().await;
    }

    /// A restore stopped while placing files: users.db already the backup's, the replaced one aside; blog.db still
    /// the old one. The next restore keeps the replaced users.db where it is and moves blog.db beside it.
    #[tokio::test]
    async fn a_rerun_keeps_what_the_stopped_restore_moved_aside_and_finishes_beside_it() {
        let (_source, backup) = backup_with_user("jake").await;
        let (target_dir, _) = data_with_user("old").await;
        let data = target_dir.path();
        let aside = data.join("replaced-before-a");
        mark_swapping(data, &aside).expect("marker");
        private_dir_all(&aside).expect("aside");
        for suffix in ["", "-wal", "-shm"] {
            let name = format!("users.db{suffix}");
            if data.join(&name).exists() {
                std::fs::rename(data.join(&name), aside.join(&name)).expect("moved aside");
            }
        }
        let BackupSource::Local(backup_dir) = &backup else {
            unreachable!("a local backup")
        };
        std::fs::copy(backup_dir.join("users.db"), data.join("users.db")).expect("placed");
        // Meanwhile DATA_DIR holds one file of each set: no backup or export copies them as one.
        let copy = crate::store::SnapshotSources::open(data)
            .await
            .expect_err("a backup of mixed files refused");
        assert!(copy.to_string().contains("a restore stopped"), "{copy:#}");

        let returned = restore(&backup, data, &no_object_store())
            .await
            .expect("the restore run again");
        assert_eq!(returned, Some(aside.clone()));
        assert_eq!(
            usernames(&aside.join("users.db")),
            ["old"],
            "the replaced file kept"
        );
        assert!(aside.join("blog.db").exists(), "blog.db moved beside it");
        assert_eq!(usernames(&data.join("users.db")), ["jake"]);
        let others: Vec<_> = std::fs::read_dir(data)
            .expect("read")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("replaced-before") && n != "replaced-before-a")
            .collect();
        assert!(others.is_empty(), "{others:?}");
        assert_eq!(interrupted_restore(data).expect("readable"), None);
    }

    #[tokio::test]
    async fn a_restore_is_refused_while_a_backup_copies_the_files() {
        let (_source, backup) = backup_with_user("jake").await;
        let (target_dir, _) = data_with_user("old").await;
        let data = target_dir.path();
        let copying = crate::store::SnapshotSources::open(data)
            .await
            .expect("a backup's readers");

        let refused = restore(&backup, data, &no_object_store())
            .await
            .expect_err("refused while a backup copies the files");
        assert!(
            refused
                .to_string()
                .contains("a `backup` or `export` copying them"),
            "{refused:#}"
        );
        assert_eq!(usernames(&data.join("users.db")), ["old"]);
        assert_eq!(interrupted_restore(data).expect("readable"), None);
        assert!(!data.join(STAGING).exists());

        copying.close().await;
        restore(&backup, data, &no_object_store())
            .await
            .expect("restored once the backup has finished");
        assert_eq!(usernames(&data.join("users.db")), ["jake"]);
    }

    #[test]
    fn a_second_restore_of_the_same_backup_keeps_the_first_set_of_old_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = free_name(dir.path(), "replaced-before-x");
        assert_eq!(first, dir.path().join("replaced-before-x"));
        std::fs::create_dir(&first).expect("taken");
        assert_eq!(
            free_name(dir.path(), "replaced-before-x"),
            dir.path().join("replaced-before-x-2")
        );
    }
}
