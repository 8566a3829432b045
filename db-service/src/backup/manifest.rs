//! The manifest of a backup (`manifest.json`: files, sizes, checksums), what a valid one may say, and
//! verification of a backup folder against it.

use std::{
    fmt,
    io::{Read, Write},
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
    path::Path,
    str::FromStr,
};

use anyhow::{bail, ensure, Context};
use db_client::{BackupFile, BackupReport};
use sha2::{Digest, Sha256};
use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions};

pub const MANIFEST: &str = "manifest.json";

/// The only files a backup may hold besides its manifest: the databases db-service owns. A manifest naming
/// anything else (a path, `..`, another file) is refused before any of its names touches the filesystem.
pub const DATABASE_FILES: [&str; 2] = ["users.db", "blog.db"];

/// Largest manifest read: two entries take a few hundred bytes; this bounds what a damaged or hostile one costs.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024;

/// Why a manifest cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON of the expected shape.
    #[error("manifest is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// Bigger than any real manifest.
    #[error("manifest is larger than {MAX_MANIFEST_BYTES} bytes")]
    TooLarge,
    /// No database listed.
    #[error("manifest lists no files")]
    NoFiles,
    /// A name that is not one of [`DATABASE_FILES`] (shown as a bounded, escaped prefix).
    #[error("manifest names an unexpected file {0:?}")]
    UnexpectedFile(String),
    /// The same database twice.
    #[error("manifest lists {0} twice")]
    DuplicateFile(&'static str),
    /// A checksum that is not 64 lowercase hex digits.
    #[error("manifest has a malformed sha256 for {0}")]
    BadChecksum(&'static str),
    /// `created_at` not in the `YYYY-MM-DDTHH:MM:SS.sssZ` form db-service writes.
    #[error("manifest has a malformed created_at {0:?}")]
    BadTimestamp(String),
}

/// A backup's name, derived from its creation time (`2026-12-01T01:30:00.123Z` → `20261201T013000.123Z`):
/// digits, `T`, `.` and `Z` only, so it is safe as a folder name and an object key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackupId(String);

impl BackupId {
    /// The id of a backup created at `created_at`, which must be in db-service's timestamp form.
    pub fn from_created_at(created_at: &str) -> Result<Self, ManifestError> {
        if !has_shape(created_at, b"0000-00-00T00:00:00.000Z") {
            return Err(ManifestError::BadTimestamp(bounded(created_at)));
        }
        Ok(Self(created_at.replace([':', '-'], "")))
    }
}

impl FromStr for BackupId {
    type Err = ManifestError;

    /// Parses an id as it appears in a folder name or an `s3://…/<id>` location.
    fn from_str(id: &str) -> Result<Self, Self::Err> {
        if has_shape(id, b"00000000T000000.000Z") {
            Ok(Self(id.to_owned()))
        } else {
            Err(ManifestError::BadTimestamp(bounded(id)))
        }
    }
}

/// Whether `text` has the `shape` given: a digit where it has `0`, the same byte everywhere else.
fn has_shape(text: &str, shape: &[u8]) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == shape.len()
        && bytes.iter().zip(shape).all(|(b, s)| match s {
            b'0' => b.is_ascii_digit(),
            _ => b == s,
        })
}

impl AsRef<str> for BackupId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BackupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A manifest whose every name and field was checked: file names are [`DATABASE_FILES`] entries, each at most
/// once, checksums are well-formed, and the id comes from a well-formed `created_at`.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The report as stored.
    pub report: BackupReport,
    /// The backup's id, from `created_at`.
    pub id: BackupId,
}

impl Manifest {
    /// Parses and checks the bytes of a `manifest.json`.
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge);
        }
        let report: BackupReport = serde_json::from_slice(bytes)?;
        let id = BackupId::from_created_at(&report.created_at)?;
        if report.files.is_empty() {
            return Err(ManifestError::NoFiles);
        }
        let mut seen: Vec<&'static str> = Vec::with_capacity(DATABASE_FILES.len());
        for file in &report.files {
            let name = DATABASE_FILES
                .into_iter()
                .find(|known| *known == file.name)
                .ok_or_else(|| ManifestError::UnexpectedFile(bounded(&file.name)))?;
            if seen.contains(&name) {
                return Err(ManifestError::DuplicateFile(name));
            }
            seen.push(name);
            let hex = file.sha256.as_bytes();
            if hex.len() != 64 || !hex.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(ManifestError::BadChecksum(name));
            }
        }
        Ok(Self { report, id })
    }

    /// Reads and checks `dir/manifest.json`.
    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(MANIFEST);
        let file = std::fs::File::open(&path).with_context(|| {
            format!("{} is not a backup (no readable {MANIFEST})", dir.display())
        })?;
        let mut bytes = Vec::new();
        file.take(MAX_MANIFEST_BYTES + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&bytes).with_context(|| format!("{} is damaged", path.display()))
    }
}

