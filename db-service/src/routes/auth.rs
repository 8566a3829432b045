//! The internal-token gate in front of every `/v1` route.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use db_client::TOKEN_HEADER;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::{error::ServiceError, state::AppState};

/// Lets the request through only if `x-internal-token` equals the configured token, compared in constant time.
pub async fn require_internal_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ServiceError> {
    let presented = request
        .headers()
        .get(TOKEN_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let expected = state.internal_token.expose_secret().as_bytes();
    if bool::from(presented.ct_eq(expected)) {
        Ok(next.run(request).await)
    } else {
        Err(ServiceError::Unauthorized)
    }
}
