//! Configuration, read once at startup from flags or the environment.

use std::{net::SocketAddr, num::NonZeroU32, path::PathBuf, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};
use conduit_runtime::config::{self, secret, Environment, LogFormat, SecretError};
use secrecy::SecretString;

use crate::rate_limit::Quotas;

/// JWT secret accepted in dev mode only.
pub const DEV_JWT_SECRET: &str = "dev-jwt-secret-do-not-use-in-production";
/// Shortest JWT secret accepted.
const MIN_JWT_SECRET_CHARS: usize = 32;

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
    /// A Unix socket to serve on as well, for a proxy on the same machine (an earlier run's socket there is
    /// replaced).
    #[arg(long, env = "API_UNIX_SOCKET")]
    unix_socket: Option<PathBuf>,
    /// Base URL of db-service: `http://host:port`, or `unix:/path/to/socket` for one on the same machine.
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
    /// Login attempts allowed per account (e-mail) from one client address per minute.
    #[arg(
        long,
        env = "LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE",
        default_value = "10"
    )]
    login_attempts_per_account: NonZeroU32,
    /// The site's public address (`https://conduit.example`), for the absolute links of feeds, sitemaps and link
    /// previews; unset: the address each request came to.
    #[arg(long, env = "PUBLIC_URL")]
    public_url: Option<String>,
    /// Sign-ups allowed per client address per minute.
    #[arg(long, env = "SIGNUPS_PER_IP_PER_MINUTE", default_value = "10")]
    signups_per_ip: NonZeroU32,
    /// Write attempts (new articles and comments, favorites, follows, edits, deletions, settings changes) allowed
    /// per user per minute, each as a burst.
    #[arg(long, env = "WRITES_PER_USER_PER_MINUTE", default_value = "120")]
    writes_per_user: NonZeroU32,
    /// Searches (list requests with words in `q`) allowed per client address (an IPv6 client by its /64) per
    /// minute, each as a burst.
    #[arg(long, env = "SEARCHES_PER_IP_PER_MINUTE", default_value = "60")]
    searches_per_ip: NonZeroU32,
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

/// Validated configuration of a running api.
#[derive(Debug)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// A Unix socket to serve on as well.
    pub unix_socket: Option<PathBuf>,
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
    /// Logins and sign-ups allowed per minute.
    pub quotas: Quotas,
    /// The site's public address without a trailing slash, when configured.
    pub public_url: Option<String>,
    /// Log format.
    pub log_format: LogFormat,
}

/// A configuration that must not be run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A missing, default or weak secret.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A public address that is not one.
    #[error("PUBLIC_URL must be an http:// or https:// address without spaces, e.g. https://conduit.example")]
    PublicUrl,
}

impl Cli {
    /// The address this instance listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Checks the secrets and produces the configuration.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let jwt_secret = secret(
            "JWT_SECRET",
            self.jwt_secret,
            DEV_JWT_SECRET,
            MIN_JWT_SECRET_CHARS,
            self.env,
        )?;
        let internal_token = config::internal_token(self.internal_token, self.env)?;
        Ok(Config {
            addr: self.addr,
            unix_socket: self.unix_socket,
            db_service_url: self.db_service_url,
            internal_token,
            jwt_secret,
            jwt_ttl: Duration::from_secs(self.jwt_ttl_secs),
            db_timeout: Duration::from_millis(self.db_timeout_ms),
            role: self.role,
            public_url: self.public_url.map(public_url).transpose()?,
            quotas: Quotas {
                logins_per_client: self.login_attempts_per_ip,
                logins_per_account_and_client: self.login_attempts_per_account,
                signups_per_client: self.signups_per_ip,
                writes_per_user: self.writes_per_user,
                searches_per_client: self.searches_per_ip,
            },
            log_format: self.log_format,
        })
    }
}

/// `url` without its trailing slashes, if it is an http(s) address.
fn public_url(url: String) -> Result<String, ConfigError> {
    let url = url.trim_end_matches('/');
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(ConfigError::PublicUrl)?;
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::PublicUrl);
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("api").chain(args.iter().copied()))
            .expect("valid arguments")
    }

    /// Each secret goes through the shared check (`conduit_runtime::config::secret`, tested there) by its name.
    #[test]
    fn every_secret_is_checked_under_its_own_name() {
        const TOKEN: &str = "0123456789abcdef0";
        let jwt = "j".repeat(40);
        let refused = |args: &[&str]| match cli(args).into_config().err() {
            Some(ConfigError::Secret(e)) => e,
            other => panic!("{args:?} must be refused for a secret, got {other:?}"),
        };
        fn production<'a>(more: &[&'a str]) -> Vec<&'a str> {
            [&["--env", "production"][..], more].concat()
        }
        assert_eq!(
            refused(&production(&[
                "--jwt-secret",
                DEV_JWT_SECRET,
                "--internal-token",
                TOKEN
            ])),
            SecretError::DevDefaultInProduction("JWT_SECRET")
        );
        assert_eq!(
            refused(&production(&["--internal-token", TOKEN])),
            SecretError::Missing("JWT_SECRET")
        );
        assert_eq!(
            refused(&production(&["--jwt-secret", &jwt])),
            SecretError::Missing("INTERNAL_TOKEN")
        );
        assert_eq!(
            refused(&["--env", "dev", "--jwt-secret", "short"]),
            SecretError::TooShort("JWT_SECRET", 32)
        );
    }

    #[test]
    fn dev_mode_runs_with_built_in_secrets() {
        use secrecy::ExposeSecret;
        let config = cli(&["--env", "dev"]).into_config().expect("dev config");
        assert_eq!(config.jwt_secret.expose_secret(), DEV_JWT_SECRET);
    }

    #[test]
    fn the_public_url_must_be_an_http_address() {
        let url = |u: &str| {
            cli(&["--env", "dev", "--public-url", u])
                .into_config()
                .map(|c| c.public_url)
        };
        assert_eq!(
            url("https://conduit.example/").ok().flatten().as_deref(),
            Some("https://conduit.example")
        );
        for bad in ["conduit.example", "ftp://x", "https://", "https://a b"] {
            assert!(matches!(url(bad), Err(ConfigError::PublicUrl)), "{bad}");
        }
    }
}
