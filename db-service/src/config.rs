//! Command line and configuration, read once at startup from flags or the environment.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{builder::BoolishValueParser, ArgAction, Args, Parser, Subcommand, ValueEnum};
use conduit_runtime::config::{self, Environment, LogFormat, SecretError};
use secrecy::SecretString;

use crate::backup::{BackupSource, LocationError, S3Location};

/// The `db-service` binary: serves by default; also takes, verifies and restores backups.
#[derive(Debug, Parser)]
#[command(version, about = "Conduit's Database Service")]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub settings: Settings,
}

/// The commands of the binary.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the internal API (the default).
    Serve,
    /// Take one verified backup of DATA_DIR now (works while the service runs) and print its folder. Refuses
    /// while a restore, compact or import replaces the files.
    Backup,
    /// Check a backup folder against its manifest (sizes, SHA-256, integrity_check).
    Verify {
        /// The backup folder.
        path: PathBuf,
    },
    /// Replace the databases in DATA_DIR with a verified backup, from a folder or from object storage. Refuses
    /// while db-service is running or a backup or export copies the files; the replaced files are kept in
    /// DATA_DIR/replaced-before-<time>/.
    Restore {
        /// The backup folder, or `s3://bucket/prefix/<id>` (read with the AWS_* settings).
        path: BackupSource,
    },
    /// Write every user, follow, article, tag, favorite and comment to FILE (JSON Lines), from the SQLite files
    /// in DATA_DIR (while db-service runs; not while a restore, compact or import replaces them) or from
    /// DATABASE_URL. With `import`, moves an installation between backends.
    Export {
        /// The file to write (replaced if it exists).
        file: PathBuf,
    },
    /// Load an export into DATABASE_URL (or the SQLite files in DATA_DIR), which must hold no data yet; checks
    /// the whole file first and the row counts after. On SQLite, refuses while db-service is running or a backup
    /// or export copies the files.
    Import {
        /// The file `export` wrote.
        file: PathBuf,
    },
    /// Give back the space users.db and blog.db no longer use and pack their rows together (after a large
    /// migration or mass deletions). Refuses while db-service is running or a backup or export copies the
    /// files; needs free space for a copy of the compacted file. Each file is checked, then swapped in whole.
    Compact,
    /// Exit 0 when the db-service listening on DB_SERVICE_ADDR answers /healthz (for container HEALTHCHECKs).
    Healthcheck,
}

