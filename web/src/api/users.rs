//! `/api/users`, `/api/user`.

use api_types::{LoginUser, NewUser, UpdateUser, User, UserEnvelope};

use super::{build, send, ApiError};

/// `POST /api/users/login`.
pub async fn login(user: LoginUser) -> Result<User, ApiError> {
    let envelope: UserEnvelope<User> =
        send(build("POST", "/users/login").json(&UserEnvelope { user })).await?;
    Ok(envelope.user)
}

/// `POST /api/users`.
pub async fn register(user: NewUser) -> Result<User, ApiError> {
    let envelope: UserEnvelope<User> =
        send(build("POST", "/users").json(&UserEnvelope { user })).await?;
    Ok(envelope.user)
}

/// `GET /api/user`: the user the stored token belongs to.
pub async fn current() -> Result<User, ApiError> {
    let envelope: UserEnvelope<User> = send(build("GET", "/user").build()).await?;
    Ok(envelope.user)
}

/// `PUT /api/user`.
pub async fn update(user: UpdateUser) -> Result<User, ApiError> {
    let envelope: UserEnvelope<User> =
        send(build("PUT", "/user").json(&UserEnvelope { user })).await?;
    Ok(envelope.user)
}
