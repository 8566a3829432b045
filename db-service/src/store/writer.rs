//! What the batching writers (blog.db's group commit on SQLite, the batches of new articles on MySQL) share: a
//! bounded queue their callers hand writes to, and a thread of their own.
//!
//! Their own thread because a writer is one task that awaits each of its statements in turn. On the shared
//! runtime every one of those awaits waited behind all the ready reads, so under load a batch of a few writes
//! spent milliseconds queueing (bench/mixed.sh at 32 connections: a favorite took 16 ms on average in db-service,
//! a direct users.db write 4). On its own thread a writer resumes as soon as its database answers.

use std::future::Future;

use tokio::sync::{
    mpsc::{self, error::TrySendError},
    oneshot,
};

use crate::error::ServiceError;

/// Where a writer sends one caller its outcome.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, ServiceError>>;

/// Most writes waiting for one writer; a write beyond is refused at once (503) rather than queued without end.
pub(crate) const QUEUE_CAPACITY: usize = 1024;

/// The sending end of a writer's bounded queue: how callers hand it writes. Cheap to clone.
pub(crate) struct Queue<J> {
    jobs: mpsc::Sender<J>,
}

impl<J> Clone for Queue<J> {
    fn clone(&self) -> Self {
        Self {
            jobs: self.jobs.clone(),
        }
    }
}

impl<J> std::fmt::Debug for Queue<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("queued", &self.queued())
            .finish()
    }
}

impl<J: Send + 'static> Queue<J> {
    /// Starts the writer `run` makes of the queue's receiving end, on a new thread named `name` with a runtime of
    /// its own; it ends when the last `Queue` is dropped.
    pub(crate) fn start<F>(
        name: &str,
        run: impl FnOnce(mpsc::Receiver<J>) -> F,
    ) -> std::io::Result<Self>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (jobs, received) = mpsc::channel(QUEUE_CAPACITY);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let run = run(received);
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || runtime.block_on(run))?;
        Ok(Self { jobs })
    }

    /// Queues the job `job` makes around its reply channel and waits for the writer's answer: `Busy` when the
    /// queue is full.
    pub(crate) async fn submit<T>(
        &self,
        job: impl FnOnce(Reply<T>) -> J,
    ) -> Result<T, ServiceError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || ServiceError::Internal(anyhow::anyhow!("a writer has stopped"));
        self.jobs.try_send(job(reply)).map_err(|e| match e {
            TrySendError::Full(_) => ServiceError::Busy,
            TrySendError::Closed(_) => stopped(),
        })?;
        answer.await.map_err(|_| stopped())?
    }
}

impl<J> Queue<J> {
    /// Writes waiting for the writer.
    pub(crate) fn queued(&self) -> usize {
        self.jobs.max_capacity() - self.jobs.capacity()
    }

    /// Whether the writer has stopped (it would only on a bug): every write would fail.
    pub(crate) fn stopped(&self) -> bool {
        self.jobs.is_closed()
    }

    /// A queue whose writer has stopped, for tests of what notices one.
    #[cfg(test)]
    pub(crate) fn stopped_for_test() -> Self {
        let (jobs, _) = mpsc::channel(1);
        Self { jobs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `/healthz` relies on: a writer whose thread panicked is seen as stopped, and its callers get an
    /// error rather than waiting for ever.
    #[tokio::test]
    async fn a_writer_whose_thread_panicked_is_stopped() {
        let queue = Queue::start("panics", |mut jobs: mpsc::Receiver<Reply<()>>| async move {
            let _first = jobs.recv().await;
            panic!("a bug in the writer");
        })
        .expect("start");
        assert!(!queue.stopped());
        let failed = queue.submit(|reply| reply).await;
        assert!(
            matches!(failed, Err(ServiceError::Internal(ref e)) if e.to_string().contains("stopped")),
            "{failed:?}"
        );
        // The caller hears of it as the job is dropped, a moment before the thread's unwinding drops the queue.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !queue.stopped() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(queue.stopped());
    }
}
