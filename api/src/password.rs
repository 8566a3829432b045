//! Password hashing with argon2id, off the async executor.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

use crate::{domain::user::Password, error::ApiError};

/// A PHC-format argon2id hash of `password` (argon2 crate defaults: m=19 MiB, t=2, p=1).
pub async fn hash(password: Password) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_ref().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing failed: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
}

/// Whether `password` matches `stored`. With no stored hash (unknown account) a dummy hash is checked anyway, so
/// the response time does not reveal which e-mails are registered.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored hash unreadable: {e}")))?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
}

/// argon2id hash of a random string, with the same parameters as real hashes.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Rk1Bq5gHHnDgc4xhHVx6SALvyRvmNJvxMpkBNaA7Rk";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let stored = hash(Password::parse("correct horse").expect("valid"))
            .await
            .expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), Some(stored.clone()))
            .await
            .expect("verify"));
        assert!(!verify("wrong horse!".into(), Some(stored))
            .await
            .expect("verify"));
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        assert!(!verify("anything".into(), None).await.expect("verify"));
    }
}
