//! Prometheus metrics: request counts and latency per operation, connection pool usage, and backup outcomes.

use std::{
    sync::OnceLock,
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::Response,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::store::Store;

const REQUEST_DURATION: &str = "db_request_duration_seconds";
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0,
];

/// The process-wide recorder (the `metrics` facade has one per process), installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), &LATENCY_BUCKETS)
            .map(PrometheusBuilder::build_recorder);
        match recorder {
            Ok(recorder) => {
                let handle = recorder.handle();
                if metrics::set_global_recorder(recorder).is_err() {
                    tracing::warn!(
                        "a metrics recorder was already installed; db-service metrics stay empty"
                    );
                }
                handle
            }
            // Only reachable with an empty bucket list, which the constant above is not.
            Err(e) => unreachable!("invalid histogram buckets: {e}"),
        }
    })
}

/// Counts and times every request by the route it matched.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let operation = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("operation", operation), ("method", method)];
    metrics::histogram!(REQUEST_DURATION, &labels).record(started.elapsed().as_secs_f64());
    let [operation, method] = labels;
    metrics::counter!(
        "db_requests_total",
        &[operation, method, ("status", status)]
    )
    .increment(1);
    response
}

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
