//! The HTTP surface: health checks in the open, everything else under `/v1` behind the internal token.

mod articles;
mod auth;
mod backups;
mod health;
mod profiles;
mod users;

use std::time::Duration;

use axum::{extract::DefaultBodyLimit, middleware, response::IntoResponse, Router};
use conduit_runtime::stack::{Deadline, Stack};
use db_client::{Entity, API_PREFIX};

use crate::{error::ServiceError, metrics, state::AppState};

/// Largest request body accepted; the biggest legitimate one is an article of a few hundred KiB.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// How long one request may take, waiting for a slot included, so a stuck query cannot pin a connection.
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
    let routes = Router::new()
        .merge(health::router())
        .nest(API_PREFIX, internal)
        .fallback(|| async { ServiceError::NotFound(Entity::Route) })
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    Stack {
        metrics: metrics::REQUESTS,
        deadline: Deadline {
            after: REQUEST_TIMEOUT,
            answer: || ServiceError::Busy.into_response(),
        },
        max_concurrent_requests: Some(max_concurrent_requests),
    }
    .apply(routes)
}
