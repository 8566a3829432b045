//! Reader connections to a SQLite file of db-service's own (rusqlite), whose reads run on the calling task's thread.
//!
//! Why: a read through sqlx is a round trip to its connection's worker thread, two thread wake-ups that each wait
//! for a core while the cores are busy, for a statement that takes a fraction of a millisecond (the file is
//! memory-mapped, its pages in the page cache once read).
//!
//! The price is that the thread, a worker of the async runtime, does nothing else meanwhile, and that nothing can
//! stop a read once it started. So only reads of a small cost come here ([`super::backend::ReadCost::Small`]): a
//! row by its key, or a page near the start of an index walked in its order, or the feed of a few authors read author
//! by author, at most [`MAX_ROWS_READ_DIRECTLY`] rows or index entries whatever others write. Searches, feeds of
//! many authors, filters combined or with no counter for their total, pages further on, the tag ranking and the sitemap (up to
//! 50,000 rows a page) are read through sqlx's threads (`Pools::long_reader`). A page of the file not yet in
//! memory is read from disk by the runtime's thread (a first read after a start, or a file larger than the map).
//!
//! A connection does not wait for a lock (its busy timeout is zero): a read that finds the file locked, as while
//! another connection recovers the WAL after a crash, is made again through sqlx, which waits. SQLite itself
//! still retries as a read starts while another connection is rewriting the WAL's index (a checkpoint restarting
//! the WAL): microseconds as a rule, but it sleeps between tries for up to about 10 seconds in all before it gives
//! up (SQLITE_PROTOCOL, then made again through sqlx), and would sleep on this thread.

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex, MutexGuard, PoisonError,
    },
    time::{Duration, Instant},
};

use rusqlite::{
    types::{FromSql, ToSqlOutput},
    Connection, ErrorCode, OpenFlags, Row,
};

use super::sql::{Param, SqlQuery};

/// A row shape read from a rusqlite row, by the column names (or, for tuples, the positions) its sqlx `FromRow`
/// reads.
pub(crate) trait FromSqliteRow: Sized {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self>;
}

/// Implements [`FromSqliteRow`] for a struct whose fields are read from the columns of their names, as sqlx's
/// derived `FromRow` reads them.
macro_rules! named_row {
    ($row:ty { $($field:ident),+ $(,)? }) => {
        impl $crate::store::direct_readers::FromSqliteRow for $row {
            fn from_row(row: &::rusqlite::Row<'_>) -> ::rusqlite::Result<Self> {
                Ok(Self { $($field: row.get(stringify!($field))?),+ })
            }
        }
    };
}

pub(crate) use named_row;

/// Implements [`FromSqliteRow`] for a tuple of values read by position.
macro_rules! tuple_rows {
    ($(($($t:ident $i:tt),+)),+ $(,)?) => {
        $(impl<$($t: FromSql),+> FromSqliteRow for ($($t,)+) {
            fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)+))
            }
        })+
    };
}

tuple_rows!((A 0), (A 0, B 1), (A 0, B 1, C 2));

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Param::Int(value) => value.to_sql(),
            Param::Text(value) => value.to_sql(),
        }
    }
}

/// Most rows or index entries a page read on the caller's thread walks (its offset and limit together, each row
/// with its tags and the viewer's flags): the first eleven pages of 100, or 55 of 20. Pages further on (up to
/// `MAX_OFFSET`, 10,000) are read through sqlx's threads.
pub(crate) const MAX_ROWS_READ_DIRECTLY: u64 = 1_100;

/// Statements each connection keeps prepared (rusqlite's default keeps 16): a list page's statement differs with
/// its filter, its viewer (signed in or not) and whether its total is counted in it.
const STATEMENTS_CACHED: usize = 64;

/// Up to `max` read-only connections to one file, opened on first need and kept between reads.
pub(crate) struct DirectReaders {
    path: PathBuf,
    mmap_bytes: u64,
    max: usize,
    idle: Mutex<Idle>,
    /// Connections open now, idle or leased.
    open: AtomicUsize,
}

struct Idle {
    connections: Vec<Connection>,
    closed: bool,
    /// After a connection failed to open (too many files open, the file unreadable): no other is tried before
    /// then, so that each read does not try again on the runtime's thread before going through sqlx.
    open_again_at: Option<Instant>,
}

/// How long after a connection failed to open readers go through sqlx without trying another.
const OPEN_AGAIN_AFTER: Duration = Duration::from_secs(1);

impl std::fmt::Debug for DirectReaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectReaders")
            .field("path", &self.path)
            .field("open", &self.open.load(Ordering::Relaxed))
            .finish()
    }
}

