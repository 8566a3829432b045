//! Conduit's single-page app: mounts [`app::App`] on the body.

mod api;
mod app;
mod components;
mod draft;
mod format;
mod head;
mod json;
mod markdown;
mod pages;
mod remote;
mod route;
mod session;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
