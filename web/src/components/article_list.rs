//! A paginated list of article previews.

use leptos::prelude::*;

use crate::{
    api::{self, articles::ArticleQuery},
    components::{article_preview::ArticlePreview, error_list::ErrorList},
    remote::fetched,
};

/// The previews for `query` with `ul.pagination`; `page` is the zero-based page shown.
#[component]
pub fn ArticleList(
    /// Which articles to list (page included).
    #[prop(into)]
    query: Signal<ArticleQuery>,
    /// Current page, set by the pagination links.
    page: RwSignal<u32>,
) -> impl IntoView {
    let articles = fetched(move || {
        let query = query.get();
        async move { api::articles::list(&query).await }
    });
    view! {
        {move || match articles.get() {
            None => view! { <div class="article-preview">"Loading articles..."</div> }.into_any(),
            Some(answer) => match answer {
                Err(e) => view! {
                    <div class="article-preview empty-feed-message">
                        <ErrorList messages=e.messages()/>
                    </div>
                }.into_any(),
                Ok(list) if list.articles.is_empty() => {
                    view! { <div class="article-preview empty-feed-message">"No articles are here... yet."</div> }
                        .into_any()
                }
                Ok(list) => {
                    let pages = list.articles_count.div_ceil(u64::from(api::articles::PAGE_SIZE));
                    view! {
                        {list.articles.into_iter().map(|article| view! { <ArticlePreview article/> }).collect_view()}
                        <Pagination pages page/>
                    }
                        .into_any()
                }
            },
        }}
    }
}

/// `ul.pagination` with one link per page; hidden when everything fits on one page.
#[component]
fn Pagination(
    /// Number of pages.
    pages: u64,
    /// The page shown.
    page: RwSignal<u32>,
) -> impl IntoView {
    let pages = u32::try_from(pages).unwrap_or(u32::MAX);
    (pages > 1).then(|| {
        view! {
            <nav aria-label="Pages">
                <ul class="pagination">
                    {(0..pages)
                        .map(|n| {
                            view! {
                                <li class="page-item" class:active=move || page.get() == n>
                                    <a
                                        class="page-link"
                                        href=""
                                        aria-label=format!("Page {}", n + 1)
                                        on:click=move |ev| {
                                            ev.prevent_default();
                                            page.set(n);
                                        }
                                    >
                                        {n + 1}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        }
    })
}
