//! `/v1/profiles`: users as others see them, and follows.

use axum::{extract::State, routing::get, Json, Router};
use db_client::{AuthorView, ViewerQuery};

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
            super::relation(|state, username, follower, follow| async move {
                state.store.set_follow(&username, follower, follow).await
            }),
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
