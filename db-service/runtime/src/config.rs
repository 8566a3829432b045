//! Settings both services read the same way: where they run, how they log, and the secrets they refuse.

use clap::ValueEnum;
use secrecy::{ExposeSecret, SecretString};

/// The internal token both services accept in dev mode only, so `make dev` works without setup.
pub const DEV_INTERNAL_TOKEN: &str = "dev-internal-token";

/// Shortest internal token accepted.
pub const MIN_INTERNAL_TOKEN_CHARS: usize = 16;

/// Where a service runs, which decides whether development defaults are acceptable.
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

/// A secret that must not be run with.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Not set outside dev mode.
    #[error("{0} must be set (or run with CONDUIT_ENV=dev)")]
    Missing(&'static str),
    /// The development default outside dev mode.
    #[error("{0} must not be the development default outside CONDUIT_ENV=dev")]
    DevDefaultInProduction(&'static str),
    /// Too short to resist guessing.
    #[error("{0} must be at least {1} characters")]
    TooShort(&'static str, usize),
}

/// The secret in variable `name`: `value` when set (never the dev default outside dev mode), the dev default in
/// dev mode, and in every case at least `min_chars` long.
pub fn secret(
    name: &'static str,
    value: Option<String>,
    dev_default: &str,
    min_chars: usize,
    environment: Environment,
) -> Result<SecretString, SecretError> {
    let dev = environment == Environment::Dev;
    let value: SecretString = match value {
        Some(v) if !dev && v == dev_default => {
            return Err(SecretError::DevDefaultInProduction(name))
        }
        Some(v) => v.into(),
        None if dev => dev_default.into(),
        None => return Err(SecretError::Missing(name)),
    };
    if value.expose_secret().chars().count() < min_chars {
        return Err(SecretError::TooShort(name, min_chars));
    }
    Ok(value)
}

/// The internal token api and db-service share, from `INTERNAL_TOKEN`: [`DEV_INTERNAL_TOKEN`] in dev mode only,
/// and at least [`MIN_INTERNAL_TOKEN_CHARS`] long.
pub fn internal_token(
    value: Option<String>,
    environment: Environment,
) -> Result<SecretString, SecretError> {
    secret(
        "INTERNAL_TOKEN",
        value,
        DEV_INTERNAL_TOKEN,
        MIN_INTERNAL_TOKEN_CHARS,
        environment,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "INTERNAL_TOKEN";

    fn token(value: Option<&str>, environment: Environment) -> Result<String, SecretError> {
        secret(
            NAME,
            value.map(str::to_owned),
            DEV_INTERNAL_TOKEN,
            16,
            environment,
        )
        .map(|s| s.expose_secret().to_owned())
    }

    #[test]
    fn production_needs_a_real_secret_of_enough_length() {
        assert_eq!(
            token(None, Environment::Production),
            Err(SecretError::Missing(NAME))
        );
        assert_eq!(
            token(Some(DEV_INTERNAL_TOKEN), Environment::Production),
            Err(SecretError::DevDefaultInProduction(NAME))
        );
        assert_eq!(
            token(Some("short"), Environment::Production),
            Err(SecretError::TooShort(NAME, 16))
        );
        assert_eq!(
            token(Some("0123456789abcdef"), Environment::Production).as_deref(),
            Ok("0123456789abcdef")
        );
    }

    #[test]
    fn dev_mode_falls_back_to_the_default_but_still_checks_the_length() {
        assert_eq!(
            token(None, Environment::Dev).as_deref(),
            Ok(DEV_INTERNAL_TOKEN)
        );
        assert_eq!(
            token(Some("short"), Environment::Dev),
            Err(SecretError::TooShort(NAME, 16))
        );
    }
}
