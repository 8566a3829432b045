//! Users, profiles and follows (the user service's database).

use std::{collections::HashSet, sync::Arc};

use db_client::{AuthorView, Entity, NewUser, UserChanges, UserId, UserRecord};

use super::{
    backend::{unique_violation, Backend, Conn, Pools, Record},
    read_cache::MAX_CACHED_FOLLOWEES,
    rows::{AuthorRow, Authors, UserRow},
    sql::{Relation, SqlQuery},
    SqlStore,
};
use crate::error::ServiceError;

/// The columns of a [`UserRow`].
const USER_COLUMNS: &str = "id, username, email, password_hash, bio, image, token_version";

/// Who follows whom.
const FOLLOWS: Relation = Relation {
    table: "follows",
    owner: "follower_id",
    other: "followee_id",
    stamped: true,
};

/// `SELECT` of the profiles (an [`AuthorRow`] each) as `viewer` sees them; the caller appends `WHERE …`.
fn select_profiles(viewer: Option<UserId>) -> SqlQuery {
    let mut q = SqlQuery::from(
        "SELECT u.id, u.username, u.bio, u.image, \
         EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ",
    );
    q.bind_int(viewer.map(|v| v.0))
        .push(" AND f.followee_id = u.id) AS following FROM users u");
    q
}

/// The conflict a duplicate on `users` is, by the unique column the database named.
fn user_conflict(e: sqlx::Error) -> ServiceError {
    match unique_violation(&e) {
        Some("username") => ServiceError::Conflict("username"),
        Some("email") => ServiceError::Conflict("email"),
        _ => e.into(),
    }
}

/// The user with this id, on `conn`.
async fn user_by_id(conn: &mut impl Conn, id: i64) -> Result<UserRecord, ServiceError> {
    let mut q = SqlQuery::from(format!("SELECT {USER_COLUMNS} FROM users WHERE id = "));
    q.bind_int(Some(id));
    conn.fetch_found::<UserRow>(&q, Entity::User)
        .await
        .map(UserRecord::from)
}

impl<B: Backend> SqlStore<B> {
    #[tracing::instrument(skip_all)]
    pub async fn insert_user(&self, new: &NewUser) -> Result<UserRecord, ServiceError> {
        let now = B::DIALECT.now();
        let mut q = SqlQuery::from(
            "INSERT INTO users (username, email, password_hash, created_at, updated_at) VALUES (",
        );
        q.bind_text(&new.username)
            .push(", ")
            .bind_text(&new.email)
            .push(", ")
            .bind_text(&new.password_hash)
            .push(&format!(", {now}, {now})"));
        let mut conn = self.users.write.acquire().await?;
        let done = conn.execute(&q).await.map_err(user_conflict)?;
        user_by_id(&mut *conn, done.last_insert_id).await
    }

