//! Where a backup is: a local folder, or an object-store location `s3://bucket/prefix` (BACKUP_URL) holding one
//! folder per backup, `s3://bucket/prefix/<id>`.

use std::{fmt, path::PathBuf, str::FromStr};

use super::manifest::BackupId;

/// Why an `s3://` URL was refused.
#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    /// Another scheme, or none.
    #[error("must start with s3://")]
    NotS3,
    /// Not an S3 bucket name (3–63 of `a-z 0-9 . -`, starting and ending with a letter or digit).
    #[error("the bucket name must be 3-63 characters of a-z, 0-9, '.' and '-'")]
    BadBucket,
    /// A prefix segment that is empty, `.`/`..`, or holds characters outside `A-Z a-z 0-9 . _ -`.
    #[error(
        "each folder of the prefix must be letters, digits, '.', '_' or '-' (and not '.' or '..')"
    )]
    BadPrefix,
    /// The last segment of a backup's location is not a backup id.
    #[error("the last part must be a backup id such as 20261201T013000.123Z")]
    NotABackup,
}

/// An `s3://bucket/prefix` location: a bucket and a prefix of plain folder names (possibly none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    bucket: String,
    prefix: Vec<String>,
}

impl S3Location {
    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The prefix as an object key prefix (`a/b`, or empty).
    pub fn prefix(&self) -> String {
        self.prefix.join("/")
    }

    /// The location of backup `id` under this one.
    pub fn join(&self, id: &BackupId) -> Self {
        let mut prefix = self.prefix.clone();
        prefix.push(id.to_string());
        Self {
            bucket: self.bucket.clone(),
            prefix,
        }
    }

    /// Splits the location of one backup (`s3://bucket/prefix/<id>`) into its parent and its id.
    pub fn split_backup(&self) -> Result<(Self, BackupId), LocationError> {
        let (last, parent) = self.prefix.split_last().ok_or(LocationError::NotABackup)?;
        let id = last
            .parse::<BackupId>()
            .map_err(|_| LocationError::NotABackup)?;
        Ok((
            Self {
                bucket: self.bucket.clone(),
                prefix: parent.to_vec(),
            },
            id,
        ))
    }
}

impl FromStr for S3Location {
    type Err = LocationError;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let rest = url.strip_prefix("s3://").ok_or(LocationError::NotS3)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let mut parts = rest.split('/');
        let bucket = parts.next().unwrap_or_default();
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-'))
            && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
            && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !bucket_ok {
            return Err(LocationError::BadBucket);
        }
        let prefix = parts
            .map(|segment| {
                let plain = !segment.is_empty()
                    && segment != "."
                    && segment != ".."
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
                plain
                    .then(|| segment.to_owned())
                    .ok_or(LocationError::BadPrefix)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            bucket: bucket.to_owned(),
            prefix,
        })
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}", self.bucket)?;
        for segment in &self.prefix {
            write!(f, "/{segment}")?;
        }
        Ok(())
    }
}

/// What `db-service restore` restores from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupSource {
    /// A backup folder on this machine.
    Local(PathBuf),
    /// One backup in an object store, `s3://bucket/prefix/<id>`.
    Remote {
        /// The folder holding every backup (BACKUP_URL).
        parent: S3Location,
        /// The backup in it.
        id: BackupId,
    },
}

impl FromStr for BackupSource {
    type Err = LocationError;

    /// `s3://…/<id>` is a backup in an object store; anything else a local folder.
    fn from_str(source: &str) -> Result<Self, Self::Err> {
        if source.starts_with("s3://") {
            let (parent, id) = source.parse::<S3Location>()?.split_backup()?;
            Ok(Self::Remote { parent, id })
        } else {
            Ok(Self::Local(PathBuf::from(source)))
        }
    }
}

impl fmt::Display for BackupSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(path) => write!(f, "{}", path.display()),
            Self::Remote { parent, id } => write!(f, "{}", parent.join(id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_url_names_a_bucket_and_a_prefix_of_plain_folders() {
        let location: S3Location = "s3://conduit-backups/prod/eu-1/".parse().expect("valid");
        assert_eq!(location.bucket(), "conduit-backups");
        assert_eq!(location.prefix(), "prod/eu-1");
        assert_eq!(location.to_string(), "s3://conduit-backups/prod/eu-1");
        let bare: S3Location = "s3://conduit".parse().expect("no prefix");
        assert_eq!(bare.prefix(), "");
    }

    #[test]
    fn other_schemes_bad_buckets_and_unsafe_prefixes_are_refused() {
        for (url, expected) in [
            ("https://bucket/x", "NotS3"),
            ("s3://", "BadBucket"),
            ("s3://Upper/x", "BadBucket"),
            ("s3://ab/x", "BadBucket"),
            ("s3://-bucket/x", "BadBucket"),
            ("s3://bucket/../x", "BadPrefix"),
            ("s3://bucket/a//b", "BadPrefix"),
            ("s3://bucket/a b", "BadPrefix"),
            ("s3://bucket/./b", "BadPrefix"),
        ] {
            let err = url.parse::<S3Location>().expect_err(url);
            assert_eq!(format!("{err:?}"), expected, "{url}");
        }
    }

    #[test]
    fn a_restore_source_is_a_folder_or_one_backup_in_a_bucket() {
        let remote: BackupSource = "s3://bucket/conduit/20261201T013000.123Z"
            .parse()
            .expect("remote");
        let BackupSource::Remote { parent, id } = &remote else {
            panic!("expected a remote source, got {remote:?}");
        };
        assert_eq!(parent.to_string(), "s3://bucket/conduit");
        assert_eq!(id.as_ref(), "20261201T013000.123Z");
        assert_eq!(
            remote.to_string(),
            "s3://bucket/conduit/20261201T013000.123Z"
        );
        assert!(matches!(
            "s3://bucket/conduit".parse::<BackupSource>(),
            Err(LocationError::NotABackup)
        ));
        assert_eq!(
            "data/backups/x".parse::<BackupSource>().expect("local"),
            BackupSource::Local(PathBuf::from("data/backups/x"))
        );
    }
}
