//! The public HTTP surface: RealWorld routes under `/api` for this instance's role, health checks, metrics, the
//! OpenAPI document, one error shape everywhere.

mod articles;
mod body_budget;
mod comments;
mod health;
mod openapi;
mod profiles;
mod tags;
mod users;
mod views;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::{
    extract::{DefaultBodyLimit, Request},
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use conduit_runtime::{
    metrics::RequestMetrics,
    stack::{Deadline, Stack},
};

use crate::{config::Role, error::ApiError, state::AppState};

/// Largest request body accepted (1.25 MiB): room for the largest valid request however it is written. JSON may
/// escape any character, at most 12 bytes each (`\uD83E\uDD80`), so a valid article takes at most 12 bytes per
/// character of its fields plus the keys around them: about 1.21 MB. nginx has the same limit.
const MAX_BODY_BYTES: usize = 1280 * 1024;

const _: () = {
    use crate::domain::article::{Body, Description, TagList, Title};
    let chars = Body::MAX_CHARS
        + Title::MAX_CHARS
        + Description::MAX_CHARS
        + TagList::MAX_TAGS * TagList::MAX_TAG_CHARS;
    // 12 bytes a character, and 1 KiB for the keys, quotes, commas and brackets around them.
    assert!(12 * chars + 1024 <= MAX_BODY_BYTES);
    // A longer tag list is read keeping its first entries: still more than a list may hold, so it is refused.
    assert!(api_types::MAX_TAG_ENTRIES_READ > TagList::MAX_TAGS);
};

/// Upper bound on one request, so nothing can pin a connection forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Requests handled at once; more wait their turn (within [`REQUEST_TIMEOUT`]) holding nothing but their head.
/// Each handled request holds its answer several times over (db-service's bytes, the records decoded from them,
/// the JSON written from those): without a bound, 1,000 clients at once took 56 MiB more than 32 did. Far more
/// than two cores need to keep db-service busy.
const MAX_REQUESTS_IN_FLIGHT: usize = 256;

/// The api's request metrics: `api_requests_total` and `api_request_duration_seconds` by route.
const REQUESTS: RequestMetrics = RequestMetrics {
    requests_total: "api_requests_total",
    duration: "api_request_duration_seconds",
    route_label: "route",
};

pub fn router(state: AppState, role: Role) -> Router {
    let users = users::router().merge(profiles::router());
    let posts = articles::router()
        .merge(comments::router())
        .merge(tags::router());
    // Feeds, sitemaps and link previews read what posts read: they go with them.
    let site = crate::site::router();
    let (api, site) = match role {
        Role::All => (users.merge(posts), site),
        Role::Users => (users, Router::new()),
        Role::Posts | Role::Read => (posts, site),
        Role::Create | Role::Update | Role::Delete => (posts, Router::new()),
    };
    let api = match role {
        Role::Read | Role::Create | Role::Update | Role::Delete => {
            api.route_layer(middleware::from_fn_with_state(role, only_this_operation))
        }
        Role::All | Role::Users | Role::Posts => api,
    };
    let probes = health::router(role).with_state(state.clone());
    let routes = Router::new()
        .merge(openapi::router())
        .merge(site)
        .nest(
            "/api",
            api.layer(middleware::from_fn(cacheable_for_a_second)),
        )
        .fallback(|| async { ApiError::NotFound(db_client::Entity::Route) })
        // A path with other methods: 405 in the usual error body (the method router adds `Allow`).
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            body_budget::BodyBudget::default(),
            body_budget::reserve,
        ));
    Stack {
        metrics: REQUESTS,
        deadline: Deadline {
            after: REQUEST_TIMEOUT,
            answer: || ApiError::TimedOut.into_response(),
        },
        max_concurrent_requests: Some(MAX_REQUESTS_IN_FLIGHT),
    }
    .apply(routes, probes)
}

/// Marks a 200 answer to an anonymous read as cacheable until the end of the current second (`X-Accel-Expires`,
/// which nginx's anonymous read cache honours and does not pass on): anonymous readers may then be served data up to
/// one second old, and never older; signed-in readers never are (nginx bypasses the cache for them).
async fn cacheable_for_a_second(request: Request, next: Next) -> Response {
    let anonymous_read = matches!(*request.method(), Method::GET | Method::HEAD)
        && !request.headers().contains_key(header::AUTHORIZATION);
    let mut response = next.run(request).await;
    if anonymous_read && response.status() == StatusCode::OK {
        let this_second = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        if let Ok(until) = HeaderValue::from_str(&format!("@{this_second}")) {
            response.headers_mut().insert(X_ACCEL_EXPIRES, until);
        }
    }
    response
}

const X_ACCEL_EXPIRES: HeaderName = HeaderName::from_static("x-accel-expires");

/// For the per-operation roles: the HTTP method this pod serves (nginx routes by method).
fn method_of(role: Role) -> Option<Method> {
    match role {
        Role::Read => Some(Method::GET),
        Role::Create => Some(Method::POST),
        Role::Update => Some(Method::PUT),
        Role::Delete => Some(Method::DELETE),
        Role::All | Role::Users | Role::Posts => None,
    }
}

/// Answers 405 to methods that belong to another operation's pod.
async fn only_this_operation(
    axum::extract::State(role): axum::extract::State<Role>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = method_of(role);
    let method = request.method();
    let served = allowed
        .as_ref()
        .is_none_or(|m| m == method || (*m == Method::GET && method == Method::HEAD));
    if served {
        return next.run(request).await;
    }
    let body = api_types::ErrorBody::single(
        "method",
        format!("is not served by the {} service", role.name()),
    );
    let mut response = (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response();
    if let Some(allow) = allowed.and_then(|m| m.as_str().parse().ok()) {
        response
            .headers_mut()
            .insert(axum::http::header::ALLOW, allow);
    }
    response
}