    /// Applies the given changes; the user's own current e-mail or name never conflicts with itself
    /// (NOTES.md #14). An empty bio or image clears it.
    #[tracing::instrument(skip_all, fields(user_id = id.0))]
    pub async fn update_user(
        &self,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<UserRecord, ServiceError> {
        let mut q = SqlQuery::from("UPDATE users SET ");
        q.push_changes(&[
            ("username", changes.username.as_deref()),
            ("email", changes.email.as_deref()),
            ("password_hash", changes.password_hash.as_deref()),
        ])
        .push(", token_version = token_version + CASE WHEN ")
        .bind_optional_text(changes.password_hash.as_deref())
        .push(" IS NULL THEN 0 ELSE 1 END");
        for (column, value) in [("bio", &changes.bio), ("image", &changes.image)] {
            q.push(&format!(", {column} = CASE WHEN "))
                .bind_optional_text(value.as_deref())
                .push(&format!(" IS NULL THEN {column} ELSE NULLIF("))
                .bind_optional_text(value.as_deref())
                .push(", '') END");
        }
        q.push(&format!(", updated_at = {} WHERE id = ", B::DIALECT.now()))
            .bind_int(Some(id.0));
        let mut conn = self.users.write.acquire().await?;
        conn.execute(&q).await.map_err(user_conflict)?;
        let updated = user_by_id(&mut *conn, id.0).await;
        // Cached articles and profiles carry their author's name, bio and image.
        self.wrote_profile();
        updated
    }

    #[tracing::instrument(skip_all, fields(user_id = id.0))]
    pub async fn find_user_by_id(&self, id: UserId) -> Result<UserRecord, ServiceError> {
        user_by_id(&mut self.users.reader().await?, id.0).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn find_user_by_email(&self, email: &str) -> Result<UserRecord, ServiceError> {
        let select = SqlQuery::from(format!("SELECT {USER_COLUMNS} FROM users"));
        self.find_matching::<UserRow, _>(select, "email", email, Entity::User)
            .await
    }

    /// The profile of `username` as `viewer` sees it.
    #[tracing::instrument(skip_all)]
    pub async fn find_profile(
        &self,
        username: &str,
        viewer: Option<UserId>,
    ) -> Result<AuthorView, ServiceError> {
        self.find_matching::<AuthorRow, _>(
            select_profiles(viewer),
            "u.username",
            username,
            Entity::Profile,
        )
        .await
    }

    /// The one row of `select` (a query of the users database without its `WHERE`) whose `column` matches
    /// `value` as names and addresses are compared ([`SqlQuery::push_user_match`]); `missing` when there is none.
    async fn find_matching<R: Record, T: From<R>>(
        &self,
        mut select: SqlQuery,
        column: &str,
        value: &str,
        missing: Entity,
    ) -> Result<T, ServiceError> {
        select
            .push(" WHERE ")
            .push_user_match(B::DIALECT, column, value);
        self.users
            .fetch_found::<R>(&select, missing)
            .await
            .map(T::from)
    }

    /// Makes `follower` follow `username` (`follow`) or stop following; following oneself is forbidden
    /// (NOTES.md #16). Either is a no-op when already so.
    #[tracing::instrument(skip_all)]
    pub async fn set_follow(
        &self,
        username: &str,
        follower: UserId,
        follow: bool,
    ) -> Result<AuthorView, ServiceError> {
        let followee = self
            .user_id(username)
            .await?
            .ok_or(ServiceError::NotFound(Entity::Profile))?;
        if follow && followee == follower.0 {
            return Err(ServiceError::Forbidden(Entity::Profile));
        }
        let q = FOLLOWS.set(B::DIALECT, follower.0, followee, follow);
        self.users.execute(&q).await.map_err(|e| match e {
            ServiceError::Internal(inner)
                if inner
                    .downcast_ref::<sqlx::Error>()
                    .and_then(sqlx::Error::as_database_error)
                    .is_some_and(|db| db.is_foreign_key_violation()) =>
            {
                ServiceError::NotFound(Entity::User)
            }
            other => other,
        })?;
        // Cached pages show whether their viewer follows each author, from whom the viewer follows.
        self.wrote_follow(follower);
        self.find_profile(username, Some(follower)).await
    }

    /// The id of the user with this username (compared case-insensitively), if any.
    pub(super) async fn user_id(&self, username: &str) -> Result<Option<i64>, ServiceError> {
        let mut q = SqlQuery::from("SELECT id FROM users WHERE ");
        q.push_user_match(B::DIALECT, "username", username);
        Ok(self
            .users
            .fetch_optional::<(i64,)>(&q)
            .await?
            .map(|(id,)| id))
    }

    /// Ids of the users `follower` follows, sorted.
    pub(super) async fn followee_ids(
        &self,
        follower: UserId,
    ) -> Result<Arc<Vec<i64>>, ServiceError> {
        match self.cached_followees(follower).await? {
            Some(followees) => Ok(followees),
            None => Ok(Arc::new(self.read_followees(follower, None).await?)),
        }
    }

    /// Whom `follower` follows, sorted, from the read cache (read into it on a miss) where this process is the
    /// data's only writer; `None` elsewhere, or when they follow more than [`MAX_CACHED_FOLLOWEES`].
    async fn cached_followees(
        &self,
        follower: UserId,
    ) -> Result<Option<Arc<Vec<i64>>>, ServiceError> {
        if !self.sole_writer() {
            return Ok(None);
        }
        let version = self.cache.followees_version(follower);
        if let Some(hit) = self.cache.followees(follower, version) {
            return Ok(Some(hit));
        }
        let followees = self
            .read_followees(follower, Some(MAX_CACHED_FOLLOWEES + 1))
            .await?;
        if followees.len() > MAX_CACHED_FOLLOWEES {
            return Ok(None);
        }
        let followees = Arc::new(followees);
        self.cache
            .put_followees(follower, version, Arc::clone(&followees));
        Ok(Some(followees))
    }

    /// Ids of the users `follower` follows, sorted, at most `limit` of them.
    async fn read_followees(
        &self,
        follower: UserId,
        limit: Option<usize>,
    ) -> Result<Vec<i64>, ServiceError> {
        let mut q = SqlQuery::from("SELECT followee_id FROM follows WHERE follower_id = ");
        q.bind_int(Some(follower.0)).push(" ORDER BY followee_id");
        if let Some(limit) = limit {
            q.push(" LIMIT ")
                .bind_int(Some(i64::try_from(limit).unwrap_or(i64::MAX)));
        }
        let rows: Vec<(i64,)> = self.users.fetch_all(&q).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The profiles of users `ids` as `viewer` sees them. Where this process is the data's only writer, from
    /// the read cache — profiles, and whom the viewer follows — with only what it lacks read from users.db;
    /// elsewhere in one query.
    pub(super) async fn authors(
        &self,
        mut ids: Vec<i64>,
        viewer: Option<UserId>,
    ) -> Result<Authors, ServiceError> {
        if !self.sole_writer() {
            return authors(&self.users, ids, viewer).await;
        }
        let followees = match viewer {
            None => None,
            Some(viewer) => match self.cached_followees(viewer).await? {
                Some(followees) => Some(followees),
                // Too many to keep: the profiles come with the viewer's flags, in one query.
                None => return authors(&self.users, ids, Some(viewer)).await,
            },
        };
        ids.sort_unstable();
        ids.dedup();
        let version = self.cache.profiles_version();
        let mut profiles = self.cache.profiles(&ids, version);
        if profiles.len() < ids.len() {
            let found: HashSet<i64> = profiles.iter().map(|(id, _)| *id).collect();
            let missing = ids.into_iter().filter(|id| !found.contains(id)).collect();
            let read: Vec<(i64, Arc<AuthorView>)> = authors(&self.users, missing, None)
                .await?
                .into_profiles()
                .map(|(id, profile)| (id, Arc::new(profile)))
                .collect();
            self.cache.put_profiles(version, read.clone());
            profiles.extend(read);
        }
        Ok(Authors::as_followed(
            profiles,
            followees.as_deref().map(Vec::as_slice),
        ))
    }
}

/// The profiles of users `ids` (each fetched once, however often it appears) as `viewer` sees them, in one query
/// on the users database.
pub(super) async fn authors<B: Backend>(
    users: &Pools<B>,
    mut ids: Vec<i64>,
    viewer: Option<UserId>,
) -> Result<Authors, ServiceError> {
    ids.sort_unstable();
    ids.dedup();
    let mut q = select_profiles(viewer);
    q.push(" WHERE u.id IN ").push_id_list(B::DIALECT, &ids);
    let rows: Vec<AuthorRow> = users.fetch_all(&q).await?;
    Ok(rows.into_iter().collect())
}
