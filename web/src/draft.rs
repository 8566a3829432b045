//! Editor drafts in localStorage, one per user and article (new or edited), so that a reload, a crash or a closed
//! tab loses nothing; the editor clears a draft once its article is published.

use api_types::NewArticle;

use crate::{json, session::local_storage};

/// Where one draft is kept: per user (several people may share a browser) and per article.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftKey(String);

impl DraftKey {
    /// The draft of `username`'s new article, or of their edit of the article `editing`.
    pub fn new(username: &str, editing: Option<&str>) -> Self {
        Self(match editing {
            Some(slug) => format!("conduit.draft/{username}/edit/{slug}"),
            None => format!("conduit.draft/{username}/new"),
        })
    }

    /// The stored draft, if there is a readable one.
    pub fn load(&self) -> Option<NewArticle> {
        let text = local_storage()?.get_item(&self.0).ok().flatten()?;
        json::from_text(&text).ok()
    }

    /// Stores `draft`; whether it was stored (a full or missing storage only costs the safety net).
    pub fn save(&self, draft: &NewArticle) -> bool {
        let (Some(storage), Ok(text)) = (local_storage(), json::to_text(draft)) else {
            return false;
        };
        storage.set_item(&self.0, &text).is_ok()
    }

    /// Forgets the draft.
    pub fn clear(&self) {
        if let Some(storage) = local_storage() {
            let _ = storage.remove_item(&self.0);
        }
    }
}
