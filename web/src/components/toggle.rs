//! The on/off requests a signed-in reader sends from a button (favorite, follow), written once for both buttons.

use std::future::Future;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{api::ApiError, remote::Submission, session::Session};

/// A click that asks the server to flip `on`: `send(wanted)` sends the request, `apply` takes the answer, and a
/// failure's messages go to `errors`. Signed-out visitors are sent to `/login` instead. Returns the click handler
/// and whether a request is on its way (to disable the button).
pub fn toggle<T, Fut>(
    on: RwSignal<bool>,
    send: impl Fn(bool) -> Fut + 'static,
    apply: impl Fn(T) + 'static,
    errors: RwSignal<Vec<String>>,
) -> (impl Fn() + Clone + 'static, Signal<bool>)
where
    T: Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let session = Session::get();
    let navigate = use_navigate();
    let submission = Submission::new(move |wanted: &bool| send(*wanted));
    Effect::new(move |_| match submission.value().get() {
        Some(Ok(answer)) => {
            errors.set(Vec::new());
            apply(answer);
        }
        Some(Err(e)) => errors.set(e.messages()),
        None => {}
    });
    let click = move || {
        if session.signed_in() {
            submission.dispatch(!on.get_untracked());
        } else {
            navigate("/login", Default::default());
        }
    };
    (click, submission.pending())
}
