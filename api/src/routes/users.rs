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
    domain::user::{Bio, Email, ImageUrl, Password, Username},
    error::{ApiError, FieldErrors},
    extract::{ClientIp, Db, Json},
    password,
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
    Json(UserEnvelope { user: input }): Json<UserEnvelope<NewUser>>,
) -> Result<(StatusCode, UserResponse), ApiError> {
    let mut errors = FieldErrors::default();
    let username = errors.check(Username::parse(&input.username));
    let email = errors.check(Email::parse(&input.email));
    let password = errors.check(Password::parse(&input.password));
    errors.into_result()?;
    let (Some(username), Some(email), Some(password)) = (username, email, password) else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };

    let new = db_client::NewUser {
        username: username.as_ref().to_owned(),
        email: email.as_ref().to_owned(),
        password_hash: password::hash(password).await?,
    };
    let record = db.create_user(&new).await?;
    let token = state.tokens.issue(record.id)?;
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
    ClientIp(ip): ClientIp,
    Json(UserEnvelope { user: input }): Json<UserEnvelope<LoginUser>>,
) -> Result<UserResponse, ApiError> {
    state.login_limiter.check(ip, &input.email)?;
    let mut errors = FieldErrors::default();
    if input.email.trim().is_empty() {
        errors.add("email", "can't be blank");
    }
    if input.password.is_empty() {
        errors.add("password", "can't be blank");
    }
    errors.into_result()?;

    let record = match db.find_user_by_email(input.email.trim()).await {
        Ok(record) => Some(record),
        Err(DbError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let stored_hash = record.as_ref().map(|r| r.password_hash.clone());
    if !password::verify(input.password, stored_hash).await? {
        return Err(ApiError::InvalidCredentials);
    }
    let record = record.ok_or(ApiError::InvalidCredentials)?;
    let token = state.tokens.issue(record.id)?;
    Ok(axum::Json(UserEnvelope {
        user: views::user(record, token),
    }))
}

async fn current_user(Db(db): Db, auth: AuthUser) -> Result<UserResponse, ApiError> {
    let record = db.find_user_by_id(auth.id).await.map_err(|e| match e {
        // A valid signature for a user that no longer exists is as good as no token.
        DbError::NotFound { .. } => ApiError::Unauthorized,
        other => other.into(),
    })?;
    Ok(axum::Json(UserEnvelope {
        user: views::user(record, auth.token),
    }))
}

async fn update_user(
    Db(db): Db,
    auth: AuthUser,
    Json(UserEnvelope { user: input }): Json<UserEnvelope<UpdateUser>>,
) -> Result<UserResponse, ApiError> {
    let mut errors = FieldErrors::default();
    if input == UpdateUser::default() {
        errors.add("user", "must change at least one field");
    }
    let username = input
        .username
        .as_deref()
        .map(Username::parse)
        .and_then(|r| errors.check(r));
    let email = input
        .email
        .as_deref()
        .map(Email::parse)
        .and_then(|r| errors.check(r));
    let password = input
        .password
        .as_deref()
        .map(Password::parse)
        .and_then(|r| errors.check(r));
    let bio = input
        .bio
        .as_deref()
        .map(Bio::parse)
        .and_then(|r| errors.check(r));
    let image = input
        .image
        .as_deref()
        .map(ImageUrl::parse)
        .and_then(|r| errors.check(r));
    errors.into_result()?;

    let password_hash = match password {
        Some(password) => Some(password::hash(password).await?),
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
        .map_err(|e| match e {
            DbError::NotFound { .. } => ApiError::Unauthorized,
            other => other.into(),
        })?;
    Ok(axum::Json(UserEnvelope {
        user: views::user(record, auth.token),
    }))
}
