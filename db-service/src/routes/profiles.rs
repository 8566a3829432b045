//! `/v1/profiles`: users as others see them, and follows.

use axum::{
    extract::State,
    routing::{get, put},
    Json, Router,
};
use db_client::{AuthorView, UserId, ViewerQuery};

use crate::{
    error::ServiceError,
    extract::{PathArg, QueryArgs},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profiles/{username}", get(find_profile))
        .route(
            "/profiles/{username}/followers/{follower}",
            put(|state, path| set_follow(state, path, true))
                .delete(|state, path| set_follow(state, path, false)),
        )
}

async fn find_profile(
    State(state): State<AppState>,
    PathArg(username): PathArg<String>,
    QueryArgs(query): QueryArgs<ViewerQuery>,
) -> Result<Json<AuthorView>, ServiceError> {
    Ok(Json(
        state.store.find_profile(&username, query.viewer).await?,
    ))
}

/// PUT makes `follower` follow `username`, DELETE undoes it.
async fn set_follow(
    State(state): State<AppState>,
    PathArg((username, follower)): PathArg<(String, i64)>,
    follow: bool,
) -> Result<Json<AuthorView>, ServiceError> {
    Ok(Json(
        state
            .store
            .set_follow(&username, UserId(follower), follow)
            .await?,
    ))
}
