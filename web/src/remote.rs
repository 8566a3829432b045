//! Talking to the API from views: [`fetched`] for data a view shows, [`Submission`] for requests a user sends.
//! They stand in for Leptos' `LocalResource` + `<Transition>` and `Action`: for this app the same behaviour in far
//! less code (the async-derived and action machinery was the largest single part of the download); a
//! submission's request is boxed, so that its state handling is compiled once, not once per request type.

use std::{cell::Cell, future::Future, pin::Pin, rc::Rc};

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

/// A request the user sends (sign in, publish, follow…): [`dispatch`](Self::dispatch) it, watch
/// [`pending`](Self::pending) to disable the button, read the last answer in [`value`](Self::value).
pub struct Submission<I: 'static, O: 'static> {
    send: StoredValue<SendFn<I, O>, LocalStorage>,
    in_flight: RwSignal<u32>,
    value: RwSignal<Option<O>>,
}

type SendFn<I, O> = Box<dyn Fn(&I) -> Pin<Box<dyn Future<Output = O>>>>;

impl<I: 'static, O: 'static> Clone for Submission<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: 'static, O: 'static> Copy for Submission<I, O> {}

impl<I: 'static, O: Send + Sync + 'static> Submission<I, O> {
    /// A submission that sends with `send`.
    pub fn new<Fut>(send: impl Fn(&I) -> Fut + 'static) -> Self
    where
        Fut: Future<Output = O> + 'static,
    {
        let send: SendFn<I, O> = Box::new(move |input| Box::pin(send(input)));
        Self {
            send: StoredValue::new_local(send),
            in_flight: RwSignal::new(0),
            value: RwSignal::new(None),
        }
    }

    /// Sends `input`; the answer lands in [`value`](Self::value).
    pub fn dispatch(&self, input: I) {
        let Some(pending) = self.send.try_with_value(|send| send(&input)) else {
            return;
        };
        let (in_flight, value) = (self.in_flight, self.value);
        in_flight.update(|n| *n += 1);
        leptos::task::spawn_local(async move {
            let answer = pending.await;
            // The view may be gone by now: then there is nobody to tell.
            let _ = value.try_set(Some(answer));
            let _ = in_flight.try_update(|n| *n = n.saturating_sub(1));
        });
    }

    /// Whether a request is on its way.
    pub fn pending(&self) -> Signal<bool> {
        let in_flight = self.in_flight;
        Signal::derive(move || in_flight.get() > 0)
    }

    /// The answer to the last request, once there is one.
    pub fn value(&self) -> ReadSignal<Option<O>> {
        self.value.read_only()
    }
}
