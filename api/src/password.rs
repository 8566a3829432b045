//! Password hashing with argon2id, on threads of its own and behind a bound: each hash takes 19 MiB and tens of
//! milliseconds of a core, so at most one runs per core (at most [`MAX_SLOTS`]); a few more requests may wait
//! briefly for a turn, and beyond that the answer is 503 with `Retry-After` — never an unbounded pile of blocking
//! tasks and memory. The hashing threads are as many as the slots and live as long as the hasher, each hashing in
//! a 19 MiB buffer of its own that it allocates once (kept_memory): the memory hashing takes is 19 MiB per slot,
//! whatever the allocator does with freed blocks.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        mpsc, Arc, Mutex,
    },
    time::Duration,
};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use tokio::sync::{oneshot, Semaphore};

use self::kept_memory::KeptMemoryArgon2;
use crate::{domain::user::Password, error::ApiError};

mod kept_memory;

/// How long a request waits for a turn to hash before it is told to come back.
const MAX_WAIT: Duration = Duration::from_secs(2);

/// Hashes at once however many cores there are: 19 MiB each, so a process's memory has a bound that does not
/// depend on the machine (k8s/README.md, "Memory"). Sign-ins are rare next to reads; more replicas give more.
const MAX_SLOTS: usize = 4;

/// Requests that may wait for a turn, per hashing slot.
const WAITING_PER_SLOT: usize = 4;

/// argon2id hash of a random string, with the same parameters as real hashes: checked when the account is
/// unknown, so the response time does not reveal which e-mails are registered.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Rk1Bq5gHHnDgc4xhHVx6SALvyRvmNJvxMpkBNaA7Rk";

/// Work for a hashing thread.
type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords, a bounded number at a time. Cheap to clone; the hashing threads end once the
/// last clone is dropped.
#[derive(Debug, Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    jobs: mpsc::Sender<Job>,
}

impl Hasher {
    /// `slots` hashes at once (one per core is right: each is CPU-bound), each slot with a thread of its own.
    ///
    /// # Panics
    /// When the operating system cannot start a thread (at start-up).
    pub fn new(slots: usize) -> Self {
        let slots = slots.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..slots {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("password-hasher-{n}"))
                .spawn(move || run_jobs(&queue))
                .expect("a password hashing thread");
        }
        Self {
            slots: Arc::new(Semaphore::new(slots)),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting: slots * WAITING_PER_SLOT,
            jobs,
        }
    }

    /// One slot per core of this machine (or container CPU quota), at most [`MAX_SLOTS`].
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::new(cores.min(MAX_SLOTS))
    }

    /// A PHC-format argon2id hash of `password` (argon2 crate defaults: m=19 MiB, t=2, p=1).
    pub async fn hash(&self, password: Password) -> Result<String, ApiError> {
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            KeptMemoryArgon2
                .hash_password(password.as_ref().as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing failed: {e}")))
        })
        .await?
    }

    /// Whether `password` matches `stored`; with no stored hash (unknown account) a dummy hash is checked
    /// anyway, so the answer takes as long.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, ApiError> {
        self.run(move || {
            let known = stored.is_some();
            let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
            let parsed = PasswordHash::new(&stored)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored hash unreadable: {e}")))?;
            let matches = KeptMemoryArgon2
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(known && matches)
        })
        .await?
    }

    /// Runs `work` on a hashing thread once a slot is free; `Busy` if too many wait already or none frees up
    /// within [`MAX_WAIT`].
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::Busy);
        }
        let slot = tokio::time::timeout(MAX_WAIT, Arc::clone(&self.slots).acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let Ok(Ok(slot)) = slot else {
            return Err(ApiError::Busy);
        };
        // A slot held means a hashing thread is free for this job.
        let (done, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
            drop(slot);
        });
        self.jobs.send(job).map_err(|_| {
            ApiError::Internal(anyhow::anyhow!("the password hashing threads stopped"))
        })?;
        answer
            .await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("a password hashing thread failed")))
    }
}

/// A hashing thread: runs jobs until every sender is gone. A job that panics is answered as failed (its reply is
/// dropped) and the thread goes on, so the threads stay as many as the slots.
fn run_jobs(queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = next else { return };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = Hasher::new(1);
        let stored = hasher
            .hash(Password::parse("correct horse").expect("valid"))
            .await
            .expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(hasher
            .verify("correct horse".into(), Some(stored.clone()))
            .await
            .expect("verify"));
        assert!(!hasher
            .verify("wrong horse!".into(), Some(stored))
            .await
            .expect("verify"));
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        let hasher = Hasher::new(1);
        assert!(!hasher
            .verify("anything".into(), None)
            .await
            .expect("verify"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_slots_and_their_queue_requests_are_refused_not_piled_up() {
        let hasher = Hasher::new(1);
        let attempts: Vec<_> = (0..20)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.verify("pw".into(), None).await })
            })
            .collect();
        let mut busy = 0;
        for attempt in attempts {
            match attempt.await.expect("task") {
                Ok(_) => {}
                Err(ApiError::Busy) => busy += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        // One slot and four waiting places: of twenty at once, at least fifteen are turned away.
        assert!(busy >= 15, "{busy} refused");
    }
}
