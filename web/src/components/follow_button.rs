//! The follow button of an author, on articles and profiles.

use leptos::prelude::*;

use crate::{api, components::toggle::toggle};

/// Follows or unfollows `username`; `following` is shared by every button for that author on the page, and a
/// failure's messages go to `errors`.
#[component]
pub fn FollowButton(
    /// The author.
    username: String,
    /// Whether the reader follows them.
    following: RwSignal<bool>,
    /// Where a failure's messages are shown.
    errors: RwSignal<Vec<String>>,
    /// Extra classes, e.g. `action-btn` on a profile.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let name = username.clone();
    let (click, pending) = toggle(
        following,
        move |wanted| {
            let username = username.clone();
            async move { api::profiles::set_following(&username, wanted).await }
        },
        move |profile: api_types::Profile| following.set(profile.following),
        errors,
    );
    view! {
        <button class=format!("btn btn-sm btn-outline-secondary {class}") disabled=pending on:click=move |_| click()>
            <i class="ion-plus-round"></i>
            {move || format!(" {} {name}", if following.get() { "Unfollow" } else { "Follow" })}
        </button>
    }
}
