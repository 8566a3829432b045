//! Internal request and response bodies of db-service's `/v1` API.

use serde::{Deserialize, Serialize};

/// Primary key of a user in the user service's database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// A stored user, password hash included (the api needs it to verify logins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Primary key.
    pub id: UserId,
    /// Public name, unique.
    pub username: String,
    /// Login e-mail, unique.
    pub email: String,
    /// PHC-format argon2id hash.
    pub password_hash: String,
    /// Free-text bio.
    pub bio: Option<String>,
    /// Avatar URL.
    pub image: Option<String>,
    /// Bumped by every password change; tokens issued under an older version are no longer accepted.
    pub token_version: i64,
}

/// `POST /v1/users`: a user whose fields the api has already validated and whose password it has hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUser {
    /// Public name.
    pub username: String,
    /// Login e-mail.
    pub email: String,
    /// PHC-format argon2id hash.
    pub password_hash: String,
}

/// `POST /v1/articles`: a validated article. db-service makes `slug` unique by suffixing it on collision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewArticle {
    /// The author (the signed-in user).
    pub author: UserId,
    /// Slug derived from the title; the stored one may carry a suffix.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// One-line summary.
    pub description: String,
    /// Markdown body.
    pub body: String,
    /// Tags; db-service stores each once.
    pub tags: Vec<String>,
}

/// `PATCH /v1/users/{id}`: the fields to change; `None` leaves a field as it is. An empty `bio` or `image`
/// clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserChanges {
    /// New public name.
    pub username: Option<String>,
    /// New login e-mail.
    pub email: Option<String>,
    /// New PHC-format argon2id hash; bumps the user's token version.
    pub password_hash: Option<String>,
    /// New bio; empty clears it.
    pub bio: Option<String>,
    /// New avatar URL; empty clears it.
    pub image: Option<String>,
}

/// A user's profile as a viewer sees it (also the author of articles and comments).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorView {
    /// Public name.
    pub username: String,
    /// Free-text bio.
    pub bio: Option<String>,
    /// Avatar URL.
    pub image: Option<String>,
    /// Whether the viewer follows the author.
    pub following: bool,
}

/// An article joined with everything a response needs: author profile, tags, favorite state and count.
///
/// On the wire it has the public RealWorld article shape (camelCase, `tagList`, no `body` in lists), so that an
/// [`ArticlePage`] is byte for byte the api's `GET /api/articles` response and the api relays it undecoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticleRecord {
    /// Unique slug.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// One-line summary.
    pub description: String,
    /// Markdown body; `None` in list results, which never carry bodies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Tags in byte order (`Rust` before `rust`), each once.
    #[serde(rename = "tagList")]
    pub tags: Vec<String>,
    /// Creation time, `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC.
    pub created_at: String,
    /// Last update time, same format.
    pub updated_at: String,
    /// Whether the viewer has favorited it.
    pub favorited: bool,
    /// Number of users who favorited it.
    pub favorites_count: u64,
    /// The author as seen by the viewer.
    pub author: AuthorView,
}

/// `PATCH /v1/articles/{slug}`: the changes, and who asks for them (only the author may).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleChanges {
    /// The user asking for the change.
    pub editor: UserId,
    /// New headline; with it comes a new slug derived from `slug`.
    pub title: Option<String>,
    /// Slug derived from the new title (made unique like a new article's).
    pub slug: Option<String>,
    /// New summary.
    pub description: Option<String>,
    /// New markdown body.
    pub body: Option<String>,
    /// New tags, replacing the old ones (an empty list removes all).
    pub tags: Option<Vec<String>>,
}

/// `POST /v1/articles/{slug}/comments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewComment {
    /// The commenter.
    pub author: UserId,
    /// Comment text.
    pub body: String,
}

/// A comment with its author as the viewer sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentRecord {
    /// Primary key.
    pub id: i64,
    /// Creation time, `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub created_at: String,
    /// Last update time, same format.
    pub updated_at: String,
    /// Comment text.
    pub body: String,
    /// The commenter.
    pub author: AuthorView,
}

/// Who performs a state-changing call that only certain users may make (deleting, following, favoriting).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ActorQuery {
    /// The signed-in user.
    pub by: UserId,
}

