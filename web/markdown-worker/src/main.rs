//! The markdown Web Worker: receives `[id, markdown]`, answers `[id, html]` (html from
//! [`conduit_markdown::render_html`], the renderer the api's Atom feeds use too). pulldown-cmark is most of a
//! markdown renderer's size, so it lives here, off the SPA's first load: the app starts this worker the first time
//! it shows an article body or a preview (web/src/markdown.rs). Says "ready" once it listens.

use js_sys::Array;
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let replies = scope.clone();
    let on_request = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let request: Array = event.data().unchecked_into();
        let html = conduit_markdown::render_html(&request.get(1).as_string().unwrap_or_default());
        // Nothing to do if the page is gone.
        let _ = replies.post_message(&Array::of2(&request.get(0), &JsValue::from(html)));
    });
    scope.set_onmessage(Some(on_request.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_request.forget();
    let _ = scope.post_message(&JsValue::from_str("ready"));
}
