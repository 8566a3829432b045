//! Users and author profiles (users.db).

use db_client::{AuthorView, NewUser, UserChanges, UserId, UserRecord};
use sqlx::{Sqlite, SqlitePool};

use super::{unique_violation_column, SqliteStore};
use crate::error::ServiceError;
use crate::store::{
    rows::{user_conflict, AuthorRow, Authors, UserRow, PROFILE_SELECT, USER_COLUMNS},
    shared::Directory,
    sql::{profiles_by_ids, Dialect},
};

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
            .map_err(|e| user_conflict(unique_violation_column(&e).as_deref(), e))
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
            .map_err(|e| user_conflict(unique_violation_column(&e).as_deref(), e))?
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
}

impl Directory for SqliteStore {
    async fn user_id(&self, username: &str) -> Result<Option<i64>, ServiceError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
                .bind(username)
                .fetch_optional(&self.users.read)
                .await?,
        )
    }

    async fn followee_ids(&self, follower: UserId) -> Result<Vec<i64>, ServiceError> {
        Ok(
            sqlx::query_scalar("SELECT followee_id FROM follows WHERE follower_id = ?")
                .bind(follower.0)
                .fetch_all(&self.users.read)
                .await?,
        )
    }

    async fn profile(
        &self,
        username: &str,
        viewer: Option<UserId>,
    ) -> Result<AuthorView, ServiceError> {
        self.find_profile(username, viewer).await
    }

    async fn authors(&self, ids: &[i64], viewer: Option<UserId>) -> Result<Authors, ServiceError> {
        authors_by_ids(&self.users.read, ids.iter().copied(), viewer).await
    }

    async fn write_follow(
        &self,
        follower: UserId,
        followee: i64,
        follow: bool,
    ) -> Result<(), ServiceError> {
        let statement = if follow {
            "INSERT OR IGNORE INTO follows (follower_id, followee_id) VALUES (?, ?)"
        } else {
            "DELETE FROM follows WHERE follower_id = ? AND followee_id = ?"
        };
        sqlx::query(statement)
            .bind(follower.0)
            .bind(followee)
            .execute(&self.users.write)
            .await
            .map_err(|e| match e.as_database_error() {
                Some(db) if db.is_foreign_key_violation() => ServiceError::NotFound("user"),
                _ => e.into(),
            })?;
        Ok(())
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
