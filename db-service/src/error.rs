//! db-service's one error type and its single mapping to HTTP.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use db_client::{ErrorKind, WireError};

/// Every way a db-service request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A unique column (named) already holds the value.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// The addressed entity (named) does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The acting user may not change the named entity.
    #[error("forbidden to change {0}")]
    Forbidden(&'static str),
    /// Missing or wrong internal token.
    #[error("missing or invalid internal token")]
    Unauthorized,
    /// The request could not be understood.
    #[error("{0}")]
    BadRequest(String),
    /// The request body exceeds the limit.
    #[error("request body too large")]
    TooLarge,
    /// Anything unexpected: logged here, answered opaquely.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::Internal(e.into())
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let (status, kind, subject) = match &self {
            ServiceError::Conflict(field) => {
                (StatusCode::CONFLICT, ErrorKind::Conflict, Some(*field))
            }
            ServiceError::NotFound(entity) => {
                (StatusCode::NOT_FOUND, ErrorKind::NotFound, Some(*entity))
            }
            ServiceError::Forbidden(entity) => {
                (StatusCode::FORBIDDEN, ErrorKind::Forbidden, Some(*entity))
            }
            ServiceError::Unauthorized => (StatusCode::UNAUTHORIZED, ErrorKind::Unauthorized, None),
            ServiceError::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorKind::BadRequest, None),
            ServiceError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, ErrorKind::BadRequest, None),
            ServiceError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Internal, None)
            }
        };
        let message = match kind {
            ErrorKind::Internal => "internal error".to_owned(),
            _ => self.to_string(),
        };
        let body = WireError {
            kind,
            subject: subject.map(str::to_owned),
            message,
        };
        (status, Json(body)).into_response()
    }
}
