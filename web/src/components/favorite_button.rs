//! The favorite button of an article, on its page and in lists.

use leptos::prelude::*;

use crate::{api, components::toggle::toggle};

/// Whether the reader favorites an article and how many readers do; one per article on a page, shared by the
/// buttons that show it.
#[derive(Debug, Clone, Copy)]
pub struct Favorite {
    /// The reader favorites it.
    pub favorited: RwSignal<bool>,
    /// How many readers favorite it.
    pub count: RwSignal<u64>,
}

impl Favorite {
    /// The state an article arrived with.
    pub fn new(favorited: bool, count: u64) -> Self {
        Self {
            favorited: RwSignal::new(favorited),
            count: RwSignal::new(count),
        }
    }
}

/// Favorites or unfavorites the article `slug`; a failure's messages go to `errors`.
#[component]
pub fn FavoriteButton(
    /// The article.
    slug: String,
    /// Its favorite state.
    favorite: Favorite,
    /// Where a failure's messages are shown.
    errors: RwSignal<Vec<String>>,
    /// The article page's wording ("Favorite Article (n)") instead of a list's heart and count.
    #[prop(optional)]
    long: bool,
) -> impl IntoView {
    let Favorite { favorited, count } = favorite;
    let (click, pending) = toggle(
        favorited,
        move |wanted| {
            let slug = slug.clone();
            async move { api::articles::set_favorite(&slug, wanted).await }
        },
        move |article: api_types::Article| {
            favorited.set(article.favorited);
            count.set(article.favorites_count);
        },
        errors,
    );
    let label = move || match (favorited.get(), long) {
        (false, true) => " Favorite Article ",
        (true, true) => " Unfavorite Article ",
        (false, false) => "Favorite article",
        (true, false) => "Unfavorite article",
    };
    view! {
        <button
            class="btn btn-sm"
            class:pull-xs-right=!long
            class:btn-primary=move || favorited.get()
            class:btn-outline-primary=move || !favorited.get()
            aria-label=move || (!long).then(label)
            aria-pressed=move || favorited.get().to_string()
            disabled=pending
            on:click=move |_| click()
        >
            <i class="ion-heart"></i>
            {long.then(|| view! { {label} <span class="counter">"(" {move || count.get()} ")"</span> })}
            {(!long).then(|| view! { " " {move || count.get()} })}
        </button>
    }
}
