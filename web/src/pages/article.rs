//! `/article/:slug`: one article with its rendered markdown body.

use api_types::Article;
use leptos::{prelude::*, Params};
use leptos_router::{hooks::use_params, params::Params};

use crate::{
    api, components::error_list::ErrorList, format, markdown, pages::not_found::set_title,
};

#[derive(Debug, Clone, PartialEq, Params)]
struct ArticleParams {
    slug: Option<String>,
}

/// The article page.
#[component]
pub fn ArticlePage() -> impl IntoView {
    let params = use_params::<ArticleParams>();
    let slug = move || {
        params
            .read()
            .as_ref()
            .ok()
            .and_then(|p| p.slug.clone())
            .unwrap_or_default()
    };
    let article = LocalResource::new(move || {
        let slug = slug();
        async move { api::articles::get(&slug).await }
    });
    view! {
        <div class="article-page">
            <Transition fallback=|| view! { <div class="container page">"Loading article..."</div> }>
                {move || Suspend::new(async move {
                    match article.await {
                        Ok(article) => view! { <ArticleView article/> }.into_any(),
                        Err(e) if e.is_not_found() => {
                            set_title("Article not found");
                            view! {
                                <div class="container page">
                                    <h1>"Article not found"</h1>
                                    <p><a href="/">"Back to the home page"</a></p>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <div class="container page"><ErrorList messages=e.messages()/></div> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn ArticleView(article: Article) -> impl IntoView {
    set_title(&article.title);
    let body_html = markdown::to_safe_html(&article.body);
    let meta = view! { <ArticleMeta article=article.clone()/> };
    view! {
        <div class="banner">
            <div class="container">
                <h1>{article.title.clone()}</h1>
                {meta}
            </div>
        </div>
        <div class="container page">
            <div class="row article-content">
                <div class="col-md-12">
                    // Safe: markdown::to_safe_html turns all raw HTML into text and neutralizes unsafe URLs.
                    <div inner_html=body_html></div>
                    <ul class="tag-list">
                        {article
                            .tag_list
                            .iter()
                            .map(|tag| view! { <li class="tag-default tag-pill tag-outline">{tag.clone()}</li> })
                            .collect_view()}
                    </ul>
                </div>
            </div>
            <hr/>
            <div class="article-actions">
                <ArticleMeta article/>
            </div>
        </div>
    }
}

/// Author avatar, name and date.
#[component]
fn ArticleMeta(article: Article) -> impl IntoView {
    let profile_href = format!("/profile/{}", article.author.username);
    view! {
        <div class="article-meta">
            <a href=profile_href.clone()><img src=format::avatar(article.author.image.as_deref()) alt=""/></a>
            <div class="info">
                <a href=profile_href class="author">{article.author.username.clone()}</a>
                <span class="date">{format::date(&article.created_at)}</span>
            </div>
        </div>
    }
}
