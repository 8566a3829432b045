//! Liveness and readiness, open to the orchestrator without a token.

use axum::{extract::State, http::StatusCode, routing::get, Json, Router};
use db_client::{ErrorKind, WireError};
use serde_json::json;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readiness))
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
                    subject: None,
                    message: "databases not ready".into(),
                }),
            ))
        }
    }
}
