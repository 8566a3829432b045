//! The only HTTP code in the app: one function per endpoint, returning typed results. The token is attached in
//! one place, [`send`].

pub mod articles;
pub mod profiles;
pub mod users;

use api_types::ErrorBody;
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::{de::DeserializeOwned, Serialize};

use crate::session;

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

/// Adds the stored token, sends, and decodes a success body as `T`. A 401 on a request that carried a token
/// means the token is no longer valid: the user is signed out.
async fn send<T: DeserializeOwned>(
    request: Result<Request, gloo_net::Error>,
) -> Result<T, ApiError> {
    let request = request.map_err(|e| ApiError::Network(e.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    decode(response).await
}

/// Like [`send`], for answers without a body (204; 200 is accepted too).
async fn send_empty(request: Result<Request, gloo_net::Error>) -> Result<(), ApiError> {
    let request = request.map_err(|e| ApiError::Network(e.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if (200..300).contains(&response.status()) {
        Ok(())
    } else {
        Err(rejection(response).await)
    }
}

/// A request builder for `path` under `/api`, with `Authorization: Token …` when signed in.
fn build(method: &str, path: &str) -> RequestBuilder {
    let url = format!("/api{path}");
    let builder = match method {
        "POST" => Request::post(&url),
        "PUT" => Request::put(&url),
        "DELETE" => Request::delete(&url),
        _ => Request::get(&url),
    };
    match session::stored_token() {
        Some(token) => builder.header("Authorization", &format!("Token {token}")),
        None => builder,
    }
}

/// `builder` with `body` as its JSON body. The browser's `JSON.stringify` writes the text (no JSON encoder in
/// the download).
fn json_body<B: Serialize>(builder: RequestBuilder, body: &B) -> Result<Request, gloo_net::Error> {
    let value = body
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| gloo_net::Error::GlooError(e.to_string()))?;
    let text = js_sys::JSON::stringify(&value)
        .map_err(|e| gloo_net::Error::GlooError(format!("{e:?}")))?;
    builder
        .header("Content-Type", "application/json")
        .body(String::from(text))
}

/// The JSON body of `response` as `T`, parsed by the browser's `JSON.parse` (no JSON parser in the download).
async fn json<T: DeserializeOwned>(response: &Response) -> Result<T, String> {
    let text = response.text().await.map_err(|e| e.to_string())?;
    let value = js_sys::JSON::parse(&text).map_err(|e| format!("{e:?}"))?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    if (200..300).contains(&status) {
        return json::<T>(&response)
            .await
            .map_err(|e| ApiError::Network(format!("unreadable response: {e}")));
    }
    Err(rejection(response).await)
}

/// The error of a non-2xx answer. A 401 means the stored token is no longer valid: it is dropped.
async fn rejection(response: Response) -> ApiError {
    let status = response.status();
    if status == 401 {
        session::token_rejected();
    }
    let body = json::<ErrorBody>(&response).await.unwrap_or_default();
    ApiError::Rejected { status, body }
}
