//! Configuration, read once at startup from flags or the environment.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, ValueEnum};
use secrecy::SecretString;

/// Token accepted in dev mode only, so `make dev` works without setup.
pub const DEV_INTERNAL_TOKEN: &str = "dev-internal-token";

/// Command line of the `db-service` binary; every flag can also come from the environment variable it names.
#[derive(Debug, Parser)]
#[command(version, about = "Conduit's Database Service")]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, env = "DB_SERVICE_ADDR", default_value = "127.0.0.1:3001")]
    addr: SocketAddr,
    /// Folder holding users.db and blog.db (created if missing).
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Shared secret every caller must send in `x-internal-token`. Required unless CONDUIT_ENV=dev.
    #[arg(long, env = "INTERNAL_TOKEN", hide_env_values = true)]
    internal_token: Option<String>,
    /// `dev` allows the built-in development token; `production` requires a real one.
    #[arg(long, env = "CONDUIT_ENV", value_enum, default_value = "production")]
    env: Environment,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
}

/// Where the service runs, which decides whether development defaults are acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// Local development: built-in secrets allowed.
    Dev,
    /// Anything real: every secret must be configured.
    Production,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Validated configuration of a running db-service.
#[derive(Debug)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Folder holding the database files.
    pub data_dir: PathBuf,
    /// Shared secret required on every internal call.
    pub internal_token: SecretString,
    /// Log format.
    pub log_format: LogFormat,
}

/// A configuration that must not be run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No token in production.
    #[error("INTERNAL_TOKEN must be set (or run with CONDUIT_ENV=dev)")]
    MissingToken,
    /// The dev token in production.
    #[error("INTERNAL_TOKEN must not be the development token outside CONDUIT_ENV=dev")]
    DevTokenInProduction,
    /// A token too short to resist guessing.
    #[error("INTERNAL_TOKEN must be at least 16 characters")]
    WeakToken,
}

impl Cli {
    /// Checks the secrets and produces the configuration.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let token = match (self.internal_token, self.env) {
            (Some(token), Environment::Production) if token == DEV_INTERNAL_TOKEN => {
                return Err(ConfigError::DevTokenInProduction)
            }
            (Some(token), _) if token.len() < 16 => return Err(ConfigError::WeakToken),
            (Some(token), _) => token,
            (None, Environment::Dev) => DEV_INTERNAL_TOKEN.to_owned(),
            (None, Environment::Production) => return Err(ConfigError::MissingToken),
        };
        Ok(Config {
            addr: self.addr,
            data_dir: self.data_dir,
            internal_token: token.into(),
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
            .into_config()
            .expect_err("must fail");
        assert!(matches!(err, ConfigError::MissingToken));
    }

    #[test]
    fn the_dev_token_is_refused_in_production() {
        let err = cli(&[
            "--env",
            "production",
            "--internal-token",
            DEV_INTERNAL_TOKEN,
        ])
        .into_config()
        .expect_err("must fail");
        assert!(matches!(err, ConfigError::DevTokenInProduction));
    }

    #[test]
    fn dev_mode_falls_back_to_the_dev_token() {
        let config = cli(&["--env", "dev"]).into_config().expect("dev config");
        use secrecy::ExposeSecret;
        assert_eq!(config.internal_token.expose_secret(), DEV_INTERNAL_TOKEN);
    }
}
