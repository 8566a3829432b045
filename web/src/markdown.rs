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
    let mut start_error = None;
    let promise = Promise::new(&mut |resolve, reject| {
        RENDERER.with_borrow_mut(|slot| {
            if slot.is_none() {
                match Renderer::start() {
                    Ok(renderer) => *slot = Some(renderer),
                    Err(e) => {
                        start_error = Some(e);
                        let _ = reject.call0(&JsValue::NULL);
                        return;
                    }
                }
            }
            if let Some(renderer) = slot.as_mut() {
                renderer.request(&source, resolve);
            }
        })
    });
    if let Some(e) = start_error {
        return Err(e);
    }
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
    /// Resolve functions of the promises awaiting each request id.
    waiting: HashMap<u32, Function>,
    next_id: u32,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
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
        // A worker that cannot load fails every waiting request; the next render starts a new one.
        let on_error = Closure::<dyn FnMut(JsValue)>::new(|_| {
            if let Some(renderer) = RENDERER.with_borrow_mut(Option::take) {
                renderer.worker.terminate();
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            ready: false,
            queued: Vec::new(),
            waiting: HashMap::new(),
            next_id: 0,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    fn request(&mut self, source: &str, resolve: Function) {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.waiting.insert(id, resolve);
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
        if let Some(resolve) = id.and_then(|id| self.waiting.remove(&id)) {
            let _ = resolve.call1(&JsValue::NULL, &reply.get(1));
        }
    }

    fn send(&self, message: &Array) {
        // A failed post surfaces as the worker's error event.
        let _ = self.worker.post_message(message);
    }
}
