//! Shared state handed to every handler.

use std::sync::Arc;

use secrecy::SecretString;

use crate::store::Store;

/// Cheap to clone: the store's pools are reference-counted, the token is behind an `Arc`.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Both databases.
    pub store: Store,
    /// The internal token callers must present.
    pub internal_token: Arc<SecretString>,
}

impl AppState {
    pub fn new(store: Store, internal_token: SecretString) -> Self {
        Self {
            store,
            internal_token: Arc::new(internal_token),
        }
    }
}
