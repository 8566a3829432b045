//! What store code needs from a database, written once for SQLite and MySQL: run a built query and read rows
//! ([`Conn`], implemented for both connection types), pools for reads and writes ([`Pools`]), write transactions
//! retried when the server rolled them back ([`retry_transaction`]), and the unique key a duplicate names.

use std::{future::Future, sync::Arc, time::Duration};

use backon::{ExponentialBuilder, Retryable};
use db_client::Entity;
use sqlx::{
    mysql::MySqlRow, pool::PoolConnection, sqlite::SqliteRow, Database, FromRow, MySql,
    MySqlConnection, Pool, Sqlite, SqliteConnection,
};

use super::{
    direct_readers::{is_locked, DirectLease, DirectReaders, FromSqliteRow},
    held_readers::{HeldReaders, Lease},
    sql::{Dialect, SqlQuery},
};
use crate::{
    error::ServiceError,
    metrics::{record_direct_read_missed, DirectReadMissed},
};

/// A row shape both backends can read, through sqlx and, on SQLite, on the caller's thread ([`DirectReaders`]).
pub(crate) trait Record:
    for<'r> FromRow<'r, SqliteRow>
    + for<'r> FromRow<'r, MySqlRow>
    + FromSqliteRow
    + Send
    + Unpin
    + 'static
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow>
        + for<'r> FromRow<'r, MySqlRow>
        + FromSqliteRow
        + Send
        + Unpin
        + 'static
{
}

/// What a statement did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done {
    /// The key the last insert generated.
    pub last_insert_id: i64,
}

/// A connection that runs [`SqlQuery`]s in its backend's SQL.
pub(crate) trait Conn: Send {
    /// The SQL this connection speaks.
    const DIALECT: Dialect;

    fn execute<'a>(
        &'a mut self,
        query: &'a SqlQuery,
    ) -> impl Future<Output = Result<Done, sqlx::Error>> + Send + 'a;

    fn fetch_all<'a, R: Record>(
        &'a mut self,
        query: &'a SqlQuery,
    ) -> impl Future<Output = Result<Vec<R>, sqlx::Error>> + Send + 'a;

    fn fetch_optional<'a, R: Record>(
        &'a mut self,
        query: &'a SqlQuery,
    ) -> impl Future<Output = Result<Option<R>, sqlx::Error>> + Send + 'a;

    /// Runs `query` and returns its row; no row is `missing` not found.
    fn fetch_found<'a, R: Record>(
        &'a mut self,
        query: &'a SqlQuery,
        missing: Entity,
    ) -> impl Future<Output = Result<R, ServiceError>> + Send + 'a {
        async move {
            self.fetch_optional(query)
                .await?
                .ok_or(ServiceError::NotFound(missing))
        }
    }
}

/// Implements [`Conn`] for one backend's connection; only the insert id's accessor differs.
macro_rules! impl_conn {
    ($connection:ty, $db:ty, $dialect:expr, $insert_id:expr) => {
        impl Conn for $connection {
            const DIALECT: Dialect = $dialect;

            fn execute<'a>(
                &'a mut self,
                query: &'a SqlQuery,
            ) -> impl Future<Output = Result<Done, sqlx::Error>> + Send + 'a {
                async move {
                    let done = query.query::<$db>().execute(self).await?;
                    Ok(Done {
                        last_insert_id: $insert_id(&done),
                    })
                }
            }

            fn fetch_all<'a, R: Record>(
                &'a mut self,
                query: &'a SqlQuery,
            ) -> impl Future<Output = Result<Vec<R>, sqlx::Error>> + Send + 'a {
                query.query_as::<$db, R>().fetch_all(self)
            }

            fn fetch_optional<'a, R: Record>(
                &'a mut self,
                query: &'a SqlQuery,
            ) -> impl Future<Output = Result<Option<R>, sqlx::Error>> + Send + 'a {
                query.query_as::<$db, R>().fetch_optional(self)
            }
        }
    };
}

