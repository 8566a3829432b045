//! Online backups: a consistent copy of every database, verified, described by a manifest, moved into place
//! atomically, with old ones pruned. Reads and writes continue while a backup runs.

mod manifest;
mod restore;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{bail, Context};
use db_client::{BackupFile, BackupReport};
use sqlx::SqlitePool;
use tokio::sync::Mutex;

pub use manifest::verify;
pub use restore::restore;

/// Why `db-service backup` refuses on MySQL.
pub const NOT_ON_MYSQL: &str = "db-service does not back up a MySQL server it does not own: use the server's \
     own backups (managed snapshots, or mariadb-dump/mysqldump --single-transaction), or `db-service export` \
     for a consistent copy of Conduit's data (see README)";

/// Where backups go and how many are kept. Cheap to clone; backups are taken one at a time.
#[derive(Debug, Clone)]
pub struct Backups {
    dir: PathBuf,
    retention: usize,
    running: Arc<Mutex<()>>,
}

impl Backups {
    pub fn new(dir: PathBuf, retention: usize) -> Self {
        Self {
            dir,
            retention: retention.max(1),
            running: Arc::new(Mutex::new(())),
        }
    }

    /// Copies every database of `sources` (file name, read-only pool) now, verifies the copies and prunes old
    /// backups. Each copy is a consistent snapshot taken by `VACUUM INTO` on a reader, so writes go on meanwhile.
    #[tracing::instrument(skip_all)]
    pub async fn take(
        &self,
        sources: &[(&'static str, SqlitePool)],
    ) -> anyhow::Result<BackupReport> {
        let _one_at_a_time = self.running.lock().await;
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create backup dir {}", self.dir.display()))?;
        remove_abandoned(&self.dir);

        let (_, first) = sources.first().context("nothing to back up")?;
        let created_at: String = sqlx::query_scalar("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
            .fetch_one(first)
            .await?;
        let name = created_at.replace([':', '-'], "");
        let staging = self.dir.join(format!(".tmp-{name}"));
        let target = self.dir.join(&name);
        if target.exists() {
            bail!("backup {} already exists", target.display());
        }
        std::fs::create_dir(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;

        let mut files = Vec::new();
        for (file_name, pool) in sources {
            let path = staging.join(file_name);
            sqlx::query("VACUUM INTO ?")
                .bind(path.display().to_string())
                .execute(pool)
                .await
                .with_context(|| format!("cannot copy {file_name}"))?;
            files.push(manifest::describe(&path).await?);
        }
        let report = BackupReport {
            path: target.display().to_string(),
            created_at,
            files,
        };
        manifest::write(&staging, &report)?;
        // The folder appears under its final name only once complete and verified.
        std::fs::rename(&staging, &target)
            .with_context(|| format!("cannot move backup into place at {}", target.display()))?;
        manifest::sync_dir(&self.dir)?;
        self.prune()?;
        Ok(report)
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
