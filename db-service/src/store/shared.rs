//! What both backends do the same way, written once over the few primitives each answers with its own SQL
//! ([`Directory`]): follows, resolving list filters, and attaching author profiles to rows.

use db_client::{ArticleFilter, ArticleRecord, AuthorView, CommentRecord, UserId};

use super::{
    rows::{ArticleRow, Authors, CommentRow},
    sql::ListFilter,
};
use crate::error::ServiceError;

/// The user-side primitives every backend answers.
pub(super) trait Directory {
    /// The id of the user with this username (compared case-insensitively), if any.
    async fn user_id(&self, username: &str) -> Result<Option<i64>, ServiceError>;

    /// Ids of the users `follower` follows.
    async fn followee_ids(&self, follower: UserId) -> Result<Vec<i64>, ServiceError>;

    /// The profile of `username` as `viewer` sees it.
    async fn profile(
        &self,
        username: &str,
        viewer: Option<UserId>,
    ) -> Result<AuthorView, ServiceError>;

    /// Profiles of users `ids` as `viewer` sees them, in one query.
    async fn authors(&self, ids: &[i64], viewer: Option<UserId>) -> Result<Authors, ServiceError>;

    /// Records that `follower` follows `followee` (`follow`), or no longer does; either is a no-op when already so.
    async fn write_follow(
        &self,
        follower: UserId,
        followee: i64,
        follow: bool,
    ) -> Result<(), ServiceError>;
}

/// Makes `follower` follow `username` (or stop following); following oneself is forbidden (NOTES.md #16).
pub(super) async fn set_follow(
    directory: &impl Directory,
    username: &str,
    follower: UserId,
    follow: bool,
) -> Result<AuthorView, ServiceError> {
    let followee = directory
        .user_id(username)
        .await?
        .ok_or(ServiceError::NotFound("profile"))?;
    if follow && followee == follower.0 {
        return Err(ServiceError::Forbidden("profile"));
    }
    directory.write_follow(follower, followee, follow).await?;
    directory.profile(username, Some(follower)).await
}

/// Turns a list call's usernames into ids. `None` when a filter names nobody (or the feed follows nobody), so
/// nothing can match.
pub(super) async fn resolve_filter(
    directory: &impl Directory,
    filter: &ArticleFilter,
) -> Result<Option<ListFilter>, ServiceError> {
    let mut resolved = ListFilter {
        tag: filter.tag.clone(),
        ..ListFilter::default()
    };
    if let Some(name) = &filter.author {
        match directory.user_id(name).await? {
            Some(id) => resolved.author_id = Some(id),
            None => return Ok(None),
        }
    }
    if let Some(name) = &filter.favorited {
        match directory.user_id(name).await? {
            Some(id) => resolved.favorited_by = Some(id),
            None => return Ok(None),
        }
    }
    if let Some(follower) = filter.followed_by {
        let authors = directory.followee_ids(follower).await?;
        if authors.is_empty() {
            return Ok(None);
        }
        resolved.feed_authors = Some(authors);
    }
    Ok(Some(resolved))
}

/// The articles of `rows` with their authors as `viewer` sees them, fetched for all rows in one query.
pub(super) async fn articles_with_authors(
    directory: &impl Directory,
    rows: Vec<ArticleRow>,
    viewer: Option<UserId>,
) -> Result<Vec<ArticleRecord>, ServiceError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.author_id).collect();
    let authors = directory.authors(&ids, viewer).await?;
    rows.into_iter()
        .map(|row| row.into_record(&authors))
        .collect()
}

/// The one article of `row` with its author.
pub(super) async fn article_with_author(
    directory: &impl Directory,
    row: ArticleRow,
    viewer: Option<UserId>,
) -> Result<ArticleRecord, ServiceError> {
    articles_with_authors(directory, vec![row], viewer)
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("an article lost its author").into())
}

/// The comments of `rows` with their authors as `viewer` sees them, fetched for all rows in one query.
pub(super) async fn comments_with_authors(
    directory: &impl Directory,
    rows: Vec<CommentRow>,
    viewer: Option<UserId>,
) -> Result<Vec<CommentRecord>, ServiceError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.author_id).collect();
    let authors = directory.authors(&ids, viewer).await?;
    rows.into_iter()
        .map(|row| row.into_record(&authors))
        .collect()
}
