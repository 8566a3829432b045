//! The manifest of a backup (`manifest.json`: files, sizes, checksums) and verification against it.

use std::{
    io::Read,
    path::{Path, PathBuf},
    str::FromStr,
};

use anyhow::{bail, ensure, Context};
use db_client::{BackupFile, BackupReport};
use sha2::{Digest, Sha256};
use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions};

pub const MANIFEST: &str = "manifest.json";

/// Size, checksum and a passed `PRAGMA integrity_check` of one copied database file.
pub async fn describe(path: &Path) -> anyhow::Result<BackupFile> {
    check_integrity(path).await?;
    let owned = path.to_owned();
    let (size, sha256) = tokio::task::spawn_blocking(move || checksum(&owned)).await??;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .context("backup file without a name")?
        .to_owned();
    Ok(BackupFile { name, size, sha256 })
}

/// Writes the manifest and flushes every file of the backup to disk.
pub fn write(dir: &Path, report: &BackupReport) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(report)?;
    std::fs::write(dir.join(MANIFEST), json)?;
    for file in report
        .files
        .iter()
        .map(|f| f.name.as_str())
        .chain([MANIFEST])
    {
        std::fs::File::open(dir.join(file))?.sync_all()?;
    }
    sync_dir(dir)
}

/// Makes a folder's entries (new files, renames) durable.
pub fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

/// Checks a backup folder against its manifest: every file present with the recorded size and checksum, and
/// every database passing `PRAGMA integrity_check`.
pub async fn verify(dir: &Path) -> anyhow::Result<BackupReport> {
    let manifest_path = dir.join(MANIFEST);
    let text = std::fs::read(&manifest_path)
        .with_context(|| format!("{} is not a backup (no readable {MANIFEST})", dir.display()))?;
    let report: BackupReport = serde_json::from_slice(&text)
        .with_context(|| format!("{} is damaged", manifest_path.display()))?;
    ensure!(
        !report.files.is_empty(),
        "{} lists no files",
        manifest_path.display()
    );
    for expected in &report.files {
        let path: PathBuf = dir.join(&expected.name);
        ensure!(path.is_file(), "{} is missing", path.display());
        let actual = describe(&path).await?;
        if actual.size != expected.size || actual.sha256 != expected.sha256 {
            bail!(
                "{} does not match the manifest (size {} vs {}, sha256 {} vs {})",
                path.display(),
                actual.size,
                expected.size,
                actual.sha256,
                expected.sha256
            );
        }
    }
    Ok(report)
}

async fn check_integrity(path: &Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", path.display());
    let mut conn = SqliteConnectOptions::from_str(&url)?
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    let result: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("cannot check {}", path.display()))?;
    ensure!(
        result == "ok",
        "{} fails integrity_check: {result}",
        path.display()
    );
    Ok(())
}

fn checksum(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 16];
    let mut size = 0_u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((size, format!("{:x}", hasher.finalize())))
}
