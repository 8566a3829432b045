//! One article in a list: author, date, favorite button with count, title, description, tags.

use api_types::ArticlePreview as Preview;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{api, format, remote::Submission, session::Session};

/// An `.article-preview` card linking to the article.
#[component]
pub fn ArticlePreview(
    /// The article to show.
    article: Preview,
) -> impl IntoView {
    let profile_href = format!("/profile/{}", article.author.username);
    let article_href = format!("/article/{}", article.slug);
    let favorited = RwSignal::new(article.favorited);
    let count = RwSignal::new(article.favorites_count);
    let session = Session::get();
    let navigate = use_navigate();
    let slug = article.slug.clone();
    let toggle = Submission::new(move |wanted: &bool| {
        let (slug, wanted) = (slug.clone(), *wanted);
        async move { api::articles::set_favorite(&slug, wanted).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(updated)) = toggle.value().get() {
            favorited.set(updated.favorited);
            count.set(updated.favorites_count);
        }
    });
    let on_click = move |_| {
        if session.signed_in() {
            toggle.dispatch(!favorited.get_untracked());
        } else {
            navigate("/login", Default::default());
        }
    };
    view! {
        <div class="article-preview">
            <div class="article-meta">
                <a href=profile_href.clone()>
                    <img src=format::avatar(article.author.image.as_deref()) alt=""/>
                </a>
                <div class="info">
                    <a href=profile_href class="author">{article.author.username.clone()}</a>
                    <span class="date">{format::date(&article.created_at)}</span>
                </div>
                <button
                    class="btn btn-sm pull-xs-right"
                    class:btn-primary=move || favorited.get()
                    class:btn-outline-primary=move || !favorited.get()
                    aria-label=move || if favorited.get() { "Unfavorite article" } else { "Favorite article" }
                    aria-pressed=move || favorited.get().to_string()
                    disabled=move || toggle.pending().get()
                    on:click=on_click
                >
                    <i class="ion-heart"></i>
                    " "
                    {move || count.get()}
                </button>
            </div>
            <a href=article_href class="preview-link">
                <h1>{article.title}</h1>
                <p>{article.description}</p>
                <span>"Read more..."</span>
                <ul class="tag-list">
                    {article
                        .tag_list
                        .into_iter()
                        .map(|tag| view! { <li class="tag-default tag-pill tag-outline">{tag}</li> })
                        .collect_view()}
                </ul>
            </a>
        </div>
    }
}
