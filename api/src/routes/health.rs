//! Liveness (`/healthz`: the process answers), readiness (`/readyz`: db-service answers too), metrics, and the
//! OpenAPI document of the public API.

use axum::{extract::State, http::header, response::IntoResponse, routing::get, Json, Router};
use serde_json::{json, Value};

use crate::{config::Role, error::ApiError, state::AppState};

/// The RealWorld OpenAPI document this api implements, served as JSON.
const OPENAPI_JSON: &str = include_str!("../../openapi.json");

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
        .route(
            "/api/openapi.json",
            get(|| async {
                ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
            }),
        )
}

/// Every role needs db-service; the answer names the role so a probe's log says which pod is not ready.
async fn readiness(State(state): State<AppState>, role: Role) -> Result<Json<Value>, ApiError> {
    state.db.ready().await?;
    Ok(Json(json!({"status": "ready", "role": role.name()})))
}

#[cfg(test)]
mod tests {
    use super::OPENAPI_JSON;

    #[test]
    fn the_openapi_document_is_json_and_describes_every_public_route() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).expect("valid JSON");
        let paths = doc["paths"].as_object().expect("paths");
        for path in [
            "/users/login",
            "/users",
            "/user",
            "/profiles/{username}",
            "/profiles/{username}/follow",
            "/articles/feed",
            "/articles",
            "/articles/{slug}",
            "/articles/{slug}/comments",
            "/articles/{slug}/comments/{id}",
            "/articles/{slug}/favorite",
            "/tags",
        ] {
            assert!(paths.contains_key(path), "{path} missing from openapi.json");
        }
        assert_eq!(doc["servers"][0]["url"], "/api");
    }
}