/// Every setting; each flag can also come from the environment variable it names.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(
        long,
        global = true,
        env = "DB_SERVICE_ADDR",
        default_value = "127.0.0.1:3001"
    )]
    addr: SocketAddr,
    /// A Unix socket to serve on as well, for an api on the same machine (an earlier run's socket there is
    /// replaced).
    #[arg(long, global = true, env = "DB_SERVICE_UNIX_SOCKET")]
    unix_socket: Option<PathBuf>,
    /// `mysql://user:password@host:3306/name` keeps the data on a MySQL/MariaDB server, in databases `name_users`
    /// and `name_blog`; unset: SQLite files in DATA_DIR.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Most connections to each MySQL database (per db-service replica).
    #[arg(long, global = true, env = "DB_MAX_CONNECTIONS", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..))]
    db_max_connections: u32,
    /// Seconds to keep retrying an unreachable MySQL server at startup before giving up.
    #[arg(
        long,
        global = true,
        env = "DB_CONNECT_PATIENCE_SECS",
        default_value_t = 60
    )]
    db_connect_patience_secs: u64,
    /// Folder holding users.db and blog.db (created if missing).
    #[arg(long, global = true, env = "DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Folder for backups [default: DATA_DIR/backups].
    #[arg(long, global = true, env = "BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// Seconds between scheduled backups while serving; 0 turns them off.
    #[arg(
        long,
        global = true,
        env = "BACKUP_INTERVAL_SECS",
        default_value_t = 3600
    )]
    backup_interval_secs: u64,
    /// How many backups to keep; older ones are deleted after each new one.
    #[arg(long, global = true, env = "BACKUP_RETENTION", default_value_t = 24,
          value_parser = clap::value_parser!(u32).range(1..))]
    backup_retention: u32,
    /// `s3://bucket/prefix`: also copy every verified backup there, to `<prefix>/<id>/` (AWS S3 or any
    /// S3-compatible store, reached with the AWS_* settings); unset or empty: backups stay on this node.
    #[arg(long, global = true, env = "BACKUP_URL")]
    backup_url: Option<String>,
    /// How many backups to keep in BACKUP_URL [default: BACKUP_RETENTION].
    #[arg(long, global = true, env = "BACKUP_REMOTE_RETENTION",
          value_parser = clap::value_parser!(u32).range(1..))]
    backup_remote_retention: Option<u32>,
    /// How to reach the object store of BACKUP_URL and of `restore s3://…`.
    #[command(flatten)]
    object_store: ObjectStoreArgs,
    /// `full`: a commit is on disk before it is acknowledged, surviving power loss. `normal`: survives any process
    /// crash (kill -9) but may lose the last commits on power loss; faster writes.
    #[arg(
        long,
        global = true,
        env = "DB_SYNCHRONOUS",
        value_enum,
        default_value = "full"
    )]
    synchronous: Durability,
    /// SQLite: how much of each database file its connections read through a memory map, in MiB (0: none, every
    /// page is read with a system call). Mapped pages are the kernel's page cache of the file, shared by every
    /// connection, but a read error on the volume then stops the process (SIGBUS) instead of failing a request.
    #[arg(long, global = true, env = "SQLITE_MMAP_MIB", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(0..=2047))]
    sqlite_mmap_mib: u32,
    /// Most requests handled at once; more wait their turn.
    #[arg(
        long,
        global = true,
        env = "MAX_CONCURRENT_REQUESTS",
        default_value_t = 256
    )]
    max_concurrent_requests: usize,
    /// Shared secret every caller must send in `x-internal-token`. Required unless CONDUIT_ENV=dev.
    #[arg(long, global = true, env = "INTERNAL_TOKEN", hide_env_values = true)]
    internal_token: Option<String>,
    /// `dev` allows the built-in development token; `production` requires a real one.
    #[arg(
        long,
        global = true,
        env = "CONDUIT_ENV",
        value_enum,
        default_value = "production"
    )]
    env: Environment,
    /// Log format.
    #[arg(
        long,
        global = true,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
}

/// The standard AWS settings, as every AWS tool reads them.
#[derive(Debug, Clone, Args)]
pub struct ObjectStoreArgs {
    /// Access key of the object store [default: none: the credentials of the node or pod, from the instance
    /// metadata service].
    #[arg(long, global = true, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    aws_access_key_id: Option<String>,
    /// Secret of AWS_ACCESS_KEY_ID; set both or neither.
    #[arg(
        long,
        global = true,
        env = "AWS_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    aws_secret_access_key: Option<String>,
    /// Session token of temporary credentials.
    #[arg(long, global = true, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    aws_session_token: Option<String>,
    /// Region of the bucket [default: AWS_DEFAULT_REGION, else us-east-1].
    #[arg(long, global = true, env = "AWS_REGION")]
    aws_region: Option<String>,
    /// Region when AWS_REGION is unset.
    #[arg(long, global = true, env = "AWS_DEFAULT_REGION")]
    aws_default_region: Option<String>,
    /// `https://host[:port]` of an S3-compatible store (MinIO, Ceph, R2, …) [default: AWS S3 of the region].
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL")]
    aws_endpoint_url: Option<String>,
    /// `true` allows a plain `http://` AWS_ENDPOINT_URL (a test store on loopback; never across a network).
    #[arg(long, global = true, env = "AWS_ALLOW_HTTP", default_value = "false",
          action = ArgAction::Set, value_parser = BoolishValueParser::new())]
    aws_allow_http: bool,
}

/// How to reach an object store, from [`ObjectStoreArgs`].
#[derive(Debug, Clone)]
pub struct ObjectStoreSettings {
    /// Access key id and secret; `None`: the node's or pod's own credentials.
    pub credentials: Option<(String, SecretString)>,
    /// Session token of temporary credentials.
    pub session_token: Option<SecretString>,
    /// Region of the bucket.
    pub region: String,
    /// Endpoint of an S3-compatible store; `None`: AWS S3.
    pub endpoint: Option<String>,
    /// Whether a plain-HTTP endpoint is allowed.
    pub allow_http: bool,
}

impl Default for ObjectStoreSettings {
    /// AWS S3 in us-east-1 with the node's own credentials: what an empty environment means.
    fn default() -> Self {
        Self {
            credentials: None,
            session_token: None,
            region: "us-east-1".to_owned(),
            endpoint: None,
            allow_http: false,
        }
    }
}

