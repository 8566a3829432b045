//! The contract between the api and db-service: every internal request and response, the typed error, and
//! (with the `client` feature) the HTTP client the api uses. One definition serves both sides.

mod error;
mod types;

#[cfg(feature = "client")]
mod client;

#[cfg(feature = "client")]
pub use client::DbClient;
pub use error::{DbError, Entity, ErrorKind, WireError};
pub use types::{
    ActorQuery, ArticleChanges, ArticleFilter, ArticlePage, ArticleRecord, AuthorView, BackupFile,
    BackupReport, CommentPage, CommentRecord, CommentsQuery, NewArticle, NewComment, NewUser,
    SitemapEntry, SitemapKind, SitemapPage, UserChanges, UserId, UserRecord, ViewerQuery,
    DEFAULT_PAGE_SIZE,
};

/// Path prefix of the versioned internal API.
pub const API_PREFIX: &str = "/v1";

/// Header carrying the shared internal token on every call except health checks.
pub const TOKEN_HEADER: &str = "x-internal-token";

/// Header carrying the request id from the api into db-service logs.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Largest page db-service returns for one list call, whatever the caller asks.
pub const MAX_PAGE_SIZE: u32 = 100;

/// Most comment text one page of comments carries: a page ends before the comment that would start past this
/// many bytes of bodies (it always holds at least one). A hundred comments of 10,000 four-byte characters would
/// be 4 MB an answer; with this a page is at most 296 KiB of bodies, whoever wrote them (as JSON up to twice
/// that, should every character be one that JSON escapes, such as `"`).
pub const MAX_COMMENT_PAGE_BYTES: u64 = 256 * 1024;

/// Deepest offset into a list of articles or comments: a page never walks more rows than this, however many
/// there are (the api refuses deeper ones; narrow the list with a filter instead).
pub const MAX_OFFSET: u64 = 10_000;

/// A search ranks and counts the newest this many matching articles, so its cost does not grow with how many
/// articles share a common word.
pub const SEARCH_WINDOW: u32 = 10_000;

/// Ids per sitemap page: the sitemap protocol allows 50,000 addresses per file.
pub const SITEMAP_PAGE_SIZE: u32 = 50_000;

/// How many tags `GET /v1/tags` returns at most, most used first.
pub const MAX_TAGS_LISTED: u32 = 100;
