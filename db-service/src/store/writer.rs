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

/// Runs `run` to its end on a new thread named `name`.
pub(crate) fn spawn(
    name: &str,
    run: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || runtime.block_on(run))?;
    Ok(())
}

/// Queues the job `job` makes around its reply channel and waits for the writer's answer: `Busy` when the queue
/// is full.
pub(crate) async fn submit<J, T>(
    queue: &mpsc::Sender<J>,
    job: impl FnOnce(Reply<T>) -> J,
) -> Result<T, ServiceError> {
    let (reply, answer) = oneshot::channel();
    let stopped = || ServiceError::Internal(anyhow::anyhow!("a writer has stopped"));
    queue.try_send(job(reply)).map_err(|e| match e {
        TrySendError::Full(_) => ServiceError::Busy,
        TrySendError::Closed(_) => stopped(),
    })?;
    answer.await.map_err(|_| stopped())?
}