/// `GET /v1/articles/{slug}/comments` query: the viewer and the page.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CommentsQuery {
    /// The signed-in viewer, if any.
    pub viewer: Option<UserId>,
    /// Page size, [`DEFAULT_PAGE_SIZE`] unless given; capped at [`crate::MAX_PAGE_SIZE`].
    #[serde(default = "default_page_size")]
    pub limit: u32,
    /// Comments to skip; capped at [`crate::MAX_OFFSET`].
    #[serde(default)]
    pub offset: u64,
}

impl Default for CommentsQuery {
    fn default() -> Self {
        Self {
            viewer: None,
            limit: DEFAULT_PAGE_SIZE,
            offset: 0,
        }
    }
}

/// One page of an article's comments, oldest first, and how many the article has in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentPage {
    /// The page.
    pub comments: Vec<CommentRecord>,
    /// Comments on the article across all pages.
    pub total: u64,
}

/// Who is asking, so that `following` and `favorited` can be filled in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ViewerQuery {
    /// The signed-in viewer, if any.
    pub viewer: Option<UserId>,
}

/// `GET /v1/articles` query: filters, page, and viewer. Filters combine with AND.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ArticleFilter {
    /// Only articles carrying this tag.
    pub tag: Option<String>,
    /// Only articles by this username.
    pub author: Option<String>,
    /// Only articles favorited by this username.
    pub favorited: Option<String>,
    /// Only articles by authors this user follows (the feed).
    pub followed_by: Option<UserId>,
    /// Only articles containing every one of these words (space-separated, letters and digits, at least 3
    /// each) in their title, description, body or tags, ranked by relevance, then newest first; only the newest
    /// [`crate::SEARCH_WINDOW`] matches are ranked and counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Page size, 20 unless given; capped at [`crate::MAX_PAGE_SIZE`].
    #[serde(default = "default_page_size")]
    pub limit: u32,
    /// Number of articles to skip; capped at [`crate::MAX_OFFSET`].
    #[serde(default)]
    pub offset: u64,
    /// The signed-in viewer, if any.
    pub viewer: Option<UserId>,
    /// Whether the articles carry their bodies (feeds do; lists shown to readers do not).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub with_bodies: bool,
}

/// One page of articles, newest first, and the total number matching the filter. Its JSON is exactly the public
/// `{"articles": […], "articlesCount": n}` (see [`ArticleRecord`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticlePage {
    /// The page.
    pub articles: Vec<ArticleRecord>,
    /// Total matching articles across all pages.
    #[serde(rename = "articlesCount")]
    pub total: u64,
}

/// The RealWorld default page size (NOTES.md #7).
pub const DEFAULT_PAGE_SIZE: u32 = 20;

fn default_page_size() -> u32 {
    DEFAULT_PAGE_SIZE
}

impl Default for ArticleFilter {
    fn default() -> Self {
        Self {
            tag: None,
            author: None,
            favorited: None,
            followed_by: None,
            q: None,
            limit: DEFAULT_PAGE_SIZE,
            offset: 0,
            viewer: None,
            with_bodies: false,
        }
    }
}

/// What a sitemap lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SitemapKind {
    /// Articles, by slug.
    Articles,
    /// Profiles, by username.
    Profiles,
}

/// `GET /v1/sitemap/{kind}/{page}`: one page of a sitemap — the articles or users whose ids fall in the page's
/// range of [`crate::SITEMAP_PAGE_SIZE`] ids (pages count from 1; page 0 has no entries) — and how many pages
/// there are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SitemapPage {
    /// The page's entries, by id.
    pub entries: Vec<SitemapEntry>,
    /// Pages of this kind in all (at least 1).
    pub pages: u32,
}

/// One address in a sitemap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SitemapEntry {
    /// The article's slug or the user's name.
    pub key: String,
    /// Last change, `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub updated_at: String,
}

/// One database file inside a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFile {
    /// File name (`users.db`, `blog.db`).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// A finished, verified backup: what `db-service backup` prints and `POST /v1/backups` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupReport {
    /// Folder holding the backup and its `manifest.json`.
    pub path: String,
    /// When it was taken, `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub created_at: String,
    /// Every database file in it, each verified with `PRAGMA integrity_check`.
    pub files: Vec<BackupFile>,
    /// Its off-node copy (`s3://bucket/prefix/<id>`), uploaded and read back intact; absent when BACKUP_URL is
    /// not set or the upload failed (the local backup stands either way). Never in `manifest.json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
}
