//! `/v1/users`: accounts.

use axum::{extract::State, http::StatusCode, routing::get, Json, Router};
use db_client::{NewUser, UserChanges, UserId, UserRecord};
use serde::Deserialize;

use crate::{
    error::ServiceError,
    extract::{JsonBody, PathArg, QueryArgs},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(find_user_by_email).post(create_user))
        .route("/users/{id}", get(find_user_by_id).patch(update_user))
}

async fn create_user(
    State(state): State<AppState>,
    JsonBody(new): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<UserRecord>), ServiceError> {
    let user = state.store.insert_user(&new).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn find_user_by_id(
    State(state): State<AppState>,
    PathArg(id): PathArg<i64>,
) -> Result<Json<UserRecord>, ServiceError> {
    Ok(Json(state.store.find_user_by_id(UserId(id)).await?))
}

async fn update_user(
    State(state): State<AppState>,
    PathArg(id): PathArg<i64>,
    JsonBody(changes): JsonBody<UserChanges>,
) -> Result<Json<UserRecord>, ServiceError> {
    Ok(Json(state.store.update_user(UserId(id), &changes).await?))
}

#[derive(Debug, Deserialize)]
struct ByEmail {
    email: String,
}

async fn find_user_by_email(
    State(state): State<AppState>,
    QueryArgs(query): QueryArgs<ByEmail>,
) -> Result<Json<UserRecord>, ServiceError> {
    Ok(Json(state.store.find_user_by_email(&query.email).await?))
}
