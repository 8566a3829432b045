//! `/`: the banner and the global feed, paginated.

use leptos::prelude::*;

use crate::{
    api::{self, articles::ArticleQuery},
    components::{article_preview::ArticlePreview, error_list::ErrorList},
    pages::not_found::set_title,
};

/// The home page.
#[component]
pub fn HomePage() -> impl IntoView {
    set_title("Home");
    let page = RwSignal::new(0_u32);
    view! {
        <div class="home-page">
            <div class="banner">
                <div class="container">
                    <h1 class="logo-font">"conduit"</h1>
                    <p>"A place to share your knowledge."</p>
                </div>
            </div>
            <div class="container page">
                <div class="row">
                    <div class="col-md-9">
                        <div class="feed-toggle">
                            <ul class="nav nav-pills outline-active">
                                <li class="nav-item">
                                    <a class="nav-link active" href="/">"Global Feed"</a>
                                </li>
                            </ul>
                        </div>
                        <ArticleList query=Signal::derive(move || ArticleQuery { page: page.get(), ..Default::default() }) page/>
                    </div>
                </div>
            </div>
        </div>
    }
}

/// A paginated list of article previews for `query`; `page` is the zero-based page shown.
#[component]
pub fn ArticleList(
    /// Which articles to list.
    query: Signal<ArticleQuery>,
    /// Current page, set by the pagination links.
    page: RwSignal<u32>,
) -> impl IntoView {
    let articles = LocalResource::new(move || {
        let query = query.get();
        async move { api::articles::list(&query).await }
    });
    view! {
        <Transition fallback=|| view! { <div class="article-preview">"Loading articles..."</div> }>
            {move || Suspend::new(async move {
                match articles.await {
                    Err(e) => view! { <ErrorList messages=e.messages()/> }.into_any(),
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
                }
            })}
        </Transition>
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
