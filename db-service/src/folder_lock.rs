//! Locks on folders, released when dropped or when the process dies. `<folder>/.lock`, exclusive: one db-service
//! per data dir (so a restore cannot swap files under a running one), one backup at a time per backup folder.
//! `<data dir>/.files.lock` ([`FilesLock`]): a backup or export read from outside the serving db-service reads the
//! files as one set, never some from before a restore and some from after.

use std::{
    fs::{File, OpenOptions, TryLockError},
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context};

/// A held lock. Kept open: the lock lives as long as the file handle.
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

impl FolderLock {
    /// Takes a data dir's lock at once, or fails saying what may hold it.
    pub fn try_acquire(data_dir: &Path) -> anyhow::Result<Self> {
        let (file, path) = open(data_dir)?;
        let taken = file.try_lock();
        held(file, &path, taken, || {
            format!(
                "{} is in use by a running db-service (or a `db-service restore`, `compact` or `import`); stop it \
                 first",
                data_dir.display()
            )
        })
        .map(|file| Self { _file: file })
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

/// A data dir's files held as one set: shared by the commands that copy them while a db-service may be serving
/// (`backup`, `export`), exclusively by those that replace or fill them (`restore`, `compact`, `import`). Nobody
/// waits: the one that comes second refuses, naming the others.
#[derive(Debug)]
pub struct FilesLock {
    _file: File,
}

impl FilesLock {
    /// For copying every file of `data_dir` as one set.
    pub fn try_read(data_dir: &Path) -> anyhow::Result<Self> {
        let (file, path) = open_named(data_dir, FILES_LOCK)?;
        let taken = file.try_lock_shared();
        held(file, &path, taken, || {
            format!(
                "the files in {} are being replaced (a `db-service restore`, `compact` or `import` is running): \
                 run this again once it has finished",
                data_dir.display()
            )
        })
        .map(|file| Self { _file: file })
    }

    /// For replacing files of `data_dir`.
    pub fn try_replace(data_dir: &Path) -> anyhow::Result<Self> {
        let (file, path) = open_named(data_dir, FILES_LOCK)?;
        let taken = file.try_lock();
        held(file, &path, taken, || {
            format!(
                "the files in {} are in use by another db-service command (a `backup` or `export` copying \
                 them, or a `restore`, `compact` or `import` replacing them): run this again once it has finished",
                data_dir.display()
            )
        })
        .map(|file| Self { _file: file })
    }
}

/// The lock file at `path` once `taken` says it is held; `in_use` names who may hold it when another does.
fn held(
    file: File,
    path: &Path,
    taken: Result<(), TryLockError>,
    in_use: impl FnOnce() -> String,
) -> anyhow::Result<File> {
    match taken {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => bail!("{}", in_use()),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

const FOLDER_LOCK: &str = ".lock";
const FILES_LOCK: &str = ".files.lock";

fn open(folder: &Path) -> anyhow::Result<(File, PathBuf)> {
    open_named(folder, FOLDER_LOCK)
}

fn open_named(folder: &Path, name: &str) -> anyhow::Result<(File, PathBuf)> {
    let path = folder.join(name);
    // Owner only: anyone who can open the file can hold the lock. Never through a symlink.
    let opened = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path);
    let file = match opened {
        Ok(file) => file,
        // One another user made (an older release run as root made them 0644): a lock needs only a read handle.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && path.is_file() => {
            OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?
        }
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
    };
    give_to_folder_owner(&file, folder);
    Ok((file, path))
}

/// Gives a lock file the owner of its folder: one made by a command run as root would otherwise lock the service's
/// own user out of it. Only root can; for anyone else the file is already theirs or stays as it is.
fn give_to_folder_owner(file: &File, folder: &Path) {
    use std::os::unix::fs::MetadataExt;
    let (Ok(folder), Ok(own)) = (std::fs::metadata(folder), file.metadata()) else {
        return;
    };
    if (own.uid(), own.gid()) != (folder.uid(), folder.gid()) {
        if let Err(e) = std::os::unix::fs::fchown(file, Some(folder.uid()), Some(folder.gid())) {
            tracing::debug!(error = %e, "cannot give the lock file its folder's owner");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_share_the_files_and_a_replacement_has_them_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = FilesLock::try_read(dir.path()).expect("a backup");
        let second = FilesLock::try_read(dir.path()).expect("an export beside it");
        let refused = FilesLock::try_replace(dir.path()).expect_err("no restore meanwhile");
        assert!(
            refused
                .to_string()
                .contains("a `backup` or `export` copying them"),
            "{refused:#}"
        );
        drop((first, second));

        let replacing = FilesLock::try_replace(dir.path()).expect("a restore");
        let refused = FilesLock::try_read(dir.path()).expect_err("no backup meanwhile");
        assert!(
            refused.to_string().contains("being replaced"),
            "{refused:#}"
        );
        assert!(FilesLock::try_replace(dir.path()).is_err(), "nor a compact");
        drop(replacing);
        FilesLock::try_read(dir.path()).expect("a backup after it");
    }

    /// Run as root (CI is), the folder is given away and the lock file must follow it; run as anyone else the folder
    /// stays theirs and so does the file.
    #[test]
    fn a_lock_file_gets_its_folders_owner() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let _ = std::os::unix::fs::chown(dir.path(), Some(10_001), Some(10_001));
        let folder = std::fs::metadata(dir.path()).expect("folder");
        drop(FilesLock::try_read(dir.path()).expect("lock"));
        let file = std::fs::metadata(dir.path().join(FILES_LOCK)).expect("lock file");
        assert_eq!((file.uid(), file.gid()), (folder.uid(), folder.gid()));
        assert_eq!(file.mode() & 0o777, 0o600);
    }
}
