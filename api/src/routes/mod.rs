//! The public HTTP surface: RealWorld routes under `/api`, health checks, one error shape everywhere.

mod articles;
mod health;
mod users;
mod views;

use std::time::Duration;

use axum::{
    extract::DefaultBodyLimit,
    http::{HeaderName, Request, StatusCode},
    Router,
};
use db_client::REQUEST_ID_HEADER;
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{error::ApiError, state::AppState};

/// Largest request body accepted: an article body at its maximum length, with room for JSON escaping.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Upper bound on one request, so nothing can pin a connection forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(users::router())
        .merge(articles::router());
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    Router::new()
        .merge(health::router())
        .nest("/api", api)
        .fallback(|| async { ApiError::NotFound("route") })
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    let id = req
                        .headers()
                        .get(REQUEST_ID_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
                })
                // Failures are logged once, where the error type turns into a response.
                .on_failure(()))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
                .layer(PropagateRequestIdLayer::new(request_id)),
        )
}
