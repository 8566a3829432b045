//! RealWorld JSON wire types: the compile-time contract between `web` and `api`.
//!
//! Request fields default to empty so that a missing field reaches validation and comes back as a RealWorld
//! 422 (`{"errors":{"email":["can't be blank"]}}`) rather than a serde message. Request objects refuse fields they
//! do not know and `null` where it means nothing, as api/openapi.json says (`additionalProperties: false`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Deepest `offset` the list endpoints accept (articles, feed, comments); a deeper one is answered 422, so a client
/// pages no further and narrows the list with a filter instead. Equals db-client's `MAX_OFFSET`.
pub const MAX_OFFSET: u64 = 10_000;

/// Declares the body of a `PUT`, whose fields all change one thing each: an absent field leaves it as it is (and
/// `None` is left out when sent), and a present one is read by the function named after the field's type.
macro_rules! change_body {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            $(
                $(#[doc = $field_doc:literal])*
                $(#[serde(rename = $wire:literal)])?
                pub $field:ident: $ty:ty = $read:literal,
            )*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[doc = $field_doc])*
                $(#[serde(rename = $wire)])?
                #[serde(deserialize_with = $read, skip_serializing_if = "Option::is_none")]
                pub $field: $ty,
            )*
        }
    };
}

/// `{"user": …}` envelope used by every users endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEnvelope<T> {
    /// The wrapped user payload.
    pub user: T,
}

/// `{"article": …}` envelope used by single-article endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleEnvelope<T> {
    /// The wrapped article payload.
    pub article: T,
}

/// Body of `POST /api/users` (registration).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Public name, unique.
    #[serde(default)]
    pub username: String,
    /// Login e-mail, unique.
    #[serde(default)]
    pub email: String,
    /// Plain-text password; only ever hashed.
    #[serde(default)]
    pub password: String,
}

/// Body of `POST /api/users/login`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginUser {
    /// Login e-mail.
    #[serde(default)]
    pub email: String,
    /// Plain-text password.
    #[serde(default)]
    pub password: String,
}

/// The signed-in user, as returned by register, login and `GET /api/user`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Login e-mail.
    pub email: String,
    /// JWT to send back as `Authorization: Token <token>`.
    pub token: String,
    /// Public name.
    pub username: String,
    /// Free-text bio; the key is always present (NOTES.md #9).
    pub bio: Option<String>,
    /// Avatar URL; the key is always present (NOTES.md #9).
    pub image: Option<String>,
}

/// Another user as seen by the viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Public name.
    pub username: String,
    /// Free-text bio.
    pub bio: Option<String>,
    /// Avatar URL.
    pub image: Option<String>,
    /// Whether the viewer follows this user; `false` for anonymous viewers.
    pub following: bool,
}

change_body! {
    /// Body of `PUT /api/user`: only the fields present change. `null` clears `bio` and `image` (as `""` does) and
    /// is refused for the other fields.
    pub struct UpdateUser {
        /// New login e-mail.
        pub email: Option<String> = "present",
        /// New public name.
        pub username: Option<String> = "present",
        /// New password.
        pub password: Option<String> = "present",
        /// New bio; empty, blank or `null` clears it.
        pub bio: Option<String> = "null_as_empty",
        /// New avatar URL; empty, blank or `null` clears it.
        pub image: Option<String> = "null_as_empty",
    }
}

/// `{"profile": …}` envelope of the profile endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileEnvelope {
    /// The profile.
    pub profile: Profile,
}

/// Body of `POST /api/articles`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    /// Headline; the slug is derived from it.
    #[serde(default)]
    pub title: String,
    /// One-line summary shown in previews.
    #[serde(default)]
    pub description: String,
    /// Markdown body.
    #[serde(default)]
    pub body: String,
    /// Optional tags.
    #[serde(rename = "tagList", default, deserialize_with = "tags")]
    pub tag_list: Vec<String>,
}

change_body! {
    /// Body of `PUT /api/articles/:slug`: only the fields present change (none may be `null`); a new title brings
    /// a new slug.
    pub struct UpdateArticle {
        /// New headline.
        pub title: Option<String> = "present",
        /// New summary.
        pub description: Option<String> = "present",
        /// New markdown body.
        pub body: Option<String> = "present",
        /// New tags, replacing the old ones; `[]` removes them all.
        #[serde(rename = "tagList")]
        pub tag_list: Option<Vec<String>> = "present_tags",
    }
}

