//! The root: session, header, the page the location names (route.rs), footer.

use leptos::prelude::*;
use leptos_router::{
    components::Router,
    hooks::use_location,
    location::{BrowserUrl, LocationProvider},
};

use crate::{
    components::layout::{Footer, Header},
    pages::{
        article::ArticlePage,
        auth::{LoginPage, RegisterPage},
        editor::EditorPage,
        home::HomePage,
        not_found::NotFoundPage,
        profile::ProfilePage,
        search::SearchPage,
        settings::SettingsPage,
    },
    route::Page,
    session::Session,
};

/// The application root.
#[component]
pub fn App() -> impl IntoView {
    Session::provide();
    view! {
        <Router>
            <Header/>
            <main>
                <CurrentPage/>
            </main>
            <Footer/>
        </Router>
    }
}

/// The page at the current location; a new page (or the same one for another article, user…) is built afresh.
#[component]
fn CurrentPage() -> impl IntoView {
    let location = use_location();
    let page = Memo::new(move |_| Page::at(&location.pathname.get()));
    // The router writes a new path into the address bar once told the page for it is ready (`<Routes>` would tell
    // it); pages here are built synchronously, so as soon as the path has changed.
    let browser = use_context::<BrowserUrl>();
    Effect::new(move |_| {
        location.pathname.track();
        if let Some(browser) = &browser {
            browser.ready_to_complete();
        }
    });
    move || match page.get() {
        Page::Home => view! { <HomePage/> }.into_any(),
        Page::Login => view! { <LoginPage/> }.into_any(),
        Page::Register => view! { <RegisterPage/> }.into_any(),
        Page::Settings => view! { <SettingsPage/> }.into_any(),
        Page::Editor(slug) => view! { <EditorPage slug/> }.into_any(),
        Page::Article(slug) => view! { <ArticlePage slug/> }.into_any(),
        Page::Profile(username) => view! { <ProfilePage username/> }.into_any(),
        Page::Search => view! { <SearchPage/> }.into_any(),
        Page::NotFound => view! { <NotFoundPage/> }.into_any(),
    }
}
