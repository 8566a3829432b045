//! `/api/profiles`.

use api_types::{Profile, ProfileEnvelope};

use super::{articles::encode, build, send, ApiError, Method};

/// `GET /api/profiles/:username`.
pub async fn get(username: &str) -> Result<Profile, ApiError> {
    let envelope: ProfileEnvelope =
        send(build(Method::GET, &format!("/profiles/{}", encode(username))).build()).await?;
    Ok(envelope.profile)
}

/// `POST` (follow) or `DELETE` (unfollow) `/api/profiles/:username/follow`.
pub async fn set_following(username: &str, follow: bool) -> Result<Profile, ApiError> {
    let method = if follow { Method::POST } else { Method::DELETE };
    let envelope: ProfileEnvelope =
        send(build(method, &format!("/profiles/{}/follow", encode(username))).build()).await?;
    Ok(envelope.profile)
}
