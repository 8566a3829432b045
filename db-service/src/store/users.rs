//! Users, profiles and follows (the user service's database).

use std::{collections::HashSet, sync::Arc};

use db_client::{AuthorView, Entity, NewUser, UserChanges, UserId, UserRecord};

use super::{
    backend::{unique_violation, Backend, Conn, Pools, Record},
    read_cache::{Followees, ReadCache, MAX_CACHED_FOLLOWEES},
    rows::{AuthorRow, Authors, UserRow},
    sql::{Relation, SqlQuery},
    Change, SqlStore, Writers,
};
use crate::error::ServiceError;

/// The columns of a [`UserRow`].
const USER_COLUMNS: &str = "id, username, email, password_hash, bio, image, token_version";

/// Who follows whom.
pub(super) const FOLLOWS: Relation = Relation {
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
        // Cached articles and profiles carry their author's name, bio and image; nothing cached shows the rest.
        let public = [&changes.username, &changes.bio, &changes.image]
            .iter()
            .any(|change| change.is_some());
        let users = self.users.clone();
        let write = async move {
            let mut conn = users.write.acquire().await?;
            conn.execute(&q).await.map_err(user_conflict)?;
            // NotFound only when the UPDATE found no such user, and so wrote nothing: users are never deleted,
            // and this is the connection that wrote.
            user_by_id(&mut *conn, id.0).await
        };
        if public {
            self.write_then_mark_stale(Change::Profile, write).await
        } else {
            write.await
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = id.0))]
    pub async fn find_user_by_id(&self, id: UserId) -> Result<UserRecord, ServiceError> {
        user_by_id(&mut self.users.small_reader().await?, id.0).await
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
            .fetch_found_small::<R>(&select, missing)
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
        match &self.writers {
            // Group-committed (sqlite/follow_writer.rs), which marks what the follow changes as stale.
            Writers::Sole(sole) => sole.follow_writer.set(follower, followee, follow).await?,
            // Replicas cache nothing a follow could leave stale: their reads are checked against the version
            // the database's triggers move.
            Writers::Shared(_) => self.write_follow(follower, followee, follow).await?,
        }
        self.find_profile(username, Some(follower)).await
    }

    /// Writes a follow or unfollow as one statement; a follower or followee that does not exist is
    /// `NotFound(User)`.
    async fn write_follow(
        &self,
        follower: UserId,
        followee: i64,
        follow: bool,
    ) -> Result<(), ServiceError> {
        let q = FOLLOWS.set(B::DIALECT, follower.0, followee, follow);
        self.users.execute(&q).await.map(drop).map_err(|e| match e {
            ServiceError::Internal(inner)
                if inner
                    .downcast_ref::<sqlx::Error>()
                    .and_then(sqlx::Error::as_database_error)
                    .is_some_and(|db| db.is_foreign_key_violation()) =>
            {
                ServiceError::NotFound(Entity::User)
            }
            other => other,
        })
    }

    /// The id of the user with this username (compared case-insensitively), if any.
    pub(super) async fn user_id(&self, username: &str) -> Result<Option<i64>, ServiceError> {
        let mut q = SqlQuery::from("SELECT id FROM users WHERE ");
        q.push_user_match(B::DIALECT, "username", username);
        Ok(self
            .users
            .fetch_optional_small::<(i64,)>(&q)
            .await?
            .map(|(id,)| id))
    }

    /// Ids of the users `follower` follows, sorted.
    pub(super) async fn followee_ids(&self, follower: UserId) -> Result<Vec<i64>, ServiceError> {
        let cached = self.cached_followees(follower).await?;
        match cached.as_deref().and_then(Followees::ids) {
            Some(ids) => Ok(ids.to_vec()),
            None => self.read_followees(follower, None).await,
        }
    }

    /// Whom `follower` follows, from the read cache (read into it on a miss: at most
    /// [`MAX_CACHED_FOLLOWEES`] + 1 rows) where this process is the data's only writer; `None` elsewhere.
    async fn cached_followees(
        &self,
        follower: UserId,
    ) -> Result<Option<Arc<Followees>>, ServiceError> {
        if !self.sole_writer() {
            return Ok(None);
        }
        let version = self.cache.followees_version(follower);
        if let Some(hit) = self.cache.followees(follower, version) {
            return Ok(Some(hit));
        }
        let read = self
            .read_followees(follower, Some(MAX_CACHED_FOLLOWEES + 1))
            .await?;
        let followees = Arc::new(Followees::from_sorted(read));
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
        // As many as the follower made, or more than MAX_CACHED_FOLLOWEES: more than a read of a small cost
        // walks, so through sqlx's threads.
        let rows: Vec<(i64,)> = self.users.fetch_all_long(&q).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The profiles of users `ids` as `viewer` sees them. Where this process is the data's only writer, from
    /// the read cache — profiles, and whom the viewer follows — with only what it lacks read from users.db;
    /// elsewhere in one query.
    pub(super) async fn authors(
        &self,
        ids: Vec<i64>,
        viewer: Option<UserId>,
    ) -> Result<Authors, ServiceError> {
        if !self.sole_writer() {
            return authors(&self.users, ids, viewer).await;
        }
        let followees = match viewer {
            None => None,
            Some(viewer) => match self.cached_followees(viewer).await? {
                Some(followees) if followees.ids().is_some() => Some(followees),
                // Too many to keep: the profiles come with the viewer's flags, in one query.
                _ => return authors(&self.users, ids, Some(viewer)).await,
            },
        };
        let profiles = cached_profiles(&self.users, &self.cache, ids).await?;
        Ok(Authors::as_followed(
            profiles,
            followees.as_deref().and_then(Followees::ids),
        ))
    }
}

