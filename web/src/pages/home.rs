//! `/`: the banner, the feed tabs (Your Feed, Global Feed, a tag), and Popular Tags.

use leptos::prelude::*;

use crate::{
    api::{
        self,
        articles::{ArticleQuery, ArticleSource},
    },
    components::article_list::ArticleList,
    head::{self, set_title},
    remote::fetched,
    session::Session,
};

/// The home page.
#[component]
pub fn HomePage() -> impl IntoView {
    let session = Session::get();
    let feed = RwSignal::new(ArticleSource::Global);
    // A tag's view is titled after the tag and links the tag's Atom feed.
    Effect::new(move |_| match feed.get() {
        ArticleSource::Tag(tag) => {
            set_title(&format!("#{tag}"));
            head::link_feed(Some(&head::Feed::Tag(tag)));
        }
        _ => {
            set_title("Home");
            head::link_feed(None);
        }
    });
    on_cleanup(|| head::link_feed(None));
    let page = RwSignal::new(0_u32);
    let choose = move |choice: ArticleSource| {
        feed.set(choice);
        page.set(0);
    };
    let query = Signal::derive(move || ArticleQuery {
        source: feed.get(),
        page: page.get(),
    });
    let tags = fetched(api::articles::tags);
    let tab = move |shown: ArticleSource, label: &'static str| {
        let active = shown.clone();
        view! {
            <li class="nav-item">
                <a class="nav-link" class:active=move || feed.get() == active href=""
                    on:click=move |ev| { ev.prevent_default(); choose(shown.clone()); }>
                    {label}
                </a>
            </li>
        }
    };

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
                                <Show when=move || session.signed_in()>{tab(ArticleSource::Feed, "Your Feed")}</Show>
                                {tab(ArticleSource::Global, "Global Feed")}
                                {move || match feed.get() {
                                    ArticleSource::Tag(tag) => Some(view! {
                                        <li class="nav-item">
                                            <a class="nav-link active" href="">"#" {tag}</a>
                                        </li>
                                    }),
                                    _ => None,
                                }}
                            </ul>
                        </div>
                        <ArticleList query page/>
                    </div>
                    <div class="col-md-3">
                        <div class="sidebar">
                            <p>"Popular Tags"</p>
                            {move || match tags.get() {
                                None => view! { <div>"Loading tags..."</div> }.into_any(),
                                Some(answer) => match answer {
                                    Ok(tags) if tags.is_empty() => view! { <div>"No tags are here... yet."</div> }.into_any(),
                                    Ok(tags) => view! {
                                        <div class="tag-list">
                                            {tags.into_iter().map(|tag| {
                                                let chosen = tag.clone();
                                                view! {
                                                    <a href="" class="tag-pill tag-default"
                                                        on:click=move |ev| { ev.prevent_default(); choose(ArticleSource::Tag(chosen.clone())); }>
                                                        {tag}
                                                    </a>
                                                }
                                            }).collect_view()}
                                        </div>
                                    }.into_any(),
                                    Err(e) => view! { <div class="error-messages">{e.to_string()}</div> }.into_any(),
                                },
                            }}
                        </div>
                    </div>
                </div>
            </div>
        </div>
    }
}
