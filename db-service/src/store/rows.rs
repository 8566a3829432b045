//! What both backends read: the row shapes of their queries (same column names and meanings on SQLite and
//! MySQL) and how rows become the records of the internal API.

use std::collections::HashMap;

use anyhow::anyhow;
use db_client::{ArticleRecord, AuthorView, CommentRecord, UserId, UserRecord};

use super::{
    direct_readers::{named_row, FromSqliteRow},
    tags::Tags,
};
use crate::error::ServiceError;

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: i64,
    username: String,
    email: String,
    password_hash: String,
    bio: Option<String>,
    image: Option<String>,
    token_version: i64,
}

named_row!(UserRow {
    id,
    username,
    email,
    password_hash,
    bio,
    image,
    token_version
});

impl From<UserRow> for UserRecord {
    fn from(row: UserRow) -> Self {
        UserRecord {
            id: UserId(row.id),
            username: row.username,
            email: row.email,
            password_hash: row.password_hash,
            bio: row.bio,
            image: row.image,
            token_version: row.token_version,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuthorRow {
    id: i64,
    username: String,
    bio: Option<String>,
    image: Option<String>,
    following: bool,
}

named_row!(AuthorRow {
    id,
    username,
    bio,
    image,
    following
});

impl From<AuthorRow> for AuthorView {
    fn from(row: AuthorRow) -> Self {
        AuthorView {
            username: row.username,
            bio: row.bio,
            image: row.image,
            following: row.following,
        }
    }
}

/// The author profiles of one page of rows, fetched together.
#[derive(Default)]
pub(super) struct Authors(HashMap<i64, AuthorView>);

impl FromIterator<AuthorRow> for Authors {
    fn from_iter<I: IntoIterator<Item = AuthorRow>>(rows: I) -> Self {
        Self(
            rows.into_iter()
                .map(|row| (row.id, AuthorView::from(row)))
                .collect(),
        )
    }
}

impl Authors {
    /// Profiles (whose `following` is not the viewer's) as a viewer who follows `followees` (sorted; `None`:
    /// nobody, as anonymous) sees them.
    pub(super) fn as_followed(
        profiles: Vec<(i64, std::sync::Arc<AuthorView>)>,
        followees: Option<&[i64]>,
    ) -> Self {
        Self(
            profiles
                .into_iter()
                .map(|(id, profile)| {
                    let following = followees.is_some_and(|f| f.binary_search(&id).is_ok());
                    (
                        id,
                        AuthorView {
                            following,
                            ..AuthorView::clone(&profile)
                        },
                    )
                })
                .collect(),
        )
    }

    /// Each user's id and profile.
    pub(super) fn into_profiles(self) -> impl Iterator<Item = (i64, AuthorView)> {
        self.0.into_iter()
    }

    /// The profile of user `id`, if that user exists.
    pub(super) fn get(&self, id: i64) -> Option<&AuthorView> {
        self.0.get(&id)
    }

    /// The profile of user `id`, who wrote `what`. Users are never deleted, so a missing one is a broken invariant.
    pub(super) fn of(
        &self,
        id: i64,
        what: &dyn std::fmt::Display,
    ) -> Result<AuthorView, ServiceError> {
        self.0
            .get(&id)
            .cloned()
            .ok_or_else(|| anyhow!("author {id} of {what} is missing").into())
    }
}

/// What a write needs to know about an existing article.
#[derive(sqlx::FromRow)]
pub(super) struct ArticleKey {
    pub id: i64,
    pub author_id: i64,
}

named_row!(ArticleKey { id, author_id });

#[derive(sqlx::FromRow)]
pub(super) struct ArticleRow {
    pub slug: String,
    pub author_id: i64,
    pub title: String,
    pub description: String,
    pub body: Option<String>,
    /// JSON array of tags (NULL or `[]` when there are none).
    pub tags: Option<String>,
    pub favorites_count: i64,
    pub favorited: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A row of a list page with the list's total number of matches.
#[derive(sqlx::FromRow)]
pub(super) struct CountedArticleRow {
    #[sqlx(flatten)]
    pub row: ArticleRow,
    pub total: i64,
}

/// An article row with the article's key, as a write that answers with the article reads it.
#[derive(sqlx::FromRow)]
pub(super) struct KeyedArticleRow {
    pub id: i64,
    #[sqlx(flatten)]
    pub row: ArticleRow,
}

named_row!(ArticleRow {
    slug,
    author_id,
    title,
    description,
    body,
    tags,
    favorites_count,
    favorited,
    created_at,
    updated_at
});

impl FromSqliteRow for CountedArticleRow {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            row: ArticleRow::from_row(row)?,
            total: row.get("total")?,
        })
    }
}

impl FromSqliteRow for KeyedArticleRow {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            row: ArticleRow::from_row(row)?,
        })
    }
}

impl ArticleRow {
    /// The record, with its author from `authors` and its tags in their one order, whatever order the database
    /// aggregated them in.
    pub(super) fn into_record(self, authors: &Authors) -> Result<ArticleRecord, ServiceError> {
        let author = authors.of(self.author_id, &self.slug)?;
        let tags: Vec<String> = match self.tags.as_deref() {
            None => Vec::new(),
            Some(json) => serde_json::from_str(json)
                .map_err(|e| anyhow!("bad tag list for {}: {e}", self.slug))?,
        };
        Ok(ArticleRecord {
            slug: self.slug,
            title: self.title,
            description: self.description,
            body: self.body,
            tags: Tags::new(tags).into_vec(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            favorited: self.favorited,
            favorites_count: u64::try_from(self.favorites_count).unwrap_or(0),
            author,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct CommentRow {
    pub id: i64,
    pub author_id: i64,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
}

named_row!(CommentRow {
    id,
    author_id,
    body,
    created_at,
    updated_at
});

impl CommentRow {
    /// The record, with its author from `authors`.
    pub(super) fn into_record(self, authors: &Authors) -> Result<CommentRecord, ServiceError> {
        let author = authors.of(self.author_id, &format_args!("comment {}", self.id))?;
        Ok(CommentRecord {
            id: self.id,
            created_at: self.created_at,
            updated_at: self.updated_at,
            body: self.body,
            author,
        })
    }
}
