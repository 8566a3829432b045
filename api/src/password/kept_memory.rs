//! argon2id as the `argon2` crate computes it, into memory each hashing thread keeps: the crate's own hasher
//! allocates (and writes) 19 MiB for every hash and frees it after, and an allocator may keep freed blocks per
//! thread, so a burst of hashes could hold several times 19 MiB per slot. Kept memory makes it exactly one
//! 19 MiB buffer per hashing thread, allocated on its first hash and wiped after each. (Argon2's first pass writes
//! every block before any is read, so what a buffer held before does not matter; a test compares with the crate's
//! own hashes.)

use std::cell::RefCell;

use argon2::{
    password_hash::{
        self, Decimal, Ident, Output, ParamsString, PasswordHash, PasswordHasher, Salt,
    },
    Algorithm, Argon2, Block, Params, Version,
};

thread_local! {
    /// This thread's argon2 memory, grown to the default parameters' size on first use.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// The argon2 password hasher, reusing this thread's memory. Verifying goes through the same
/// ([`password_hash::PasswordVerifier`] is implemented for every `PasswordHasher`).
#[derive(Debug, Clone, Copy, Default)]
pub struct KeptMemoryArgon2;

impl PasswordHasher for KeptMemoryArgon2 {
    type Params = Params;

    fn hash_password_customized<'a>(
        &self,
        password: &[u8],
        algorithm: Option<Ident<'a>>,
        version: Option<Decimal>,
        params: Params,
        salt: impl Into<Salt<'a>>,
    ) -> password_hash::Result<PasswordHash<'a>> {
        let algorithm = algorithm
            .map(Algorithm::try_from)
            .transpose()?
            .unwrap_or_default();
        let version = version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let salt = salt.into();
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let output = Output::init_with(output_len, |out| {
            with_memory(params.block_count(), |blocks| {
                argon2.hash_password_into_with_memory(password, salt_bytes, out, blocks)
            })
            .map_err(password_hash::Error::from)
        })?;
        Ok(PasswordHash {
            algorithm: algorithm.ident(),
            version: Some(version.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(salt),
            hash: Some(output),
        })
    }
}

/// Runs `hash` with `blocks` blocks of memory: this thread's kept buffer when the parameters are at most the
/// defaults (all our hashes), else memory of its own for this hash (a stored hash with larger parameters must not
/// grow what the thread keeps).
fn with_memory<T>(blocks: usize, hash: impl FnOnce(&mut [Block]) -> T) -> T {
    if blocks > Params::default().block_count() {
        return hash(&mut vec![Block::default(); blocks]);
    }
    MEMORY.with_borrow_mut(|kept| {
        if kept.len() < blocks {
            kept.resize(blocks, Block::default());
        }
        let hashed = hash(&mut kept[..blocks]);
        // What argon2 left there would let whoever reads this memory later test guesses at the password without
        // paying argon2's cost: wiped (about a tenth of a hash's time).
        kept[..blocks].fill(Block::default());
        hashed
    })
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordVerifier, SaltString};

    use super::*;

    #[test]
    fn hashes_are_the_crates_own_however_often_the_memory_is_reused() {
        for (password, salt) in [
            ("correct horse", "c29tZXNhbHRzb21lc2FsdA"),
            ("battery", "YW5vdGhlcnNhbHR2YWx1ZQ"),
        ] {
            let salt = SaltString::from_b64(salt).expect("salt");
            let ours = KeptMemoryArgon2
                .hash_password(password.as_bytes(), &salt)
                .expect("ours")
                .to_string();
            let theirs = Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .expect("theirs")
                .to_string();
            assert_eq!(ours, theirs);
            let wiped = MEMORY.with_borrow(|kept| {
                !kept.is_empty()
                    && kept
                        .iter()
                        .all(|block| block.as_ref().iter().all(|&word| word == 0))
            });
            assert!(wiped, "the kept memory still holds the hash's state");
        }
    }

    #[test]
    fn hashes_with_other_parameters_verify_without_growing_the_kept_memory() {
        let params = Params::new(2 * Params::DEFAULT_M_COST, 1, 1, None).expect("params");
        let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").expect("salt");
        let stored = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"pw", &salt)
            .expect("hash")
            .to_string();
        let parsed = PasswordHash::new(&stored).expect("parse");
        assert!(KeptMemoryArgon2.verify_password(b"pw", &parsed).is_ok());
        assert!(KeptMemoryArgon2.verify_password(b"other", &parsed).is_err());
        let kept = MEMORY.with_borrow(Vec::len);
        assert!(
            kept <= Params::default().block_count(),
            "{kept} blocks kept"
        );
    }
}
