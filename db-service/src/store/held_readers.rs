//! Reader connections to a SQLite file, kept between uses outside sqlx's pool. sqlx pings every pooled connection
//! as it goes back to its pool (sqlx-core 0.8, unconditionally): on SQLite a round trip to the connection's own
//! thread — two thread wake-ups, as many as the read itself — that checks nothing a local file could lose. A
//! connection whose statement finished goes to the next reader as it is. One whose statement was abandoned half-way
//! (its request was dropped) may still be running it on its thread, which notices only when it next hands over a
//! row: it is closed instead, and keeps its turn until its thread has finished, so that readers who leave cannot
//! make more than `max` statements run at once. So is one whose statement failed other than in the database.
//!
//! Bounded like a pool: at most `max` connections, opened on first need; more readers wait their turn (in order),
//! for at most [`ACQUIRE_TIMEOUT`] (then `PoolTimedOut`, as sqlx's pool would answer).

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, MutexGuard, PoisonError,
    },
    time::Duration,
};

use sqlx::{ConnectOptions, Connection, Database};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::{
    backend::{Conn, Done, Record},
    sql::{Dialect, SqlQuery},
};

/// Longest wait for a free reader (sqlx's pools here wait as long).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest wait, when closing, for readers still at work to finish.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct HeldReaders<B: Database> {
    options: <B::Connection as Connection>::Options,
    idle: Mutex<Idle<B>>,
    /// One per connection that may be open: a lease holds one, and so does a connection being closed.
    permits: Arc<Semaphore>,
    max: u32,
    /// Connections open now: idle, leased or being closed.
    open: Arc<AtomicUsize>,
    acquire_timeout: Duration,
}

/// The idle connections, and whether the readers are closed (then nothing joins the list).
struct Idle<B: Database> {
    connections: Vec<B::Connection>,
    closed: bool,
}

impl<B: Database> std::fmt::Debug for HeldReaders<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (open, idle) = self.usage();
        f.debug_struct("HeldReaders")
            .field("open", &open)
            .field("idle", &idle)
            .finish()
    }
}

impl<B: Database> HeldReaders<B> {
    /// Up to `max` connections opened with `options` (read-only ones, for readers).
    pub fn new(options: <B::Connection as Connection>::Options, max: u32) -> Self {
        Self {
            options,
            idle: Mutex::new(Idle {
                connections: Vec::new(),
                closed: false,
            }),
            permits: Arc::new(Semaphore::new(max as usize)),
            max,
            open: Arc::new(AtomicUsize::new(0)),
            acquire_timeout: ACQUIRE_TIMEOUT,
        }
    }

    /// A connection for one reader: the most recently used idle one, or a new one.
    pub async fn lease(&self) -> Result<Lease<'_, B>, sqlx::Error> {
        // Closing waits for every permit: a reader arriving then is refused rather than queued behind it.
        if self.idle().closed {
            return Err(sqlx::Error::PoolClosed);
        }
        let permit = tokio::time::timeout(self.acquire_timeout, self.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = {
            let mut idle = self.idle();
            if idle.closed {
                return Err(sqlx::Error::PoolClosed);
            }
            idle.connections.pop()
        };
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = self.options.connect().await?;
                if self.idle().closed {
                    // Closing began while this one was opening.
                    return Err(sqlx::Error::PoolClosed);
                }
                self.open.fetch_add(1, Ordering::Relaxed);
                conn
            }
        };
        Ok(Lease {
            conn: Some(conn),
            fit: true,
            readers: self,
            permit: Some(permit),
        })
    }

    /// (open, idle) connections, for metrics.
    pub fn usage(&self) -> (u32, usize) {
        let open = u32::try_from(self.open.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
        (open, self.idle().connections.len())
    }

    /// Refuses new leases, waits (for at most [`CLOSE_TIMEOUT`]) for those out to come back, and closes every
    /// connection; one that comes back later is closed then.
    pub async fn close(&self) {
        let idle = {
            let mut idle = self.idle();
            idle.closed = true;
            std::mem::take(&mut idle.connections)
        };
        for conn in idle {
            self.forget();
            let _ = conn.close().await;
        }
        if tokio::time::timeout(CLOSE_TIMEOUT, self.permits.acquire_many(self.max))
            .await
            .is_err()
        {
            tracing::warn!("readers still at work after {CLOSE_TIMEOUT:?}; closing without them");
        }
        self.permits.close();
    }

    /// One connection fewer is open (dropping a connection ends its thread, which closes the file).
    fn forget(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    fn idle(&self) -> MutexGuard<'_, Idle<B>> {
        // The list is only pushed to, popped from and taken whole: a panic elsewhere cannot leave it half-changed.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One reader's connection; back to the idle list when dropped, if it is fit for the next reader.
pub(crate) struct Lease<'a, B: Database> {
    /// Present until the lease is dropped.
    conn: Option<B::Connection>,
    /// No statement is under way on the connection, and none failed other than in the database. Unset while a
    /// statement runs: if the lease is dropped then, the statement was abandoned half-way.
    fit: bool,
    readers: &'a HeldReaders<B>,
    /// Present until the lease is dropped.
    permit: Option<SemaphorePermit<'a>>,
}

impl<B: Database> Lease<'_, B> {
    /// The connection, for one statement ([`Lease::finished`] ends it); refused once the connection is unfit.
    fn start(&mut self) -> Result<&mut B::Connection, sqlx::Error> {
        if !self.fit {
            return Err(sqlx::Error::WorkerCrashed);
        }
        self.fit = false;
        self.conn.as_mut().ok_or(sqlx::Error::WorkerCrashed)
    }

    /// `result` of a statement. The connection stays fit unless the statement failed other than in the database
    /// (its thread gone, its transport failed, or a row it could not decode, after which its thread may still be
    /// stepping through the statement).
    fn finished<T>(&mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        match &result {
            Ok(_) | Err(sqlx::Error::Database(_)) => self.fit = true,
            Err(e) => tracing::warn!(error = %e, "closing a reader connection"),
        }
        result
    }
}

