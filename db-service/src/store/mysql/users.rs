//! Users and author profiles (the users database).

use db_client::{AuthorView, NewUser, UserChanges, UserId, UserRecord};
use sqlx::MySql;

use super::{unique_violation_key, MysqlStore};
use crate::{
    error::ServiceError,
    store::{
        rows::{user_conflict, AuthorRow, Authors, UserRow, PROFILE_SELECT, USER_COLUMNS},
        shared::Directory,
        sql::{profiles_by_ids, Dialect},
    },
};

impl MysqlStore {
    #[tracing::instrument(skip_all)]
    pub async fn insert_user(&self, new: &NewUser) -> Result<UserRecord, ServiceError> {
        let inserted = sqlx::query(
            "INSERT INTO users (username, email, password_hash, created_at, updated_at) \
             VALUES (?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))",
        )
        .bind(&new.username)
        .bind(&new.email)
        .bind(&new.password_hash)
        .execute(&self.users)
        .await
        .map_err(|e| user_conflict(unique_violation_key(&e).as_deref(), e))?;
        let id = i64::try_from(inserted.last_insert_id()).map_err(anyhow::Error::from)?;
        self.find_user_by_id(UserId(id)).await
    }

    /// Applies the given changes; the user's own current e-mail or name never conflicts with itself
    /// (NOTES.md #14).
    #[tracing::instrument(skip_all, fields(user_id = id.0))]
    pub async fn update_user(
        &self,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<UserRecord, ServiceError> {
        sqlx::query(
            "UPDATE users SET \
                 username = COALESCE(?, username), email = COALESCE(?, email), \
                 password_hash = COALESCE(?, password_hash), \
                 bio = CASE WHEN ? IS NULL THEN bio ELSE NULLIF(?, '') END, \
                 image = CASE WHEN ? IS NULL THEN image ELSE NULLIF(?, '') END, \
                 updated_at = UTC_TIMESTAMP(3) \
             WHERE id = ?",
        )
        .bind(&changes.username)
        .bind(&changes.email)
        .bind(&changes.password_hash)
        .bind(&changes.bio)
        .bind(&changes.bio)
        .bind(&changes.image)
        .bind(&changes.image)
        .bind(id.0)
        .execute(&self.users)
        .await
        .map_err(|e| user_conflict(unique_violation_key(&e).as_deref(), e))?;
        self.find_user_by_id(id).await
    }

    /// The profile of `username` as `viewer` sees it.
    #[tracing::instrument(skip_all)]
    pub async fn find_profile(
        &self,
        username: &str,
        viewer: Option<UserId>,
    ) -> Result<AuthorView, ServiceError> {
        sqlx::query_as::<_, AuthorRow>(&format!("{PROFILE_SELECT} WHERE u.username_key = LOWER(?)"))
            .bind(viewer.map(|v| v.0))
            .bind(username)
            .fetch_optional(&self.users)
            .await?
            .map(AuthorView::from)
            .ok_or(ServiceError::NotFound("profile"))
    }

    #[tracing::instrument(skip_all, fields(user_id = id.0))]
    pub async fn find_user_by_id(&self, id: UserId) -> Result<UserRecord, ServiceError> {
        sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.users)
            .await?
            .map(UserRecord::from)
            .ok_or(ServiceError::NotFound("user"))
    }

    #[tracing::instrument(skip_all)]
    pub async fn find_user_by_email(&self, email: &str) -> Result<UserRecord, ServiceError> {
        sqlx::query_as::<_, UserRow>(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email_key = LOWER(?)"
        ))
        .bind(email)
        .fetch_optional(&self.users)
        .await?
        .map(UserRecord::from)
        .ok_or(ServiceError::NotFound("user"))
    }
}

impl Directory for MysqlStore {
    async fn user_id(&self, username: &str) -> Result<Option<i64>, ServiceError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM users WHERE username_key = LOWER(?)")
                .bind(username)
                .fetch_optional(&self.users)
                .await?,
        )
    }

    async fn followee_ids(&self, follower: UserId) -> Result<Vec<i64>, ServiceError> {
        Ok(
            sqlx::query_scalar("SELECT followee_id FROM follows WHERE follower_id = ?")
                .bind(follower.0)
                .fetch_all(&self.users)
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
        let rows = profiles_by_ids(Dialect::Mysql, ids, viewer)
            .query_as::<MySql, AuthorRow>()
            .fetch_all(&self.users)
            .await?;
        Ok(rows.into_iter().collect())
    }

    async fn write_follow(
        &self,
        follower: UserId,
        followee: i64,
        follow: bool,
    ) -> Result<(), ServiceError> {
        let statement = if follow {
            "INSERT INTO follows (follower_id, followee_id, created_at) VALUES (?, ?, UTC_TIMESTAMP(3)) \
             ON DUPLICATE KEY UPDATE follower_id = follower_id"
        } else {
            "DELETE FROM follows WHERE follower_id = ? AND followee_id = ?"
        };
        sqlx::query(statement)
            .bind(follower.0)
            .bind(followee)
            .execute(&self.users)
            .await
            .map_err(|e| match e.as_database_error() {
                Some(db) if db.is_foreign_key_violation() => ServiceError::NotFound("user"),
                _ => e.into(),
            })?;
        Ok(())
    }
}
