//! One module per route.

pub mod article;
pub mod auth;
pub mod editor;
pub mod home;
pub mod not_found;
pub mod profile;
pub mod search;
pub mod settings;
