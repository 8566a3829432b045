//! Exclusive locks on folders (`<folder>/.lock`), released when dropped or when the process dies: one db-service
//! per data dir (so a restore cannot swap files under a running one), one backup at a time per backup folder.

use std::{
    fs::{File, OpenOptions, TryLockError},
    path::{Path, PathBuf},
};

use anyhow::{bail, Context};

/// A held lock. Kept open: the lock lives as long as the file handle.
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

impl FolderLock {
    /// Takes the lock at once, or fails saying the folder is in use by `holder`.
    pub fn try_acquire(folder: &Path, holder: &str) -> anyhow::Result<Self> {
        let (file, path) = open(folder)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => {
                bail!("{} is in use by {holder}; stop it first", folder.display())
            }
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }

    /// Waits for the lock.
    pub async fn acquire(folder: &Path) -> anyhow::Result<Self> {
        let folder = folder.to_owned();
        tokio::task::spawn_blocking(move || {
            let (file, path) = open(&folder)?;
            file.lock()
                .with_context(|| format!("cannot lock {}", path.display()))?;
            Ok(Self { _file: file })
        })
        .await?
    }
}

fn open(folder: &Path) -> anyhow::Result<(File, PathBuf)> {
    let path = folder.join(".lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    Ok((file, path))
}
