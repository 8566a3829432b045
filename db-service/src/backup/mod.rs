//! Online backups: a consistent copy of every database, verified, described by a manifest, moved into place
//! atomically, with old ones pruned; with BACKUP_URL set, each is also copied off the node to object storage.
//! Reads and writes continue while a backup runs.

mod location;
mod manifest;
mod remote;
mod restore;

use std::{
    os::unix::fs::{DirBuilderExt, PermissionsExt},
    path::{Path, PathBuf},
    sync::Arc,
    time::SystemTime,
};

use anyhow::{bail, Context};
use db_client::{BackupFile, BackupReport};
use sqlx::SqlitePool;
use tokio::sync::Mutex;

pub use location::{BackupSource, LocationError, S3Location};
pub use manifest::{check_integrity, sync_dir, verify, Manifest};
pub use remote::{Remote, RemoteError};
pub use restore::{
    interrupted_restore, refuse_after_interrupted_restore, remove_abandoned_staging, restore,
};

use crate::{config::Storage, folder_lock::FolderLock, metrics, store::SnapshotSources};

/// Why `db-service backup` refuses on MySQL.
pub const NOT_ON_MYSQL: &str = "db-service does not back up a MySQL server it does not own: use the server's \
     own backups (managed snapshots, or mariadb-dump/mysqldump --single-transaction), or `db-service export` \
     for a consistent copy of Conduit's data (see README)";

/// Where backups go and how many are kept. Cheap to clone; backups are taken one at a time.
#[derive(Debug, Clone)]
pub struct Backups {
    dir: PathBuf,
    retention: usize,
    off_node: Option<OffNode>,
    running: Arc<Mutex<()>>,
}

/// The object store every backup is copied to, and how many backups it keeps.
#[derive(Debug, Clone)]
struct OffNode {
    remote: Remote,
    retention: usize,
}

/// What became of a backup's off-node copy.
#[derive(Debug)]
pub enum Upload {
    /// BACKUP_URL is not set: the backup stays on this node.
    Off,
    /// Uploaded and read back intact (the report's `remote` says where).
    Done,
    /// Not uploaded (the local backup is complete nonetheless); the next backup tries again.
    Failed(RemoteError),
}

impl Backups {
    /// The backups `storage` describes; fails only when the object store settings cannot be used.
    pub fn new(storage: &Storage) -> Result<Self, RemoteError> {
        let off_node = storage
            .remote
            .as_ref()
            .map(|remote| {
                Ok::<_, RemoteError>(OffNode {
                    remote: Remote::new(remote.location.clone(), &storage.object_store)?,
                    retention: remote.retention.max(1),
                })
            })
            .transpose()?;
        Ok(Self {
            dir: storage.backup_dir.clone(),
            retention: storage.backup_retention.max(1),
            off_node,
            running: Arc::new(Mutex::new(())),
        })
    }