impl_conn!(
    SqliteConnection,
    Sqlite,
    Dialect::Sqlite,
    sqlx::sqlite::SqliteQueryResult::last_insert_rowid
);
impl_conn!(
    MySqlConnection,
    MySql,
    Dialect::Mysql,
    |done: &sqlx::mysql::MySqlQueryResult| i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX)
);

/// A database whose connections are [`Conn`]s: SQLite or MySQL.
pub(crate) trait Backend: Database<Connection: Conn> {
    /// The SQL it speaks.
    const DIALECT: Dialect = <Self::Connection as Conn>::DIALECT;
}

impl<B: Database<Connection: Conn>> Backend for B {}

/// The pools of one database. On SQLite `write` is the single writer connection and `read` a pool of read-only
/// connections; readers of a bounded cost are served from `direct` ([`DirectReaders`]), the rest from `held`
/// ([`HeldReaders`]). On MySQL both are the same pool, which also serves readers.
#[derive(Debug)]
pub(crate) struct Pools<B: Backend> {
    pub read: Pool<B>,
    pub write: Pool<B>,
    held: Option<Arc<HeldReaders<B>>>,
    direct: Option<Arc<DirectReaders>>,
}

impl<B: Backend> Clone for Pools<B> {
    fn clone(&self) -> Self {
        Self {
            read: self.read.clone(),
            write: self.write.clone(),
            held: self.held.clone(),
            direct: self.direct.clone(),
        }
    }
}

impl<B: Backend> Pools<B> {
    /// The same pool for reads and writes.
    pub fn shared(pool: Pool<B>) -> Self {
        Self {
            read: pool.clone(),
            write: pool,
            held: None,
            direct: None,
        }
    }

    /// A read pool and a write pool, with readers served from `direct` and `held`.
    pub fn with_own_readers(
        read: Pool<B>,
        write: Pool<B>,
        held: HeldReaders<B>,
        direct: DirectReaders,
    ) -> Self {
        Self {
            read,
            write,
            held: Some(Arc::new(held)),
            direct: Some(Arc::new(direct)),
        }
    }

    /// A connection for reads of a small cost ([`ReadCost::Small`]). On SQLite they run on this thread
    /// (store::direct_readers), which does nothing else meanwhile.
    pub async fn small_reader(&self) -> Result<Reader<'_, B>, ServiceError> {
        self.reader_for(ReadCost::Small).await
    }

    /// A connection for reads of `cost`: on this thread where that is small and the backend allows it, else
    /// through sqlx's.
    pub async fn reader_for(&self, cost: ReadCost) -> Result<Reader<'_, B>, ServiceError> {
        if let (ReadCost::Small, Some(direct)) = (cost, &self.direct) {
            match direct.lease() {
                Ok(Some(lease)) => return Ok(Reader::Direct(lease, self)),
                // All in use (more threads than connections read at once): through sqlx.
                Ok(None) => {}
                Err(e) => record_direct_read_missed(DirectReadMissed::CannotOpen, &e),
            }
        }
        Ok(Reader::Sqlx(self.long_reader().await?))
    }

    /// A connection whose reads run on sqlx's threads, for reads of any cost.
    pub async fn long_reader(&self) -> Result<SqlxReader<'_, B>, sqlx::Error> {
        Ok(match &self.held {
            Some(held) => SqlxReader::Held(held.lease().await?),
            None => SqlxReader::Pooled(self.read.acquire().await?),
        })
    }

    /// Runs `query`, of a small cost ([`Pools::small_reader`]), and returns its rows.
    pub async fn fetch_all_small<R: Record>(
        &self,
        query: &SqlQuery,
    ) -> Result<Vec<R>, ServiceError> {
        Ok(self.small_reader().await?.fetch_all(query).await?)
    }

    /// Runs `query`, of a small cost ([`Pools::small_reader`]), and returns its row, if any.
    pub async fn fetch_optional_small<R: Record>(
        &self,
        query: &SqlQuery,
    ) -> Result<Option<R>, ServiceError> {
        Ok(self.small_reader().await?.fetch_optional(query).await?)
    }

    /// Runs `query`, of a small cost ([`Pools::small_reader`]), and returns its row; no row is `missing` not found.
    pub async fn fetch_found_small<R: Record>(
        &self,
        query: &SqlQuery,
        missing: Entity,
    ) -> Result<R, ServiceError> {
        self.small_reader().await?.fetch_found(query, missing).await
    }

    /// Runs `query`, of any cost ([`Pools::long_reader`]), and returns its rows.
    pub async fn fetch_all_long<R: Record>(
        &self,
        query: &SqlQuery,
    ) -> Result<Vec<R>, ServiceError> {
        Ok(self.long_reader().await?.fetch_all(query).await?)
    }

    /// Runs `query`, of any cost ([`Pools::long_reader`]), and returns its row, if any.
    pub async fn fetch_optional_long<R: Record>(
        &self,
        query: &SqlQuery,
    ) -> Result<Option<R>, ServiceError> {
        Ok(self.long_reader().await?.fetch_optional(query).await?)
    }

    /// The held readers' (open, idle) connections, if readers are held.
    pub fn held_usage(&self) -> Option<(u32, usize)> {
        self.held.as_ref().map(|held| held.usage())
    }

    /// The (open, idle) connections that read on the caller's thread, if there are such readers.
    pub fn direct_usage(&self) -> Option<(u32, usize)> {
        self.direct.as_ref().map(|direct| direct.usage())
    }

    /// Closes the readers outside the pools (before the pools: `read` is then the only pool left to close for
    /// reads).
    pub async fn close_held(&self) {
        if let Some(direct) = &self.direct {
            direct.close();
        }
        if let Some(held) = &self.held {
            held.close().await;
        }
    }

    /// Runs one statement on the writer, outside any explicit transaction.
    pub async fn execute(&self, query: &SqlQuery) -> Result<Done, ServiceError> {
        Ok(self.write.acquire().await?.execute(query).await?)
    }
}

