//! What the document's head says about the page shown: its title, and the feed link for what it shows (a tag, an
//! author), so that a feed reader given the page's address finds that feed beside the site-wide `/feed.atom` that
//! index.html links.

use crate::api::articles::encode;

const ID: &str = "page-feed";

/// Sets the document title as `<page> — Conduit`.
pub fn set_title(page: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{page} — Conduit"));
    }
}

/// Which narrower feed a page offers.
#[derive(Debug, Clone, PartialEq)]
pub enum Feed {
    /// Articles with this tag.
    Tag(String),
    /// Articles by this author.
    Author(String),
}

/// Links `feed` from the head, replacing the previous page's; `None` removes it.
pub fn link_feed(feed: Option<&Feed>) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(old) = document.get_element_by_id(ID) {
        old.remove();
    }
    let (Some(feed), Some(head)) = (feed, document.head()) else {
        return;
    };
    let (title, href) = match feed {
        Feed::Tag(tag) => (
            format!("Conduit: #{tag}"),
            format!("/feed.atom?tag={}", encode(tag)),
        ),
        Feed::Author(name) => (
            format!("Conduit: {name}"),
            format!("/feed.atom?author={}", encode(name)),
        ),
    };
    let Ok(link) = document.create_element("link") else {
        return;
    };
    for (name, value) in [
        ("id", ID),
        ("rel", "alternate"),
        ("type", "application/atom+xml"),
        ("title", &title),
        ("href", &href),
    ] {
        let _ = link.set_attribute(name, value);
    }
    let _ = head.append_child(&link);
}
