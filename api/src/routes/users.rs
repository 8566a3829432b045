//! Registration, login and the current user.

use api_types::{LoginUser, NewUser, UpdateUser, User, UserEnvelope};
use axum::{
    extract::State,
    http::StatusCode,
    routing::{get, post},
    Router,
};
use db_client::{DbError, UserChanges};

use super::views;
use crate::{
    auth::AuthUser,
    domain::user::{Credentials, ProfileChanges, Registration},
    error::ApiError,
    extract::{ClientAddr, Db, Json},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", post(register_user))
        .route("/users/login", post(login_user))
        .route("/user", get(current_user).put(update_user))
}

type UserResponse = axum::Json<UserEnvelope<User>>;

async fn register_user(
    State(state): State<AppState>,
    Db(db): Db,
    ClientAddr(client): ClientAddr,
    Json(UserEnvelope { user: input }): Json<UserEnvelope<NewUser>>,
) -> Result<(StatusCode, UserResponse), ApiError> {
    let registration = Registration::try_from(input)?;
    state.limits.signup(client)?;
    let new = db_client::NewUser {
        username: registration.username.as_ref().to_owned(),
        email: registration.email.as_ref().to_owned(),
        password_hash: state.hasher.hash(registration.password).await?,
    };
    let record = db.create_user(&new).await?;
    let token = state.tokens.issue(record.id, record.token_version)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(UserEnvelope {
            user: views::user(record, token),
        }),
    ))
}

async fn login_user(
    State(state): State<AppState>,
    Db(db): Db,
    ClientAddr(client): ClientAddr,
    Json(UserEnvelope { user: input }): Json<UserEnvelope<LoginUser>>,
) -> Result<UserResponse, ApiError> {
    let credentials = Credentials::try_from(input)?;
    state.limits.login(client, &credentials.account)?;
    let record = match db.find_user_by_email(&credentials.email).await {
        Ok(record) => Some(record),
        Err(DbError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let stored_hash = record.as_ref().map(|r| r.password_hash.clone());
    if !state
        .hasher
        .verify(credentials.password, stored_hash)
        .await?
    {
        return Err(ApiError::InvalidCredentials);
    }
    let record = record.ok_or(ApiError::InvalidCredentials)?;
    let token = state.tokens.issue(record.id, record.token_version)?;
    Ok(axum::Json(UserEnvelope {
        user: views::user(record, token),
    }))
}

async fn current_user(Db(db): Db, auth: AuthUser) -> Result<UserResponse, ApiError> {
    let record = db
        .find_user_by_id(auth.id)
        .await
        .map_err(signed_in_user_gone)?;
    Ok(axum::Json(UserEnvelope {
        user: views::user(record, auth.token),
    }))
}

async fn update_user(
    State(state): State<AppState>,
    Db(db): Db,
    auth: AuthUser,
    Json(UserEnvelope { user: input }): Json<UserEnvelope<UpdateUser>>,
) -> Result<UserResponse, ApiError> {
    let ProfileChanges {
        username,
        email,
        password,
        bio,
        image,
    } = ProfileChanges::try_from(input)?;
    let password_hash = match password {
        Some(password) => Some(state.hasher.hash(password).await?),
        None => None,
    };
    let changes = UserChanges {
        username: username.map(|u| u.as_ref().to_owned()),
        email: email.map(|e| e.as_ref().to_owned()),
        password_hash,
        bio: bio.map(|b| b.as_ref().to_owned()),
        image: image.map(|i| i.as_ref().to_owned()),
    };
    let record = db
        .update_user(auth.id, &changes)
        .await
        .map_err(signed_in_user_gone)?;
    // A new password retires every token issued before it, this one included: the answer carries a new one.
    let token = if changes.password_hash.is_some() {
        state
            .token_versions
            .remember(record.id, record.token_version);
        state.tokens.issue(record.id, record.token_version)?
    } else {
        auth.token
    };
    Ok(axum::Json(UserEnvelope {
        user: views::user(record, token),
    }))
}

/// A valid signature for a user that no longer exists is as good as no token.
fn signed_in_user_gone(e: DbError) -> ApiError {
    match e {
        DbError::NotFound { .. } => ApiError::Unauthorized,
        other => other.into(),
    }
}
