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
        .route("/healthz", get(liveness))
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

/// Alive unless a batching writer has stopped (only a bug stops one, and the thread's panic is logged): every
/// write it takes would fail until the process restarts, which a failing liveness probe makes the orchestrator do.
/// Asks nothing of the databases, so a slow disk does not restart a pod that readiness already takes out of service.
async fn liveness(State(state): State<AppState>) -> Result<Json<serde_json::Value>, Unavailable> {
    writers_running(&state)?;
    Ok(Json(json!({"status": "ok"})))
}

/// A 503 naming the batching writer that has stopped, if one has.
fn writers_running(state: &AppState) -> Result<(), Unavailable> {
    match state.store.stopped_writer() {
        None => Ok(()),
        Some(writer) => Err(unavailable(format!(
            "the {writer} writer has stopped: restart db-service"
        ))),
    }
}

/// A 503 with a typed body.
type Unavailable = (StatusCode, Json<WireError>);

fn unavailable(message: String) -> Unavailable {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(WireError {
            kind: ErrorKind::Unavailable,
            entity: None,
            field: None,
            message,
        }),
    )
}

/// Ready when both databases answer a query.
async fn readiness(State(state): State<AppState>) -> Result<Json<serde_json::Value>, Unavailable> {
    writers_running(&state)?;
    match state.store.ready().await {
        Ok(()) => Ok(Json(json!({"status": "ready"}))),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            Err(unavailable("databases not ready".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{backup::Backups, config::sqlite_storage_for_test, state::Shared, store::Store};

    /// A SQLite store in a folder of its own, serving state over it, and the folder.
    async fn state_with(stop: Option<&str>) -> (AppState, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = sqlite_storage_for_test(dir.path());
        let mut store = Store::open(&storage).await.expect("open");
        if let Some(writer) = stop {
            store.stop_writer_for_test(writer);
        }
        let backups = Backups::new(&storage).expect("backups");
        let state = Shared::new_state(store, backups, "test-internal-token".to_owned().into());
        (state, dir)
    }

    #[tokio::test]
    async fn a_stopped_writer_fails_liveness_and_readiness_naming_it() {
        let (state, _dir) = state_with(None).await;
        assert!(liveness(State(state.clone())).await.is_ok());
        assert!(readiness(State(state)).await.is_ok());

        for writer in ["blog", "follows"] {
            let (state, _dir) = state_with(Some(writer)).await;
            let Err((status, Json(body))) = liveness(State(state.clone())).await else {
                panic!("alive with the {writer} writer stopped");
            };
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(body.kind, ErrorKind::Unavailable);
            assert!(
                body.message.contains(&format!("the {writer} writer")),
                "{}",
                body.message
            );
            let Err((status, Json(body))) = readiness(State(state)).await else {
                panic!("ready with the {writer} writer stopped");
            };
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(
                body.message.contains(&format!("the {writer} writer")),
                "{}",
                body.message
            );
        }
    }
}