/// An optional field that, when present, must hold a value: `null` is refused like any other wrong type (absent
/// fields never reach this; the container's `#[serde(default)]` makes them `None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Tag entries kept when a request is read: more than a tag list may hold (the api refuses the list then), few
/// enough that a body of a hundred thousand tiny entries costs its bytes and no more. Entries past these are read
/// (each must still be a string) and dropped.
pub const MAX_TAG_ENTRIES_READ: usize = 64;

/// A tag list, read keeping at most [`MAX_TAG_ENTRIES_READ`] entries.
fn tags<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct FirstEntries;

    impl<'de> serde::de::Visitor<'de> for FirstEntries {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of strings")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut kept = Vec::new();
            while let Some(entry) = seq.next_element::<String>()? {
                if kept.len() < MAX_TAG_ENTRIES_READ {
                    kept.push(entry);
                }
            }
            Ok(kept)
        }
    }

    deserializer.deserialize_seq(FirstEntries)
}

/// [`tags`] for a field that, when present, must hold a list (`null` is refused).
fn present_tags<'de, D>(deserializer: D) -> Result<Option<Vec<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    tags(deserializer).map(Some)
}

/// An optional text field where `null` means "none": it reads as `""`, which clears the value.
fn null_as_empty<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<String>::deserialize(deserializer).map(|value| Some(value.unwrap_or_default()))
}

/// A full article, as returned by the single-article endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Article {
    /// URL-safe unique identifier derived from the title.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// One-line summary.
    pub description: String,
    /// Markdown body.
    pub body: String,
    /// Tags, sorted alphabetically (NOTES.md #1).
    pub tag_list: Vec<String>,
    /// Creation time, `YYYY-MM-DDTHH:MM:SS.sssZ` (NOTES.md #2).
    pub created_at: String,
    /// Last update time, same format.
    pub updated_at: String,
    /// Whether the viewer has favorited it.
    pub favorited: bool,
    /// How many users have favorited it.
    pub favorites_count: u64,
    /// The author's profile as seen by the viewer.
    pub author: Profile,
}

/// An article in a list or feed: everything but the body (NOTES.md #8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticlePreview {
    /// URL-safe unique identifier.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// One-line summary.
    pub description: String,
    /// Tags, sorted alphabetically.
    pub tag_list: Vec<String>,
    /// Creation time.
    pub created_at: String,
    /// Last update time.
    pub updated_at: String,
    /// Whether the viewer has favorited it.
    pub favorited: bool,
    /// How many users have favorited it.
    pub favorites_count: u64,
    /// The author's profile as seen by the viewer.
    pub author: Profile,
}

/// Response of `GET /api/articles`: one page plus the total matching count (NOTES.md #6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticleList {
    /// The page, newest first.
    pub articles: Vec<ArticlePreview>,
    /// Total number of matching articles, not the page length.
    pub articles_count: u64,
}

/// `{"comment": …}` envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentEnvelope<T> {
    /// The wrapped comment payload.
    pub comment: T,
}

/// Body of `POST /api/articles/:slug/comments`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// Comment text.
    #[serde(default)]
    pub body: String,
}

/// A comment on an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// Identifier, used to delete it.
    pub id: i64,
    /// Creation time, `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub created_at: String,
    /// Last update time, same format.
    pub updated_at: String,
    /// Comment text.
    pub body: String,
    /// The commenter as the viewer sees them.
    pub author: Profile,
}

/// Response of `GET /api/articles/:slug/comments`: one page, oldest first, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentList {
    /// The comments of this page.
    pub comments: Vec<Comment>,
    /// Comments on the article across all pages.
    pub comments_count: u64,
}

/// Response of `GET /api/tags`, most used first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagList {
    /// The tags.
    pub tags: Vec<String>,
}

/// The RealWorld error body: `{"errors": {"field": ["message", …]}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Messages keyed by the field (or subject) they concern.
    pub errors: BTreeMap<String, Vec<String>>,
}