    /// Takes a verified backup (see [`Backups::take_and_upload`]); an upload failure is logged and counted in the
    /// metrics but leaves the local backup standing, so the report then has no `remote`.
    #[tracing::instrument(skip_all)]
    pub async fn take(
        &self,
        sources: &[(&'static str, SqlitePool)],
    ) -> anyhow::Result<BackupReport> {
        Ok(self.take_and_upload(sources).await?.0)
    }

    /// Copies every database of `sources` (file name, read-only pool) now, verifies the copies and prunes old
    /// backups; then, with BACKUP_URL set, uploads the backup, reads it back against the manifest and prunes the
    /// store to its retention. Each copy is a consistent snapshot taken by `VACUUM INTO` on a reader, so writes
    /// go on meanwhile. Fails only when the local backup fails.
    pub async fn take_and_upload(
        &self,
        sources: &[(&'static str, SqlitePool)],
    ) -> anyhow::Result<(BackupReport, Upload)> {
        let _one_at_a_time = self.running.lock().await;
        let taken = self.take_local(sources).await?;
        Ok(self.upload(taken).await)
    }

    /// [`Backups::take_and_upload`] for a command run beside the service: `sources` (and their hold on the data
    /// files) are let go of once the local copy is made, before the upload, which may take minutes — a restore
    /// or compact need not wait for it.
    pub async fn take_then_upload(
        &self,
        sources: SnapshotSources,
    ) -> anyhow::Result<(BackupReport, Upload)> {
        let _one_at_a_time = self.running.lock().await;
        let taken = self.take_local(&sources.files).await;
        sources.close().await;
        Ok(self.upload(taken?).await)
    }

    /// With BACKUP_URL set, uploads the local backup `(dir, manifest)`, reads it back against the manifest and
    /// prunes the store to its retention; the report names the copy when it is there.
    async fn upload(&self, (dir, manifest): (PathBuf, Manifest)) -> (BackupReport, Upload) {
        let mut report = manifest.report.clone();
        let Some(off_node) = &self.off_node else {
            return (report, Upload::Off);
        };
        let upload = match off_node.remote.upload(&dir, &manifest).await {
            Ok(location) => {
                metrics::record_upload(true);
                tracing::info!(location = %location, "backup copied off the node and read back intact");
                if let Err(e) = off_node.remote.prune(off_node.retention).await {
                    tracing::error!(error = %remote::with_causes(&e), "cannot prune old off-node backups");
                }
                report.remote = Some(location.to_string());
                Upload::Done
            }
            Err(e) => {
                metrics::record_upload(false);
                tracing::error!(error = %remote::with_causes(&e), backup = %dir.display(),
                    "cannot copy the backup off the node; it is kept locally, and the next backup tries again");
                Upload::Failed(e)
            }
        };
        (report, upload)
    }

    /// The local half of a backup: returns its folder and its manifest.
    async fn take_local(
        &self,
        sources: &[(&'static str, SqlitePool)],
    ) -> anyhow::Result<(PathBuf, Manifest)> {
        manifest::private_dir_all(&self.dir)?;
        // Another process may be taking a backup into the same folder (`db-service backup` while the service's
        // schedule runs): one at a time, so neither takes the other's staging folder for abandoned.
        let _exclusive = FolderLock::acquire(&self.dir).await?;
        remove_abandoned(&self.dir);

        let (_, first) = sources.first().context("nothing to back up")?;
        let created_at: String = sqlx::query_scalar("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
            .fetch_one(first)
            .await?;
        let id = manifest::BackupId::from_created_at(&created_at)?;
        let staging = self.dir.join(format!(".tmp-{id}"));
        let target = self.dir.join(id.as_ref());
        if target.exists() {
            bail!("backup {} already exists", target.display());
        }
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;

        let mut files = Vec::new();
        for (file_name, pool) in sources {
            let path = staging.join(file_name);
            sqlx::query("VACUUM INTO ?")
                .bind(path.display().to_string())
                .execute(pool)
                .await
                .with_context(|| format!("cannot copy {file_name}"))?;
            // SQLite creates the copy with the process umask; a backup holds password hashes: owner only.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot restrict {}", path.display()))?;
            files.push(manifest::describe(&path).await?);
        }
        let report = BackupReport {
            path: target.display().to_string(),
            created_at,
            files,
            remote: None,
        };
        manifest::write(&staging, &report)?;
        // The folder appears under its final name only once complete and verified.
        std::fs::rename(&staging, &target)
            .with_context(|| format!("cannot move backup into place at {}", target.display()))?;
        manifest::sync_dir(&self.dir)?;
        self.prune()?;
        Ok((target, Manifest { report, id }))
    }

    /// Deletes the oldest complete backups beyond the retention count.
    fn prune(&self) -> anyhow::Result<()> {
        let mut backups = list_backups(&self.dir)?;
        backups.sort();
        let excess = backups.len().saturating_sub(self.retention);
        for old in backups.into_iter().take(excess) {
            std::fs::remove_dir_all(&old)
                .with_context(|| format!("cannot prune {}", old.display()))?;
            tracing::info!(backup = %old.display(), "pruned old backup");
        }
        Ok(())
    }

    /// When the newest complete local backup was written, if there is one (its manifest's modification time).
    pub fn newest(&self) -> Option<SystemTime> {
        let mut backups = list_backups(&self.dir).ok()?;
        backups.sort();
        let newest = backups.pop()?;
        std::fs::metadata(newest.join(manifest::MANIFEST))
            .and_then(|m| m.modified())
            .ok()
    }
}

/// Complete backups in `dir`: folders holding a manifest, not being written.
pub fn list_backups(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    Ok(entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.join(manifest::MANIFEST).is_file()
                && !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
        })
        .collect())
}

/// Removes staging folders left by a backup that was interrupted (a crash mid-copy).
fn remove_abandoned(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let is_staging = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(".tmp-"));
        if is_staging {
            if let Err(e) = std::fs::remove_dir_all(entry.path()) {
                tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove abandoned backup");
            }
        }
    }
}

/// Total bytes of a backup's files, for metrics.
pub fn total_size(files: &[BackupFile]) -> u64 {
    files.iter().map(|f| f.size).sum()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{
        config::{ObjectStoreSettings, RemoteBackups},
        folder_lock::FilesLock,
    };

    #[tokio::test]
    async fn a_command_lets_go_of_the_data_files_before_it_uploads() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut storage = crate::config::sqlite_storage_for_test(dir.path());
        crate::store::Store::open(&storage)
            .await
            .expect("databases")
            .close()
            .await;
        // An object store that takes the connection and never answers: the upload waits.
        let stalled = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
        storage.remote = Some(RemoteBackups {
            location: "s3://bucket/prefix".parse().expect("location"),
            retention: 2,
        });
        storage.object_store = ObjectStoreSettings {
            credentials: Some(("key".into(), "secret".into())),
            endpoint: Some(format!("http://{}", stalled.local_addr().expect("addr"))),
            allow_http: true,
            ..ObjectStoreSettings::default()
        };
        let backups = Backups::new(&storage).expect("backups");
        let sources = SnapshotSources::open(dir.path()).await.expect("sources");
        let backup = tokio::spawn(async move { backups.take_then_upload(sources).await });

        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let restore_could_start = loop {
            if let Ok(lock) = FilesLock::try_replace(dir.path()) {
                break lock;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the data files are still held"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(list_backups(&storage.backup_dir).expect("list").len(), 1);
        assert!(!backup.is_finished(), "the upload is still waiting");
        drop(restore_could_start);
        backup.abort();
    }
}
