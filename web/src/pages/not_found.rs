//! Any path the route table does not know.

use leptos::prelude::*;

/// Shown for unknown paths.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_title("Page not found");
    view! {
        <div class="container page">
            <h1>"Page not found"</h1>
            <p>"Nothing lives at this address. " <a href="/">"Back to the home page"</a></p>
        </div>
    }
}

/// Sets the document title as `<page> — Conduit`.
pub fn set_title(page: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{page} — Conduit"));
    }
}
