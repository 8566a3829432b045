//! The api's one error type, mapped to RealWorld error responses in one place.

use std::collections::BTreeMap;

use api_types::ErrorBody;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use db_client::DbError;

/// Validation messages per field, answered as `{"errors":{"field":["message"]}}` with 422.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FieldErrors(BTreeMap<&'static str, Vec<String>>);

impl FieldErrors {
    /// Records one message about `field`.
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_default().push(message.into());
    }

    /// Keeps the parsed value, or records its error and yields `None`.
    pub fn check<T>(&mut self, result: Result<T, crate::domain::Invalid>) -> Option<T> {
        result
            .map_err(|invalid| self.add(invalid.field, invalid.message))
            .ok()
    }

    /// `Ok(())` when nothing was recorded.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self))
        }
    }
}

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
    /// Signed in, but not allowed to change the named entity (403).
    #[error("forbidden")]
    Forbidden(&'static str),
    /// The named entity does not exist (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique value is taken (409, NOTES.md #4).
    #[error("{0} has already been taken")]
    Conflict(String),
    /// Too many login attempts; retry after this many seconds (429).
    #[error("too many requests")]
    TooManyRequests(u64),
    /// The request body exceeds the limit (413).
    #[error("request body too large")]
    TooLarge,
    /// db-service is unreachable or not ready (503).
    #[error("storage unavailable")]
    Unavailable,
    /// Anything unexpected: logged once here, answered opaquely (500).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Conflict { field } => ApiError::Conflict(field),
            DbError::NotFound { entity } => ApiError::NotFound(entity_name(&entity)),
            DbError::Forbidden { entity } => ApiError::Forbidden(entity_name(&entity)),
            DbError::Unavailable(detail) => {
                tracing::warn!(%detail, "db-service unavailable");
                ApiError::Unavailable
            }
            DbError::Protocol(detail) => ApiError::Internal(anyhow::anyhow!(detail)),
        }
    }
}

/// The entity names db-service uses, as static strings for the error body key.
fn entity_name(entity: &str) -> &'static str {
    match entity {
        "article" => "article",
        "user" => "user",
        "profile" => "profile",
        "comment" => "comment",
        _ => "resource",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody {
                    errors: errors
                        .0
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                },
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::single("token", "is missing or invalid"),
            ),
            ApiError::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::single("email or password", "is invalid"),
            ),
            ApiError::Forbidden(entity) => (
                StatusCode::FORBIDDEN,
                ErrorBody::single(entity, "forbidden"),
            ),
            ApiError::NotFound(entity) => (
                StatusCode::NOT_FOUND,
                ErrorBody::single(entity, "not found"),
            ),
            ApiError::Conflict(field) => (
                StatusCode::CONFLICT,
                ErrorBody::single(field, "has already been taken"),
            ),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorBody::single("body", "is too large"),
            ),
            ApiError::TooManyRequests(retry_after) => {
                let body = ErrorBody::single(
                    "login",
                    format!("has too many attempts, try again in {retry_after} s"),
                );
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                return response;
            }
            ApiError::Unavailable => {
                let body =
                    ErrorBody::single("service", "is temporarily unavailable, try again shortly");
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return response;
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
