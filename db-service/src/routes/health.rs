//! Liveness and readiness, open to the orchestrator without a token.

use axum::{
    extract::State,
    http::{header, StatusCode},
    routing::get,
    Json, Router,
};
use db_client::{ErrorKind, WireError};
use serde_json::json;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readiness))
        // Open like the health checks, for the scraper: it carries counts and timings, no data.
        .route("/metrics", get(prometheus_metrics))
}

async fn prometheus_metrics(
    State(state): State<AppState>,
) -> ([(header::HeaderName, &'static str); 1], String) {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(&state.store),
    )
}

/// Ready when both databases answer a query.
async fn readiness(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, (StatusCode, Json<WireError>)> {
    match state.store.ready().await {
        Ok(()) => Ok(Json(json!({"status": "ready"}))),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                Json(WireError {
                    kind: ErrorKind::Unavailable,
                    entity: None,
                    field: None,
                    message: "databases not ready".into(),
                }),
            ))
        }
    }
}
