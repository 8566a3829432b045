//! Views shared by several pages.

pub mod article_list;
pub mod article_preview;
pub mod error_list;
pub mod favorite_button;
pub mod follow_button;
pub mod layout;
pub mod text_field;
pub mod toggle;
