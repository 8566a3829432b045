//! The comments under an article: a page at a time (oldest first) with "Load more", the form to add one, and a
//! delete button on one's own.

use api_types::{Comment, CommentList};
use leptos::prelude::*;

use crate::{
    api,
    components::error_list::ErrorList,
    format,
    remote::{fetched, Submission},
    session::Session,
};

/// The comment form (signed in) and the comments, oldest first, with a delete icon on one's own.
#[component]
pub fn Comments(
    /// The article's slug.
    slug: String,
) -> impl IntoView {
    let session = Session::get();
    let thread = Thread::default();
    // The offset of the page to load next: the pages loaded are a prefix of the server's list, so it is their
    // length (comments deleted here are gone from both).
    let next = RwSignal::new(0_u64);
    let load_errors = RwSignal::new(Vec::<String>::new());
    let page = {
        let slug = slug.clone();
        fetched(move || {
            let (slug, offset) = (slug.clone(), next.get());
            async move { api::articles::comments(&slug, offset).await }
        })
    };
    Effect::new(move |_| match page.get() {
        Some(Ok(list)) => thread.add_page(list),
        Some(Err(e)) => load_errors.set(e.messages()),
        None => {}
    });
    let draft = RwSignal::new(String::new());
    let post = {
        let slug = slug.clone();
        Submission::new(move |body: &String| {
            let (slug, body) = (slug.clone(), body.clone());
            async move { api::articles::add_comment(&slug, body).await }
        })
    };
    Effect::new(move |_| {
        if let Some(Ok(comment)) = post.value().get() {
            thread.add_posted(comment);
            draft.set(String::new());
        }
    });
    let post_errors = Signal::derive(move || match post.value().get() {
        Some(Err(e)) => e.messages(),
        _ => load_errors.get(),
    });
    let remove = {
        let slug = slug.clone();
        Submission::new(move |id: &i64| {
            let (slug, id) = (slug.clone(), *id);
            async move { api::articles::delete_comment(&slug, id).await.map(|()| id) }
        })
    };
    Effect::new(move |_| {
        if let Some(Ok(id)) = remove.value().get() {
            thread.remove(id);
        }
    });

    view! {
        <div class="row">
            <div class="col-xs-12 col-md-8 offset-md-2">
                <ErrorList messages=post_errors/>
                <Show
                    when=move || session.signed_in()
                    fallback=|| view! {
                        <p><a href="/login">"Sign in"</a>" or "<a href="/register">"sign up"</a>" to add comments on this article."</p>
                    }
                >
                    <form class="card comment-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        post.dispatch(draft.get());
                    }>
                        <div class="card-block">
                            <textarea class="form-control" name="comment" placeholder="Write a comment..." rows="3"
                                aria-label="Comment" bind:value=draft></textarea>
                        </div>
                        <div class="card-footer">
                            <img src=move || format::avatar(session.user().and_then(|u| u.image).as_deref())
                                class="comment-author-img" alt=""/>
                            <button class="btn btn-sm btn-primary" type="submit" disabled=move || post.pending().get()>
                                "Post Comment"
                            </button>
                        </div>
                    </form>
                </Show>
                <For each=move || thread.all() key=|c| c.id let:comment>
                    <CommentCard comment on_delete=move |id| { remove.dispatch(id); }/>
                </For>
                <Show when=move || thread.has_more()>
                    <button class="btn btn-sm btn-outline-secondary load-more" type="button"
                        disabled=move || page.with(Option::is_none)
                        on:click=move |_| next.set(thread.paged_len())>
                        {move || format!("Load more comments ({} more)", thread.remaining())}
                    </button>
                </Show>
            </div>
        </div>
    }
}

/// The comments shown: the pages loaded so far (a prefix of the article's comments, oldest first), then those
/// posted here since, which the server lists after them; and how many there are in all.
#[derive(Debug, Clone, Copy, Default)]
struct Thread {
    paged: RwSignal<Vec<Comment>>,
    posted: RwSignal<Vec<Comment>>,
    total: RwSignal<u64>,
}

impl Thread {
    /// Appends a page; a comment posted here that the page holds moves into place.
    fn add_page(self, page: CommentList) {
        self.posted
            .update(|posted| posted.retain(|c| !page.comments.iter().any(|p| p.id == c.id)));
        self.paged.update(|paged| {
            for comment in page.comments {
                if !paged.iter().any(|c| c.id == comment.id) {
                    paged.push(comment);
                }
            }
        });
        self.total.set(page.comments_count);
    }

    fn add_posted(self, comment: Comment) {
        self.posted.update(|posted| posted.push(comment));
        self.total.update(|n| *n += 1);
    }

    fn remove(self, id: i64) {
        self.paged.update(|list| list.retain(|c| c.id != id));
        self.posted.update(|list| list.retain(|c| c.id != id));
        self.total.update(|n| *n = n.saturating_sub(1));
    }

    fn all(self) -> Vec<Comment> {
        let mut all = self.paged.get();
        all.extend(self.posted.get());
        all
    }

    fn paged_len(self) -> u64 {
        self.paged.with(Vec::len) as u64
    }

    /// Comments not loaded yet.
    fn remaining(self) -> u64 {
        let shown = self.paged_len() + self.posted.with(Vec::len) as u64;
        self.total.get().saturating_sub(shown)
    }

    fn has_more(self) -> bool {
        self.remaining() > 0
    }
}

/// One comment; its author sees a delete icon.
#[component]
fn CommentCard(
    comment: Comment,
    on_delete: impl Fn(i64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let session = Session::get();
    let author = comment.author.username.clone();
    let profile_href = format!("/profile/{author}");
    let own = {
        let author = author.clone();
        move || session.username().as_deref() == Some(author.as_str())
    };
    let id = comment.id;
    view! {
        <div class="card">
            <div class="card-block">
                <p class="card-text">{comment.body.clone()}</p>
            </div>
            <div class="card-footer">
                <a href=profile_href.clone() class="comment-author">
                    <img src=format::avatar(comment.author.image.as_deref()) class="comment-author-img" alt=author.clone()/>
                </a>
                " "
                <a href=profile_href class="comment-author">{author.clone()}</a>
                <span class="date-posted">{format::date(&comment.created_at)}</span>
                <Show when=own>
                    <span class="mod-options">
                        <button type="button" aria-label="Delete comment" on:click=move |_| on_delete(id)>
                            <i class="ion-trash-a"></i>
                        </button>
                    </span>
                </Show>
            </div>
        </div>
    }
}
