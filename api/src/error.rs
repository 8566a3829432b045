//! The api's one error type, mapped to RealWorld error responses in one place.

use api_types::ErrorBody;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use db_client::{DbError, Entity};

use crate::domain::FieldErrors;

/// Every way an api request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Input failed validation (422).
    #[error("validation failed")]
    Validation(FieldErrors),
    /// No valid token where one is required (401).
    #[error("missing or invalid token")]
    Unauthorized,
    /// Login with an unknown e-mail or a wrong password (401, NOTES.md #3).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Signed in, but not allowed to change the entity (403).
    #[error("forbidden")]
    Forbidden(Entity),
    /// The entity does not exist (404).
    #[error("{} not found", .0.as_str())]
    NotFound(Entity),
    /// A unique value is taken (409, NOTES.md #4).
    #[error("{0} has already been taken")]
    Conflict(String),
    /// Too many attempts at `what`; retry after this many seconds (429).
    #[error("too many requests")]
    TooManyRequests { what: Limited, retry_after: u64 },
    /// More password hashing asked for than the cores can do without queueing for long (503).
    #[error("too busy")]
    Busy,
    /// The path exists, but not with this method (405; the router adds `Allow`).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request body exceeds the limit (413).
    #[error("request body too large")]
    TooLarge,
    /// db-service is unreachable or not ready (503).
    #[error("storage unavailable")]
    Unavailable,
    /// The request ran out of time (503): nothing is wrong with it, try again shortly.
    #[error("request took too long")]
    TimedOut,
    /// Anything unexpected: logged once here, answered opaquely (500).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Conflict { field } => ApiError::Conflict(field),
            DbError::NotFound { entity } => ApiError::NotFound(entity),
            DbError::Forbidden { entity } => ApiError::Forbidden(entity),
            DbError::Unavailable(detail) => {
                tracing::warn!(%detail, "db-service unavailable");
                ApiError::Unavailable
            }
            DbError::Protocol(detail) => ApiError::Internal(anyhow::anyhow!(detail)),
        }
    }
}

/// What a 429 limits (rate_limit.rs), as its answer names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Logins from one client address, or at one account from one address.
    Login,
    /// Sign-ups from one client address.
    Signup,
    /// Write attempts by one user.
    Writes,
    /// Searches from one client address.
    Searches,
}

impl Limited {
    /// The error body's field.
    fn field(self) -> &'static str {
        match self {
            Limited::Login => "login",
            Limited::Signup => "signup",
            Limited::Writes => "writes",
            Limited::Searches => "searches",
        }
    }

    /// What follows the field: the SPA shows the two together ("writes are coming too fast, …").
    fn message(self) -> &'static str {
        match self {
            Limited::Login | Limited::Signup => "has too many attempts",
            Limited::Writes | Limited::Searches => "are coming too fast",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let single =
            |status, field: &str, message: &str| (status, ErrorBody::single(field, message));
        let (status, body) = match self {
            ApiError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody {
                    errors: errors
                        .into_map()
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                },
            ),
            ApiError::Unauthorized => {
                single(StatusCode::UNAUTHORIZED, "token", "is missing or invalid")
            }
            ApiError::InvalidCredentials => {
                single(StatusCode::UNAUTHORIZED, "email or password", "is invalid")
            }
            ApiError::Forbidden(entity) => {
                single(StatusCode::FORBIDDEN, entity.as_str(), "forbidden")
            }
            ApiError::NotFound(entity) => {
                single(StatusCode::NOT_FOUND, entity.as_str(), "not found")
            }
            ApiError::Conflict(field) => {
                single(StatusCode::CONFLICT, &field, "has already been taken")
            }
            ApiError::MethodNotAllowed => single(
                StatusCode::METHOD_NOT_ALLOWED,
                "method",
                "is not allowed here",
            ),
            ApiError::TooLarge => single(StatusCode::PAYLOAD_TOO_LARGE, "body", "is too large"),
            ApiError::TooManyRequests { what, retry_after } => {
                let body = ErrorBody::single(
                    what.field(),
                    format!("{}, try again in {retry_after} s", what.message()),
                );
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                return response;
            }
            ApiError::Unavailable => {
                return retry_shortly(ErrorBody::single(
                    "service",
                    "is temporarily unavailable, try again shortly",
                ))
            }
            ApiError::Busy => {
                return retry_shortly(ErrorBody::single("service", "is busy, try again shortly"))
            }
            ApiError::TimedOut => {
                return retry_shortly(ErrorBody::single(
                    "request",
                    "took too long, try again shortly",
                ))
            }
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::single("server", "internal error"),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

/// 503 with `body` and `Retry-After: 1`.
fn retry_shortly(body: ErrorBody) -> Response {
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Validation(errors)
    }
}
