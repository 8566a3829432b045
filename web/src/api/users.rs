//! `/api/users`, `/api/user`.

use api_types::{LoginUser, NewUser, UpdateUser, User, UserEnvelope};

use super::{fetch, send_json, ApiError, Method};

/// `POST /api/users/login`.
pub async fn login(user: LoginUser) -> Result<User, ApiError> {
    let envelope: UserEnvelope<User> =
        send_json(Method::POST, "/users/login", &UserEnvelope { user }).await?;
    Ok(envelope.user)
}

/// `POST /api/users`.
pub async fn register(user: NewUser) -> Result<User, ApiError> {
    let envelope: UserEnvelope<User> =
        send_json(Method::POST, "/users", &UserEnvelope { user }).await?;
    Ok(envelope.user)
}

/// `GET /api/user`: the user the stored token belongs to.
pub async fn current() -> Result<User, ApiError> {
    let envelope: UserEnvelope<User> = fetch(Method::GET, "/user").await?;
    Ok(envelope.user)
}

/// `PUT /api/user`.
pub async fn update(user: UpdateUser) -> Result<User, ApiError> {
    let envelope: UserEnvelope<User> =
        send_json(Method::PUT, "/user", &UserEnvelope { user }).await?;
    Ok(envelope.user)
}
