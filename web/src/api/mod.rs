//! The only HTTP code in the app: one function per endpoint, returning typed results. The token is attached in
//! one place, [`build`].

pub mod articles;
pub mod profiles;
pub mod users;

use api_types::ErrorBody;
use gloo_net::http::{Method, Request, RequestBuilder, Response};
use serde::{de::DeserializeOwned, Serialize};

use crate::{json, session};

/// Why an API call failed, in terms the UI can show.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server rejected the request with RealWorld error messages (422, 401, 403, 404, 409…).
    Rejected {
        /// HTTP status.
        status: u16,
        /// The server's messages.
        body: ErrorBody,
    },
    /// The server could not be reached, or answered something unreadable.
    Network(String),
}

impl ApiError {
    /// Lines to show in `.error-messages`.
    pub fn messages(&self) -> Vec<String> {
        match self {
            ApiError::Rejected { body, status } => {
                let messages = body.messages();
                if messages.is_empty() {
                    vec![format!("request failed ({status})")]
                } else {
                    messages
                }
            }
            ApiError::Network(detail) => vec![format!("cannot reach the server: {detail}")],
        }
    }

    /// Whether the server said the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::Rejected { status: 404, .. })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.messages().join("; "))
    }
}

impl std::error::Error for ApiError {}

/// Sends `request` and decodes a success body as `T`; a non-2xx answer becomes [`ApiError::Rejected`] (see
/// [`rejection`] for a 401). The token is already on the request: [`build`] adds it.
async fn send<T: DeserializeOwned>(
    request: Result<Request, gloo_net::Error>,
) -> Result<T, ApiError> {
    let response = answer(request).await?;
    read_json::<T>(&response)
        .await
        .map_err(|e| ApiError::Network(format!("unreadable response: {e}")))
}

/// `method` on `path` without a body, the answer decoded as `T`.
async fn fetch<T: DeserializeOwned>(method: Method, path: &str) -> Result<T, ApiError> {
    send(build(method, path).build()).await
}

/// `method` on `path` with `body` as JSON, the answer decoded as `T`.
async fn send_json<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    send(json_body(build(method, path), body)).await
}

/// Like [`send`], for answers without a body (204; 200 is accepted too).
async fn send_empty(request: Result<Request, gloo_net::Error>) -> Result<(), ApiError> {
    answer(request).await.map(drop)
}

/// The response to `request` if its status is 2xx.
async fn answer(request: Result<Request, gloo_net::Error>) -> Result<Response, ApiError> {
    let response = request
        .map_err(|e| ApiError::Network(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if (200..300).contains(&response.status()) {
        Ok(response)
    } else {
        Err(rejection(response).await)
    }
}

/// A request builder for `method` on `path` under `/api`, with `Authorization: Token …` when signed in: the one
/// place the token is added.
fn build(method: Method, path: &str) -> RequestBuilder {
    let builder = RequestBuilder::new(&format!("/api{path}")).method(method);
    match session::stored_token() {
        Some(token) => builder.header("Authorization", &format!("Token {token}")),
        None => builder,
    }
}

/// `builder` with `body` as its JSON body.
fn json_body<B: Serialize>(builder: RequestBuilder, body: &B) -> Result<Request, gloo_net::Error> {
    let text = json::to_text(body).map_err(|e| gloo_net::Error::GlooError(e.to_string()))?;
    builder
        .header("Content-Type", "application/json")
        .body(text)
}

/// The JSON body of `response` as `T`.
async fn read_json<T: DeserializeOwned>(response: &Response) -> Result<T, String> {
    let text = response.text().await.map_err(|e| e.to_string())?;
    json::from_text(&text).map_err(|e| e.to_string())
}

/// The error of a non-2xx answer. A 401 means the stored token is no longer valid: it is dropped.
async fn rejection(response: Response) -> ApiError {
    let status = response.status();
    if status == 401 {
        session::token_rejected();
    }
    let body = read_json::<ErrorBody>(&response).await.unwrap_or_default();
    ApiError::Rejected { status, body }
}
