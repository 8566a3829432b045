//! Shared state handed to every handler.

use std::{sync::Arc, time::Duration};

use secrecy::SecretString;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{backup::Backups, error::ServiceError, store::Store};

/// Shared by every request; cloning it (axum does, several times per request: the route, the token check, the
/// handler) is one reference count. Cloning the store itself touches every pool's and writer's count, which was
/// 7.2 % of db-service's perf samples serving cached reads (signed-in `/api/tags` through the stack).
pub type AppState = Arc<Shared>;

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Shared {
    /// Both databases.
    pub store: Store,
    /// Where backups go.
    pub backups: Backups,
    /// The internal token callers must present.
    pub internal_token: SecretString,
    /// Whose turn it is to search.
    pub searches: SearchTurns,
}

impl Shared {
    pub fn new_state(store: Store, backups: Backups, internal_token: SecretString) -> AppState {
        Arc::new(Self {
            store,
            backups,
            internal_token,
            searches: SearchTurns::default(),
        })
    }
}

/// Searches run one at a time (one answered from the read cache takes its turn only briefly). A search for a word
/// most articles hold reads the index entry of every one of them (bm25, store/search.rs: about 80 ms of a core at
/// 1,000,000 articles), so a crowd of such searches would otherwise take every core from everyone else; this way
/// they take one at most, and wait for each other.
#[derive(Debug, Clone)]
pub struct SearchTurns(Arc<Semaphore>);

impl Default for SearchTurns {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(1)))
    }
}

impl SearchTurns {
    /// How long a search waits for its turn before it is answered 503.
    const MAX_WAIT: Duration = Duration::from_secs(2);

    /// Waits for this search's turn (held until the permit is dropped), or `Busy` after [`Self::MAX_WAIT`].
    pub async fn take(&self) -> Result<OwnedSemaphorePermit, ServiceError> {
        tokio::time::timeout(Self::MAX_WAIT, Arc::clone(&self.0).acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or(ServiceError::Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_search_at_a_time_and_the_next_waits_at_most_its_bound() {
        let turns = SearchTurns::default();
        let first = turns.take().await.expect("first turn");
        assert!(matches!(turns.take().await, Err(ServiceError::Busy)));
        drop(first);
        assert!(turns.take().await.is_ok());
    }
}