/// Off-node copies of the backups.
#[derive(Debug, Clone)]
pub struct RemoteBackups {
    /// `s3://bucket/prefix`: each backup goes to `<prefix>/<id>/`.
    pub location: S3Location,
    /// Backups kept there.
    pub retention: usize,
}

/// How far a commit must reach before db-service acknowledges it (SQLite `synchronous` in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Durability {
    /// fsync on every commit.
    Full,
    /// fsync at checkpoints only.
    Normal,
}

/// Which database server holds the data.
#[derive(Debug, Clone)]
pub enum Backend {
    /// SQLite files in [`Storage::data_dir`], owned by this one process.
    Sqlite,
    /// A MySQL/MariaDB server shared by every replica.
    Mysql {
        /// `mysql://…`, credentials included.
        url: SecretString,
        /// Pool size per database.
        max_connections: u32,
        /// How long startup retries an unreachable server.
        connect_patience: Duration,
    },
}

/// Where the data and its backups live, and how many backups are kept.
#[derive(Debug, Clone)]
pub struct Storage {
    /// The database server.
    pub backend: Backend,
    /// Folder holding the database files.
    pub data_dir: PathBuf,
    /// Folder holding backups.
    pub backup_dir: PathBuf,
    /// Backups kept.
    pub backup_retention: usize,
    /// Where every backup is copied off the node; `None`: nowhere.
    pub remote: Option<RemoteBackups>,
    /// How to reach an object store (uploads, and `restore s3://…`).
    pub object_store: ObjectStoreSettings,
    /// How far a commit must reach before it is acknowledged.
    pub synchronous: Durability,
    /// SQLite: MiB of each file read through a memory map.
    pub sqlite_mmap_mib: u32,
}

/// Validated configuration of a serving db-service.
#[derive(Debug)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// A Unix socket to serve on as well.
    pub unix_socket: Option<PathBuf>,
    /// Data and backup locations.
    pub storage: Storage,
    /// Time between scheduled backups; `None` when turned off.
    pub backup_interval: Option<Duration>,
    /// Most requests handled at once.
    pub max_concurrent_requests: usize,
    /// Shared secret required on every internal call.
    pub internal_token: SecretString,
    /// Log format.
    pub log_format: LogFormat,
}

/// A configuration that must not be run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A missing, default or weak internal token.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A database URL of a kind db-service does not speak.
    #[error("DATABASE_URL must start with mysql:// (or be unset for SQLite files in DATA_DIR)")]
    UnsupportedDatabaseUrl,
    /// A BACKUP_URL that is not `s3://bucket/prefix`.
    #[error("BACKUP_URL is not usable: {0}")]
    BackupUrl(LocationError),
    /// Off-node backups of a server db-service does not own.
    #[error("BACKUP_URL is for SQLite: a MySQL server is backed up by its operator")]
    BackupUrlOnMysql,
    /// One half of a key pair.
    #[error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together")]
    HalfCredentials,
    /// An endpoint that is not an http(s) URL.
    #[error("AWS_ENDPOINT_URL must start with https:// (or http:// with AWS_ALLOW_HTTP=true)")]
    Endpoint,
    /// Unencrypted transfers not explicitly allowed.
    #[error(
        "AWS_ENDPOINT_URL is plain http: set AWS_ALLOW_HTTP=true to allow it (test stores only)"
    )]
    PlainHttp,
}

impl Settings {
    /// The address this instance listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Data and backup locations (all that the backup commands need).
    pub fn storage(&self) -> Result<Storage, ConfigError> {
        let backend = match self.database_url.as_deref().map(str::trim) {
            None | Some("") => Backend::Sqlite,
            Some(url) if url.starts_with("mysql://") || url.starts_with("mariadb://") => {
                Backend::Mysql {
                    url: url.replacen("mariadb://", "mysql://", 1).into(),
                    max_connections: self.db_max_connections,
                    connect_patience: Duration::from_secs(self.db_connect_patience_secs),
                }
            }
            Some(_) => return Err(ConfigError::UnsupportedDatabaseUrl),
        };
        let remote = match non_empty(&self.backup_url) {
            None => None,
            Some(_) if matches!(backend, Backend::Mysql { .. }) => {
                return Err(ConfigError::BackupUrlOnMysql)
            }
            Some(url) => Some(RemoteBackups {
                location: url.parse().map_err(ConfigError::BackupUrl)?,
                retention: self
                    .backup_remote_retention
                    .unwrap_or(self.backup_retention) as usize,
            }),
        };
        Ok(Storage {
            backend,
            data_dir: self.data_dir.clone(),
            backup_dir: self
                .backup_dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("backups")),
            backup_retention: self.backup_retention as usize,
            remote,
            object_store: self.object_store.settings()?,
            synchronous: self.synchronous,
            sqlite_mmap_mib: self.sqlite_mmap_mib,
        })
    }

    /// Checks the secrets and produces the serving configuration.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let storage = self.storage()?;
        let internal_token = config::internal_token(self.internal_token, self.env)?;
        Ok(Config {
            addr: self.addr,
            unix_socket: self.unix_socket,
            storage,
            backup_interval: (self.backup_interval_secs > 0)
                .then(|| Duration::from_secs(self.backup_interval_secs)),
            max_concurrent_requests: self.max_concurrent_requests.max(1),
            internal_token,
            log_format: self.log_format,
        })
    }
}

