//! Extractors that turn malformed input into [`ServiceError::BadRequest`] instead of axum's plain-text rejections.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{request::Parts, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::ServiceError;

/// A JSON body; a bad one is answered with the JSON error shape.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ServiceError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ServiceError::TooLarge)
            }
            Err(rejection) => Err(ServiceError::BadRequest(rejection.body_text())),
        }
    }
}

/// Defines `$name`, axum's `$inner` extractor whose rejection is answered with the JSON error shape.
macro_rules! answered_in_json {
    ($(#[$doc:meta])* $name:ident wraps $inner:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<T>(pub T);

        impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for $name<T> {
            type Rejection = ServiceError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                axum::extract::$inner::<T>::from_request_parts(parts, state)
                    .await
                    .map(|axum::extract::$inner(value)| $name(value))
                    .map_err(|rejection| ServiceError::BadRequest(rejection.body_text()))
            }
        }
    };
}

answered_in_json!(
    /// A query string; a bad one is answered with the JSON error shape.
    QueryArgs wraps Query
);
answered_in_json!(
    /// A path parameter; a bad one is answered with the JSON error shape.
    PathArg wraps Path
);
