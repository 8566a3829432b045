//! Header navigation, footer, and the grid column a page's content stands in.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use crate::{api::articles::encode, format, session::Session};

/// The top navigation bar; the link of the current page gets `active`.
#[component]
pub fn Header() -> impl IntoView {
    let session = Session::get();
    let location = use_location();
    let link_class = move |href: &'static str| {
        move || {
            if location.pathname.get() == href {
                "nav-link active"
            } else {
                "nav-link"
            }
        }
    };
    view! {
        <nav class="navbar navbar-light">
            <div class="container">
                <a class="navbar-brand" href="/">"conduit"</a>
                <SearchField/>
                <ul class="nav navbar-nav pull-xs-right">
                    <li class="nav-item">
                        <a class=link_class("/") href="/">"Home"</a>
                    </li>
                    <Show
                        when=move || session.signed_in()
                        fallback=move || view! {
                            <li class="nav-item">
                                <a class=link_class("/login") href="/login">"Sign in"</a>
                            </li>
                            <li class="nav-item">
                                <a class=link_class("/register") href="/register">"Sign up"</a>
                            </li>
                        }
                    >
                        <li class="nav-item">
                            <a class=link_class("/editor") href="/editor">
                                <i class="ion-compose"></i>" New Article"
                            </a>
                        </li>
                        <li class="nav-item">
                            <a class=link_class("/settings") href="/settings">
                                <i class="ion-gear-a"></i>" Settings"
                            </a>
                        </li>
                        {move || session.user().map(|user| {
                            let href = format!("/profile/{}", user.username);
                            let active_href = href.clone();
                            let class = move || {
                                if location.pathname.get() == active_href { "nav-link active" } else { "nav-link" }
                            };
                            view! {
                                <li class="nav-item">
                                    <a class=class href=href>
                                        <img src=format::avatar(user.image.as_deref()) class="user-pic" alt=""/>
                                        {user.username.clone()}
                                    </a>
                                </li>
                            }
                        })}
                    </Show>
                </ul>
            </div>
        </nav>
    }
}

/// The search field: submitting it opens `/search?q=…`; on that page it shows the words searched.
#[component]
fn SearchField() -> impl IntoView {
    let location = use_location();
    let query = use_query_map();
    let navigate = use_navigate();
    let words = RwSignal::new(String::new());
    Effect::new(move |_| {
        if location.pathname.get() == "/search" {
            words.set(query.read().get("q").unwrap_or_default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = words.get_untracked();
        let typed = typed.trim();
        if !typed.is_empty() {
            navigate(&format!("/search?q={}", encode(typed)), Default::default());
        }
    };
    view! {
        <form class="navbar-search" role="search" on:submit=submit>
            <input class="form-control" type="search" name="q" placeholder="Search articles"
                aria-label="Search articles" bind:value=words/>
        </form>
    }
}

/// The page footer.
#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer>
            <div class="container">
                <a href="/" class="logo-font">"conduit"</a>
                <span class="attribution">
                    "An interactive learning project. Code & design licensed under MIT."
                </span>
            </div>
        </footer>
    }
}

/// One centred column of the template's grid: a `.container`, its `.row`, and in it the column.
#[component]
pub fn Column(
    /// The column's grid classes (e.g. `col-md-6 offset-md-3 col-xs-12`).
    class: &'static str,
    /// The container's classes: `container page` (a page's body) unless given.
    #[prop(default = "container page")]
    container: &'static str,
    /// What stands in the column.
    children: Children,
) -> impl IntoView {
    view! {
        <div class=container>
            <div class="row">
                <div class=class>{children()}</div>
            </div>
        </div>
    }
}