impl ObjectStoreArgs {
    fn settings(&self) -> Result<ObjectStoreSettings, ConfigError> {
        let credentials = match (
            non_empty(&self.aws_access_key_id),
            non_empty(&self.aws_secret_access_key),
        ) {
            (Some(id), Some(secret)) => Some((id.to_owned(), secret.to_owned().into())),
            (None, None) => None,
            _ => return Err(ConfigError::HalfCredentials),
        };
        let endpoint = non_empty(&self.aws_endpoint_url).map(str::to_owned);
        match endpoint.as_deref() {
            Some(url) if url.starts_with("http://") && !self.aws_allow_http => {
                return Err(ConfigError::PlainHttp)
            }
            Some(url) if !url.starts_with("https://") && !url.starts_with("http://") => {
                return Err(ConfigError::Endpoint)
            }
            _ => {}
        }
        Ok(ObjectStoreSettings {
            credentials,
            session_token: non_empty(&self.aws_session_token).map(|t| t.to_owned().into()),
            region: non_empty(&self.aws_region)
                .or(non_empty(&self.aws_default_region))
                .unwrap_or("us-east-1")
                .to_owned(),
            endpoint,
            allow_http: self.aws_allow_http,
        })
    }
}

/// A setting that is present and not blank (a Kubernetes Secret may hold a key with an empty value).
fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// SQLite files in `data_dir` (backups in its `backups` folder), whatever the environment says: for tests (they may
/// run with a DATABASE_URL).
#[cfg(test)]
pub fn sqlite_storage_for_test(data_dir: &std::path::Path) -> Storage {
    let data_dir = data_dir.to_str().expect("a UTF-8 path");
    let arguments = ["--env", "dev", "--database-url", "", "--data-dir", data_dir];
    Cli::try_parse_from(std::iter::once("db-service").chain(arguments))
        .expect("arguments")
        .settings
        .storage()
        .expect("storage")
}

#[cfg(test)]
mod tests {
    use conduit_runtime::config::DEV_INTERNAL_TOKEN;

    use super::*;

    /// INTERNAL_TOKEN is checked like every secret (`conduit_runtime::config::secret`, tested there).
    #[test]
    fn production_needs_a_real_internal_token() {
        for (args, refused) in [
            (&[][..], SecretError::Missing("INTERNAL_TOKEN")),
            (
                &["--internal-token", DEV_INTERNAL_TOKEN][..],
                SecretError::DevDefaultInProduction("INTERNAL_TOKEN"),
            ),
        ] {
            let args = [&["--env", "production"][..], args].concat();
            match cli(&args).settings.into_config().err() {
                Some(ConfigError::Secret(e)) => assert_eq!(e, refused),
                other => panic!("{args:?} must be refused for its token, got {other:?}"),
            }
        }
    }

    #[test]
    fn dev_mode_falls_back_to_the_dev_token() {
        let config = cli(&["--env", "dev"])
            .settings
            .into_config()
            .expect("dev config");
        use secrecy::ExposeSecret;
        assert_eq!(config.internal_token.expose_secret(), DEV_INTERNAL_TOKEN);
    }

    #[test]
    fn backups_default_to_a_folder_in_the_data_dir_and_can_be_turned_off() {
        let parsed = cli(&[
            "--env",
            "dev",
            "--data-dir",
            "/srv/x",
            "--backup-interval-secs",
            "0",
            "serve",
        ]);
        assert!(matches!(parsed.command, Some(Command::Serve)));
        let config = parsed.settings.into_config().expect("config");
        assert_eq!(config.storage.backup_dir, PathBuf::from("/srv/x/backups"));
        assert_eq!(config.backup_interval, None);
    }

