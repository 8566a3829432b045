//! Profiles and follows.

use api_types::ProfileEnvelope;
use axum::{
    routing::{get, post},
    Router,
};
use db_client::Entity;

use super::views;
use crate::{
    auth::{AuthUser, MaybeAuthUser},
    domain::user::Username,
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
            post(|db, auth, path| set_follow(db, auth, path, true))
                .delete(|db, auth, path| set_follow(db, auth, path, false)),
        )
}

type ProfileResponse = axum::Json<ProfileEnvelope>;

/// The username in a path, if it could name anyone: a longer one is not looked up.
fn plausible_username(raw: &str) -> Result<&str, ApiError> {
    Username::could_exist(raw)
        .then_some(raw)
        .ok_or(ApiError::NotFound(Entity::Profile))
}

async fn get_profile(
    Db(db): Db,
    viewer: MaybeAuthUser,
    Path(username): Path<String>,
) -> Result<ProfileResponse, ApiError> {
    let author = db
        .find_profile(plausible_username(&username)?, viewer.query())
        .await?;
    Ok(profile_response(author))
}

/// POST follows, DELETE unfollows.
async fn set_follow(
    Db(db): Db,
    auth: AuthUser,
    Path(username): Path<String>,
    follow: bool,
) -> Result<ProfileResponse, ApiError> {
    let author = db
        .set_follow(plausible_username(&username)?, auth.id, follow)
        .await?;
    Ok(profile_response(author))
}

fn profile_response(author: db_client::AuthorView) -> ProfileResponse {
    axum::Json(ProfileEnvelope {
        profile: views::profile(author),
    })
}
