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
    let sources = state
        .store
        .snapshot_sources()
        .ok_or_else(|| ServiceError::BadRequest(backup::NOT_ON_MYSQL.to_owned()))?;
    let outcome = state.backups.take(&sources).await;
    metrics::record_backup(outcome.as_ref().ok().map(|r| backup::total_size(&r.files)));
    Ok((StatusCode::CREATED, Json(outcome?)))
}
