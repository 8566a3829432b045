//! The HTTP surface: health checks in the open, everything else under `/v1` behind the internal token.

mod articles;
mod auth;
mod backups;
mod health;
mod profiles;
mod users;

use std::{future::Future, time::Duration};

use axum::{
    extract::{DefaultBodyLimit, State},
    middleware,
    response::IntoResponse,
    routing::{put, MethodRouter},
    Json, Router,
};
use conduit_runtime::stack::{Deadline, Stack};
use db_client::{Entity, UserId, API_PREFIX};
use serde::Serialize;

use crate::{error::ServiceError, extract::PathArg, metrics, state::AppState};

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
    let probes = health::router().with_state(state.clone());
    let routes = Router::new()
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
    .apply(routes, probes)
}

/// The routes of a relation between a user and what the path names (`…/{name}/…/{user}`: a favorite, a follow):
/// `PUT` makes it, `DELETE` undoes it, and both answer with what `set(state, name, user, made)` returns.
fn relation<T, F, Fut>(set: F) -> MethodRouter<AppState>
where
    F: Fn(AppState, String, UserId, bool) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ServiceError>> + Send + 'static,
    T: Serialize + 'static,
{
    let handler = |made: bool| {
        let set = set.clone();
        move |State(state): State<AppState>, PathArg(path): PathArg<(String, i64)>| async move {
            let (name, user) = path;
            set(state, name, UserId(user), made).await.map(Json)
        }
    };
    put(handler(true)).delete(handler(false))
}