/// What a read may cost, which decides the thread it runs on ([`Pools::reader_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadCost {
    /// At most [`super::direct_readers::MAX_ROWS_READ_DIRECTLY`] rows or index entries, whatever others write: a row by its key, or a
    /// page near the start of an index walked in its order. May run on the caller's thread.
    Small,
    /// Anything else: a search, a sort, a filter that walks past rows it does not keep, a far page.
    Any,
}

/// A connection for reads ([`Pools::reader_for`]): on this thread, or through sqlx.
pub(crate) enum Reader<'a, B: Backend> {
    /// A read that finds the file locked gives the connection back and is made through `Pools::long_reader`,
    /// which waits; so are the reader's later ones.
    Direct(DirectLease<'a>, &'a Pools<B>),
    Sqlx(SqlxReader<'a, B>),
}

/// A reader made through sqlx: held (SQLite) or from the pool (MySQL).
pub(crate) enum SqlxReader<'a, B: Backend> {
    Held(Lease<'a, B>),
    Pooled(PoolConnection<B>),
}

/// A failure of a read on the caller's thread, as the error sqlx's own reads give.
fn direct_error(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::AnyDriverError(Box::new(e))
}

impl<'p, B: Backend> Reader<'p, B> {
    /// After a direct read found the file locked: its connection goes back to the others, and this reader reads
    /// through sqlx from now on.
    async fn through_sqlx(
        &mut self,
        pools: &'p Pools<B>,
        locked: &rusqlite::Error,
    ) -> Result<&mut SqlxReader<'p, B>, sqlx::Error> {
        record_direct_read_missed(DirectReadMissed::Locked, locked);
        if let Reader::Direct(lease, _) = self {
            lease.give_back();
        }
        *self = Reader::Sqlx(pools.long_reader().await?);
        match self {
            Reader::Sqlx(reader) => Ok(reader),
            Reader::Direct(..) => unreachable!("just replaced"),
        }
    }
}

