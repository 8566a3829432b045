//! Shared state handed to every handler.

use std::sync::Arc;

use secrecy::SecretString;

use crate::{backup::Backups, store::Store};

/// Cheap to clone: the store's pools are reference-counted, the token is behind an `Arc`.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Both databases.
    pub store: Store,
    /// Where backups go.
    pub backups: Backups,
    /// The internal token callers must present.
    pub internal_token: Arc<SecretString>,
}
