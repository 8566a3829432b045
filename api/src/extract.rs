//! Extractors: a JSON body whose rejections are RealWorld 422s, query strings likewise, and the request-scoped
//! db-service client.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{header::AsHeaderName, request::Parts, HeaderMap, StatusCode},
};
use db_client::{DbClient, REQUEST_ID_HEADER};
use serde::de::DeserializeOwned;

use crate::{domain::FieldErrors, error::ApiError, rate_limit::Client, state::AppState};

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

/// Header `name` as text: `None` when it is absent or not visible ASCII, as if it had not been sent.
pub fn header_text(headers: &HeaderMap, name: impl AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
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
        let client = match header_text(&parts.headers, REQUEST_ID_HEADER) {
            Some(id) => state.db.with_request_id(id),
            None => state.db.clone(),
        };
        Ok(Db(client))
    }
}

/// Path parameters; a value that does not parse (e.g. a non-numeric comment id) addresses nothing: 404.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|_| ApiError::NotFound(db_client::Entity::Route))
    }
}

/// The client, by address: `X-Real-IP` as set by our nginx in front (which takes forwarded addresses only from
/// the proxies it is configured to trust), else the TCP peer (a Unix socket's peer has none: 0.0.0.0).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Client);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let forwarded =
            header_text(&parts.headers, "x-real-ip").and_then(|v| v.trim().parse().ok());
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let ip = forwarded
            .or(peer)
            .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
        Ok(ClientAddr(Client::from(ip)))
    }
}
