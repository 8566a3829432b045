//! `/login` and `/register`.

use std::future::Future;

use api_types::{LoginUser, NewUser, User};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    api,
    components::{error_list::ErrorList, layout::Column, text_field::TextField},
    head::set_title,
    remote::Submission,
    session::Session,
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

/// The frame both forms share: heading, the link to the other form, the server's errors, the fields and the
/// submit button, which sends the request with `send`.
#[component]
fn AuthForm<I, Fut>(
    /// Heading and button text.
    title: &'static str,
    /// The other form: its address and link text.
    other: (&'static str, &'static str),
    /// Sends the request and answers with the signed-in user.
    send: impl Fn(I) -> Fut + 'static,
    /// The request made of the fields.
    request: impl Fn() -> I + 'static,
    /// The fields.
    children: Children,
) -> impl IntoView
where
    I: Clone + 'static,
    Fut: Future<Output = Result<User, api::ApiError>> + 'static,
{
    set_title(title);
    let submission = Submission::new(move |request: &I| send(request.clone()));
    on_signed_in(submission);
    let errors = Signal::derive(move || match submission.value().get() {
        Some(Err(e)) => e.messages(),
        _ => Vec::new(),
    });
    // The grid column's content must be `Send`; the request's closure stays on this thread.
    let request = StoredValue::new_local(request);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.dispatch(request.with_value(|request| request()));
    };
    view! {
        <div class="auth-page">
            <Column class="col-md-6 offset-md-3 col-xs-12">
                <h1 class="text-xs-center">{title}</h1>
                <p class="text-xs-center"><a href=other.0>{other.1}</a></p>
                <ErrorList messages=errors/>
                <form on:submit=submit>
                    {children()}
                    <button class="btn btn-lg btn-primary pull-xs-right" type="submit"
                        disabled=move || submission.pending().get()>{title}</button>
                </form>
            </Column>
        </div>
    }
}

/// The sign-in form.
#[component]
pub fn LoginPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let request = move || LoginUser {
        email: email.get(),
        password: password.get(),
    };
    view! {
        <AuthForm title="Sign in" other=("/register", "Need an account?") send=api::users::login request>
            <TextField name="email" label="Email" autocomplete="email" large=true value=email/>
            <TextField name="password" label="Password" kind="password" autocomplete="current-password" large=true
                value=password/>
        </AuthForm>
    }
}

/// The sign-up form.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let request = move || NewUser {
        username: username.get(),
        email: email.get(),
        password: password.get(),
    };
    view! {
        <AuthForm title="Sign up" other=("/login", "Have an account?") send=api::users::register request>
            <TextField name="username" label="Username" autocomplete="username" large=true value=username/>
            <TextField name="email" label="Email" autocomplete="email" large=true value=email/>
            <TextField name="password" label="Password" kind="password" autocomplete="new-password" large=true
                value=password/>
        </AuthForm>
    }
}
