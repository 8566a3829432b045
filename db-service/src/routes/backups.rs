//! `/v1/backups`: take a verified backup on demand.

use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
use db_client::BackupReport;

use crate::{backup, error::ServiceError, metrics, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/backups", post(create_backup))
}

async fn create_backup(
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<BackupReport>), ServiceError> {
    let outcome = state.backups.take(&state.store.snapshot_sources()).await;
    metrics::record_backup(outcome.as_ref().ok().map(|r| backup::total_size(&r.files)));
    Ok((StatusCode::CREATED, Json(outcome?)))
}
