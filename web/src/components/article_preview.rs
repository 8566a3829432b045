//! One article in a list: author, date, favorite button with count, title, description, tags.

use api_types::ArticlePreview as Preview;
use leptos::prelude::*;

use crate::{
    components::{
        error_list::ErrorList,
        favorite_button::{Favorite, FavoriteButton},
    },
    format,
};

/// An `.article-preview` card linking to the article.
#[component]
pub fn ArticlePreview(
    /// The article to show.
    article: Preview,
) -> impl IntoView {
    let profile_href = format!("/profile/{}", article.author.username);
    let article_href = format!("/article/{}", article.slug);
    let favorite = Favorite::new(article.favorited, article.favorites_count);
    let errors = RwSignal::new(Vec::new());
    view! {
        <div class="article-preview">
            <div class="article-meta">
                <a href=profile_href.clone()>
                    <img src=format::avatar(article.author.image.as_deref()) alt=article.author.username.clone()/>
                </a>
                <div class="info">
                    <a href=profile_href class="author">{article.author.username.clone()}</a>
                    <span class="date">{format::date(&article.created_at)}</span>
                </div>
                <FavoriteButton slug=article.slug favorite errors/>
            </div>
            <ErrorList messages=errors/>
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
