//! Profiles and follows.

use api_types::ProfileEnvelope;
use axum::{routing::get, Router};
use db_client::ViewerQuery;

use super::views;
use crate::{
    auth::{AuthUser, MaybeAuthUser},
    error::ApiError,
    extract::{Db, Path},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profiles/{username}", get(get_profile))
        // No JSON extractor: clients send stray bodies with follow requests (NOTES.md #13).
        .route(
            "/profiles/{username}/follow",
            axum::routing::post(follow_user).delete(unfollow_user),
        )
}

type ProfileResponse = axum::Json<ProfileEnvelope>;

async fn get_profile(
    Db(db): Db,
    viewer: MaybeAuthUser,
    Path(username): Path<String>,
) -> Result<ProfileResponse, ApiError> {
    let author = db
        .find_profile(
            &username,
            ViewerQuery {
                viewer: viewer.id(),
            },
        )
        .await?;
    Ok(axum::Json(ProfileEnvelope {
        profile: views::profile(author),
    }))
}

async fn follow_user(
    Db(db): Db,
    auth: AuthUser,
    Path(username): Path<String>,
) -> Result<ProfileResponse, ApiError> {
    let author = db.follow(&username, auth.id).await?;
    Ok(axum::Json(ProfileEnvelope {
        profile: views::profile(author),
    }))
}

async fn unfollow_user(
    Db(db): Db,
    auth: AuthUser,
    Path(username): Path<String>,
) -> Result<ProfileResponse, ApiError> {
    let author = db.unfollow(&username, auth.id).await?;
    Ok(axum::Json(ProfileEnvelope {
        profile: views::profile(author),
    }))
}
