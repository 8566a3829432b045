//! `/editor` and `/editor/:slug`: write a new article or edit one of yours.

use api_types::{Article, NewArticle, UpdateArticle};
use leptos::{prelude::*, Params};
use leptos_router::{
    hooks::{use_navigate, use_params},
    params::Params,
};

use crate::{
    api,
    components::error_list::ErrorList,
    pages::not_found::set_title,
    remote::{fetched, Submission},
    session,
};

#[derive(Debug, Clone, PartialEq, Params)]
struct EditorParams {
    slug: Option<String>,
}

/// What the Publish button sends: a new article, or changes to the article with this slug.
#[derive(Debug, Clone)]
enum Draft {
    New(NewArticle),
    Edit(String, UpdateArticle),
}

/// The article editor. Signed-out visitors are sent to `/login`.
#[component]
pub fn EditorPage() -> impl IntoView {
    set_title("Editor");
    let params = use_params::<EditorParams>();
    let editing = Memo::new(move |_| params.read().as_ref().ok().and_then(|p| p.slug.clone()));
    let navigate = use_navigate();
    // The stored token, not the session signal: right after a reload the session is still being restored.
    if session::stored_token().is_none() {
        navigate("/login", Default::default());
    }

    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let tag_input = RwSignal::new(String::new());
    let tags = RwSignal::new(Vec::<String>::new());

    // Editing: load the article once and fill the form.
    let original = fetched(move || {
        let slug = editing.get();
        async move {
            match slug {
                Some(slug) => api::articles::get(&slug).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let load_errors = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| match original.get() {
        Some(Ok(Some(article))) => {
            let Article {
                title: t,
                description: d,
                body: b,
                tag_list,
                ..
            } = article;
            title.set(t);
            description.set(d);
            body.set(b);
            tags.set(tag_list);
        }
        Some(Err(e)) => load_errors.set(e.messages()),
        _ => {}
    });

    let publish = Submission::new(|draft: &Draft| {
        let draft = draft.clone();
        async move {
            match draft {
                Draft::New(article) => api::articles::create(article).await,
                Draft::Edit(slug, changes) => api::articles::update(&slug, changes).await,
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(article)) = publish.value().get() {
            navigate(&format!("/article/{}", article.slug), Default::default());
        }
    });
    let errors = Signal::derive(move || match publish.value().get() {
        Some(Err(e)) => e.messages(),
        _ => load_errors.get(),
    });

    let add_tag = move || {
        let tag = tag_input.get().trim().to_owned();
        if !tag.is_empty() && !tags.with(|t| t.contains(&tag)) {
            tags.update(|t| t.push(tag));
        }
        tag_input.set(String::new());
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = match editing.get_untracked() {
            // Every field is sent, tagList too: editing away all tags must send [] (NOTES.md).
            Some(slug) => Draft::Edit(
                slug,
                UpdateArticle {
                    title: Some(title.get()),
                    description: Some(description.get()),
                    body: Some(body.get()),
                    tag_list: Some(tags.get()),
                },
            ),
            None => Draft::New(NewArticle {
                title: title.get(),
                description: description.get(),
                body: body.get(),
                tag_list: tags.get(),
            }),
        };
        publish.dispatch(draft);
    };

    view! {
        <div class="editor-page">
            <div class="container page">
                <div class="row">
                    <div class="col-md-10 offset-md-1 col-xs-12">
                        <ErrorList messages=errors/>
                        <form on:submit=submit>
                            <fieldset>
                                <fieldset class="form-group">
                                    <input type="text" class="form-control form-control-lg" name="title"
                                        placeholder="Article Title" aria-label="Article Title" bind:value=title/>
                                </fieldset>
                                <fieldset class="form-group">
                                    <input type="text" class="form-control" name="description"
                                        placeholder="What's this article about?" aria-label="Description"
                                        bind:value=description/>
                                </fieldset>
                                <fieldset class="form-group">
                                    <textarea class="form-control" rows="8" name="body"
                                        placeholder="Write your article (in markdown)" aria-label="Body"
                                        bind:value=body></textarea>
                                </fieldset>
                                <fieldset class="form-group">
                                    <input type="text" class="form-control" name="tags" placeholder="Enter tags"
                                        aria-label="Tags" bind:value=tag_input
                                        on:keydown=move |ev| {
                                            if ev.key() == "Enter" {
                                                ev.prevent_default();
                                                add_tag();
                                            }
                                        }/>
                                    <div class="tag-list">
                                        <For each=move || tags.get() key=|tag| tag.clone() let:tag>
                                            <span class="tag-default tag-pill">
                                                <i class="ion-close-round" role="button" tabindex="0"
                                                    aria-label=format!("Remove tag {tag}")
                                                    on:click={
                                                        let tag = tag.clone();
                                                        move |_| tags.update(|t| t.retain(|x| *x != tag))
                                                    }></i>
                                                {tag.clone()}
                                            </span>
                                        </For>
                                    </div>
                                </fieldset>
                                <button class="btn btn-lg pull-xs-right btn-primary" type="submit"
                                    disabled=move || publish.pending().get()>"Publish Article"</button>
                            </fieldset>
                        </form>
                    </div>
                </div>
            </div>
        </div>
    }
}
