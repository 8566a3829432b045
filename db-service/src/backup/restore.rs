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
use crate::{config::ObjectStoreSettings, folder_lock::FolderLock};

/// Where a restore assembles the backup's files inside DATA_DIR (same filesystem, so placing them is a rename).
const STAGING: &str = ".restore-staging";

/// Written into the staging folder, durably, before the first live file is moved: until the restore has placed
/// every file and removed the folder, DATA_DIR may hold some files of each set, or none, and db-service refuses to
/// start on it ([`interrupted_restore`]) rather than create empty databases.
const SWAPPING: &str = "swapping";

/// The marker of a restore that stopped while replacing the files in `data_dir`, if there is one.
pub fn interrupted_restore(data_dir: &Path) -> Option<PathBuf> {
    Some(data_dir.join(STAGING).join(SWAPPING)).filter(|marker| marker.exists())
}

/// Replaces the databases in `data_dir` with those of the backup at `source`. Refuses while a db-service holds
/// the data directory. The backup's files are first copied (or downloaded) into a staging folder in `data_dir`
/// and verified there — sizes, SHA-256 and integrity against the manifest — before anything live is touched; the
/// replaced files (with their -wal/-shm) are then moved to `data_dir/replaced-before-<id>/`. Returns that folder,
/// if anything was replaced.
pub async fn restore(
    source: &BackupSource,
    data_dir: &Path,
    object_store: &ObjectStoreSettings,
) -> anyhow::Result<Option<PathBuf>> {
    private_dir_all(data_dir)?;
    let _lock = FolderLock::try_acquire(data_dir, "a running db-service")?;
    let staging = data_dir.join(STAGING);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove the abandoned {}", staging.display()))?;
    }
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
        mark_swapping(&staging)?;
        place(&manifest, &staging, data_dir).with_context(|| {
            format!(
                "the restore stopped while replacing the files in {}, which may now hold neither set whole: run \
                 it again (db-service refuses to start until a restore completes)",
                data_dir.display()
            )
        })
    }
    .await;
    if restored.is_ok() || interrupted_restore(data_dir).is_none() {
        if let Err(e) = std::fs::remove_dir_all(&staging) {
            tracing::warn!(path = %staging.display(), error = %e, "cannot remove the restore's staging folder");
        }
    }
    restored
}

/// Marks `staging` as being swapped in (durably: before any live file moves).
fn mark_swapping(staging: &Path) -> anyhow::Result<()> {
    let marker = staging.join(SWAPPING);
    std::fs::File::create(&marker)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot write {}", marker.display()))?;
    sync_dir(staging)
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

/// Moves the live files (with their -wal/-shm) aside and the verified copies in `staging` into place: renames
/// only, within one filesystem.
fn place(manifest: &Manifest, staging: &Path, data_dir: &Path) -> anyhow::Result<Option<PathBuf>> {
    let aside = free_name(data_dir, &format!("replaced-before-{}", manifest.id));
    let mut moved_any = false;
    for file in &manifest.report.files {
        for suffix in ["", "-wal", "-shm"] {
            let name = format!("{}{suffix}", file.name);
            let live = data_dir.join(&name);
            if live.exists() {
                private_dir_all(&aside)?;
                std::fs::rename(&live, aside.join(&name))
                    .with_context(|| format!("cannot move {} aside", live.display()))?;
                moved_any = true;
            }
        }
    }
    for file in &manifest.report.files {
        std::fs::rename(staging.join(&file.name), data_dir.join(&file.name))
            .with_context(|| format!("cannot move the restored {} into place", file.name))?;
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
    Ok(moved_any.then_some(aside))
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
            let lock = PathBuf::from("deep/data/.lock");
            let new: Vec<_> = after
                .iter()
                .filter(|p| !before.contains(p) && **p != lock)
                .collect();
            assert!(new.is_empty(), "{created_at} {name} wrote {new:?}");
            std::fs::remove_dir_all(&backup).expect("clean up");
        }
    }

    #[tokio::test]
    async fn after_a_restore_stopped_while_swapping_db_service_waits_for_one_that_completes() {
        use crate::{backup::Backups, config::sqlite_storage_for_test, store::Store};

        let source_dir = tempfile::tempdir().expect("temp dir");
        let source = sqlite_storage_for_test(source_dir.path());
        let store = Store::open(&source).await.expect("open");
        store
            .insert_user(&conduit_testkit::new_user("jake"))
            .await
            .expect("user");
        let sources = store.snapshot_sources().expect("SQLite");
        let backup = Backups::new(&source)
            .expect("backups")
            .take(&sources)
            .await
            .expect("backup");
        store.close().await;

        // What a restore that was stopped after it began to move files leaves.
        let target_dir = tempfile::tempdir().expect("temp dir");
        let target = sqlite_storage_for_test(target_dir.path());
        std::fs::create_dir_all(target_dir.path().join(STAGING)).expect("staging");
        mark_swapping(&target_dir.path().join(STAGING)).expect("marker");
        let refused = Store::open(&target).await.expect_err("refused");
        assert!(
            refused.to_string().contains("a restore stopped"),
            "{refused:#}"
        );
        assert!(
            !target_dir.path().join("blog.db").exists(),
            "no empty database made"
        );

        let backup = BackupSource::Local(PathBuf::from(&backup.path));
        restore(&backup, target_dir.path(), &no_object_store())
            .await
            .expect("the restore run again");
        assert!(interrupted_restore(target_dir.path()).is_none());
        let restored = Store::open(&target).await.expect("open after the restore");
        restored
            .find_user_by_email("jake@example.com")
            .await
            .expect("the backup's user");
        restored.close().await;
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
