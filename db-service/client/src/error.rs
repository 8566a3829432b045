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
    /// Worth another try shortly, nothing written: the database is not ready (opening, migrating, shutting down),
    /// db-service is busy (its queues are full), or the database's storage is full (507) until room is made.
    Unavailable,
    /// Anything else; details stay in db-service's log.
    Internal,
}

/// What a missing or forbidden thing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// An account, by id or e-mail.
    User,
    /// A user as others see them, by username.
    Profile,
    /// An article, by slug.
    Article,
    /// A comment, by id.
    Comment,
    /// A path db-service does not serve.
    Route,
}

impl Entity {
    /// The name as it appears in error bodies (`article`).
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::User => "user",
            Entity::Profile => "profile",
            Entity::Article => "article",
            Entity::Comment => "comment",
            Entity::Route => "route",
        }
    }
}

/// Error response body of db-service: `{"kind": "conflict", "field": "email", "message": "…"}` or
/// `{"kind": "not_found", "entity": "article", "message": "…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireError {
    /// Category of the failure.
    pub kind: ErrorKind,
    /// The entity concerned (not found, forbidden), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<Entity>,
    /// The field whose value is taken (conflict), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
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
    #[error("{} not found", entity.as_str())]
    NotFound {
        /// What was looked up.
        entity: Entity,
    },
    /// The acting user may not do this to `entity` (e.g. edit someone else's article).
    #[error("forbidden to change {}", entity.as_str())]
    Forbidden {
        /// What the caller tried to change.
        entity: Entity,
    },
    /// db-service could not be reached, timed out, is not ready or busy, or its database's storage is full.
    #[error("db-service unavailable: {0}")]
    Unavailable(String),
    /// db-service answered in a way the contract does not allow, or rejected our call.
    #[error("db-service error: {0}")]
    Protocol(String),
}

impl From<WireError> for DbError {
    fn from(wire: WireError) -> Self {
        match (wire.kind, wire.entity, wire.field) {
            (ErrorKind::Conflict, _, Some(field)) => DbError::Conflict { field },
            (ErrorKind::NotFound, Some(entity), _) => DbError::NotFound { entity },
            (ErrorKind::Forbidden, Some(entity), _) => DbError::Forbidden { entity },
            (ErrorKind::Unavailable, _, _) => DbError::Unavailable(wire.message),
            (kind, _, _) => DbError::Protocol(format!("{kind:?}: {}", wire.message)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a client makes of this wire error.
    fn from_wire(json: &str) -> DbError {
        let wire: WireError = serde_json::from_str(json).expect("valid wire error");
        DbError::from(wire)
    }

    #[test]
    fn conflict_on_the_wire_becomes_a_typed_conflict_naming_the_field() {
        match from_wire(r#"{"kind":"conflict","field":"email","message":"taken"}"#) {
            DbError::Conflict { field } => assert_eq!(field, "email"),
            other => panic!("expected conflict, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_article_on_the_wire_becomes_a_typed_not_found() {
        assert!(matches!(
            from_wire(r#"{"kind":"not_found","entity":"article","message":"x"}"#),
            DbError::NotFound {
                entity: Entity::Article
            }
        ));
    }
}
