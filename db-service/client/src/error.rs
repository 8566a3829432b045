//! The typed outcome of a failed db-service call, and its JSON form on the wire.

use serde::{Deserialize, Serialize};

/// What went wrong, as db-service reports it in an error response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A unique value is already taken.
    Conflict,
    /// The addressed row does not exist.
    NotFound,
    /// The caller may not do this (not the author, following oneself).
    Forbidden,
    /// The internal token was missing or wrong.
    Unauthorized,
    /// The request was malformed.
    BadRequest,
    /// The database is not ready (opening, migrating, shutting down).
    Unavailable,
    /// Anything else; details stay in db-service's log.
    Internal,
}

/// Error response body of db-service: `{"kind": "conflict", "subject": "email", "message": "…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireError {
    /// Category of the failure.
    pub kind: ErrorKind,
    /// The field or entity concerned (`email`, `article`), when there is one.
    #[serde(default)]
    pub subject: Option<String>,
    /// Human-readable detail, safe to log.
    pub message: String,
}

/// A failed call to db-service, as the api sees it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A unique value (named by `field`) is already taken.
    #[error("{field} is already taken")]
    Conflict {
        /// The field whose value collided.
        field: String,
    },
    /// The addressed `entity` does not exist.
    #[error("{entity} not found")]
    NotFound {
        /// What was looked up.
        entity: String,
    },
    /// The acting user may not do this to `entity` (e.g. edit someone else's article).
    #[error("forbidden to change {entity}")]
    Forbidden {
        /// What the caller tried to change.
        entity: String,
    },
    /// db-service could not be reached, timed out, or is not ready.
    #[error("db-service unavailable: {0}")]
    Unavailable(String),
    /// db-service answered in a way the contract does not allow, or rejected our call.
    #[error("db-service error: {0}")]
    Protocol(String),
}

impl From<WireError> for DbError {
    fn from(wire: WireError) -> Self {
        let subject = wire.subject.unwrap_or_default();
        match wire.kind {
            ErrorKind::Conflict => DbError::Conflict { field: subject },
            ErrorKind::NotFound => DbError::NotFound { entity: subject },
            ErrorKind::Forbidden => DbError::Forbidden { entity: subject },
            ErrorKind::Unavailable => DbError::Unavailable(wire.message),
            ErrorKind::Unauthorized | ErrorKind::BadRequest | ErrorKind::Internal => {
                DbError::Protocol(format!("{:?}: {}", wire.kind, wire.message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_on_the_wire_becomes_a_typed_conflict_naming_the_field() {
        let wire: WireError =
            serde_json::from_str(r#"{"kind":"conflict","subject":"email","message":"taken"}"#)
                .expect("valid wire error");
        match DbError::from(wire) {
            DbError::Conflict { field } => assert_eq!(field, "email"),
            other => panic!("expected conflict, got {other:?}"),
        }
    }
}
