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
    /// The database refused a write for want of room (SQLite: the disk or its page limit is full; MySQL: a table
    /// or the disk is full): nothing of it was stored. Reads go on; writes succeed again once there is room.
    #[error("the database's storage is full: {0}")]
    StorageFull(String),
    /// Anything unexpected: logged here, answered opaquely.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        if is_storage_full(&e) {
            return ServiceError::StorageFull(e.to_string());
        }
        ServiceError::Internal(e.into())
    }
}

/// The group-committed writes (store/sqlite/direct.rs) and reads of a small cost (store/direct_readers.rs) run
/// through rusqlite.
impl From<rusqlite::Error> for ServiceError {
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            return ServiceError::StorageFull(e.to_string());
        }
        ServiceError::Internal(e.into())
    }
}

/// Whether the database refused a write for want of room: SQLITE_FULL (13), MySQL 1114 (a table is full) or 1021
/// (the disk is full).
fn is_storage_full(e: &sqlx::Error) -> bool {
    let Some(db) = e.as_database_error() else {
        return false;
    };
    if let Some(sqlite) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
        return sqlx::error::DatabaseError::code(sqlite).as_deref() == Some("13");
    }
    db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .is_some_and(|mysql| matches!(mysql.number(), 1021 | 1114))
}

impl ServiceError {
    /// Whether a write that failed with this stored nothing: it was refused before or by its statement. After
    /// any other failure (the database's, or one out of time) a commit may have happened. It is each write's
    /// duty to return these only when nothing was committed (SqlStore::write_then_mark_stale relies on it).
    pub fn wrote_nothing(&self) -> bool {
        matches!(
            self,
            ServiceError::Conflict(_)
                | ServiceError::NotFound(_)
                | ServiceError::Forbidden(_)
                | ServiceError::BadRequest(_)
                | ServiceError::StorageFull(_)
        )
    }

    /// The answer for each of the callers one error failed (errors are not Clone): `Busy` and `StorageFull` as
    /// they are, anything else as an internal error carrying `context` and its message. A commit's error must be
    /// neither where its outcome is unknown (see `store::backend::uncommitted` and `commit_failed`).
    pub fn into_answer_for_each_caller(self, context: &str) -> impl Fn() -> ServiceError {
        let message = format!("{context}: {self}");
        move || match &self {
            ServiceError::Busy => ServiceError::Busy,
            ServiceError::StorageFull(why) => ServiceError::StorageFull(why.clone()),
            _ => anyhow::anyhow!("{message}").into(),
        }
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
            ServiceError::StorageFull(why) => {
                crate::metrics::record_storage_full(why);
                (StatusCode::INSUFFICIENT_STORAGE, ErrorKind::Unavailable)
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_storage_is_507_and_reaches_the_api_as_unavailable() {
        let full = || ServiceError::StorageFull("database or disk is full".into());
        let response = full().into_response();
        assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
        let wire = WireError {
            kind: ErrorKind::Unavailable,
            entity: None,
            field: None,
            message: full().to_string(),
        };
        assert!(matches!(
            db_client::DbError::from(wire),
            db_client::DbError::Unavailable(_)
        ));
    }

    #[test]
    fn each_caller_of_a_failed_batch_is_told_a_full_storage_or_busy_as_it_is() {
        let full = ServiceError::StorageFull("disk".into()).into_answer_for_each_caller("batch");
        assert!(matches!(full(), ServiceError::StorageFull(why) if why == "disk"));
        assert!(matches!(full(), ServiceError::StorageFull(why) if why == "disk"));
        let busy = ServiceError::Busy.into_answer_for_each_caller("batch");
        assert!(matches!(busy(), ServiceError::Busy));
        let other = ServiceError::from(anyhow::anyhow!("disk I/O error"))
            .into_answer_for_each_caller("batch");
        assert!(
            matches!(other(), ServiceError::Internal(e) if e.to_string() == "batch: disk I/O error")
        );
    }
}
