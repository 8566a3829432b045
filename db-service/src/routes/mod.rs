//! The HTTP surface: health checks in the open, everything else under `/v1` behind the internal token.

mod articles;
mod auth;
mod backups;
mod health;
mod profiles;
mod users;

use std::time::Duration;

use axum::{
    extract::DefaultBodyLimit,
    http::{HeaderName, Request, StatusCode},
    middleware, Router,
};
use db_client::{API_PREFIX, REQUEST_ID_HEADER};
use tower::{limit::ConcurrencyLimitLayer, ServiceBuilder};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{error::ServiceError, metrics, state::AppState};

/// Largest request body accepted; the biggest legitimate one is an article of a few hundred KiB.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// How long one request may take before it is answered with 408, so a stuck query cannot pin a connection.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub fn router(state: AppState, max_concurrent_requests: usize) -> Router {
    let internal = Router::new()
        .merge(users::router())
        .merge(profiles::router())
        .merge(articles::router())
        .merge(backups::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_internal_token,
        ));
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    Router::new()
        .merge(health::router())
        .nest(API_PREFIX, internal)
        .fallback(|| async { ServiceError::NotFound("route") })
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(metrics::track_requests))
        .layer(ConcurrencyLimitLayer::new(max_concurrent_requests))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    let id = req
                        .headers()
                        .get(REQUEST_ID_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // Error level: the span, and the request id with it, is kept whatever RUST_LOG filters out,
                    // so every warning or error names its request. It costs nothing unless something logs in it.
                    tracing::error_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
                })
                // Failures are logged once, where the error type turns into a response.
                .on_failure(()))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
                .layer(PropagateRequestIdLayer::new(request_id)),
        )
}
