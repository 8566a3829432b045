//! Off-node copies in S3-compatible object storage: each verified backup uploaded to `BACKUP_URL/<id>/`, read back
//! and checked against its manifest, pruned to a retention there too, and downloaded again for a restore.

use std::{path::Path, sync::Arc, time::Duration};

use futures_util::StreamExt;
use object_store::{
    aws::AmazonS3Builder, path::Path as ObjectPath, ClientOptions, ObjectStore, ObjectStoreExt,
    PutPayload, RetryConfig, WriteMultipart,
};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{
    location::S3Location,
    manifest::{private_file, BackupId, Manifest, ManifestError, MANIFEST, MAX_MANIFEST_BYTES},
};
use crate::config::ObjectStoreSettings;

/// Size of the parts of a multipart upload (S3 wants at least 5 MiB); smaller files go up in one request.
const PART_BYTES: usize = 16 * 1024 * 1024;

/// Why an upload, a listing or a download failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The store could not be set up from the settings.
    #[error("cannot use the object store")]
    Setup(#[source] object_store::Error),
    /// A request to the store failed (after its retries).
    #[error("object store: cannot {action} {key}")]
    Store {
        /// What was attempted.
        action: &'static str,
        /// The object key.
        key: String,
        /// The store's answer.
        #[source]
        source: object_store::Error,
    },
    /// Reading or writing a local file while transferring failed.
    #[error("cannot {action} {key}")]
    Transfer {
        /// What was attempted.
        action: &'static str,
        /// The object key or local path.
        key: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// An object differs from what the manifest records.
    #[error("{key} does not match the manifest (size {actual_size} vs {expected_size}, sha256 {actual_sha256} vs {expected_sha256})")]
    Mismatch {
        /// The object key.
        key: String,
        /// Size the manifest records.
        expected_size: u64,
        /// Size found.
        actual_size: u64,
        /// Checksum the manifest records.
        expected_sha256: String,
        /// Checksum found (empty when the size already differed).
        actual_sha256: String,
    },
    /// The manifest object is missing or cannot be trusted.
    #[error("{key} is not a usable manifest")]
    Manifest {
        /// The manifest's key.
        key: String,
        /// What is wrong with it.
        #[source]
        source: ManifestError,
    },
}

/// One bucket prefix holding a folder per backup, as BACKUP_URL names it.
#[derive(Debug, Clone)]
pub struct Remote {
    store: Arc<dyn ObjectStore>,
    location: S3Location,
}

impl Remote {
    /// A client for `location` with the credentials, region and endpoint of `settings`. Each request is retried
    /// a few times, briefly: a store that stays down fails this backup's upload, and the next one tries again.
    pub fn new(location: S3Location, settings: &ObjectStoreSettings) -> Result<Self, RemoteError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(location.bucket())
            .with_region(&settings.region)
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(60),
                ..RetryConfig::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(settings.allow_http)
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(120)),
            );
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some((key_id, secret)) = &settings.credentials {
            builder = builder
                .with_access_key_id(key_id)
                .with_secret_access_key(secret.expose_secret());
        }
        if let Some(token) = &settings.session_token {
            builder = builder.with_token(token.expose_secret());
        }
        let store = builder.build().map_err(RemoteError::Setup)?;
        Ok(Self {
            store: Arc::new(store),
            location,
        })
    }

    /// Where backup `id` goes.
    pub fn location_of(&self, id: &BackupId) -> S3Location {
        self.location.join(id)
    }

    /// The folder of backup `id`: `<prefix>/<id>`.
    fn folder(&self, id: &BackupId) -> ObjectPath {
        let prefix = self.location.prefix();
        if prefix.is_empty() {
            ObjectPath::from(id.as_ref())
        } else {
            ObjectPath::from(format!("{prefix}/{id}"))
        }
    }

    fn key(&self, id: &BackupId, file: &str) -> ObjectPath {
        self.folder(id).join(file)
    }

    /// Uploads the backup in `dir` (described by `manifest`), reads every file back to check its size and
    /// SHA-256 against the manifest, and only then uploads the manifest: a backup without one is incomplete.
    pub async fn upload(&self, dir: &Path, manifest: &Manifest) -> Result<S3Location, RemoteError> {
        for file in &manifest.report.files {
            let key = self.key(&manifest.id, &file.name);
            self.put_file(&dir.join(&file.name), &key).await?;
            let (size, sha256) = self.digest(&key, file.size).await?;
            if size != file.size || sha256 != file.sha256 {
                return Err(RemoteError::Mismatch {
                    key: key.to_string(),
                    expected_size: file.size,
                    actual_size: size,
                    expected_sha256: file.sha256.clone(),
                    actual_sha256: sha256,
                });
            }
        }
        let key = self.key(&manifest.id, MANIFEST);
        let bytes = std::fs::read(dir.join(MANIFEST)).map_err(|source| RemoteError::Transfer {
            action: "read",
            key: dir.join(MANIFEST).display().to_string(),
            source,
        })?;
        self.store
            .put(&key, PutPayload::from(bytes))
            .await
            .map_err(|source| store_error("upload", &key, source))?;
        Ok(self.location_of(&manifest.id))
    }

    /// Sends a local file to `key`: in one request when small, else as a multipart upload of [`PART_BYTES`] parts,
    /// aborted when reading the file or sending a part fails.
    async fn put_file(&self, path: &Path, key: &ObjectPath) -> Result<(), RemoteError> {
        let read_error = |source| RemoteError::Transfer {
            action: "read",
            key: path.display().to_string(),
            source,
        };
        let mut file = tokio::fs::File::open(path).await.map_err(read_error)?;
        let size = file.metadata().await.map_err(read_error)?.len();
        if size <= PART_BYTES as u64 {
            let mut bytes = Vec::with_capacity(PART_BYTES.min(size as usize));
            file.read_to_end(&mut bytes).await.map_err(read_error)?;
            self.store
                .put(key, PutPayload::from(bytes))
                .await
                .map_err(|source| store_error("upload", key, source))?;
            return Ok(());
        }
        let upload = self
            .store
            .put_multipart(key)
            .await
            .map_err(|source| store_error("upload", key, source))?;
        let mut parts = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buffer = vec![0_u8; 1 << 20];
        let failed = loop {
            let n = match file.read(&mut buffer).await {
                Ok(0) => break None,
                Ok(n) => n,
                Err(source) => break Some(read_error(source)),
            };
            // At most two parts in flight: bounded memory however large the database.
            if let Err(source) = parts.wait_for_capacity(2).await {
                break Some(store_error("upload", key, source));
            }
            parts.write(&buffer[..n]);
        };
        match failed {
            None => parts
                .finish()
                .await
                .map(drop)
                .map_err(|source| store_error("upload", key, source)),
            Some(e) => {
                if let Err(abort) = parts.abort().await {
                    tracing::warn!(key = %key, error = %abort, "cannot abort the failed upload");
                }
                Err(e)
            }
        }
    }

    /// Size and SHA-256 of an object, read in full; stops early once it is longer than `limit` bytes.
    async fn digest(&self, key: &ObjectPath, limit: u64) -> Result<(u64, String), RemoteError> {
        let mut stream = self
            .store
            .get(key)
            .await
            .map_err(|source| store_error("read back", key, source))?
            .into_stream();
        let mut hasher = Sha256::new();
        let mut size = 0_u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|source| store_error("read back", key, source))?;
            size += chunk.len() as u64;
            if size > limit {
                break;
            }
            hasher.update(&chunk);
        }
        Ok((size, format!("{:x}", hasher.finalize())))
    }

    /// The complete backups (those with a manifest) and the incomplete ones, each oldest first.
    async fn list(&self) -> Result<(Vec<BackupId>, Vec<BackupId>), RemoteError> {
        let prefix = self.location.prefix();
        let prefix = (!prefix.is_empty()).then(|| ObjectPath::from(prefix));
        let mut objects = self.store.list(prefix.as_ref());
        let mut seen = std::collections::BTreeMap::<BackupId, bool>::new();
        while let Some(meta) = objects.next().await {
            let meta = meta.map_err(|source| RemoteError::Store {
                action: "list",
                key: self.location.to_string(),
                source,
            })?;
            let parts: Vec<_> = meta.location.parts().collect();
            // <prefix…>/<id>/<file>: anything else under the prefix is not ours and is left alone.
            let [.., id, file] = parts.as_slice() else {
                continue;
            };
            let Ok(id) = id.as_ref().parse::<BackupId>() else {
                continue;
            };
            *seen.entry(id).or_default() |= file.as_ref() == MANIFEST;
        }
        let (complete, incomplete): (Vec<_>, Vec<_>) = seen.into_iter().partition(|(_, m)| *m);
        Ok((
            complete.into_iter().map(|(id, _)| id).collect(),
            incomplete.into_iter().map(|(id, _)| id).collect(),
        ))
    }

    /// Deletes the oldest complete backups beyond `retention`, and incomplete uploads older than every backup
    /// kept (an upload still in progress is newer, so it is never touched). Returns how many were deleted.
    pub async fn prune(&self, retention: usize) -> Result<usize, RemoteError> {
        let (complete, incomplete) = self.list().await?;
        let excess = complete.len().saturating_sub(retention.max(1));
        let (expired, kept) = complete.split_at(excess);
        let abandoned = incomplete
            .iter()
            .filter(|id| kept.first().is_some_and(|oldest| *id < oldest));
        let mut deleted = 0;
        for id in expired.iter().chain(abandoned) {
            let folder = self.folder(id);
            let mut objects = self.store.list(Some(&folder));
            while let Some(meta) = objects.next().await {
                let meta = meta.map_err(|source| store_error("list", &folder, source))?;
                self.store
                    .delete(&meta.location)
                    .await
                    .map_err(|source| store_error("delete", &meta.location, source))?;
            }
            tracing::info!(backup = %self.location_of(id), "pruned old off-node backup");
            deleted += 1;
        }
        Ok(deleted)
    }

    /// Downloads backup `id` into the empty folder `into` (files 0600): the manifest first, checked before any of
    /// its names is used, then each file, refused as soon as its size differs from the manifest's. The caller
    /// verifies checksums and integrity of the folder before using it.
    pub async fn download(&self, id: &BackupId, into: &Path) -> Result<Manifest, RemoteError> {
        let key = self.key(id, MANIFEST);
        let found = self
            .store
            .get(&key)
            .await
            .map_err(|source| store_error("download", &key, source))?;
        let manifest_error = |source| RemoteError::Manifest {
            key: key.to_string(),
            source,
        };
        if found.meta.size > MAX_MANIFEST_BYTES {
            return Err(manifest_error(ManifestError::TooLarge));
        }
        let bytes = found
            .bytes()
            .await
            .map_err(|source| store_error("download", &key, source))?;
        let manifest = Manifest::parse(&bytes).map_err(manifest_error)?;
        if manifest.id != *id {
            return Err(manifest_error(ManifestError::BadTimestamp(
                manifest.report.created_at.chars().take(64).collect(),
            )));
        }
        write_new(&into.join(MANIFEST), &bytes, &key)?;
        for file in &manifest.report.files {
            let key = self.key(id, &file.name);
            self.get_file(&key, &into.join(&file.name), file.size, &file.sha256)
                .await?;
        }
        Ok(manifest)
    }

    /// Streams `key` into a new local file, refusing an object whose size is not `size`.
    async fn get_file(
        &self,
        key: &ObjectPath,
        path: &Path,
        size: u64,
        sha256: &str,
    ) -> Result<(), RemoteError> {
        let mismatch = |actual_size| RemoteError::Mismatch {
            key: key.to_string(),
            expected_size: size,
            actual_size,
            expected_sha256: sha256.to_owned(),
            actual_sha256: String::new(),
        };
        let found = self
            .store
            .get(key)
            .await
            .map_err(|source| store_error("download", key, source))?;
        if found.meta.size != size {
            return Err(mismatch(found.meta.size));
        }
        let local = |source| RemoteError::Transfer {
            action: "write",
            key: path.display().to_string(),
            source,
        };
        let file = private_file(path).map_err(local)?;
        let mut file = tokio::fs::File::from_std(file);
        let mut stream = found.into_stream();
        let mut written = 0_u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|source| store_error("download", key, source))?;
            written += chunk.len() as u64;
            if written > size {
                return Err(mismatch(written));
            }
            file.write_all(&chunk).await.map_err(local)?;
        }
        if written != size {
            return Err(mismatch(written));
        }
        file.sync_all().await.map_err(local)
    }
}

/// An error with every cause after it, each once (`a: b: c`), for a log line.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let part = e.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = e.source();
    }
    text
}

fn store_error(action: &'static str, key: &ObjectPath, source: object_store::Error) -> RemoteError {
    RemoteError::Store {
        action,
        key: key.to_string(),
        source,
    }
}

fn write_new(path: &Path, bytes: &[u8], key: &ObjectPath) -> Result<(), RemoteError> {
    use std::io::Write;
    private_file(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(|source| RemoteError::Transfer {
            action: "save",
            key: key.to_string(),
            source,
        })
}
