//! `/article/:slug`: the article with its rendered markdown body, actions, and comments (comments.rs).

mod comments;

use comments::Comments;

use api_types::Article;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    api,
    components::{
        error_list::ErrorList,
        favorite_button::{Favorite, FavoriteButton},
        follow_button::FollowButton,
    },
    format,
    head::set_title,
    markdown,
    remote::{fetched, Submission},
    session::Session,
};

/// The article page.
#[component]
pub fn ArticlePage(
    /// The article's slug, from the path.
    slug: String,
) -> impl IntoView {
    let article = fetched(move || {
        let slug = slug.clone();
        async move { api::articles::get(&slug).await }
    });
    view! {
        <div class="article-page">
            {move || match article.get() {
                None => view! { <div class="container page">"Loading article..."</div> }.into_any(),
                Some(answer) => match answer {
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
                },
            }}
        </div>
    }
}

#[component]
fn ArticleView(article: Article) -> impl IntoView {
    set_title(&article.title);
    let body = RwSignal::new(Body::Rendering);
    let source = article.body.clone();
    leptos::task::spawn_local(async move {
        body.set(match markdown::to_safe_html(source.clone()).await {
            Ok(html) => Body::Html(html),
            // Never a blank page: without the renderer, the text is still there to read.
            Err(e) => {
                leptos::logging::warn!("showing the article as text: {e}");
                Body::Text(source)
            }
        });
    });
    let state = ArticleState::new(&article);
    let slug = article.slug.clone();
    view! {
        <div class="banner">
            <div class="container">
                <h1>{article.title.clone()}</h1>
                <ArticleMeta article=article.clone() state/>
            </div>
        </div>
        <div class="container page">
            <div class="row article-content">
                <div class="col-md-12">
                    {move || match body.get() {
                        Body::Rendering => view! { <p class="article-loading">"Loading article..."</p> }.into_any(),
                        // Safe: the markdown worker turns all raw HTML into text and neutralizes unsafe URLs.
                        Body::Html(html) => view! { <div inner_html=html></div> }.into_any(),
                        Body::Text(text) => view! { <div class="article-text">{text}</div> }.into_any(),
                    }}
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
                <ArticleMeta article state/>
            </div>
            <Comments slug/>
        </div>
    }
}

/// The article body on its way to the page.
#[derive(Debug, Clone, PartialEq)]
enum Body {
    /// The markdown worker is at it.
    Rendering,
    /// Safe HTML from the worker.
    Html(String),
    /// The worker failed: the markdown as plain text.
    Text(String),
}

/// Follow and favorite state shared by the two meta blocks of the page.
#[derive(Debug, Clone, Copy)]
struct ArticleState {
    following: RwSignal<bool>,
    favorite: Favorite,
    errors: RwSignal<Vec<String>>,
}

impl ArticleState {
    fn new(article: &Article) -> Self {
        Self {
            following: RwSignal::new(article.author.following),
            favorite: Favorite::new(article.favorited, article.favorites_count),
            errors: RwSignal::new(Vec::new()),
        }
    }
}

/// Author avatar, name and date, then Edit/Delete for the author or Follow/Favorite for everyone else.
#[component]
fn ArticleMeta(article: Article, state: ArticleState) -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let author = article.author.username.clone();
    let slug = article.slug.clone();
    let profile_href = format!("/profile/{author}");
    let is_author = {
        let author = author.clone();
        move || session.username().as_deref() == Some(author.as_str())
    };
    let delete = {
        let slug = slug.clone();
        Submission::new(move |(): &()| {
            let slug = slug.clone();
            async move { api::articles::delete(&slug).await }
        })
    };
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => navigate("/", Default::default()),
        Some(Err(e)) => state.errors.set(e.messages()),
        None => {}
    });
    let edit_href = format!("/editor/{slug}");
    let follow_name = author.clone();

    view! {
        <div class="article-meta">
            <a href=profile_href.clone()><img src=format::avatar(article.author.image.as_deref()) alt=author.clone()/></a>
            <div class="info">
                <a href=profile_href class="author">{author.clone()}</a>
                <span class="date">{format::date(&article.created_at)}</span>
            </div>
            <Show
                when=is_author
                fallback=move || view! {
                    <FollowButton username=follow_name.clone() following=state.following errors=state.errors/>
                    " "
                    <FavoriteButton slug=slug.clone() favorite=state.favorite errors=state.errors long=true/>
                }
            >
                <a class="btn btn-sm btn-outline-secondary" href=edit_href.clone()>
                    <i class="ion-edit"></i>" Edit Article"
                </a>
                " "
                <button class="btn btn-sm btn-outline-danger" disabled=move || delete.pending().get()
                    on:click=move |_| { delete.dispatch(()); }>
                    <i class="ion-trash-a"></i>" Delete Article"
                </button>
            </Show>
            <ErrorList messages=state.errors/>
        </div>
    }
}
