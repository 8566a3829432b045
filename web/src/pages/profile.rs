//! `/profile/:username` and `/profile/:username/favorites`: a user, their articles or their favorites.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{
    api::{
        self,
        articles::{ArticleQuery, ArticleSource},
    },
    components::{
        article_list::ArticleList, error_list::ErrorList, follow_button::FollowButton,
        layout::Column,
    },
    format,
    head::{self, set_title},
    remote::fetched,
    session::Session,
};

/// The profile page; `favorites` selects the Favorited Articles tab.
#[component]
pub fn ProfilePage(
    /// The user's name, from the path.
    username: String,
) -> impl IntoView {
    let username = StoredValue::new(username);
    let location = use_location();
    let favorites = Memo::new(move |_| location.pathname.get().ends_with("/favorites"));
    let page = RwSignal::new(0_u32);
    Effect::new(move |_| {
        // Another tab starts at the first page.
        favorites.track();
        page.set(0);
    });
    username.with_value(|name| {
        set_title(name);
        head::link_feed(Some(&head::Feed::Author(name.clone())));
    });
    on_cleanup(|| head::link_feed(None));
    let profile = fetched(move || {
        let name = username.get_value();
        async move { api::profiles::get(&name).await }
    });
    let query = Signal::derive(move || {
        let name = username.get_value();
        let source = if favorites.get() {
            ArticleSource::Favorited(name)
        } else {
            ArticleSource::Author(name)
        };
        ArticleQuery {
            source,
            page: page.get(),
        }
    });

    view! {
        <div class="profile-page">
            <div class="user-info">
                <Column class="col-xs-12 col-md-10 offset-md-1" container="container">
                    {move || match profile.get() {
                        None => view! { <p>"Loading profile..."</p> }.into_any(),
                        Some(answer) => match answer {
                            Ok(profile) => view! { <UserInfo profile/> }.into_any(),
                            Err(e) if e.is_not_found() => {
                                set_title("Profile not found");
                                view! { <h4>"Profile not found"</h4> }.into_any()
                            }
                            Err(e) => view! { <ErrorList messages=e.messages()/> }.into_any(),
                        },
                    }}
                </Column>
            </div>
            <Column class="col-xs-12 col-md-10 offset-md-1" container="container">
                <h1 class="sr-only">
                    {move || {
                        let whose = if favorites.get() { "favorited by" } else { "by" };
                        format!("Articles {whose} {}", username.get_value())
                    }}
                </h1>
                <div class="articles-toggle">
                    <ul class="nav nav-pills outline-active">
                        <li class="nav-item">
                            <a class="nav-link" class:active=move || !favorites.get()
                                href=format!("/profile/{}", username.get_value())>"My Articles"</a>
                        </li>
                        <li class="nav-item">
                            <a class="nav-link" class:active=move || favorites.get()
                                href=format!("/profile/{}/favorites", username.get_value())>"Favorited Articles"</a>
                        </li>
                    </ul>
                </div>
                <ArticleList query page/>
            </Column>
        </div>
    }
}

/// Avatar, name, bio, and Follow or Edit Profile Settings.
#[component]
fn UserInfo(profile: api_types::Profile) -> impl IntoView {
    let session = Session::get();
    let following = RwSignal::new(profile.following);
    let errors = RwSignal::new(Vec::new());
    let own = {
        let name = profile.username.clone();
        move || session.username().as_deref() == Some(name.as_str())
    };
    let username = profile.username.clone();
    view! {
        <img src=format::avatar(profile.image.as_deref()) class="user-img" alt=""/>
        <h4>{profile.username.clone()}</h4>
        <p>{profile.bio.clone().unwrap_or_default()}</p>
        <ErrorList messages=errors/>
        <Show
            when=own
            fallback=move || view! {
                <FollowButton username=username.clone() following errors class="action-btn"/>
            }
        >
            <a class="btn btn-sm btn-outline-secondary action-btn" href="/settings">
                <i class="ion-gear-a"></i>" Edit Profile Settings"
            </a>
        </Show>
    }
}
