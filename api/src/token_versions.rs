//! Which user tokens are current. A token carries the token version its user had when it was issued; every
//! password change bumps the version (db-service), and a token of another version is refused. Versions are
//! cached here for [`FRESH_FOR`], so a password change on one api instance takes effect on the others within
//! that time, and on this one at once.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use db_client::{DbClient, DbError, UserId};

use crate::error::ApiError;

/// How long a user's version is taken from the cache before it is asked again.
const FRESH_FOR: Duration = Duration::from_secs(10);

/// Users whose versions are cached at most; beyond, the cache starts over (it only saves requests).
const MAX_USERS: usize = 100_000;

/// The current token version per user, cached. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct TokenVersions {
    cached: Arc<Mutex<HashMap<UserId, (i64, Instant)>>>,
}

impl TokenVersions {
    /// Whether `version` is `user`'s current one; asks db-service unless a fresh answer is cached. A user who no
    /// longer exists has no current token.
    pub async fn is_current(
        &self,
        db: &DbClient,
        user: UserId,
        version: i64,
    ) -> Result<bool, ApiError> {
        if let Some(current) = self.cached(user) {
            return Ok(current == version);
        }
        let current = match db.find_user_by_id(user).await {
            Ok(record) => record.token_version,
            Err(DbError::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        self.remember(user, current);
        Ok(current == version)
    }

    /// Records `user`'s version as known now (after a password change here, so it applies at once).
    pub fn remember(&self, user: UserId, version: i64) {
        if let Ok(mut cached) = self.cached.lock() {
            if cached.len() >= MAX_USERS {
                cached.clear();
            }
            cached.insert(user, (version, Instant::now()));
        }
    }

    fn cached(&self, user: UserId) -> Option<i64> {
        let cached = self.cached.lock().ok()?;
        cached
            .get(&user)
            .filter(|(_, at)| at.elapsed() < FRESH_FOR)
            .map(|(version, _)| *version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_version_is_answered_from_the_cache() {
        let versions = TokenVersions::default();
        versions.remember(UserId(1), 3);
        assert_eq!(versions.cached(UserId(1)), Some(3));
        assert_eq!(versions.cached(UserId(2)), None);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let versions = TokenVersions::default();
        for id in 0..(MAX_USERS as i64 + 10) {
            versions.remember(UserId(id), 0);
        }
        let size = versions
            .cached
            .lock()
            .map(|c| c.len())
            .unwrap_or(usize::MAX);
        assert!(size <= MAX_USERS, "{size}");
    }
}
