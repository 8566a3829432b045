//! Any path the route table does not know.

use leptos::prelude::*;

use crate::head::set_title;

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
