//! `/login` and `/register`.

use api_types::{LoginUser, NewUser, User};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    api, components::error_list::ErrorList, head::set_title, remote::Submission, session::Session,
};

/// Signs the user in with what `action` returned and goes home.
fn on_signed_in<I: 'static>(action: Submission<I, Result<User, api::ApiError>>) {
    let session = Session::get();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(user)) = action.value().get() {
            session.sign_in(user);
            navigate("/", Default::default());
        }
    });
}

fn error_messages<I: 'static>(
    action: Submission<I, Result<User, api::ApiError>>,
) -> Signal<Vec<String>> {
    Signal::derive(move || match action.value().get() {
        Some(Err(e)) => e.messages(),
        _ => Vec::new(),
    })
}

/// The sign-in form.
#[component]
pub fn LoginPage() -> impl IntoView {
    set_title("Sign in");
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let login = Submission::new(|user: &LoginUser| api::users::login(user.clone()));
    on_signed_in(login);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        login.dispatch(LoginUser {
            email: email.get(),
            password: password.get(),
        });
    };
    view! {
        <div class="auth-page">
            <div class="container page">
                <div class="row">
                    <div class="col-md-6 offset-md-3 col-xs-12">
                        <h1 class="text-xs-center">"Sign in"</h1>
                        <p class="text-xs-center"><a href="/register">"Need an account?"</a></p>
                        <ErrorList messages=error_messages(login)/>
                        <form on:submit=submit>
                            <fieldset class="form-group">
                                <input class="form-control form-control-lg" type="text" name="email"
                                    placeholder="Email" aria-label="Email" autocomplete="email" bind:value=email/>
                            </fieldset>
                            <fieldset class="form-group">
                                <input class="form-control form-control-lg" type="password" name="password"
                                    placeholder="Password" aria-label="Password" autocomplete="current-password"
                                    bind:value=password/>
                            </fieldset>
                            <button class="btn btn-lg btn-primary pull-xs-right" type="submit"
                                disabled=move || login.pending().get()>"Sign in"</button>
                        </form>
                    </div>
                </div>
            </div>
        </div>
    }
}

/// The sign-up form.
#[component]
pub fn RegisterPage() -> impl IntoView {
    set_title("Sign up");
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let register = Submission::new(|user: &NewUser| api::users::register(user.clone()));
    on_signed_in(register);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        register.dispatch(NewUser {
            username: username.get(),
            email: email.get(),
            password: password.get(),
        });
    };
    view! {
        <div class="auth-page">
            <div class="container page">
                <div class="row">
                    <div class="col-md-6 offset-md-3 col-xs-12">
                        <h1 class="text-xs-center">"Sign up"</h1>
                        <p class="text-xs-center"><a href="/login">"Have an account?"</a></p>
                        <ErrorList messages=error_messages(register)/>
                        <form on:submit=submit>
                            <fieldset class="form-group">
                                <input class="form-control form-control-lg" type="text" name="username"
                                    placeholder="Username" aria-label="Username" autocomplete="username"
                                    bind:value=username/>
                            </fieldset>
                            <fieldset class="form-group">
                                <input class="form-control form-control-lg" type="text" name="email"
                                    placeholder="Email" aria-label="Email" autocomplete="email" bind:value=email/>
                            </fieldset>
                            <fieldset class="form-group">
                                <input class="form-control form-control-lg" type="password" name="password"
                                    placeholder="Password" aria-label="Password" autocomplete="new-password"
                                    bind:value=password/>
                            </fieldset>
                            <button class="btn btn-lg btn-primary pull-xs-right" type="submit"
                                disabled=move || register.pending().get()>"Sign up"</button>
                        </form>
                    </div>
                </div>
            </div>
        </div>
    }
}
