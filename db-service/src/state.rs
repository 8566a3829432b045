//! Shared state handed to every handler.

use std::sync::Arc;

use secrecy::SecretString;

use crate::{backup::Backups, store::Store};

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
}

impl Shared {
    pub fn new_state(store: Store, backups: Backups, internal_token: SecretString) -> AppState {
        Arc::new(Self {
            store,
            backups,
            internal_token,
        })
    }
}
