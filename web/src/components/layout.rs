//! Header navigation and footer.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{format, session::Session};

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