impl<B: Backend> Conn for Reader<'_, B> {
    const DIALECT: Dialect = B::DIALECT;

    async fn execute<'a>(&'a mut self, query: &'a SqlQuery) -> Result<Done, sqlx::Error> {
        match self {
            Reader::Direct(_, pools) => pools.long_reader().await?.execute(query).await,
            Reader::Sqlx(reader) => reader.execute(query).await,
        }
    }

    async fn fetch_all<'a, R: Record>(
        &'a mut self,
        query: &'a SqlQuery,
    ) -> Result<Vec<R>, sqlx::Error> {
        match self {
            Reader::Direct(lease, pools) => match lease.fetch_all(query) {
                Err(e) if is_locked(&e) => {
                    let pools = *pools;
                    self.through_sqlx(pools, &e).await?.fetch_all(query).await
                }
                done => done.map_err(direct_error),
            },
            Reader::Sqlx(reader) => reader.fetch_all(query).await,
        }
    }

    async fn fetch_optional<'a, R: Record>(
        &'a mut self,
        query: &'a SqlQuery,
    ) -> Result<Option<R>, sqlx::Error> {
        match self {
            Reader::Direct(lease, pools) => match lease.fetch_optional(query) {
                Err(e) if is_locked(&e) => {
                    let pools = *pools;
                    self.through_sqlx(pools, &e)
                        .await?
                        .fetch_optional(query)
                        .await
                }
                done => done.map_err(direct_error),
            },
            Reader::Sqlx(reader) => reader.fetch_optional(query).await,
        }
    }
}

impl<B: Backend> Conn for SqlxReader<'_, B> {
    const DIALECT: Dialect = B::DIALECT;

    async fn execute<'a>(&'a mut self, query: &'a SqlQuery) -> Result<Done, sqlx::Error> {
        match self {
            SqlxReader::Held(lease) => lease.execute(query).await,
            SqlxReader::Pooled(conn) => (**conn).execute(query).await,
        }
    }

    async fn fetch_all<'a, R: Record>(
        &'a mut self,
        query: &'a SqlQuery,
    ) -> Result<Vec<R>, sqlx::Error> {
        match self {
            SqlxReader::Held(lease) => lease.fetch_all(query).await,
            SqlxReader::Pooled(conn) => (**conn).fetch_all(query).await,
        }
    }

    async fn fetch_optional<'a, R: Record>(
        &'a mut self,
        query: &'a SqlQuery,
    ) -> Result<Option<R>, sqlx::Error> {
        match self {
            SqlxReader::Held(lease) => lease.fetch_optional(query).await,
            SqlxReader::Pooled(conn) => (**conn).fetch_optional(query).await,
        }
    }
}

/// Runs a whole write transaction again when the server rolled it back for a deadlock or a lock wait timeout
/// (MySQL; it then wrote nothing, so running it again is safe — a lost connection is not, the commit may have
/// happened). SQLite's single writer never deadlocks, so there it runs once.
pub(super) async fn retry_transaction<T, F, Fut>(run: F) -> Result<T, ServiceError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ServiceError>>,
{
    run.retry(
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(5))
            .with_max_delay(Duration::from_millis(200))
            .with_max_times(5)
            .with_jitter(),
    )
    .when(is_contention)
    .await
}

/// The database error behind `e`, if that is what it is.
fn sqlx_error(e: &ServiceError) -> Option<&sqlx::Error> {
    match e {
        ServiceError::Internal(e) => e.downcast_ref::<sqlx::Error>(),
        _ => None,
    }
}

/// Whether MySQL rolled the transaction back for a deadlock (1213) or a lock wait timeout (1205).
pub(super) fn is_contention(e: &ServiceError) -> bool {
    sqlx_error(e).is_some_and(|e| matches!(mysql_error_number(e), Some(1205 | 1213)))
}

