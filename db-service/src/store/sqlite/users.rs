//! Users and author profiles (users.db).

use db_client::{AuthorView, NewUser, UserChanges, UserId, UserRecord};
use sqlx::{Sqlite, SqlitePool};

use super::{unique_violation_column, SqliteStore};
use crate::error::ServiceError;
use crate::store::{
    rows::{AuthorRow, Authors, UserRow, PROFILE_SELECT, USER_COLUMNS},
    sql::{profiles_by_ids, Dialect},
};

/// Maps a unique violation on `users` to a conflict naming the column.
fn user_conflict(e: sqlx::Error) -> ServiceError {
    match unique_violation_column(&e).as_deref() {
        Some("username") => ServiceError::Conflict("username"),
        Some("email") => ServiceError::Conflict("email"),
        _ => e.into(),
    }
}

impl SqliteStore {
    #[tracing::instrument(skip_all)]
    pub async fn insert_user(&self, new: &NewUser) -> Result<UserRecord, ServiceError> {
        let sql = format!(
            "INSERT INTO users (username, email, password_hash) VALUES (?, ?, ?) RETURNING {USER_COLUMNS}"
        );
        sqlx::query_as::<_, UserRow>(&sql)
            .bind(&new.username)
            .bind(&new.email)
            .bind(&new.password_hash)
            .fetch_one(&self.users.write)
            .await
            .map(UserRecord::from)
            .map_err(user_conflict)
    }

    /// Applies the given changes; the user's own current e-mail or name never conflicts with itself
    /// (NOTES.md #14).
    #[tracing::instrument(skip_all, fields(user_id = id.0))]
    pub async fn update_user(
        &self,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<UserRecord, ServiceError> {
        let sql = format!(
            "UPDATE users SET \
                 username = COALESCE(?1, username), email = COALESCE(?2, email), \
                 password_hash = COALESCE(?3, password_hash), \
                 bio = CASE WHEN ?4 IS NULL THEN bio ELSE NULLIF(?4, '') END, \
                 image = CASE WHEN ?5 IS NULL THEN image ELSE NULLIF(?5, '') END, \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
             WHERE id = ?6 RETURNING {USER_COLUMNS}"
        );
        let updated = sqlx::query_as::<_, UserRow>(&sql)
            .bind(&changes.username)
            .bind(&changes.email)
            .bind(&changes.password_hash)
            .bind(&changes.bio)
            .bind(&changes.image)
            .bind(id.0)
            .fetch_optional(&self.users.write)
            .await
            .map_err(user_conflict)?
            .map(UserRecord::from)
            .ok_or(ServiceError::NotFound("user"));
        // Cached articles carry their author's name, bio and image.
        self.cache.invalidate();
        updated
    }

    /// The profile of `username` as `viewer` sees it.
    #[tracing::instrument(skip_all)]
    pub async fn find_profile(
        &self,
        username: &str,
        viewer: Option<UserId>,
    ) -> Result<AuthorView, ServiceError> {
        sqlx::query_as::<_, AuthorRow>(&format!("{PROFILE_SELECT} WHERE u.username = ?"))
            .bind(viewer.map(|v| v.0))
            .bind(username)
            .fetch_optional(&self.users.read)
            .await?
            .map(AuthorView::from)
            .ok_or(ServiceError::NotFound("profile"))
    }

    /// Makes `follower` follow `username`; following oneself is forbidden (NOTES.md #16).
    #[tracing::instrument(skip_all)]
    pub async fn insert_follow(
        &self,
        username: &str,
        follower: UserId,
    ) -> Result<AuthorView, ServiceError> {
        let followee = self.profile_id(username).await?;
        if followee == follower.0 {
            return Err(ServiceError::Forbidden("profile"));
        }
        sqlx::query("INSERT OR IGNORE INTO follows (follower_id, followee_id) VALUES (?, ?)")
            .bind(follower.0)
            .bind(followee)
            .execute(&self.users.write)
            .await
            .map_err(|e| match e.as_database_error() {
                Some(db) if db.is_foreign_key_violation() => ServiceError::NotFound("user"),
                _ => e.into(),
            })?;
        self.find_profile(username, Some(follower)).await
    }

    /// Makes `follower` stop following `username`.
    #[tracing::instrument(skip_all)]
    pub async fn delete_follow(
        &self,
        username: &str,
        follower: UserId,
    ) -> Result<AuthorView, ServiceError> {
        let followee = self.profile_id(username).await?;
        sqlx::query("DELETE FROM follows WHERE follower_id = ? AND followee_id = ?")
            .bind(follower.0)
            .bind(followee)
            .execute(&self.users.write)
            .await?;
        self.find_profile(username, Some(follower)).await
    }

    /// Ids of the users `follower` follows, for the feed.
    pub(super) async fn list_followee_ids(
        &self,
        follower: UserId,
    ) -> Result<Vec<i64>, ServiceError> {
        Ok(
            sqlx::query_scalar("SELECT followee_id FROM follows WHERE follower_id = ?")
                .bind(follower.0)
                .fetch_all(&self.users.read)
                .await?,
        )
    }

    async fn profile_id(&self, username: &str) -> Result<i64, ServiceError> {
        self.find_user_id_by_username(username)
            .await?
            .ok_or(ServiceError::NotFound("profile"))
    }

    #[tracing::instrument(skip_all, fields(user_id = id.0))]
    pub async fn find_user_by_id(&self, id: UserId) -> Result<UserRecord, ServiceError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?");
        sqlx::query_as::<_, UserRow>(&sql)
            .bind(id.0)
            .fetch_optional(&self.users.read)
            .await?
            .map(UserRecord::from)
            .ok_or(ServiceError::NotFound("user"))
    }

    #[tracing::instrument(skip_all)]
    pub async fn find_user_by_email(&self, email: &str) -> Result<UserRecord, ServiceError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?");
        sqlx::query_as::<_, UserRow>(&sql)
            .bind(email)
            .fetch_optional(&self.users.read)
            .await?
            .map(UserRecord::from)
            .ok_or(ServiceError::NotFound("user"))
    }

    /// The id of the user with this username, if any.
    pub(super) async fn find_user_id_by_username(
        &self,
        username: &str,
    ) -> Result<Option<i64>, ServiceError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
                .bind(username)
                .fetch_optional(&self.users.read)
                .await?,
        )
    }

    /// Profiles of `ids` as `viewer` sees them, in one query.
    pub(super) async fn list_authors_by_ids(
        &self,
        ids: impl IntoIterator<Item = i64>,
        viewer: Option<UserId>,
    ) -> Result<Authors, ServiceError> {
        authors_by_ids(&self.users.read, ids, viewer).await
    }
}

/// The profiles of users `ids` as `viewer` sees them, in one query on users.db (`pool`).
pub(super) async fn authors_by_ids(
    pool: &SqlitePool,
    ids: impl IntoIterator<Item = i64>,
    viewer: Option<UserId>,
) -> Result<Authors, ServiceError> {
    let ids: Vec<i64> = ids.into_iter().collect();
    let rows = profiles_by_ids(Dialect::Sqlite, &ids, viewer)
        .query_as::<Sqlite, AuthorRow>()
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().collect())
}
