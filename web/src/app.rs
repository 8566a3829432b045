//! The root: session, header, the whole route table, footer.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path,
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
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=HomePage/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/register") view=RegisterPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                    <Route path=path!("/editor") view=EditorPage/>
                    <Route path=path!("/editor/:slug") view=EditorPage/>
                    <Route path=path!("/article/:slug") view=ArticlePage/>
                    <Route path=path!("/profile/:username") view=ProfilePage/>
                    <Route path=path!("/profile/:username/favorites") view=ProfilePage/>
                    <Route path=path!("/search") view=SearchPage/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}
