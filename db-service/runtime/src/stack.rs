//! The middleware every service runs, outermost first: a request id (a client's own kept only when it is a short
//! safe token, otherwise replaced), a trace span carrying it, per-route metrics, a deadline answered in the
//! service's own error shape, and — where configured — one concurrency limit shared by every route.

use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue},
    middleware::{self, Next},
    response::Response,
    Router,
};
use db_client::REQUEST_ID_HEADER;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::{
    request_id::{MakeRequestId, MakeRequestUuid},
    trace::TraceLayer,
};

use crate::metrics::{track_requests, RequestMetrics};

/// Longest request id taken from a client.
const MAX_REQUEST_ID_LEN: usize = 64;

/// Most characters of a request's path written into its log lines.
const MAX_LOGGED_PATH: usize = 200;

/// At most the first `max` characters of `text` (whole characters), marked with `…` when cut.
pub fn bounded_prefix(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// A bound on one request, and the answer when it is reached.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    /// How long a request may take, waiting for a concurrency slot included.
    pub after: Duration,
    /// The service's error response for a request that ran out of time.
    pub answer: fn() -> Response,
}

/// The layers of one service.
#[derive(Debug, Clone, Copy)]
pub struct Stack {
    /// Names of the request metrics.
    pub metrics: RequestMetrics,
    /// The bound on every request.
    pub deadline: Deadline,
    /// Most requests handled at once across all routes; more wait (within their deadline).
    pub max_concurrent_requests: Option<usize>,
}

impl Stack {
    /// `router` and `probes` with every layer applied, the metrics recorder installed. `Router::layer` wraps each
    /// route on its own, so the concurrency limit is a global one: one semaphore for all of `router`, not one per
    /// route. `probes` (health checks, metrics) skip it: however busy the service, an orchestrator's probe and a
    /// scrape are answered at once, and never restart a pod that is only busy.
    pub fn apply(self, router: Router, probes: Router) -> Router {
        // The process's metrics recorder: whatever the service records from here on is kept.
        crate::metrics::handle();
        let router = match self.max_concurrent_requests {
            Some(limit) => router.layer(GlobalConcurrencyLimitLayer::new(limit.max(1))),
            None => router,
        };
        router
            .merge(probes)
            .layer(middleware::from_fn_with_state(self.deadline, within_deadline))
            .layer(middleware::from_fn_with_state(self.metrics, track_requests))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|req: &Request<_>| {
                        let id = req
                            .headers()
                            .get(REQUEST_ID_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        // Error level: the span, and the request id with it, is kept whatever RUST_LOG filters
                        // out, so every warning or error names its request. It costs nothing unless something
                        // logs in it. The path is the client's: only its start goes into the log.
                        let path = bounded_prefix(req.uri().path(), MAX_LOGGED_PATH);
                        tracing::error_span!("request", method = %req.method(), uri = %path, request_id = %id)
                    })
                    // Failures are logged once, where the error type turns into a response.
                    .on_failure(()),
            )
            .layer(middleware::from_fn(assign_request_id))
    }
}

/// Gives the request an id — the client's `x-request-id` if it is a safe token, else a new UUID — and echoes it
/// on the response. A client's id goes into every log line of the request, so it is never taken verbatim.
async fn assign_request_id(mut request: Request, next: Next) -> Response {
    let header = HeaderName::from_static(REQUEST_ID_HEADER);
    let id = match request.headers().get(&header) {
        Some(given) if is_safe_request_id(given.as_bytes()) => given.clone(),
        _ => MakeRequestUuid.make_request_id(&request).map_or_else(
            || HeaderValue::from_static("-"),
            |id| id.into_header_value(),
        ),
    };
    request.headers_mut().insert(header.clone(), id.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(header, id);
    response
}

/// 1–64 characters of letters, digits, `.`, `_`, `:` and `-`.
fn is_safe_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

async fn within_deadline(
    State(deadline): State<Deadline>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(deadline.after, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(after = ?deadline.after, "request ran out of time");
            (deadline.answer)()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::{body::Body, http::StatusCode, response::IntoResponse, routing::get};
    use tower::ServiceExt;

    use super::*;

    fn get_request(path: &str) -> Request {
        Request::get(path).body(Body::empty()).expect("request")
    }

    #[tokio::test]
    async fn probes_are_answered_while_every_slot_is_taken() {
        let release = Arc::new(tokio::sync::Notify::new());
        let held = Arc::clone(&release);
        let router = Router::new().route(
            "/slow",
            get(move || {
                let held = Arc::clone(&held);
                async move { held.notified().await }
            }),
        );
        let probes = Router::new().route("/healthz", get(|| async { "ok" }));
        let app = Stack {
            metrics: RequestMetrics {
                requests_total: "test_requests_total",
                duration: "test_request_duration_seconds",
                route_label: "route",
            },
            deadline: Deadline {
                after: Duration::from_secs(30),
                answer: || StatusCode::SERVICE_UNAVAILABLE.into_response(),
            },
            max_concurrent_requests: Some(1),
        }
        .apply(router, probes);

        let busy = tokio::spawn(app.clone().oneshot(get_request("/slow")));
        tokio::time::sleep(Duration::from_millis(100)).await;
        // The one slot is taken: another request waits…
        let waiting = tokio::time::timeout(
            Duration::from_millis(300),
            app.clone().oneshot(get_request("/slow")),
        )
        .await;
        assert!(waiting.is_err(), "served past the limit");
        // …a probe does not.
        let probe =
            tokio::time::timeout(Duration::from_secs(5), app.oneshot(get_request("/healthz")))
                .await
                .expect("probe answered at once")
                .expect("response");
        assert_eq!(probe.status(), StatusCode::OK);
        release.notify_waiters();
        busy.await.expect("task").expect("response");
    }

    #[test]
    fn logged_prefixes_are_bounded_and_cut_between_characters() {
        assert_eq!(bounded_prefix("short", 10), "short");
        assert_eq!(bounded_prefix("ééééé", 2), "éé…");
        assert_eq!(
            bounded_prefix(&"x".repeat(10_000), 200).chars().count(),
            201
        );
    }

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        for safe in ["abc", "0f1e-22:33.x_y", &"a".repeat(MAX_REQUEST_ID_LEN)] {
            assert!(is_safe_request_id(safe.as_bytes()), "{safe:?}");
        }
        for unsafe_id in [
            "",
            "a b",
            "x\"y",
            "line\nbreak",
            "é",
            "{json}",
            &"a".repeat(MAX_REQUEST_ID_LEN + 1),
        ] {
            assert!(!is_safe_request_id(unsafe_id.as_bytes()), "{unsafe_id:?}");
        }
    }
}
