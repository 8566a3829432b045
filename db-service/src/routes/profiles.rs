//! `/v1/profiles`: users as others see them, and follows.

use axum::{extract::State, routing::get, Json, Router};
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
            axum::routing::put(follow).delete(unfollow),
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

async fn follow(
    State(state): State<AppState>,
    PathArg((username, follower)): PathArg<(String, i64)>,
) -> Result<Json<AuthorView>, ServiceError> {
    Ok(Json(
        state
            .store
            .insert_follow(&username, UserId(follower))
            .await?,
    ))
}

async fn unfollow(
    State(state): State<AppState>,
    PathArg((username, follower)): PathArg<(String, i64)>,
) -> Result<Json<AuthorView>, ServiceError> {
    Ok(Json(
        state
            .store
            .delete_follow(&username, UserId(follower))
            .await?,
    ))
}