/// At most 64 characters of an untrusted value, for an error message.
fn bounded(value: &str) -> String {
    value.chars().take(64).collect()
}

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

/// Writes the manifest (readable by the service user only) and flushes every file of the backup to disk.
pub fn write(dir: &Path, report: &BackupReport) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(report)?;
    let path = dir.join(MANIFEST);
    private_file(&path)
        .and_then(|mut f| f.write_all(&json))
        .with_context(|| format!("cannot write {}", path.display()))?;
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

/// Creates a new file only the service user can read or write (0600).
pub fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Creates `dir` and any missing parents, the new ones only the service user can enter (0700).
pub fn private_dir_all(dir: &Path) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

/// Makes a folder's entries (new files, renames) durable.
pub fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

/// Checks a backup folder against its manifest: the manifest is valid, every file it lists is present with the
/// recorded size (checked before anything is read) and checksum, and every database passes
/// `PRAGMA integrity_check`.
pub async fn verify(dir: &Path) -> anyhow::Result<Manifest> {
    let manifest = Manifest::read(dir)?;
    for expected in &manifest.report.files {
        let path = dir.join(&expected.name);
        let size = std::fs::metadata(&path)
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len())
            .with_context(|| format!("{} is missing", path.display()))?;
        ensure!(
            size == expected.size,
            "{} does not match the manifest (size {size} vs {})",
            path.display(),
            expected.size
        );
        let owned = path.clone();
        let (size, sha256) = tokio::task::spawn_blocking(move || checksum(&owned)).await??;
        if size != expected.size || sha256 != expected.sha256 {
            bail!(
                "{} does not match the manifest (size {size} vs {}, sha256 {sha256} vs {})",
                path.display(),
                expected.size,
                expected.sha256
            );
        }
        check_integrity(&path).await?;
    }
    Ok(manifest)
}

/// Fails unless the SQLite file at `path` passes `PRAGMA integrity_check` (read only).
pub async fn check_integrity(path: &Path) -> anyhow::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(created_at: &str, names: &[&str]) -> Vec<u8> {
        let files: Vec<_> = names
            .iter()
            .map(|n| serde_json::json!({"name": n, "size": 1, "sha256": "a".repeat(64)}))
            .collect();
        serde_json::to_vec(
            &serde_json::json!({"path": "/x", "created_at": created_at, "files": files}),
        )
        .expect("json")
    }

    const AT: &str = "2026-12-01T01:30:00.123Z";

    #[test]
    fn a_manifest_as_db_service_writes_it_is_accepted_and_named_by_its_time() {
        let parsed = Manifest::parse(&manifest(AT, &["users.db", "blog.db"])).expect("valid");
        assert_eq!(parsed.id.as_ref(), "20261201T013000.123Z");
        assert_eq!(
            parsed.id.as_ref().parse::<BackupId>().expect("round trip"),
            parsed.id
        );
    }

    #[test]
    fn file_names_outside_the_database_set_are_refused() {
        for name in [
            "../users.db",
            "/etc/passwd",
            "sub/blog.db",
            "..",
            "",
            "users.db\0",
        ] {
            let err = Manifest::parse(&manifest(AT, &[name])).expect_err(name);
            assert!(
                matches!(err, ManifestError::UnexpectedFile(_)),
                "{name}: {err}"
            );
        }
        let err = Manifest::parse(&manifest(AT, &["blog.db", "blog.db"])).expect_err("twice");
        assert!(matches!(err, ManifestError::DuplicateFile("blog.db")));
        let err = Manifest::parse(&manifest(AT, &[])).expect_err("none");
        assert!(matches!(err, ManifestError::NoFiles));
    }

    #[test]
    fn created_at_must_be_a_timestamp_before_it_becomes_a_name() {
        for created_at in [
            "../../escape",
            "2026-12-01T01:30:00.123Z/..",
            "2026-12-01T01:30:00Z",
            "2026-12-01 01:30:00.123Z",
            "",
        ] {
            let err = Manifest::parse(&manifest(created_at, &["users.db"])).expect_err(created_at);
            assert!(
                matches!(err, ManifestError::BadTimestamp(_)),
                "{created_at}: {err}"
            );
        }
        for id in ["..", "20261201T013000.123Z/x", "20261201T013000.123"] {
            assert!(id.parse::<BackupId>().is_err(), "{id}");
        }
    }

    #[test]
    fn checksums_must_be_sha256_hex_and_oversized_manifests_are_refused() {
        let bad = serde_json::to_vec(&serde_json::json!({"path": "/x", "created_at": AT,
            "files": [{"name": "users.db", "size": 1, "sha256": "../x"}]}))
        .expect("json");
        assert!(matches!(
            Manifest::parse(&bad),
            Err(ManifestError::BadChecksum("users.db"))
        ));
        let huge = vec![b' '; MAX_MANIFEST_BYTES as usize + 1];
        assert!(matches!(
            Manifest::parse(&huge),
            Err(ManifestError::TooLarge)
        ));
    }
}