impl ErrorBody {
    /// A body with one message about one field.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            errors: BTreeMap::from([(field.into(), vec![message.into()])]),
        }
    }

    /// Every message as `"field message"`, the way the Conduit front end lists them.
    pub fn messages(&self) -> Vec<String> {
        self.errors
            .iter()
            .flat_map(|(field, msgs)| msgs.iter().map(move |m| format!("{field} {m}")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_request_fields_default_to_empty_so_validation_can_name_them() {
        let parsed: UserEnvelope<NewUser> =
            serde_json::from_str(r#"{"user":{"email":"a@b.c"}}"#).expect("valid json");
        assert_eq!(parsed.user.email, "a@b.c");
        assert!(parsed.user.username.is_empty());
    }

    #[test]
    fn request_bodies_refuse_fields_they_do_not_know() {
        for body in [
            r#"{"user":{"email":"a@b.c","password":"p","admin":true}}"#,
            r#"{"user":{"email":"a@b.c","password":"p"},"extra":1}"#,
        ] {
            assert!(
                serde_json::from_str::<UserEnvelope<LoginUser>>(body).is_err(),
                "{body}"
            );
        }
        assert!(serde_json::from_str::<ArticleEnvelope<UpdateArticle>>(
            r#"{"article":{"slug":"x"}}"#
        )
        .is_err());
    }

    #[test]
    fn null_clears_bio_and_image_but_is_refused_elsewhere() {
        let cleared: UpdateUser =
            serde_json::from_str(r#"{"bio":null,"image":null}"#).expect("null clears");
        assert_eq!(
            (cleared.bio.as_deref(), cleared.image.as_deref()),
            (Some(""), Some(""))
        );
        let absent: UpdateUser = serde_json::from_str(r#"{"bio":"hi"}"#).expect("valid");
        assert_eq!((absent.bio.as_deref(), absent.image), (Some("hi"), None));
        for field in ["email", "username", "password"] {
            let body = format!(r#"{{"{field}":null}}"#);
            assert!(serde_json::from_str::<UpdateUser>(&body).is_err(), "{body}");
        }
        for field in ["title", "description", "body", "tagList"] {
            let body = format!(r#"{{"{field}":null}}"#);
            assert!(
                serde_json::from_str::<UpdateArticle>(&body).is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn a_huge_tag_list_is_read_keeping_only_its_first_entries() {
        let tags: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
        let body = serde_json::json!({ "tagList": tags, "title": "t" }).to_string();
        let new: NewArticle = serde_json::from_str(&body).expect("new article");
        assert_eq!(new.tag_list, tags[..MAX_TAG_ENTRIES_READ]);
        let update: UpdateArticle = serde_json::from_str(&body).expect("update");
        assert_eq!(
            update.tag_list.as_deref(),
            Some(&tags[..MAX_TAG_ENTRIES_READ])
        );
        // Every entry is still read: one that is not a string is refused.
        let mut wrong = tags.clone();
        wrong.push("x".into());
        let body = serde_json::json!({ "tagList": wrong })
            .to_string()
            .replace(r#""x""#, "7");
        assert!(serde_json::from_str::<NewArticle>(&body).is_err());
        // A short list is read whole.
        let short: NewArticle = serde_json::from_str(r#"{"tagList":["a","b"]}"#).expect("short");
        assert_eq!(short.tag_list, ["a", "b"]);
    }

    #[test]
    fn user_keeps_null_bio_and_image_keys() {
        let user = User {
            email: "e".into(),
            token: "t".into(),
            username: "u".into(),
            bio: None,
            image: None,
        };
        let json = serde_json::to_value(&user).expect("serializable");
        assert!(json["bio"].is_null() && json.as_object().is_some_and(|o| o.contains_key("bio")));
        assert!(json.as_object().is_some_and(|o| o.contains_key("image")));
    }

    #[test]
    fn article_list_uses_camel_case_and_previews_have_no_body() {
        let list = ArticleList {
            articles: vec![],
            articles_count: 0,
        };
        let json = serde_json::to_string(&list).expect("serializable");
        assert_eq!(json, r#"{"articles":[],"articlesCount":0}"#);
    }

    #[test]
    fn error_messages_join_field_and_message() {
        let body = ErrorBody::single("email", "has already been taken");
        assert_eq!(body.messages(), vec!["email has already been taken"]);
    }
}
