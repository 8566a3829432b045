//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: db-service answers too).

use axum::{extract::State, routing::get, Json, Router};
use serde_json::{json, Value};

use crate::{error::ApiError, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readiness))
}

async fn readiness(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.db.ready().await?;
    Ok(Json(json!({"status": "ready"})))
}
