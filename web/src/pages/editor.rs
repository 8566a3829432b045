//! `/editor` and `/editor/:slug`: write a new article or edit one of yours, with a preview and a draft kept in
//! localStorage until it is published.

use api_types::{Article, NewArticle, UpdateArticle};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    api,
    components::{error_list::ErrorList, layout::Column, text_field::TextField},
    draft::DraftKey,
    head::set_title,
    markdown,
    remote::{fetched, Submission},
    session::{self, Session},
};

/// What the Publish button sends: a new article, or changes to the article with this slug.
#[derive(Debug, Clone)]
enum Publish {
    New(NewArticle),
    Edit(String, UpdateArticle),
}

/// What the editor says about the local draft.
#[derive(Debug, Clone, Copy, PartialEq)]
enum DraftStatus {
    /// The form holds what the article already is (or nothing, for a new one).
    Unchanged,
    /// A draft from an earlier visit was put back into the form.
    Restored,
    /// The latest change is stored.
    Saved,
    /// The browser would not store it.
    NotSaved,
}

/// The article editor. Signed-out visitors are sent to `/login`.
#[component]
pub fn EditorPage(
    /// The slug of the article edited, from the path; `None` for a new article.
    slug: Option<String>,
) -> impl IntoView {
    let editing = StoredValue::new(slug);
    let navigate = use_navigate();
    let session = Session::get();
    // The stored token, not the session signal: right after a reload the session is still being restored.
    if session::stored_token().is_none() {
        navigate("/login", Default::default());
    }
    let heading = if editing.with_value(Option::is_some) {
        "Edit article"
    } else {
        "New article"
    };
    set_title(heading);

    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let tag_input = RwSignal::new(String::new());
    let tags = RwSignal::new(Vec::<String>::new());
    let form = move || NewArticle {
        title: title.get(),
        description: description.get(),
        body: body.get(),
        tag_list: tags.get(),
    };
    let fill = move |article: NewArticle| {
        title.set(article.title);
        description.set(article.description);
        body.set(article.body);
        tags.set(article.tag_list);
    };

    // Editing: load the article; new: nothing to load.
    let original = fetched(move || {
        let slug = editing.get_value();
        async move {
            match slug {
                Some(slug) => api::articles::get(&slug).await.map(Some),
                None => Ok(None),
            }
        }
    });
    // The article as published (empty for a new one) and the key of its draft, once both are known: until then
    // nothing is saved, so an empty form never overwrites a draft.
    let baseline = RwSignal::new(None::<(DraftKey, NewArticle)>);
    let status = RwSignal::new(DraftStatus::Unchanged);
    // What the form held when last filled or saved: only a change from it is saved.
    let last = StoredValue::new(None::<NewArticle>);
    let load_errors = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        let (Some(answer), Some(username)) = (original.get(), session.username()) else {
            return;
        };
        let article = match answer {
            Ok(article) => article.map(published).unwrap_or_default(),
            Err(e) => {
                load_errors.set(e.messages());
                return;
            }
        };
        if baseline.with_untracked(Option::is_some) {
            return;
        }
        let key = editing.with_value(|slug| DraftKey::new(&username, slug.as_deref()));
        let (shown, shown_status) = match key.load().filter(|draft| *draft != article) {
            Some(draft) => (draft, DraftStatus::Restored),
            None => (article.clone(), DraftStatus::Unchanged),
        };
        last.set_value(Some(shown.clone()));
        fill(shown);
        status.set(shown_status);
        baseline.set(Some((key, article)));
    });
    // Every change is stored as the draft; back to what is published, the draft is dropped.
    Effect::new(move |_| {
        let current = form();
        baseline.with(|known| {
            let Some((key, article)) = known else { return };
            if last.with_value(|l| l.as_ref() == Some(&current)) {
                return;
            }
            status.set(if current == *article {
                key.clear();
                DraftStatus::Unchanged
            } else if key.save(&current) {
                DraftStatus::Saved
            } else {
                DraftStatus::NotSaved
            });
            last.set_value(Some(current));
        });
    });
    let discard = move |_| {
        if let Some((key, article)) = baseline.get_untracked() {
            key.clear();
            last.set_value(Some(article.clone()));
            fill(article);
            status.set(DraftStatus::Unchanged);
        }
    };

    let publish = Submission::new(|request: &Publish| {
        let request = request.clone();
        async move {
            match request {
                Publish::New(article) => api::articles::create(article).await,
                Publish::Edit(slug, changes) => api::articles::update(&slug, changes).await,
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(article)) = publish.value().get() {
            if let Some((key, _)) = baseline.get_untracked() {
                key.clear();
            }
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
        let article = form();
        publish.dispatch(match editing.get_value() {
            // Every field is sent, tagList too: editing away all tags must send [] (NOTES.md).
            Some(slug) => Publish::Edit(
                slug,
                UpdateArticle {
                    title: Some(article.title),
                    description: Some(article.description),
                    body: Some(article.body),
                    tag_list: Some(article.tag_list),
                },
            ),
            None => Publish::New(article),
        });
    };

    let previewing = RwSignal::new(false);
    let preview = fetched(move || {
        let source = previewing.get().then(|| body.get());
        async move {
            match source {
                Some(source) => Some(markdown::to_safe_html(source).await),
                None => None,
            }
        }
    });

    view! {
        <div class="editor-page">
            <Column class="col-md-10 offset-md-1 col-xs-12">
                <h1 class="sr-only">{heading}</h1>
                <ErrorList messages=errors/>
                <form on:submit=submit>
                    // Closed until the form holds the article or its draft: typing before that would be overwritten.
                    <fieldset disabled=move || baseline.with(Option::is_none)>
                        <TextField name="title" label="Article Title" large=true value=title/>
                        <TextField name="description" label="Description" placeholder="What's this article about?"
                            value=description/>
                        <div class="editor-tabs nav nav-pills outline-active">
                            <button type="button" class="nav-link" class:active=move || !previewing.get()
                                aria-pressed=move || (!previewing.get()).to_string()
                                on:click=move |_| previewing.set(false)>"Write"</button>
                            <button type="button" class="nav-link" class:active=move || previewing.get()
                                aria-pressed=move || previewing.get().to_string()
                                on:click=move |_| previewing.set(true)>"Preview"</button>
                        </div>
                        <fieldset class="form-group" hidden=move || previewing.get()>
                            <textarea class="form-control" rows="8" name="body"
                                placeholder="Write your article (in markdown)" aria-label="Body"
                                bind:value=body></textarea>
                        </fieldset>
                        <Show when=move || previewing.get()>
                            <div class="form-group editor-preview article-content" aria-live="polite">
                                {move || match preview.get().flatten() {
                                    None => view! { <p class="article-loading">"Rendering the preview..."</p> }.into_any(),
                                    // Safe: the markdown worker turns all raw HTML into text and drops unsafe URLs.
                                    Some(Ok(html)) => view! { <div inner_html=html></div> }.into_any(),
                                    Some(Err(e)) => view! {
                                        <ErrorList messages=vec![format!("no preview: {e}")]/>
                                        <div class="article-text">{body.get_untracked()}</div>
                                    }.into_any(),
                                }}
                            </div>
                        </Show>
                        <fieldset class="form-group">
                            <input type="text" class="form-control" name="tags" placeholder="Enter tags"
                                aria-label="Tags (Enter adds one)" bind:value=tag_input
                                on:keydown=move |ev| {
                                    if ev.key() == "Enter" {
                                        ev.prevent_default();
                                        add_tag();
                                    }
                                }/>
                            <div class="tag-list">
                                <For each=move || tags.get() key=|tag| tag.clone() let:tag>
                                    <span class="tag-default tag-pill">
                                        <button type="button" class="tag-remove"
                                            aria-label=format!("Remove tag {tag}")
                                            on:click={
                                                let tag = tag.clone();
                                                move |_| tags.update(|t| t.retain(|x| *x != tag))
                                            }><i class="ion-close-round"></i></button>
                                        {tag.clone()}
                                    </span>
                                </For>
                            </div>
                        </fieldset>
                        <button class="btn btn-lg pull-xs-right btn-primary" type="submit"
                            disabled=move || publish.pending().get()>"Publish Article"</button>
                        <p class="draft-status" role="status">
                            {move || match status.get() {
                                DraftStatus::Unchanged => "",
                                DraftStatus::Restored => "Draft restored",
                                DraftStatus::Saved => "Draft saved",
                                DraftStatus::NotSaved => "This browser cannot keep a draft",
                            }}
                            <Show when=move || matches!(status.get(), DraftStatus::Restored | DraftStatus::Saved)>
                                " "
                                <button type="button" class="btn btn-sm btn-outline-secondary" on:click=discard>
                                    "Discard draft"
                                </button>
                            </Show>
                        </p>
                    </fieldset>
                </form>
            </Column>
        </div>
    }
}

/// The fields of a published article that the editor edits.
fn published(article: Article) -> NewArticle {
    NewArticle {
        title: article.title,
        description: article.description,
        body: article.body,
        tag_list: article.tag_list,
    }
}
