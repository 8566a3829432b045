//! Prometheus metrics: the process-wide recorder, and request counts and latency per matched route.

use std::{sync::OnceLock, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::Response,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Histogram buckets of every `*_duration_seconds` metric: 0.5 ms to 5 s.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0,
];

/// The process-wide recorder (the `metrics` facade has one per process), installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = match builder
            .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), &LATENCY_BUCKETS)
        {
            Ok(with_buckets) => with_buckets,
            Err(e) => {
                // Only an empty bucket list is refused, which the constant is not; summaries still work.
                tracing::warn!(error = %e, "latency buckets refused; durations are summaries");
                PrometheusBuilder::new()
            }
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; this one stays empty");
        }
        handle
    })
}

/// The names under which a service counts and times its requests.
#[derive(Debug, Clone, Copy)]
pub struct RequestMetrics {
    /// Counter of requests by route, method and status (`api_requests_total`).
    pub requests_total: &'static str,
    /// Histogram of latency by route and method (`api_request_duration_seconds`).
    pub duration: &'static str,
    /// The label naming the matched route (`route`, or `operation` for db-service).
    pub route_label: &'static str,
}

/// Counts and times every request by the route it matched (`/api/articles/{slug}`, not the raw path). Apply it
/// with `Router::layer`, inside the router, where the matched route is known.
pub async fn track_requests(
    State(names): State<RequestMetrics>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    metrics::histogram!(names.duration, names.route_label => route.clone(), "method" => method)
        .record(elapsed);
    metrics::counter!(
        names.requests_total,
        names.route_label => route,
        "method" => method,
        "status" => status_label(response.status())
    )
    .increment(1);
    response
}

/// Static labels for the methods we serve, so that counting a request allocates no label text.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The status code as a label; the common ones without allocating.
fn status_label(status: StatusCode) -> metrics::SharedString {
    match status.as_u16() {
        200 => "200".into(),
        201 => "201".into(),
        204 => "204".into(),
        304 => "304".into(),
        401 => "401".into(),
        404 => "404".into(),
        422 => "422".into(),
        other => other.to_string().into(),
    }
}
