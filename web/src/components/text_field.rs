//! A form's text field: a `.form-group` holding one input bound to a signal.

use leptos::prelude::*;

/// An input in its `.form-group`, bound to `value`.
#[component]
pub fn TextField(
    /// The input's name (forms are filled and tested by it).
    name: &'static str,
    /// Its accessible name; also the placeholder unless one is given.
    label: &'static str,
    /// Shown while the field is empty.
    #[prop(optional)]
    placeholder: Option<&'static str>,
    /// The input type: `text` unless given (e.g. `password`).
    #[prop(default = "text")]
    kind: &'static str,
    /// The browser's autofill hint (`email`, `current-password`…).
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// The large variant of the sign-in, settings and title fields.
    #[prop(optional)]
    large: bool,
    /// The text.
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <fieldset class="form-group">
            <input class="form-control" class:form-control-lg=large type=kind name=name
                placeholder=placeholder.unwrap_or(label) aria-label=label autocomplete=autocomplete bind:value=value/>
        </fieldset>
    }
}
