//! Extractors: a JSON body whose rejections are RealWorld 422s, query strings likewise, and the request-scoped
//! db-service client.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{request::Parts, StatusCode},
};
use db_client::{DbClient, REQUEST_ID_HEADER};
use serde::de::DeserializeOwned;

use crate::{
    error::{ApiError, FieldErrors},
    state::AppState,
};

/// A JSON body. Malformed JSON or a wrong shape is a 422 `{"errors":{"body":[…]}}`; an oversized one a 413.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge)
            }
            Err(rejection) => {
                let mut errors = FieldErrors::default();
                errors.add("body", rejection.body_text());
                Err(ApiError::Validation(errors))
            }
        }
    }
}

/// A query string; a malformed one is a 422 naming the query.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => {
                let mut errors = FieldErrors::default();
                errors.add("query", rejection.body_text());
                Err(ApiError::Validation(errors))
            }
        }
    }
}

/// The db-service client, tagged with this request's id so that one id spans api and db-service logs.
#[derive(Debug)]
pub struct Db(pub DbClient);

impl FromRequestParts<AppState> for Db {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let client = match parts
            .headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            Some(id) => state.db.with_request_id(id),
            None => state.db.clone(),
        };
        Ok(Db(client))
    }
}
