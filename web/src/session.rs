//! Who is signed in: the user in a signal provided at the root, the token in localStorage under `jwtToken`.

use std::cell::Cell;

use api_types::User;
use leptos::prelude::*;

const TOKEN_KEY: &str = "jwtToken";

thread_local! {
    /// The root session, so that the API client can sign the user out when the server rejects the token
    /// (it runs in async tasks without a reactive owner to look the context up from).
    static ROOT: Cell<Option<Session>> = const { Cell::new(None) };
}

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
        ROOT.with(|root| root.set(Some(session)));
        if stored_token().is_some() {
            leptos::task::spawn_local(async move {
                if let Ok(user) = crate::api::users::current().await {
                    session.user.set(Some(user));
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

    /// The signed-in user's name, tracked.
    pub fn username(&self) -> Option<String> {
        self.user.with(|u| u.as_ref().map(|u| u.username.clone()))
    }

    /// Whether someone is signed in, tracked.
    pub fn signed_in(&self) -> bool {
        self.user.with(Option::is_some)
    }

    /// Stores the token and makes `user` the signed-in user (also after a settings change).
    pub fn sign_in(&self, user: User) {
        if let Some(storage) = local_storage() {
            // A failed write (private mode, quota) only costs persistence across reloads.
            let _ = storage.set_item(TOKEN_KEY, &user.token);
        }
        self.user.set(Some(user));
    }

    /// Forgets the token and the user.
    pub fn sign_out(&self) {
        forget_token();
        self.user.set(None);
    }
}

/// The browser's localStorage, when it has one (not in some private modes).
pub fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The stored token, if any.
pub fn stored_token() -> Option<String> {
    local_storage()?.get_item(TOKEN_KEY).ok().flatten()
}

fn forget_token() {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(TOKEN_KEY);
    }
}

/// The server rejected the stored token: sign out everywhere.
pub fn token_rejected() {
    match ROOT.with(Cell::get) {
        Some(session) => session.sign_out(),
        None => forget_token(),
    }
}
