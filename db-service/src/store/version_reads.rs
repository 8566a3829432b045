//! Reads of the shared data version, coalesced without going stale. Where replicas share a MySQL server, a cached
//! answer may be served only at the version the server holds now, which costs a round trip per request. Callers
//! that arrive while a read is under way cannot use it (it may have started before a write they depend on was
//! acknowledged), but they can all use the next one: they queue, the first of them reads, and the rest take its
//! answer. So every caller gets a version read in full after it arrived, and the server answers about one read
//! per round trip however many requests wait.

use std::{
    future::Future,
    sync::atomic::{AtomicU64, Ordering},
};

use tokio::sync::Mutex;

use crate::error::ServiceError;

#[derive(Debug, Default)]
pub(crate) struct VersionReads {
    /// Reads started so far; read on arrival, bumped (under `turn`) as a read starts.
    started: AtomicU64,
    /// One read at a time; callers queue here in arrival order. Holds the last read to finish: its number in
    /// `started`, and the version it saw (`None`: it failed).
    turn: Mutex<Option<(u64, Option<u64>)>>,
}

impl VersionReads {
    /// The version as of a read that started after this call: a finished one if there is one, or `read` now.
    /// Callers that waited for a read that failed are answered `Busy` at once rather than each trying in turn
    /// (the reader got the error itself); the next caller to arrive reads again.
    pub async fn current<F>(&self, read: impl FnOnce() -> F) -> Result<u64, ServiceError>
    where
        F: Future<Output = Result<u64, ServiceError>>,
    {
        let arrived_after = self.started.load(Ordering::SeqCst);
        let mut last = self.turn.lock().await;
        if let Some((number, seen)) = *last {
            if number > arrived_after {
                return seen.ok_or(ServiceError::Busy);
            }
        }
        let number = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        let version = read().await;
        *last = Some((number, version.as_ref().ok().copied()));
        version
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{atomic::AtomicUsize, Arc};

    use tokio::sync::Notify;

    use super::*;

    #[tokio::test]
    async fn a_caller_arriving_during_a_read_waits_for_the_next_one() {
        let reads = Arc::new(VersionReads::default());
        let release = Arc::new(Notify::new());
        let first = tokio::spawn({
            let (reads, release) = (Arc::clone(&reads), Arc::clone(&release));
            async move {
                reads
                    .current(|| async move {
                        release.notified().await;
                        Ok(1)
                    })
                    .await
            }
        });
        while reads.started.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // A write is acknowledged now, while the first read is under way: this caller must see version 2.
        let second = tokio::spawn({
            let reads = Arc::clone(&reads);
            async move { reads.current(|| async { Ok(2) }).await }
        });
        tokio::task::yield_now().await;
        release.notify_one();
        assert_eq!(first.await.expect("first").expect("read"), 1);
        assert_eq!(second.await.expect("second").expect("read"), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_waiting_together_share_one_read() {
        let reads = Arc::new(VersionReads::default());
        let performed = Arc::new(AtomicUsize::new(0));
        let callers = (0..100).map(|_| {
            let (reads, performed) = (Arc::clone(&reads), Arc::clone(&performed));
            tokio::spawn(async move {
                reads
                    .current(|| async move {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok(performed.fetch_add(1, Ordering::SeqCst) as u64)
                    })
                    .await
            })
        });
        for caller in futures_util::future::join_all(callers).await {
            assert!(caller.expect("caller").is_ok());
        }
        let performed = performed.load(Ordering::SeqCst);
        // The first read, then one more for everyone who queued behind it (a few more should the machine be slow
        // to start the callers); without coalescing, 100.
        assert!(performed < 10, "{performed} reads for 100 callers");
    }

    #[tokio::test]
    async fn a_failed_read_answers_those_who_waited_for_it_and_the_next_caller_reads_again() {
        let reads = Arc::new(VersionReads::default());
        let release = Arc::new(Notify::new());
        let failing = tokio::spawn({
            let (reads, release) = (Arc::clone(&reads), Arc::clone(&release));
            async move {
                reads
                    .current(|| async move {
                        release.notified().await;
                        Err(ServiceError::Internal(anyhow::anyhow!(
                            "the server is down"
                        )))
                    })
                    .await
            }
        });
        while reads.started.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let performed = Arc::new(AtomicUsize::new(0));
        let waiting = |reads: &Arc<VersionReads>| {
            let (reads, performed) = (Arc::clone(reads), Arc::clone(&performed));
            tokio::spawn(async move {
                reads
                    .current(|| async move {
                        performed.fetch_add(1, Ordering::SeqCst);
                        Err(ServiceError::Internal(anyhow::anyhow!("still down")))
                    })
                    .await
            })
        };
        let (first, second) = (waiting(&reads), waiting(&reads));
        tokio::task::yield_now().await;
        release.notify_one();
        assert!(matches!(
            failing.await.expect("task"),
            Err(ServiceError::Internal(_))
        ));
        let outcomes = [first.await.expect("task"), second.await.expect("task")];
        // One of the two waiters read (and failed); the other was told at once.
        assert_eq!(performed.load(Ordering::SeqCst), 1);
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Err(ServiceError::Busy))),
            "{outcomes:?}"
        );
        assert_eq!(reads.current(|| async { Ok(7) }).await.expect("read"), 7);
    }
}
