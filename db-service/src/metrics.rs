//! db-service's own Prometheus metrics — connection pool usage and backup outcomes — beside the request metrics
//! every service records (conduit_runtime::metrics).

use std::time::{SystemTime, UNIX_EPOCH};

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
    handle().render()
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
