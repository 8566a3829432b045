//! Article bodies → safe HTML, rendered by the markdown Web Worker (web/markdown-worker). pulldown-cmark would be
//! a fifth of the app's download; as a worker it loads only when the first article body is shown. The worker
//! turns raw HTML into text and neutralizes unsafe URLs, so its output may be set as inner HTML.

use std::{cell::RefCell, collections::HashMap};

use js_sys::{Array, Function, Promise};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker};

/// The worker's entry point as trunk emits it (workers keep their name: it is needed at run time).
const WORKER_URL: &str = "/markdown-worker_loader.js";

/// Why a body could not be rendered (the page then shows it as plain text).
#[derive(Debug, Clone)]
pub struct RenderError(String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Renders `source` in the worker, starting it on first use.
pub async fn to_safe_html(source: String) -> Result<String, RenderError> {
    RENDERER.with_borrow_mut(|slot| {
        if slot.is_none() {
            *slot = Some(Renderer::start()?);
        }
        Ok::<_, RenderError>(())
    })?;
    // The renderer exists: nothing runs between the statement above and this synchronous callback.
    let promise = Promise::new(&mut |resolve, reject| {
        RENDERER.with_borrow_mut(|slot| match slot.as_mut() {
            Some(renderer) => renderer.request(&source, resolve, reject),
            None => {
                let _ = reject.call0(&JsValue::NULL);
            }
        })
    });
    let html = JsFuture::from(promise)
        .await
        .map_err(|_| RenderError("the markdown worker failed".into()))?;
    html.as_string()
        .ok_or_else(|| RenderError("the markdown worker answered something else".into()))
}

thread_local! {
    static RENDERER: RefCell<Option<Renderer>> = const { RefCell::new(None) };
}

/// The running worker and the requests waiting for it.
struct Renderer {
    worker: Worker,
    /// Set once the worker said "ready": messages sent before it listens would be lost.
    ready: bool,
    queued: Vec<Array>,
    /// Resolve and reject functions of the promise awaiting each request id.
    waiting: HashMap<u32, (Function, Function)>,
    next_id: u32,
}

impl Renderer {
    fn start() -> Result<Self, RenderError> {
        let worker = Worker::new(WORKER_URL)
            .map_err(|e| RenderError(format!("cannot start the markdown worker: {e:?}")))?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
            RENDERER.with_borrow_mut(|slot| {
                if let Some(renderer) = slot.as_mut() {
                    renderer.answered(event.data());
                }
            })
        });
        // A worker that cannot load fails every waiting request (their pages show the text instead); the next
        // render starts a new one.
        let on_error = Closure::<dyn FnMut(JsValue)>::new(|_| {
            if let Some(renderer) = RENDERER.with_borrow_mut(Option::take) {
                renderer.worker.terminate();
                for (_, reject) in renderer.waiting.into_values() {
                    let _ = reject.call0(&JsValue::NULL);
                }
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // The handlers must outlive the Renderer: the error handler drops it while running. Two small closures
        // per worker start (once per page load, unless the worker fails).
        on_message.forget();
        on_error.forget();
        Ok(Self {
            worker,
            ready: false,
            queued: Vec::new(),
            waiting: HashMap::new(),
            next_id: 0,
        })
    }

    fn request(&mut self, source: &str, resolve: Function, reject: Function) {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.waiting.insert(id, (resolve, reject));
        let message = Array::of2(&JsValue::from(id), &JsValue::from_str(source));
        if self.ready {
            self.send(&message);
        } else {
            self.queued.push(message);
        }
    }

    fn answered(&mut self, data: JsValue) {
        if data.as_string().as_deref() == Some("ready") {
            self.ready = true;
            for message in std::mem::take(&mut self.queued) {
                self.send(&message);
            }
            return;
        }
        let reply: Array = data.unchecked_into();
        let id = reply.get(0).as_f64().map(|id| id as u32);
        if let Some((resolve, _)) = id.and_then(|id| self.waiting.remove(&id)) {
            let _ = resolve.call1(&JsValue::NULL, &reply.get(1));
        }
    }

    fn send(&self, message: &Array) {
        // A failed post surfaces as the worker's error event.
        let _ = self.worker.post_message(message);
    }
}