impl DirectReaders {
    /// Readers of the SQLite file at `path` (which exists, in WAL mode), mapping its first `mmap_bytes`, at most
    /// `max` at once.
    pub fn new(path: &Path, mmap_bytes: u64, max: usize) -> Self {
        Self {
            path: path.to_owned(),
            mmap_bytes,
            max,
            idle: Mutex::new(Idle {
                connections: Vec::new(),
                closed: false,
                open_again_at: None,
            }),
            open: AtomicUsize::new(0),
        }
    }

    /// A connection for one reader: an idle one, or a new one. `None` when `max` are in use, the readers are
    /// closed, or one failed to open less than [`OPEN_AGAIN_AFTER`] ago (the caller reads through sqlx then); an
    /// error if a new one could not be opened.
    pub fn lease(&self) -> rusqlite::Result<Option<DirectLease<'_>>> {
        let connection = {
            let mut idle = self.idle();
            if idle.closed {
                return Ok(None);
            }
            match idle.connections.pop() {
                None if idle.open_again_at.is_some_and(|at| Instant::now() < at) => {
                    return Ok(None)
                }
                popped => popped,
            }
        };
        let connection = match connection {
            Some(connection) => connection,
            None => {
                // Counted before it is opened, so that readers opening at once cannot pass `max` together.
                if self.open.fetch_add(1, Ordering::AcqRel) >= self.max {
                    self.open.fetch_sub(1, Ordering::AcqRel);
                    return Ok(None);
                }
                self.connect().inspect_err(|_| {
                    self.open.fetch_sub(1, Ordering::AcqRel);
                    self.idle().open_again_at = Some(Instant::now() + OPEN_AGAIN_AFTER);
                })?
            }
        };
        Ok(Some(DirectLease {
            connection: Some(connection),
            readers: self,
        }))
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&self.path, flags)?;
        // rusqlite waits 5 s for a lock by default: a reader here holds a thread of the runtime, so it never waits.
        connection.busy_timeout(Duration::ZERO)?;
        connection.pragma_update(None, "mmap_size", self.mmap_bytes)?;
        connection.pragma_update(None, "temp_store", "memory")?;
        connection.set_prepared_statement_cache_capacity(STATEMENTS_CACHED);
        Ok(connection)
    }

    /// Closes the idle connections and opens no more; those leased are closed when they come back, as soon as
    /// their request's statements are done.
    pub fn close(&self) {
        let closing = {
            let mut idle = self.idle();
            idle.closed = true;
            std::mem::take(&mut idle.connections)
        };
        self.open.fetch_sub(closing.len(), Ordering::AcqRel);
        drop(closing);
    }

    /// (open, idle) connections, for metrics.
    pub fn usage(&self) -> (u32, usize) {
        let open = u32::try_from(self.open.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
        (open, self.idle().connections.len())
    }

    fn idle(&self) -> MutexGuard<'_, Idle> {
        // The list is only pushed to, popped from and taken whole: a panic elsewhere cannot leave it half-changed.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One reader's connection; back to the idle list when dropped. Every statement runs to its end (or fails) before
/// a method returns, and rusqlite resets it then, so a connection is always fit for the next reader.
pub(crate) struct DirectLease<'a> {
    /// Present until the lease is dropped.
    connection: Option<Connection>,
    readers: &'a DirectReaders,
}

impl Drop for DirectLease<'_> {
    fn drop(&mut self) {
        self.return_connection();
    }
}

impl DirectLease<'_> {
    /// Gives the connection back to the others now; the lease reads nothing more.
    pub fn give_back(&mut self) {
        self.return_connection();
    }

    fn return_connection(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        let mut idle = self.readers.idle();
        if idle.closed {
            drop(idle);
            drop(connection);
            self.readers.open.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        idle.connections.push(connection);
    }

    fn connection(&self) -> rusqlite::Result<&Connection> {
        self.connection
            .as_ref()
            .ok_or(rusqlite::Error::InvalidQuery)
    }

    /// Every row `q` returns.
    pub fn fetch_all<R: FromSqliteRow>(&self, q: &SqlQuery) -> rusqlite::Result<Vec<R>> {
        let mut statement = self.connection()?.prepare_cached(&q.sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(&q.params), R::from_row)?;
        rows.collect()
    }

    /// The first row `q` returns, if any.
    pub fn fetch_optional<R: FromSqliteRow>(&self, q: &SqlQuery) -> rusqlite::Result<Option<R>> {
        let mut statement = self.connection()?.prepare_cached(&q.sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(&q.params))?;
        rows.next()?.map(R::from_row).transpose()
    }
}

