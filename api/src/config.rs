//! Configuration, read once at startup from flags or the environment.

use std::{net::SocketAddr, num::NonZeroU32, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

/// JWT secret accepted in dev mode only.
pub const DEV_JWT_SECRET: &str = "dev-jwt-secret-do-not-use-in-production";
/// Internal token accepted in dev mode only (db-service has the same default).
pub const DEV_INTERNAL_TOKEN: &str = "dev-internal-token";

/// Command line of the `api` binary; every flag can also come from the environment variable it names.
#[derive(Debug, Parser)]
#[command(version, about = "Conduit's public RealWorld API")]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Address to listen on.
    #[arg(long, env = "API_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Base URL of db-service.
    #[arg(long, env = "DB_SERVICE_URL", default_value = "http://127.0.0.1:3001")]
    db_service_url: String,
    /// Shared secret sent to db-service. Required unless CONDUIT_ENV=dev.
    #[arg(long, env = "INTERNAL_TOKEN", hide_env_values = true)]
    internal_token: Option<String>,
    /// HMAC secret that signs user tokens, at least 32 characters. Required unless CONDUIT_ENV=dev.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// How long a user token stays valid, in seconds (default 30 days).
    #[arg(long, env = "JWT_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    jwt_ttl_secs: u64,
    /// How long one db-service call may take before the request fails with 503, in milliseconds.
    #[arg(long, env = "DB_TIMEOUT_MS", default_value_t = 5000)]
    db_timeout_ms: u64,
    /// What this instance serves: everything, one service (users or posts), or one CRUD operation of posts.
    #[arg(long, env = "API_ROLE", value_enum, default_value = "all")]
    role: Role,
    /// Login attempts allowed per client address per minute.
    #[arg(long, env = "LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", default_value = "30")]
    login_attempts_per_ip: NonZeroU32,
    /// Login attempts allowed per account (e-mail) per minute.
    #[arg(
        long,
        env = "LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE",
        default_value = "10"
    )]
    login_attempts_per_account: NonZeroU32,
    /// `dev` allows built-in secrets; `production` requires real ones.
    #[arg(long, env = "CONDUIT_ENV", value_enum, default_value = "production")]
    env: Environment,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
}

/// The commands of the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Exit 0 when the api listening on API_ADDR answers /healthz (for container HEALTHCHECKs).
    Healthcheck,
}

/// The routes an instance serves (DESIGN.md: users and posts are separate services, down to one pod per CRUD
/// operation of posts, routed by HTTP method).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// Every route.
    All,
    /// Users, auth and profiles.
    Users,
    /// Articles, comments, favorites and tags.
    Posts,
    /// Posts routes, GET only.
    Read,
    /// Posts routes, POST only.
    Create,
    /// Posts routes, PUT only.
    Update,
    /// Posts routes, DELETE only.
    Delete,
}

impl Role {
    /// The name used in `API_ROLE` and in readiness answers.
    pub fn name(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Users => "users",
            Role::Posts => "posts",
            Role::Read => "read",
            Role::Create => "create",
            Role::Update => "update",
            Role::Delete => "delete",
        }
    }
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

/// Validated configuration of a running api.
#[derive(Debug)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Base URL of db-service.
    pub db_service_url: String,
    /// Shared secret sent to db-service.
    pub internal_token: SecretString,
    /// HMAC secret for user tokens.
    pub jwt_secret: SecretString,
    /// Lifetime of a user token.
    pub jwt_ttl: Duration,
    /// Bound on each db-service call.
    pub db_timeout: Duration,
    /// The routes this instance serves.
    pub role: Role,
    /// Login attempts per client address per minute.
    pub login_attempts_per_ip: NonZeroU32,
    /// Login attempts per account per minute.
    pub login_attempts_per_account: NonZeroU32,
    /// Log format.
    pub log_format: LogFormat,
}

/// A configuration that must not be run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A secret is missing in production.
    #[error("{0} must be set (or run with CONDUIT_ENV=dev)")]
    Missing(&'static str),
    /// A development default used in production.
    #[error("{0} must not be the development default outside CONDUIT_ENV=dev")]
    DevSecretInProduction(&'static str),
    /// A secret too short to resist guessing.
    #[error("{0} must be at least {1} characters")]
    TooShort(&'static str, usize),
}

impl Cli {
    /// The address this instance listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Checks the secrets and produces the configuration.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let dev = self.env == Environment::Dev;
        let jwt_secret = secret("JWT_SECRET", self.jwt_secret, DEV_JWT_SECRET, 32, dev)?;
        let internal_token = secret(
            "INTERNAL_TOKEN",
            self.internal_token,
            DEV_INTERNAL_TOKEN,
            16,
            dev,
        )?;
        Ok(Config {
            addr: self.addr,
            db_service_url: self.db_service_url,
            internal_token,
            jwt_secret,
            jwt_ttl: Duration::from_secs(self.jwt_ttl_secs),
            db_timeout: Duration::from_millis(self.db_timeout_ms),
            role: self.role,
            login_attempts_per_ip: self.login_attempts_per_ip,
            login_attempts_per_account: self.login_attempts_per_account,
            log_format: self.log_format,
        })
    }
}

fn secret(
    name: &'static str,
    value: Option<String>,
    dev_default: &str,
    min_len: usize,
    dev: bool,
) -> Result<SecretString, ConfigError> {
    let value: SecretString = match value {
        Some(v) if !dev && v == dev_default => {
            return Err(ConfigError::DevSecretInProduction(name))
        }
        Some(v) => v.into(),
        None if dev => dev_default.into(),
        None => return Err(ConfigError::Missing(name)),
    };
    if value.expose_secret().len() < min_len {
        return Err(ConfigError::TooShort(name, min_len));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("api").chain(args.iter().copied()))
            .expect("valid arguments")
    }

    #[test]
    fn production_refuses_the_default_jwt_secret() {
        let err = cli(&[
            "--env",
            "production",
            "--jwt-secret",
            DEV_JWT_SECRET,
            "--internal-token",
            "0123456789abcdef0",
        ])
        .into_config()
        .expect_err("must refuse");
        assert!(matches!(
            err,
            ConfigError::DevSecretInProduction("JWT_SECRET")
        ));
    }

    #[test]
    fn production_requires_a_jwt_secret() {
        let err = cli(&[
            "--env",
            "production",
            "--internal-token",
            "0123456789abcdef0",
        ])
        .into_config()
        .expect_err("must refuse");
        assert!(matches!(err, ConfigError::Missing("JWT_SECRET")));
    }

    #[test]
    fn short_jwt_secrets_are_refused() {
        let err = cli(&["--env", "dev", "--jwt-secret", "short"])
            .into_config()
            .expect_err("must refuse");
        assert!(matches!(err, ConfigError::TooShort("JWT_SECRET", 32)));
    }

    #[test]
    fn dev_mode_runs_with_built_in_secrets() {
        let config = cli(&["--env", "dev"]).into_config().expect("dev config");
        assert_eq!(config.jwt_secret.expose_secret(), DEV_JWT_SECRET);
    }
}
