//! User tokens (HS256 JWTs sent as `Authorization: Token …`) and the two extractors that read them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::{
    extract::FromRequestParts,
    http::{header::AUTHORIZATION, request::Parts, Method},
};
use db_client::{UserId, ViewerQuery};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::{error::ApiError, state::AppState};

/// Signs and verifies user tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user's id, as a string (JWT's `sub` is a string claim).
    sub: String,
    /// Issued at (seconds since the epoch).
    iat: u64,
    /// Expiry (seconds since the epoch).
    exp: u64,
    /// The user's token version when issued; tokens from before a password change have an older one. Tokens
    /// issued before versions existed carry none: 0.
    #[serde(default)]
    ver: i64,
}

impl TokenKeys {
    pub fn new(secret: &SecretString, ttl: Duration) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            ttl,
        }
    }

    /// A fresh token for `user` at token version `version`, valid for the configured lifetime.
    pub fn issue(&self, user: UserId, version: i64) -> Result<String, ApiError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| ApiError::Internal(e.into()))?
            .as_secs();
        let claims = Claims {
            sub: user.0.to_string(),
            iat: now,
            exp: now + self.ttl.as_secs(),
            ver: version,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(e.into()))
    }

    /// The user a token was issued to and the token version it carries, if its signature and expiry check out.
    pub fn verify(&self, token: &str) -> Result<(UserId, i64), ApiError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::Unauthorized)?
            .claims;
        let user = claims.sub.parse().map_err(|_| ApiError::Unauthorized)?;
        Ok((UserId(user), claims.ver))
    }
}

/// A signed-in caller: requests without a valid token are answered 401. A request that writes (any method but GET
/// and HEAD) counts as one of the caller's write attempts, and once their allowance is spent is answered 429
/// before its body is parsed or anything is written (rate_limit.rs). Its body has been read by then, within the
/// body budget (routes/body_budget.rs: answering before the body is read would have nginx answer 502).
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// Who is calling.
    pub id: UserId,
    /// The token they presented, echoed back in user responses.
    pub token: String,
}

/// A caller who may be anonymous; a token that is present but invalid is still a 401 (NOTES.md #12).
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl MaybeAuthUser {
    pub fn id(&self) -> Option<UserId> {
        self.0.as_ref().map(|user| user.id)
    }

    /// Who db-service's reads are for: what `following` and `favorited` are answered about.
    pub fn query(&self) -> ViewerQuery {
        ViewerQuery { viewer: self.id() }
    }
}

/// The token in `Authorization: Token <jwt>`; `Bearer` is accepted too (NOTES.md #11).
fn presented_token(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ApiError::Unauthorized)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::Unauthorized)?;
    if !(scheme.eq_ignore_ascii_case("Token") || scheme.eq_ignore_ascii_case("Bearer")) {
        return Err(ApiError::Unauthorized);
    }
    Ok(Some(token.trim()))
}

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = presented_token(parts)? else {
            return Ok(MaybeAuthUser(None));
        };
        let (id, version) = state.tokens.verify(token)?;
        // A token from before its user's last password change is as good as none.
        if !state
            .token_versions
            .is_current(&state.db, id, version)
            .await?
        {
            return Err(ApiError::Unauthorized);
        }
        Ok(MaybeAuthUser(Some(AuthUser {
            id,
            token: token.to_owned(),
        })))
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = MaybeAuthUser::from_request_parts(parts, state)
            .await?
            .0
            .ok_or(ApiError::Unauthorized)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            state.limits.write(user.id)?;
        }
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str, ttl: Duration) -> TokenKeys {
        TokenKeys::new(&SecretString::from(secret.to_owned()), ttl)
    }

    #[test]
    fn issued_tokens_verify_to_the_same_user() {
        let keys = keys(
            "a-secret-of-at-least-32-characters!",
            Duration::from_secs(60),
        );
        let token = keys.issue(UserId(42), 3).expect("issue");
        assert_eq!(keys.verify(&token).expect("verify"), (UserId(42), 3));
    }

    #[test]
    fn tokens_signed_with_another_secret_are_rejected() {
        let ours = keys(
            "a-secret-of-at-least-32-characters!",
            Duration::from_secs(60),
        );
        let theirs = keys(
            "another-secret-of-at-least-32-chars",
            Duration::from_secs(60),
        );
        let token = theirs.issue(UserId(1), 0).expect("issue");
        assert!(matches!(ours.verify(&token), Err(ApiError::Unauthorized)));
    }

    #[test]
    fn tampered_tokens_are_rejected() {
        let keys = keys(
            "a-secret-of-at-least-32-characters!",
            Duration::from_secs(60),
        );
        let token = keys.issue(UserId(1), 0).expect("issue");
        let mut tampered = token.into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        assert!(matches!(
            keys.verify(&tampered),
            Err(ApiError::Unauthorized)
        ));
    }

    #[test]
    fn expired_tokens_are_rejected() {
        let keys = keys(
            "a-secret-of-at-least-32-characters!",
            Duration::from_secs(0),
        );
        let claims = Claims {
            sub: "1".into(),
            iat: 0,
            exp: 1,
            ver: 0,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding)
            .expect("encode");
        assert!(matches!(keys.verify(&token), Err(ApiError::Unauthorized)));
    }
}
