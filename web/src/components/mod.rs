//! Views shared by several pages.

pub mod article_list;
pub mod article_preview;
pub mod error_list;
pub mod layout;
