//! `/settings`: change image, username, bio, e-mail, password; log out.

use api_types::UpdateUser;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    api,
    components::{error_list::ErrorList, layout::Column, text_field::TextField},
    head::set_title,
    remote::Submission,
    session::{self, Session},
};

/// The settings form. Signed-out visitors are sent to `/login`.
#[component]
pub fn SettingsPage() -> impl IntoView {
    set_title("Settings");
    let session = Session::get();
    let navigate = use_navigate();
    if session::stored_token().is_none() {
        navigate("/login", Default::default());
    }
    let image = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let bio = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // Fill the form once the user is known (right after a reload it is still being restored).
    Effect::new(move |filled: Option<bool>| {
        if filled == Some(true) {
            return true;
        }
        match session.user() {
            Some(user) => {
                image.set(user.image.unwrap_or_default());
                username.set(user.username);
                bio.set(user.bio.unwrap_or_default());
                email.set(user.email);
                true
            }
            None => false,
        }
    });

    let update = Submission::new(|changes: &UpdateUser| api::users::update(changes.clone()));
    let after_update = navigate.clone();
    Effect::new(move |_| {
        if let Some(Ok(user)) = update.value().get() {
            let profile = format!("/profile/{}", user.username);
            session.sign_in(user);
            after_update(&profile, Default::default());
        }
    });
    let errors = Signal::derive(move || match update.value().get() {
        Some(Err(e)) => e.messages(),
        _ => Vec::new(),
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new_password = password.get();
        update.dispatch(UpdateUser {
            image: Some(image.get()),
            username: Some(username.get()),
            bio: Some(bio.get()),
            email: Some(email.get()),
            password: (!new_password.is_empty()).then_some(new_password),
        });
    };
    let logout = move |_| {
        session.sign_out();
        navigate("/", Default::default());
    };

    view! {
        <div class="settings-page">
            <Column class="col-md-6 offset-md-3 col-xs-12">
                <h1 class="text-xs-center">"Your Settings"</h1>
                <ErrorList messages=errors/>
                <form on:submit=submit>
                    <fieldset>
                        <TextField name="image" label="URL of profile picture" value=image/>
                        <TextField name="username" label="Username" placeholder="Your Name" autocomplete="username"
                            large=true value=username/>
                        <fieldset class="form-group">
                            <textarea class="form-control form-control-lg" rows="8" name="bio" placeholder="Short bio about you"
                                aria-label="Bio" bind:value=bio></textarea>
                        </fieldset>
                        <TextField name="email" label="Email" autocomplete="email" large=true value=email/>
                        <TextField name="password" label="New Password" kind="password" autocomplete="new-password"
                            large=true value=password/>
                        <button class="btn btn-lg btn-primary pull-xs-right" type="submit"
                            disabled=move || update.pending().get()>"Update Settings"</button>
                    </fieldset>
                </form>
                <hr/>
                <button class="btn btn-outline-danger" on:click=logout>"Or click here to logout."</button>
            </Column>
        </div>
    }
}
