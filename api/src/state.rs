//! Shared state handed to every handler.

use std::sync::Arc;

use db_client::DbClient;
use secrecy::ExposeSecret;

use crate::{
    auth::TokenKeys, config::Config, password::Hasher, rate_limit::Limits,
    token_versions::TokenVersions,
};

/// Shared by every request; cloning it (axum does, per request) is one reference count.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Shared {
    /// db-service, with a keep-alive connection pool.
    pub db: DbClient,
    /// Signs and checks user tokens.
    pub tokens: Arc<TokenKeys>,
    /// Slows down password guessing and mass sign-ups.
    pub limits: Limits,
    /// Hashes passwords, a bounded number at a time.
    pub hasher: Hasher,
    /// Which token version of each user is current.
    pub token_versions: TokenVersions,
    /// The site's public address (`PUBLIC_URL`, no trailing slash), when configured.
    pub public_url: Option<String>,
}

impl AppState {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let db = DbClient::new(
            &config.db_service_url,
            config.internal_token.expose_secret(),
            config.db_timeout,
        )?;
        Ok(Self(Arc::new(Shared {
            db,
            tokens: Arc::new(TokenKeys::new(&config.jwt_secret, config.jwt_ttl)),
            limits: Limits::new(config.quotas),
            hasher: Hasher::per_core(),
            token_versions: TokenVersions::default(),
            public_url: config.public_url.clone(),
        })))
    }
}