/// An error met before a commit was tried, when nothing of the transaction is stored: a lost connection (the
/// server restarted or dropped it, or said so: MySQL 1040, 1053, 1927) or none to be had in time becomes `Busy`
/// — 503, worth another try — logged here with how many `writes` it failed, as `Busy` is not; anything else is
/// returned as it is. Never for errors
/// of the commit itself, whose outcome is unknown: a client told to try again could then store its write twice.
/// Deadlocks and lock waits are returned unchanged, so that [`retry_transaction`] still retries them.
pub(super) fn uncommitted(e: ServiceError, writes: usize) -> ServiceError {
    let why = match sqlx_error(&e) {
        // Not invalid data: that is how rustls reports a certificate that does not verify, which will not pass.
        Some(sqlx::Error::Io(io)) if io.kind() != std::io::ErrorKind::InvalidData => {
            "lost the database connection"
        }
        Some(sqlx::Error::PoolTimedOut) => "no database connection free in time",
        // MySQL: too many connections, shutting down, this connection killed.
        Some(db @ sqlx::Error::Database(_))
            if matches!(mysql_error_number(db), Some(1040 | 1053 | 1927)) =>
        {
            "the database server dropped or refused the connection"
        }
        Some(sqlx::Error::PoolClosed) => {
            // Only while shutting down: the store closes its pools last.
            tracing::debug!(writes, "the database pool is closed; nothing was written");
            return ServiceError::Busy;
        }
        _ => return e,
    };
    tracing::warn!(error = %e, writes, "{why} before a commit; nothing was written");
    ServiceError::Busy
}

/// The error of a failed COMMIT on backend `B`. After any error there MySQL cannot tell whether the transaction
/// took effect, so it is never answered as worth another try (a client that tried again could store its write
/// twice): always `Internal`. SQLite writes a transaction's commit frame to the WAL last, so its SQLITE_FULL there
/// means nothing was committed, and it stays `StorageFull`; its I/O errors (after which the frame may be there)
/// stay `Internal`.
pub(super) fn commit_failed<B: Backend>(e: sqlx::Error) -> ServiceError {
    match B::DIALECT {
        Dialect::Mysql => ServiceError::Internal(e.into()),
        Dialect::Sqlite => e.into(),
    }
}

/// Whether a statement failed for the values of a row — a duplicate key (1062, or a conflict found before
/// writing), or a value its column cannot hold (1048 NULL, 1264 out of range, 1366 invalid text, 1406 too
/// long) — rather than for the server, the connection or the transaction.
pub(super) fn refuses_one_row(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Conflict(_))
        || sqlx_error(e).is_some_and(|e| {
            matches!(
                mysql_error_number(e),
                Some(1048 | 1062 | 1264 | 1366 | 1406)
            )
        })
}

/// The MySQL error number of a database error.
pub(super) fn mysql_error_number(e: &sqlx::Error) -> Option<u16> {
    e.as_database_error()?
        .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .map(sqlx::mysql::MySqlDatabaseError::number)
}

