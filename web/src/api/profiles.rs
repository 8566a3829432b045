//! `/api/profiles`.

use api_types::{Profile, ProfileEnvelope};

use super::{articles::encode, fetch, ApiError, Method};

/// `GET /api/profiles/:username`.
pub async fn get(username: &str) -> Result<Profile, ApiError> {
    let envelope: ProfileEnvelope =
        fetch(Method::GET, &format!("/profiles/{}", encode(username))).await?;
    Ok(envelope.profile)
}

/// `POST` (follow) or `DELETE` (unfollow) `/api/profiles/:username/follow`.
pub async fn set_following(username: &str, follow: bool) -> Result<Profile, ApiError> {
    let method = if follow { Method::POST } else { Method::DELETE };
    let envelope: ProfileEnvelope =
        fetch(method, &format!("/profiles/{}/follow", encode(username))).await?;
    Ok(envelope.profile)
}