impl<B: Database> Drop for Lease<'_, B> {
    fn drop(&mut self) {
        let (Some(conn), Some(permit)) = (self.conn.take(), self.permit.take()) else {
            return;
        };
        let readers = self.readers;
        if self.fit {
            let mut idle = readers.idle();
            if !idle.closed {
                idle.connections.push(conn);
                return;
            }
        }
        // Closed when its thread has finished what it was doing; until then the connection keeps its turn.
        permit.forget();
        let (permits, open) = (Arc::clone(&readers.permits), Arc::clone(&readers.open));
        let closed = async move {
            let _ = conn.close().await;
            open.fetch_sub(1, Ordering::Relaxed);
            permits.add_permits(1);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(closed)),
            // Outside a runtime (never, in this service): dropping the connection ends its thread after the
            // statement, but without holding the turn.
            Err(_) => {
                readers.open.fetch_sub(1, Ordering::Relaxed);
                readers.permits.add_permits(1);
            }
        }
    }
}

impl<B> Conn for Lease<'_, B>
where
    B: Database<Connection: Conn>,
{
    const DIALECT: Dialect = <B::Connection as Conn>::DIALECT;

    async fn execute<'a>(&'a mut self, query: &'a SqlQuery) -> Result<Done, sqlx::Error> {
        let result = self.start()?.execute(query).await;
        self.finished(result)
    }

    async fn fetch_all<'a, R: Record>(
        &'a mut self,
        query: &'a SqlQuery,
    ) -> Result<Vec<R>, sqlx::Error> {
        let result = self.start()?.fetch_all(query).await;
        self.finished(result)
    }

    async fn fetch_optional<'a, R: Record>(
        &'a mut self,
        query: &'a SqlQuery,
    ) -> Result<Option<R>, sqlx::Error> {
        let result = self.start()?.fetch_optional(query).await;
        self.finished(result)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::{sqlite::SqliteConnectOptions, Sqlite};

    use super::*;

    /// Readers of a fresh file in `dir`, at most `max` at once, waiting at most 200 ms for a turn.
    fn readers(dir: &std::path::Path, max: u32) -> HeldReaders<Sqlite> {
        let path = dir.join("held.db");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .expect("options")
            .create_if_missing(true);
        HeldReaders {
            acquire_timeout: Duration::from_millis(200),
            ..HeldReaders::new(options, max)
        }
    }

    /// A temporary table lives as long as its connection: it tells whether a lease got the same one.
    async fn mark(lease: &mut Lease<'_, Sqlite>) {
        lease
            .execute(&SqlQuery::from("CREATE TEMP TABLE marked (x)"))
            .await
            .expect("mark");
    }

    async fn is_marked(lease: &mut Lease<'_, Sqlite>) -> bool {
        let q = SqlQuery::from("SELECT COUNT(*) FROM temp.sqlite_master WHERE name = 'marked'");
        let (n,): (i64,) = lease
            .fetch_optional(&q)
            .await
            .expect("read")
            .expect("a row");
        n == 1
    }

    #[tokio::test]
    async fn a_connection_is_kept_for_the_next_reader_and_no_more_than_max_are_open() {
        let dir = tempfile::tempdir().expect("dir");
        let readers = readers(dir.path(), 2);
        {
            let mut first = readers.lease().await.expect("lease");
            mark(&mut first).await;
        }
        assert_eq!(readers.usage(), (1, 1));
        let mut again = readers.lease().await.expect("lease");
        assert!(
            is_marked(&mut again).await,
            "the idle connection was reused"
        );
        let mut second = readers.lease().await.expect("a second connection");
        assert!(!is_marked(&mut second).await, "a new connection");
        assert_eq!(readers.usage(), (2, 0));
        // Both are out: a third reader waits its turn, then gives up as a pool would.
        let third = readers.lease().await;
        assert!(
            matches!(third, Err(sqlx::Error::PoolTimedOut)),
            "{:?}",
            third.err()
        );
        drop(second);
        let _third = readers.lease().await.expect("a turn once one is back");
        assert_eq!(readers.usage().0, 2);
    }

    /// Waits (up to 30 s) until `readers` have `open` connections and `free` turns.
    async fn settles(readers: &HeldReaders<Sqlite>, open: u32, free: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while (readers.usage().0, readers.permits.available_permits()) != (open, free) {
            assert!(
                std::time::Instant::now() < deadline,
                "open {:?}, free turns {}",
                readers.usage(),
                readers.permits.available_permits()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_connection_that_broke_is_closed_not_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let readers = readers(dir.path(), 2);
        let mut lease = readers.lease().await.expect("lease");
        mark(&mut lease).await;
        // A statement the database refused leaves the connection usable: it is kept.
        let failed = lease
            .fetch_all::<(i64,)>(&SqlQuery::from("SELECT nope FROM nowhere"))
            .await;
        assert!(
            matches!(failed, Err(sqlx::Error::Database(_))),
            "{failed:?}"
        );
        assert!(is_marked(&mut lease).await);
        // A row that cannot be decoded does not (sqlx may leave the statement running).
        let undecodable = lease
            .fetch_all::<(i64,)>(&SqlQuery::from("SELECT 'text'"))
            .await;
        assert!(undecodable.is_err());
        let again = lease.fetch_all::<(i64,)>(&SqlQuery::from("SELECT 1")).await;
        assert!(
            matches!(again, Err(sqlx::Error::WorkerCrashed)),
            "{again:?}"
        );
        drop(lease);
        settles(&readers, 0, 2).await;
        let mut next = readers.lease().await.expect("a new connection");
        assert!(!is_marked(&mut next).await);
    }

    #[tokio::test]
    async fn a_reader_abandoned_half_way_keeps_its_turn_until_its_thread_is_done_and_is_not_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let readers = readers(dir.path(), 2);
        let mut lease = readers.lease().await.expect("lease");
        mark(&mut lease).await;
        // A statement that runs for a while, dropped (as a request is when its client leaves) after 50 ms.
        let slow = SqlQuery::from(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) \
             SELECT COUNT(*) FROM n",
        );
        let abandoned =
            tokio::time::timeout(Duration::from_millis(50), lease.fetch_all::<(i64,)>(&slow)).await;
        assert!(abandoned.is_err(), "the statement should still be running");
        drop(lease);
        // Not idle, and its thread still holds a turn: the next reader gets a fresh connection and the other turn.
        assert_eq!(readers.usage(), (1, 0));
        let mut next = readers.lease().await.expect("lease");
        assert!(!is_marked(&mut next).await);
        assert_eq!(
            readers.permits.available_permits(),
            0,
            "the abandoned statement keeps its turn"
        );
        // Once its thread has finished, the connection is closed and the turn is free again.
        settles(&readers, 1, 1).await;
        // A statement that finished leaves its connection for the next reader.
        mark(&mut next).await;
        drop(next);
        assert!(is_marked(&mut readers.lease().await.expect("lease")).await);
    }

    #[tokio::test]
    async fn closing_refuses_new_readers_waits_for_those_at_work_and_closes_every_connection() {
        let dir = tempfile::tempdir().expect("dir");
        let readers = readers(dir.path(), 2);
        let out = readers.lease().await.expect("lease");
        drop(readers.lease().await.expect("lease"));
        assert_eq!(readers.usage(), (2, 1));
        let give_back_later = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            // Closing has begun: no new reader gets in.
            assert!(matches!(
                readers.lease().await,
                Err(sqlx::Error::PoolClosed)
            ));
            assert_eq!(readers.usage(), (1, 0), "the idle one is closed at once");
            drop(out);
        };
        let started = std::time::Instant::now();
        tokio::join!(readers.close(), give_back_later);
        assert!(
            started.elapsed() >= Duration::from_millis(100),
            "close waited for the reader"
        );
        assert_eq!(readers.usage(), (0, 0));
        assert!(matches!(
            readers.lease().await,
            Err(sqlx::Error::PoolClosed)
        ));
    }
}
