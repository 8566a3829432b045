//! A bound on the request bodies the api holds at once. One body may be up to [`MAX_BODY_BYTES`], and a JSON body
//! is held about twice while it is parsed: without a bound, a crowd sending the largest bodies would take memory
//! in proportion to its size. A request with a body reserves its length (or, without a `Content-Length`, the
//! largest allowed) from a shared budget before its body is read, and gives it back once answered. When the budget
//! is spent it waits at most [`WAIT`], then gets 503 with `Retry-After`. The body is then read whole before the
//! request is handled (see [`reserve`]).

use std::{sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tokio::sync::Semaphore;

use super::MAX_BODY_BYTES;
use crate::error::ApiError;

/// Body bytes held at once: sixteen of the largest bodies, thousands of ordinary ones.
pub const BUDGET_BYTES: usize = 16 * MAX_BODY_BYTES;

/// How long a request waits for room before it is refused.
const WAIT: Duration = Duration::from_secs(2);

/// The budget is counted in KiB (a semaphore counts in `u32`).
const UNIT: usize = 1024;

/// The shared budget. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BodyBudget(Arc<Semaphore>);

impl Default for BodyBudget {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(BUDGET_BYTES / UNIT)))
    }
}

/// Middleware: holds the request's share of the budget while it is handled.
pub async fn reserve(State(budget): State<BodyBudget>, request: Request, next: Next) -> Response {
    let units = body_size(&request).div_ceil(UNIT);
    if units == 0 {
        return next.run(request).await;
    }
    // At most MAX_BODY_BYTES / UNIT, which fits a u32.
    let units = u32::try_from(units).unwrap_or(u32::MAX);
    let Ok(Ok(_held)) = tokio::time::timeout(WAIT, budget.0.acquire_many(units)).await else {
        return ApiError::Busy.into_response();
    };
    // The whole body is read before the request is handled (into the room just reserved), so that one answered
    // without reading it — a 401 comes before the JSON is parsed — leaves the connection clean: hyper closes a
    // connection whose request body was left unread, and nginx, still sending that body, then answers its
    // client 502 instead of our answer. A body that cannot be read whole within the limit is refused as too
    // large (the limit is the usual reason; a client that left mid-body is not there to read the answer).
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => ApiError::TooLarge.into_response(),
    }
}

/// The bytes a request's body may take: its declared length, the largest allowed when it declares none but has
/// a body (chunked), and never more than the largest allowed.
fn body_size(request: &Request) -> usize {
    let headers = request.headers();
    match headers.get(header::CONTENT_LENGTH) {
        Some(length) => length
            .to_str()
            .ok()
            .and_then(|l| l.parse::<usize>().ok())
            .map_or(MAX_BODY_BYTES, |l| l.min(MAX_BODY_BYTES)),
        None if headers.contains_key(header::TRANSFER_ENCODING) => MAX_BODY_BYTES,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method("POST").uri("/api/articles");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(axum::body::Body::empty()).expect("request")
    }

    #[test]
    fn a_body_reserves_its_length_capped_at_the_largest_allowed() {
        assert_eq!(body_size(&request(&[])), 0);
        assert_eq!(body_size(&request(&[("content-length", "0")])), 0);
        assert_eq!(body_size(&request(&[("content-length", "1500")])), 1500);
        assert_eq!(
            body_size(&request(&[("content-length", "99999999999")])),
            MAX_BODY_BYTES
        );
        assert_eq!(
            body_size(&request(&[("content-length", "nonsense")])),
            MAX_BODY_BYTES
        );
        assert_eq!(
            body_size(&request(&[("transfer-encoding", "chunked")])),
            MAX_BODY_BYTES
        );
    }
}
