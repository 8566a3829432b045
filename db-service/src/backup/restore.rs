//! Restoring a verified backup over the live data directory, keeping the replaced files aside.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::manifest::{sync_dir, verify};
use crate::store::DataDirLock;

/// Replaces the databases in `data_dir` with those of the backup at `backup`. Refuses while a db-service holds
/// the data directory. The replaced files (with their -wal/-shm) are moved to `data_dir/replaced-before-<time>/`.
/// Returns that folder, if anything was replaced.
pub async fn restore(backup: &Path, data_dir: &Path) -> anyhow::Result<Option<PathBuf>> {
    let report = verify(backup).await?;
    std::fs::create_dir_all(data_dir)?;
    let _lock = DataDirLock::acquire(data_dir)?;

    // Copy first, under staging names: if a copy fails (disk full, say), the live files are still untouched.
    let mut staged = Vec::with_capacity(report.files.len());
    for file in &report.files {
        let staging = data_dir.join(format!(".restore-{}", file.name));
        let copied = std::fs::copy(backup.join(&file.name), &staging)
            .and_then(|_| std::fs::File::open(&staging)?.sync_all());
        if let Err(e) = copied {
            for path in staged.iter().chain([&staging]) {
                let _ = std::fs::remove_file(path);
            }
            return Err(e)
                .with_context(|| format!("cannot copy {} into {}", file.name, data_dir.display()));
        }
        staged.push(staging);
    }

    // Then move the live files (with their -wal/-shm) aside and rename the copies into place: renames only.
    let stamp = report.created_at.replace([':', '-'], "");
    let aside = data_dir.join(format!("replaced-before-{stamp}"));
    let mut moved_any = false;
    for file in &report.files {
        for suffix in ["", "-wal", "-shm"] {
            let live = data_dir.join(format!("{}{suffix}", file.name));
            if live.exists() {
                std::fs::create_dir_all(&aside)?;
                std::fs::rename(&live, aside.join(live.file_name().context("file name")?))
                    .with_context(|| format!("cannot move {} aside", live.display()))?;
                moved_any = true;
            }
        }
    }
    for (file, staging) in report.files.iter().zip(&staged) {
        std::fs::rename(staging, data_dir.join(&file.name))
            .with_context(|| format!("cannot move the restored {} into place", file.name))?;
    }
    sync_dir(data_dir)?;
    if !report
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
