//! Command line and configuration, read once at startup from flags or the environment.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand, ValueEnum};
use conduit_runtime::config::{
    secret, Environment, LogFormat, SecretError, DEV_INTERNAL_TOKEN, MIN_INTERNAL_TOKEN_CHARS,
};
use secrecy::SecretString;

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
    /// Take one verified backup of DATA_DIR now (works while the service runs) and print its folder.
    Backup,
    /// Check a backup folder against its manifest (sizes, SHA-256, integrity_check).
    Verify {
        /// The backup folder.
        path: PathBuf,
    },
    /// Replace the databases in DATA_DIR with a verified backup. Refuses while db-service is running; the
    /// replaced files are kept in DATA_DIR/replaced-before-<time>/.
    Restore {
        /// The backup folder.
        path: PathBuf,
    },
    /// Write every user, follow, article, tag, favorite and comment to FILE (JSON Lines), from the SQLite files
    /// in DATA_DIR (while db-service runs) or from DATABASE_URL. With `import`, moves an installation between
    /// backends.
    Export {
        /// The file to write (replaced if it exists).
        file: PathBuf,
    },
    /// Load an export into DATABASE_URL (or the SQLite files in DATA_DIR), which must hold no data yet; checks
    /// the whole file first and the row counts after.
    Import {
        /// The file `export` wrote.
        file: PathBuf,
    },
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
    /// How far a commit must reach before it is acknowledged.
    pub synchronous: Durability,
}

/// Validated configuration of a serving db-service.
#[derive(Debug)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
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
        Ok(Storage {
            backend,
            data_dir: self.data_dir.clone(),
            backup_dir: self
                .backup_dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("backups")),
            backup_retention: self.backup_retention as usize,
            synchronous: self.synchronous,
        })
    }

    /// Checks the secrets and produces the serving configuration.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let storage = self.storage()?;
        let internal_token = secret(
            "INTERNAL_TOKEN",
            self.internal_token,
            DEV_INTERNAL_TOKEN,
            MIN_INTERNAL_TOKEN_CHARS,
            self.env,
        )?;
        Ok(Config {
            addr: self.addr,
            storage,
            backup_interval: (self.backup_interval_secs > 0)
                .then(|| Duration::from_secs(self.backup_interval_secs)),
            max_concurrent_requests: self.max_concurrent_requests.max(1),
            internal_token,
            log_format: self.log_format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("db-service").chain(args.iter().copied()))
            .expect("valid arguments")
    }

    #[test]
    fn production_without_a_token_is_refused() {
        let err = cli(&["--env", "production"])
            .settings
            .into_config()
            .expect_err("must fail");
        assert!(matches!(
            err,
            ConfigError::Secret(SecretError::Missing("INTERNAL_TOKEN"))
        ));
    }

    #[test]
    fn the_dev_token_is_refused_in_production() {
        let err = cli(&[
            "--env",
            "production",
            "--internal-token",
            DEV_INTERNAL_TOKEN,
        ])
        .settings
        .into_config()
        .expect_err("must fail");
        assert!(matches!(
            err,
            ConfigError::Secret(SecretError::DevDefaultInProduction("INTERNAL_TOKEN"))
        ));
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
            matches!(parsed.command, Some(Command::Restore { ref path }) if path == &PathBuf::from("/b/1"))
        );
        assert_eq!(
            parsed.settings.storage().expect("storage").data_dir,
            PathBuf::from("/d")
        );
        assert!(Cli::try_parse_from(["db-service", "backup", "--backup-retention", "0"]).is_err());
    }
}