/// Whether a read failed only because the file was locked (or SQLite gave up retrying a read while the WAL was
/// being reset), so that it can be made again by a reader that waits.
pub(crate) fn is_locked(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(
            ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::FileLockingProtocolFailed
        )
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A file in WAL mode in `dir` with one table `x` of values 1 and 2, and a connection that writes to it.
    pub(crate) fn file_with_values(dir: &Path) -> (PathBuf, Connection) {
        let path = dir.join("direct.db");
        let writer = Connection::open(&path).expect("open");
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE x (v INTEGER); INSERT INTO x VALUES (1), (2);",
            )
            .expect("create");
        (path, writer)
    }

    /// A statement of which only the first row is read; `values`, another one, sees whether it kept a snapshot
    /// open.
    const FIRST_OF_TWO: &str = "SELECT v FROM x ORDER BY v LIMIT 2";

    fn values(lease: &DirectLease<'_>) -> Vec<i64> {
        let q = SqlQuery::from("SELECT v FROM x ORDER BY v");
        let rows: Vec<(i64,)> = lease.fetch_all(&q).expect("read");
        rows.into_iter().map(|(v,)| v).collect()
    }

    #[test]
    fn a_read_sees_every_commit_before_it_even_after_a_read_that_stopped_at_its_first_row() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, writer) = file_with_values(dir.path());
        let readers = DirectReaders::new(&path, 1 << 20, 1);
        let lease = readers.lease().expect("open").expect("a connection");
        // Of its two rows only the first is read: the statement, kept prepared, must not keep its snapshot.
        let first: Option<(i64,)> = lease
            .fetch_optional(&SqlQuery::from(FIRST_OF_TWO))
            .expect("read");
        assert_eq!(first, Some((1,)));
        writer
            .execute("INSERT INTO x VALUES (3)", [])
            .expect("write");
        assert_eq!(values(&lease), [1, 2, 3]);
        let first: Option<(i64,)> = lease
            .fetch_optional(&SqlQuery::from(FIRST_OF_TWO))
            .expect("read");
        assert_eq!(first, Some((1,)));
        writer
            .execute("DELETE FROM x WHERE v = 1", [])
            .expect("write");
        let first: Option<(i64,)> = lease
            .fetch_optional(&SqlQuery::from(FIRST_OF_TWO))
            .expect("read");
        assert_eq!(first, Some((2,)), "the second read saw the delete");
    }

    #[test]
    fn no_more_than_max_are_open_an_idle_one_is_reused_and_closed_readers_open_none() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, _writer) = file_with_values(dir.path());
        let readers = DirectReaders::new(&path, 0, 2);
        let first = readers.lease().expect("open").expect("one");
        let second = readers.lease().expect("open").expect("two");
        assert!(readers.lease().expect("no error").is_none(), "a third");
        assert_eq!(readers.usage(), (2, 0));
        drop(first);
        assert_eq!(readers.usage(), (2, 1));
        let again = readers.lease().expect("open").expect("the idle one");
        assert_eq!(readers.usage(), (2, 0));
        assert_eq!(values(&again), [1, 2]);
        drop(again);
        readers.close();
        assert_eq!(readers.usage(), (1, 0), "the idle one closed");
        assert!(readers.lease().expect("no error").is_none());
        drop(second);
        assert_eq!(
            readers.usage(),
            (0, 0),
            "the leased one closed as it came back"
        );
    }

    #[test]
    fn after_a_connection_failed_to_open_none_is_tried_for_a_while() {
        let dir = tempfile::tempdir().expect("dir");
        let readers = DirectReaders::new(&dir.path().join("missing.db"), 0, 2);
        assert!(readers.lease().is_err(), "a file that does not exist");
        assert!(
            readers.lease().expect("not tried").is_none(),
            "read through sqlx without trying again"
        );
        assert_eq!(readers.usage(), (0, 0));
        readers.idle().open_again_at = Some(Instant::now());
        assert!(
            readers.lease().is_err(),
            "tried again once the pause is over"
        );
    }

    #[test]
    fn a_connection_is_read_only_and_never_waits_for_a_lock() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, writer) = file_with_values(dir.path());
        drop(writer);
        // A connection in exclusive locking mode that has written keeps every other connection out until it
        // closes (as no connection of db-service does; the test's way to lock the file).
        let locker = Connection::open(&path).expect("open");
        locker
            .execute_batch("PRAGMA locking_mode = EXCLUSIVE; INSERT INTO x VALUES (3);")
            .expect("lock");
        let readers = DirectReaders::new(&path, 0, 1);
        let lease = readers.lease().expect("open").expect("a connection");
        let started = std::time::Instant::now();
        let locked = lease
            .fetch_all::<(i64,)>(&SqlQuery::from("SELECT v FROM x"))
            .expect_err("the file is locked");
        assert!(is_locked(&locked), "{locked:?}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "it waited {:?}",
            started.elapsed()
        );
        drop(locker);
        assert_eq!(values(&lease), [1, 2, 3]);
        let write = lease
            .fetch_all::<(i64,)>(&SqlQuery::from("INSERT INTO x VALUES (4) RETURNING v"))
            .expect_err("read-only");
        assert!(!is_locked(&write), "{write:?}");
    }
}
