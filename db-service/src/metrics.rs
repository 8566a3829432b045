//! db-service's own Prometheus metrics — connection pool usage and backup outcomes — beside the request metrics
//! every service records (conduit_runtime::metrics).

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use conduit_runtime::metrics::{handle, RequestMetrics};

use crate::store::Store;

/// db-service's request metrics: `db_requests_total` and `db_request_duration_seconds` by operation.
pub const REQUESTS: RequestMetrics = RequestMetrics {
    requests_total: "db_requests_total",
    duration: "db_request_duration_seconds",
    route_label: "operation",
};

/// The Prometheus text exposition, with pool gauges refreshed first.
pub fn render(store: &Store) -> String {
    for (database, pool, open, idle) in store.pool_usage() {
        let labels = [("database", database), ("pool", pool)];
        metrics::gauge!("db_pool_connections_open", &labels).set(f64::from(open));
        metrics::gauge!("db_pool_connections_idle", &labels).set(idle as f64);
    }
    for (writer, queued) in store.writer_queues() {
        metrics::gauge!("db_writer_queued", "writer" => writer).set(queued as f64);
    }
    // Shown from the first scrape on, at 0, so that an alert on its increase sees the first refused write too.
    metrics::counter!(STORAGE_FULL).increment(0);
    handle().render()
}

/// Writes the database refused for want of room.
const STORAGE_FULL: &str = "db_storage_full_total";

/// Events of one kind that are logged at most once a second, each line saying how many happened since the last:
/// what clients can make happen at any rate must not flood the log.
struct LogThrottle {
    since_logged: AtomicU64,
    logged_at_second: AtomicU64,
}

impl LogThrottle {
    const fn new() -> Self {
        Self {
            since_logged: AtomicU64::new(0),
            logged_at_second: AtomicU64::new(0),
        }
    }

    /// Notes one event; `Some(events since the last line)` when a line is due now.
    fn note(&self) -> Option<u64> {
        self.since_logged.fetch_add(1, Ordering::Relaxed);
        let second = unix_seconds(SystemTime::now()) as u64;
        if self.logged_at_second.swap(second, Ordering::Relaxed) == second {
            return None;
        }
        // Taken whole (not this caller's count subtracted): a caller held up past the next second would subtract
        // events another line already reported. 0 when another line just reported this event too.
        match self.since_logged.swap(0, Ordering::Relaxed) {
            0 => None,
            events => Some(events),
        }
    }
}

static STORAGE_FULL_LOG: LogThrottle = LogThrottle::new();

/// Counts one write the database refused for want of room (`why`: its message) and says so at error level — the
/// operator has to make room — at most once a second, with how many were refused since.
pub fn record_storage_full(why: &str) {
    metrics::counter!(STORAGE_FULL).increment(1);
    if let Some(refused) = STORAGE_FULL_LOG.note() {
        tracing::error!(
            refused,
            error = why,
            "writes refused: the database's storage is full"
        );
    }
}

static DIRECT_READER_LOG: LogThrottle = LogThrottle::new();

/// Why a read of a bounded cost was made through sqlx's threads rather than on the caller's (store::direct_readers).
#[derive(Debug, Clone, Copy)]
pub enum DirectReadMissed {
    /// The file was locked (SQLite's WAL being recovered): sqlx's reader waits for it.
    Locked,
    /// No connection could be opened (`why`), e.g. for want of file descriptors: logged at most once a second.
    CannotOpen,
}

/// Counts a read made through sqlx instead of on the caller's thread, in `db_direct_reads_missed_total{reason}`.
pub fn record_direct_read_missed(reason: DirectReadMissed, why: &dyn std::fmt::Display) {
    let label = match reason {
        DirectReadMissed::Locked => "locked",
        DirectReadMissed::CannotOpen => "cannot_open",
    };
    metrics::counter!("db_direct_reads_missed_total", "reason" => label).increment(1);
    if let DirectReadMissed::CannotOpen = reason {
        if let Some(missed) = DIRECT_READER_LOG.note() {
            tracing::warn!(missed, error = %why, "cannot open a reader connection; reading through sqlx");
        }
    }
}

/// Records the outcome of one backup: `size` is `Some(bytes)` when it succeeded.
pub fn record_backup(size: Option<u64>) {
    let result = if size.is_some() { "ok" } else { "failed" };
    metrics::counter!("db_backups_total", "result" => result).increment(1);
    metrics::gauge!("db_backup_last_result").set(if size.is_some() { 1.0 } else { 0.0 });
    if let Some(bytes) = size {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        metrics::gauge!("db_backup_last_success_timestamp_seconds").set(now);
        metrics::gauge!("db_backup_last_size_bytes").set(bytes as f64);
    }
}

/// Records the outcome of copying one backup off the node (BACKUP_URL).
pub fn record_upload(ok: bool) {
    let result = if ok { "ok" } else { "failed" };
    metrics::counter!("db_backup_uploads_total", "result" => result).increment(1);
    metrics::gauge!("db_backup_upload_last_result").set(if ok { 1.0 } else { 0.0 });
    if ok {
        metrics::gauge!("db_backup_upload_last_success_timestamp_seconds")
            .set(unix_seconds(SystemTime::now()));
    }
}

/// Publishes the backup interval, and the time of the newest backup already on disk (so that a restart does not
/// hide how old the last backup is): alert rules compare the two.
pub fn record_backup_schedule(every: std::time::Duration, newest: Option<SystemTime>) {
    metrics::gauge!("db_backup_interval_seconds").set(every.as_secs_f64());
    if let Some(newest) = newest {
        metrics::gauge!("db_backup_last_success_timestamp_seconds").set(unix_seconds(newest));
    }
}

fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_log_reports_every_event_once() {
        let throttle = LogThrottle::new();
        assert_eq!(
            throttle.note(),
            Some(1),
            "the first event is logged at once"
        );
        let mut reported = 1;
        for _ in 0..99 {
            reported += throttle.note().unwrap_or(0);
        }
        // A second later, the next event's line counts those not yet reported.
        throttle.logged_at_second.store(0, Ordering::Relaxed);
        reported += throttle.note().expect("a line is due");
        assert_eq!(reported, 101);
        assert_eq!(throttle.since_logged.load(Ordering::Relaxed), 0);
    }
}
