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
    let (writer, queued) = store.writer_queue();
    metrics::gauge!("db_writer_queued", "writer" => writer).set(queued as f64);
    // Shown from the first scrape on, at 0, so that an alert on its increase sees the first refused write too.
    metrics::counter!(STORAGE_FULL).increment(0);
    handle().render()
}

/// Writes the database refused for want of room.
const STORAGE_FULL: &str = "db_storage_full_total";

/// Refusals since the last log line about them, and the second of that line.
static REFUSED_SINCE_LOGGED: AtomicU64 = AtomicU64::new(0);
static LOGGED_AT_SECOND: AtomicU64 = AtomicU64::new(0);

/// Counts one write the database refused for want of room (`why`: its message) and says so at error level — the
/// operator has to make room — at most once a second, with how many were refused since, so that clients trying
/// again cannot flood the log.
pub fn record_storage_full(why: &str) {
    metrics::counter!(STORAGE_FULL).increment(1);
    let refused = REFUSED_SINCE_LOGGED.fetch_add(1, Ordering::Relaxed) + 1;
    let second = unix_seconds(SystemTime::now()) as u64;
    if LOGGED_AT_SECOND.swap(second, Ordering::Relaxed) != second {
        REFUSED_SINCE_LOGGED.fetch_sub(refused, Ordering::Relaxed);
        tracing::error!(
            refused,
            error = why,
            "writes refused: the database's storage is full"
        );
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
