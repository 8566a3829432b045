//! Data a view fetches. [`fetched`] is what the pages use instead of `LocalResource` with `<Transition>`: for
//! this app the same behaviour (fetch when an input changes, "loading" until the answer comes, answers to
//! superseded inputs dropped) in far less code — the async-derived machinery behind resources was the largest
//! single part of the download.

use std::{cell::Cell, future::Future, rc::Rc};

use leptos::prelude::*;

/// The latest answer of `fetch`, which runs again whenever a signal it reads before returning its future changes.
/// `None` while the answer for the current inputs is on its way; an answer for inputs that have changed since is
/// dropped, as is one arriving after the view is gone.
pub fn fetched<T, Fut>(fetch: impl Fn() -> Fut + 'static) -> ReadSignal<Option<T>>
where
    T: Send + Sync + 'static,
    Fut: Future<Output = T> + 'static,
{
    let (answer, set_answer) = signal(None::<T>);
    let latest = Rc::new(Cell::new(0_u64));
    Effect::new(move |_| {
        let pending = fetch();
        let this = latest.get().wrapping_add(1);
        latest.set(this);
        set_answer.set(None);
        let latest = Rc::clone(&latest);
        leptos::task::spawn_local(async move {
            let value = pending.await;
            if latest.get() == this {
                // The view may be gone by now: then there is nobody to tell.
                let _ = set_answer.try_set(Some(value));
            }
        });
    });
    answer
}