/// The public profiles (`following` false) of users `ids` (each once), from `cache`, with only what it lacks read
/// from users.db (and kept). Only where this process is the data's only writer: the cache is not told of other
/// writers' changes.
pub(super) async fn cached_profiles<B: Backend>(
    users: &Pools<B>,
    cache: &ReadCache,
    mut ids: Vec<i64>,
) -> Result<Vec<(i64, Arc<AuthorView>)>, ServiceError> {
    ids.sort_unstable();
    ids.dedup();
    let version = cache.profiles_version();
    let mut profiles = cache.profiles(&ids, version);
    if profiles.len() < ids.len() {
        let found: HashSet<i64> = profiles.iter().map(|(id, _)| *id).collect();
        let missing = ids.into_iter().filter(|id| !found.contains(id)).collect();
        let read: Vec<(i64, Arc<AuthorView>)> = authors(users, missing, None)
            .await?
            .into_profiles()
            .map(|(id, profile)| (id, Arc::new(profile)))
            .collect();
        cache.put_profiles(version, read.clone());
        profiles.extend(read);
    }
    Ok(profiles)
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
    let rows: Vec<AuthorRow> = users.fetch_all_small(&q).await?;
    Ok(rows.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::{ConnectOptions, Sqlite};

    use super::*;
    use crate::config::Durability;

    async fn store_with(names: [&str; 2]) -> (tempfile::TempDir, SqlStore<Sqlite>, [UserId; 2]) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::sqlite::open(dir.path(), Durability::Full, 256)
            .await
            .expect("open");
        let mut ids = [UserId(0); 2];
        for (id, name) in ids.iter_mut().zip(names) {
            *id = store
                .insert_user(&conduit_testkit::new_user(name))
                .await
                .expect("user")
                .id;
        }
        (dir, store, ids)
    }

    /// A profile change and a follow whose callers stop waiting once their statements were sent (their requests
    /// timed out while users.db was locked) are still made, and every read shows them: none is answered from
    /// what the cache held before.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_whose_callers_left_are_made_and_no_read_shows_what_they_replaced() {
        let (dir, store, [jake, anna]) = store_with(["jake", "anna"]).await;
        let seen = || async {
            let authors = store.authors(vec![jake.0], Some(anna)).await.expect("read");
            authors.get(jake.0).map(|a| (a.bio.clone(), a.following))
        };
        assert_eq!(
            seen().await,
            Some((None, false)),
            "the cache holds jake as anna sees him"
        );
        // Another connection holds users.db's write lock, so the statements wait in SQLite's busy handler.
        let mut locker = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("users.db"))
            .connect()
            .await
            .expect("connect");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut locker)
            .await
            .expect("lock");
        let bio = UserChanges {
            bio: Some("moved".into()),
            ..UserChanges::default()
        };
        let patience = Duration::from_millis(300);
        let left = tokio::time::timeout(patience, store.update_user(jake, &bio)).await;
        assert!(left.is_err(), "the change did not wait for the lock");
        let left = tokio::time::timeout(patience, store.set_follow("jake", anna, true)).await;
        assert!(left.is_err(), "the follow did not wait for the lock");
        sqlx::query("ROLLBACK")
            .execute(&mut locker)
            .await
            .expect("unlock");
        // The writes finish after their callers left; the cache must not outlive them.
        let made = Some((Some("moved".to_owned()), true));
        for _ in 0..250 {
            if seen().await == made {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            seen().await,
            made,
            "a write was dropped, or the cache kept what it replaced"
        );
    }

    /// A write refused having stored nothing (a taken name, an unknown user) leaves the cache as it was: a
    /// stream of failing requests cannot flush it for everyone.
    #[tokio::test]
    async fn refused_writes_leave_the_cache_as_it_was() {
        let (_dir, store, [jake, _anna]) = store_with(["jake", "anna"]).await;
        let versions = |store: &SqlStore<Sqlite>| {
            (
                store.cache.local_version(),
                store.cache.profiles_version(),
                store.cache.followees_version(jake),
            )
        };
        let before = versions(&store);
        let taken = UserChanges {
            username: Some("anna".into()),
            ..UserChanges::default()
        };
        assert!(matches!(
            store.update_user(jake, &taken).await,
            Err(ServiceError::Conflict("username"))
        ));
        let bio = UserChanges {
            bio: Some("nobody's".into()),
            ..UserChanges::default()
        };
        assert!(matches!(
            store.update_user(UserId(999_999), &bio).await,
            Err(ServiceError::NotFound(_))
        ));
        assert_eq!(versions(&store), before);
        let bio = UserChanges {
            bio: Some("written".into()),
            ..UserChanges::default()
        };
        store.update_user(jake, &bio).await.expect("update");
        assert_ne!(versions(&store), before, "a write that stored marks");
    }
}