    #[test]
    fn a_mysql_url_selects_mysql_and_other_urls_are_refused() {
        let mysql = cli(&["--database-url", "mysql://u:p@db:3306/conduit"])
            .settings
            .storage()
            .expect("mysql storage");
        assert!(matches!(
            mysql.backend,
            Backend::Mysql {
                max_connections: 16,
                ..
            }
        ));
        let sqlite = cli(&[]).settings.storage().expect("sqlite storage");
        assert!(matches!(sqlite.backend, Backend::Sqlite));
        let err = cli(&["--database-url", "postgres://db/conduit"])
            .settings
            .storage()
            .expect_err("must fail");
        assert!(matches!(err, ConfigError::UnsupportedDatabaseUrl));
    }

    #[test]
    fn subcommands_take_their_paths_and_settings_anywhere() {
        let parsed = cli(&["restore", "/b/1", "--data-dir", "/d"]);
        assert!(
            matches!(parsed.command, Some(Command::Restore { path: BackupSource::Local(ref path) }) if path == &PathBuf::from("/b/1"))
        );
        assert_eq!(
            parsed.settings.storage().expect("storage").data_dir,
            PathBuf::from("/d")
        );
        assert!(Cli::try_parse_from(["db-service", "backup", "--backup-retention", "0"]).is_err());
        let parsed = cli(&["restore", "s3://bucket/conduit/20261201T013000.123Z"]);
        assert!(matches!(
            parsed.command,
            Some(Command::Restore {
                path: BackupSource::Remote { .. }
            })
        ));
        assert!(Cli::try_parse_from(["db-service", "restore", "s3://bucket/conduit"]).is_err());
    }

    #[test]
    fn backup_url_turns_on_off_node_copies_with_their_own_retention() {
        let storage = cli(&[
            "--backup-url",
            "s3://conduit-backups/prod",
            "--backup-retention",
            "3",
        ])
        .settings
        .storage()
        .expect("storage");
        let remote = storage.remote.expect("off-node copies");
        assert_eq!(remote.location.to_string(), "s3://conduit-backups/prod");
        assert_eq!(remote.retention, 3, "defaults to BACKUP_RETENTION");
        assert_eq!(storage.object_store.region, "us-east-1");
        let storage = cli(&[
            "--backup-url",
            "s3://conduit-backups",
            "--backup-remote-retention",
            "48",
            "--aws-default-region",
            "eu-west-1",
        ])
        .settings
        .storage()
        .expect("storage");
        assert_eq!(storage.remote.expect("remote").retention, 48);
        assert_eq!(storage.object_store.region, "eu-west-1");
        let blank = cli(&["--backup-url", " "])
            .settings
            .storage()
            .expect("blank");
        assert!(blank.remote.is_none(), "a blank BACKUP_URL means none");
    }

    #[test]
    fn bad_object_store_settings_stop_startup_naming_the_variable() {
        let err = |args: &[&str]| {
            cli(args)
                .settings
                .storage()
                .expect_err("must fail")
                .to_string()
        };
        assert!(err(&["--backup-url", "https://bucket/x"]).starts_with("BACKUP_URL"));
        assert!(err(&["--aws-access-key-id", "AKIA"]).contains("AWS_SECRET_ACCESS_KEY"));
        assert!(err(&["--aws-endpoint-url", "http://127.0.0.1:9000"]).contains("AWS_ALLOW_HTTP"));
        assert!(err(&["--aws-endpoint-url", "minio:9000"]).starts_with("AWS_ENDPOINT_URL"));
        assert!(err(&[
            "--database-url",
            "mysql://u:p@db/conduit",
            "--backup-url",
            "s3://bucket/x"
        ])
        .contains("MySQL"));
        let settings = cli(&[
            "--aws-endpoint-url",
            "http://127.0.0.1:9000",
            "--aws-allow-http",
            "true",
        ])
        .settings
        .storage()
        .expect("allowed")
        .object_store;
        assert!(settings.allow_http);
        assert_eq!(settings.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    }

    /// The command line `db-service <args>`.
    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("db-service").chain(args.iter().copied()))
            .expect("valid arguments")
    }
}
