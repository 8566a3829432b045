//! Who is signed in: the user in a signal provided at the root, the token in localStorage under `jwtToken`.

use api_types::User;
use leptos::prelude::*;

const TOKEN_KEY: &str = "jwtToken";

/// The signed-in user, shared through context. `None` while signed out.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    user: RwSignal<Option<User>>,
}

impl Session {
    /// Provides the session at the root and restores the user behind a stored token. A token the server
    /// rejects is dropped (the user then sees the signed-out UI).
    pub fn provide() -> Self {
        let session = Session {
            user: RwSignal::new(None),
        };
        provide_context(session);
        if stored_token().is_some() {
            leptos::task::spawn_local(async move {
                match crate::api::users::current().await {
                    Ok(user) => session.user.set(Some(user)),
                    Err(_) if stored_token().is_none() => session.user.set(None),
                    Err(_) => {}
                }
            });
        }
        session
    }

    /// The session provided at the root.
    pub fn get() -> Self {
        use_context::<Session>().unwrap_or_else(|| Session {
            user: RwSignal::new(None),
        })
    }

    /// The signed-in user, tracked.
    pub fn user(&self) -> Option<User> {
        self.user.get()
    }

    /// Whether someone is signed in, tracked.
    pub fn signed_in(&self) -> bool {
        self.user.with(Option::is_some)
    }

    /// Stores the token and makes `user` the signed-in user.
    pub fn sign_in(&self, user: User) {
        if let Some(storage) = local_storage() {
            // A failed write (private mode, quota) only costs persistence across reloads.
            let _ = storage.set_item(TOKEN_KEY, &user.token);
        }
        self.user.set(Some(user));
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The stored token, if any.
pub fn stored_token() -> Option<String> {
    local_storage()?.get_item(TOKEN_KEY).ok().flatten()
}

/// Removes the stored token (e.g. after the server rejected it).
pub fn forget_token() {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(TOKEN_KEY);
    }
}
