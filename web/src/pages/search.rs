//! `/search?q=…`: articles matching the words, best match first, paged like the home feed. The address is the
//! search, so it can be shared or bookmarked.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::articles::{ArticleQuery, ArticleSource},
    components::{article_list::ArticleList, layout::Column},
    head::set_title,
};

/// The search results page.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let words = Memo::new(move |_| {
        query
            .read()
            .get("q")
            .map(|q| q.trim().to_owned())
            .unwrap_or_default()
    });
    let page = RwSignal::new(0_u32);
    Effect::new(move |_| {
        let words = words.get();
        set_title(&if words.is_empty() {
            "Search".to_owned()
        } else {
            format!("Search: {words}")
        });
        page.set(0);
    });
    let list = Signal::derive(move || ArticleQuery {
        source: ArticleSource::Search(words.get()),
        page: page.get(),
    });
    view! {
        <div class="search-page">
            <Column class="col-md-9">
                <h1 class="search-title">
                    {move || if words.with(String::is_empty) {
                        "Search articles".to_owned()
                    } else {
                        format!("Articles matching “{}”", words.get())
                    }}
                </h1>
                <Show
                    when=move || !words.with(String::is_empty)
                    fallback=|| view! { <p>"Type some words in the search field above."</p> }
                >
                    <ArticleList query=list page empty="No articles match these words."/>
                </Show>
            </Column>
        </div>
    }
}
