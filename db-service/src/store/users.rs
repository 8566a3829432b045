//! Users and author profiles (users.db).

use std::collections::HashMap;

use db_client::{AuthorView, NewUser, UserId, UserRecord};

use super::{json_ids, unique_violation_column, Store};
use crate::error::ServiceError;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    email: String,
    password_hash: String,
    bio: Option<String>,
    image: Option<String>,
}

impl From<UserRow> for UserRecord {
    fn from(row: UserRow) -> Self {
        UserRecord {
            id: UserId(row.id),
            username: row.username,
            email: row.email,
            password_hash: row.password_hash,
            bio: row.bio,
            image: row.image,
        }
    }
}

#[derive(sqlx::FromRow)]
struct AuthorRow {
    id: i64,
    username: String,
    bio: Option<String>,
    image: Option<String>,
    following: bool,
}

const USER_COLUMNS: &str = "id, username, email, password_hash, bio, image";

impl Store {
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
            .map_err(|e| match unique_violation_column(&e).as_deref() {
                Some("username") => ServiceError::Conflict("username"),
                Some("email") => ServiceError::Conflict("email"),
                _ => e.into(),
            })
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
    ) -> Result<HashMap<i64, AuthorView>, ServiceError> {
        let rows = sqlx::query_as::<_, AuthorRow>(
            "SELECT u.id, u.username, u.bio, u.image, \
                    EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ?1 AND f.followee_id = u.id) AS following \
             FROM users u WHERE u.id IN (SELECT value FROM json_each(?2))",
        )
        .bind(viewer.map(|v| v.0))
        .bind(json_ids(ids))
        .fetch_all(&self.users.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let view = AuthorView {
                    username: row.username,
                    bio: row.bio,
                    image: row.image,
                    following: row.following,
                };
                (row.id, view)
            })
            .collect())
    }
}