/// The column a unique-constraint violation names — our unique keys are named after their columns. SQLite says
/// `UNIQUE constraint failed: users.email`; MySQL `Duplicate entry 'x' for key 'email'` (MySQL 8:
/// `'users.email'`).
pub(super) fn unique_violation(e: &sqlx::Error) -> Option<&str> {
    let db = e.as_database_error()?;
    if !db.is_unique_violation() {
        return None;
    }
    let message = db.message();
    let key = match message.rsplit_once("for key '") {
        Some((_, key)) => key.trim_end_matches('\''),
        None => message,
    };
    key.rsplit(['.', ' ']).next()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    use super::*;
    use crate::store::direct_readers::tests::file_with_values;

    /// SQLite pools on `path` as db-service opens them, with at most `direct` readers on the caller's thread;
    /// nothing is opened before the first read.
    fn own_readers(path: &std::path::Path, direct: usize) -> Pools<Sqlite> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .expect("options")
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().connect_lazy_with(options.clone());
        Pools::with_own_readers(
            pool.clone(),
            pool,
            HeldReaders::new(options.read_only(true), 2),
            DirectReaders::new(path, 0, direct),
        )
    }

    async fn values(pools: &Pools<Sqlite>) -> Vec<i64> {
        let rows: Vec<(i64,)> = pools
            .fetch_all_small(&SqlQuery::from("SELECT v FROM x ORDER BY v"))
            .await
            .expect("read");
        rows.into_iter().map(|(v,)| v).collect()
    }

    #[tokio::test]
    async fn a_read_that_finds_the_file_locked_gives_its_connection_back_and_is_made_through_sqlx_which_waits(
    ) {
        let dir = tempfile::tempdir().expect("dir");
        let (path, writer) = file_with_values(dir.path());
        drop(writer);
        // Exclusive locking mode after a write keeps every other connection out until this one closes.
        let locker = rusqlite::Connection::open(&path).expect("open");
        locker
            .execute_batch("PRAGMA locking_mode = EXCLUSIVE; INSERT INTO x VALUES (3);")
            .expect("lock");
        let pools = Arc::new(own_readers(&path, 1));
        let reading = tokio::spawn({
            let pools = Arc::clone(&pools);
            async move { values(&pools).await }
        });
        // Unlocked once the read waits in sqlx's reader (its connection leased, not idle).
        let waited = std::time::Instant::now();
        while pools.held_usage() != Some((1, 0)) {
            assert!(
                waited.elapsed() < Duration::from_secs(10),
                "no read went to sqlx: held {:?}, direct {:?}",
                pools.held_usage(),
                pools.direct_usage()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            pools.direct_usage(),
            Some((1, 1)),
            "the direct connection was given back while the read waits"
        );
        drop(locker);
        assert_eq!(reading.await.expect("read"), [1, 2, 3]);
    }

    #[tokio::test]
    async fn reads_go_through_sqlx_when_no_direct_connection_can_be_opened() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, _writer) = file_with_values(dir.path());
        let mut pools = own_readers(&path, 1);
        pools.direct = Some(Arc::new(DirectReaders::new(
            &dir.path().join("missing.db"),
            0,
            1,
        )));
        assert_eq!(values(&pools).await, [1, 2]);
        assert_eq!(pools.direct_usage(), Some((0, 0)));
        assert_eq!(pools.held_usage(), Some((1, 1)), "read through sqlx");
    }

    #[tokio::test]
    async fn reads_go_through_sqlx_while_every_direct_reader_is_in_use() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, writer) = file_with_values(dir.path());
        let pools = own_readers(&path, 1);
        assert_eq!(values(&pools).await, [1, 2]);
        assert_eq!(pools.held_usage(), Some((0, 0)), "read on this thread");
        let direct = pools.direct.as_ref().expect("direct readers");
        let taken = direct.lease().expect("open").expect("the one");
        writer
            .execute("INSERT INTO x VALUES (3)", [])
            .expect("write");
        assert_eq!(values(&pools).await, [1, 2, 3]);
        assert_eq!(pools.held_usage(), Some((1, 1)), "read through sqlx");
        drop(taken);
        pools.close_held().await;
        assert_eq!(pools.direct_usage(), Some((0, 0)));
    }

    #[test]
    fn a_connection_lost_before_the_commit_is_worth_another_try() {
        for lost in [
            sqlx::Error::Io(std::io::ErrorKind::UnexpectedEof.into()),
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
        ] {
            let answer = uncommitted(lost.into(), 3);
            assert!(matches!(answer, ServiceError::Busy), "{answer:?}");
        }
    }

    #[test]
    fn other_errors_before_the_commit_are_returned_as_they_are() {
        let answer = uncommitted(sqlx::Error::RowNotFound.into(), 1);
        assert!(
            sqlx_error(&answer).is_some_and(|e| matches!(e, sqlx::Error::RowNotFound)),
            "{answer:?}"
        );
        let answer = uncommitted(ServiceError::NotFound(db_client::Entity::Article), 1);
        assert!(matches!(answer, ServiceError::NotFound(_)), "{answer:?}");
        // Invalid data on the socket is how rustls reports a certificate that does not verify: not worth a retry.
        let tls: ServiceError = sqlx::Error::Io(std::io::ErrorKind::InvalidData.into()).into();
        assert!(matches!(uncommitted(tls, 1), ServiceError::Internal(_)));
        // An error only described in words (as a failed commit's is passed on) is never taken for a lost
        // connection.
        let described: ServiceError =
            anyhow::anyhow!("the batch's commit failed: {}", sqlx::Error::PoolTimedOut).into();
        assert!(matches!(
            uncommitted(described, 1),
            ServiceError::Internal(_)
        ));
    }
}
