//! The `.error-messages` list forms and pages show.

use leptos::prelude::*;

/// Lists `messages` in an alert region (read out by screen readers as they appear); an empty region when there
/// are none.
#[component]
pub fn ErrorList(
    /// Lines to show, e.g. `email has already been taken`.
    #[prop(into)]
    messages: Signal<Vec<String>>,
) -> impl IntoView {
    view! {
        <div role="alert">
            <Show when=move || !messages.with(Vec::is_empty)>
                <ul class="error-messages">
                    <For each=move || messages.get() key=|m| m.clone() let:message>
                        <li>{message}</li>
                    </For>
                </ul>
            </Show>
        </div>
    }
}
