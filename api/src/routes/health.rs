//! Liveness (`/healthz`: the process answers), readiness (`/readyz`: db-service answers too) and metrics.

use axum::{extract::State, http::header, routing::get, Json, Router};
use serde_json::{json, Value};

use crate::{config::Role, error::ApiError, state::AppState};

pub fn router(role: Role) -> Router<AppState> {
    Router::new()
        .route(
            "/healthz",
            get(move || async move { Json(json!({"status": "ok", "role": role.name()})) }),
        )
        .route("/readyz", get(move |state| readiness(state, role)))
        .route(
            "/metrics",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    conduit_runtime::metrics::handle().render(),
                )
            }),
        )
}

/// Every role needs db-service; the answer names the role so a probe's log says which pod is not ready.
async fn readiness(State(state): State<AppState>, role: Role) -> Result<Json<Value>, ApiError> {
    state.db.ready().await?;
    Ok(Json(json!({"status": "ready", "role": role.name()})))
}
