//! db-service's one error type and its single mapping to HTTP.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use db_client::{Entity, ErrorKind, WireError};

/// Every way a db-service request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A unique column (named) already holds the value.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// The addressed entity does not exist.
    #[error("{} not found", .0.as_str())]
    NotFound(Entity),
    /// The acting user may not change the entity.
    #[error("forbidden to change {}", .0.as_str())]
    Forbidden(Entity),
    /// Missing or wrong internal token.
    #[error("missing or invalid internal token")]
    Unauthorized,
    /// The request could not be understood.
    #[error("{0}")]
    BadRequest(String),
    /// The request body exceeds the limit.
    #[error("request body too large")]
    TooLarge,
    /// More work queued than the service takes on, or a request out of time: try again shortly.
    #[error("busy, try again shortly")]
    Busy,
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
        let (status, kind) = match &self {
            ServiceError::Conflict(_) => (StatusCode::CONFLICT, ErrorKind::Conflict),
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorKind::NotFound),
            ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorKind::Forbidden),
            ServiceError::Unauthorized => (StatusCode::UNAUTHORIZED, ErrorKind::Unauthorized),
            ServiceError::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorKind::BadRequest),
            ServiceError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, ErrorKind::BadRequest),
            ServiceError::Busy => (StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Unavailable),
            ServiceError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Internal)
            }
        };
        let (entity, field) = match &self {
            ServiceError::NotFound(entity) | ServiceError::Forbidden(entity) => {
                (Some(*entity), None)
            }
            ServiceError::Conflict(field) => (None, Some((*field).to_owned())),
            _ => (None, None),
        };
        let message = match kind {
            ErrorKind::Internal => "internal error".to_owned(),
            _ => self.to_string(),
        };
        let body = WireError {
            kind,
            entity,
            field,
            message,
        };
        (status, Json(body)).into_response()
    }
}
