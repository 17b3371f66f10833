//! Group commit: many small writes share one transaction and one fsync.
//!
//! Reading a patient's timeline writes (read receipts and the audit record),
//! and so does every post. With `synchronous=FULL` each commit waits for the
//! disk, and the audit chain lets only one transaction append at a time, so
//! committing each request on its own caps the whole server at one fsync per
//! request. A [`WriteBatcher`] runs jobs that arrive together inside one
//! transaction, each within its own savepoint, and answers every caller only
//! after the commit: nothing is acknowledged before it is durable, a job that
//! fails is rolled back alone, and a failed commit fails every job of the
//! batch.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::{mpsc, oneshot};

use crate::{write, Db, StoreError, Tx};

/// A boxed future borrowing the transaction.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

type Job = Box<dyn for<'a> FnOnce(&'a mut Tx) -> JobFuture<'a> + Send>;

struct Pending {
    job: Job,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The handle callers submit jobs through; cheap to clone.
#[derive(Clone)]
pub struct WriteBatcher {
    queue: mpsc::Sender<Pending>,
}

/// Jobs per transaction at most: bounds how long one commit holds the
/// writer and how much a failed commit takes down with it.
const MAX_BATCH: usize = 256;

impl WriteBatcher {
    /// Starts the writer task for `db`. Must be called inside a Tokio runtime.
    pub fn start(db: Db) -> Self {
        let (queue, rx) = mpsc::channel::<Pending>(4096);
        tokio::spawn(run(db, rx));
        Self { queue }
    }

    /// Runs `job` in the next batch and returns what it produced once the
    /// batch has committed.
    pub async fn run<T, F>(&self, job: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(
                &'a mut Tx,
            )
                -> Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>
            + Send
            + 'static,
    {
        let (value_tx, value_rx) = oneshot::channel::<T>();
        let job: Job = Box::new(move |tx: &mut Tx| {
            Box::pin(async move {
                let value = job(tx).await?;
                // The receiver only goes away if the caller gave up waiting.
                let _ = value_tx.send(value);
                Ok(())
            })
        });
        let (done, done_rx) = oneshot::channel();
        self.queue
            .send(Pending { job, done })
            .await
            .map_err(|_| StoreError::Invalid("the write queue has stopped".into()))?;
        done_rx
            .await
            .map_err(|_| StoreError::Invalid("the write queue dropped a job".into()))??;
        value_rx
            .await
            .map_err(|_| StoreError::Invalid("a committed job returned nothing".into()))
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        commit_batch(&db, batch).await;
    }
}

async fn savepoint(tx: &mut Tx, sql: &str) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(sql).execute(&mut *c).await?;
    });
    Ok(())
}

async fn commit_batch(db: &Db, batch: Vec<Pending>) {
    let mut tx = match db.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            let msg = e.to_string();
            for p in batch {
                let _ = p.done.send(Err(StoreError::Invalid(msg.clone())));
            }
            return;
        }
    };
    let single = batch.len() == 1;
    let mut outcomes = Vec::with_capacity(batch.len());
    for p in batch {
        let result = if single {
            (p.job)(&mut tx).await
        } else {
            match savepoint(&mut tx, "SAVEPOINT job").await {
                Err(e) => Err(e),
                Ok(()) => match (p.job)(&mut tx).await {
                    Ok(()) => savepoint(&mut tx, "RELEASE SAVEPOINT job").await,
                    Err(e) => match savepoint(&mut tx, "ROLLBACK TO SAVEPOINT job").await {
                        Ok(()) => savepoint(&mut tx, "RELEASE SAVEPOINT job")
                            .await
                            .and(Err(e)),
                        Err(rollback) => Err(rollback),
                    },
                },
            }
        };
        outcomes.push((p.done, result));
    }
    let all_failed_alone = single && outcomes.iter().any(|(_, r)| r.is_err());
    let commit = if all_failed_alone {
        // Nothing to keep; the transaction is dropped (rolled back).
        Ok(())
    } else {
        tx.commit().await
    };
    match commit {
        Ok(()) => {
            for (done, result) in outcomes {
                let _ = done.send(result);
            }
        }
        Err(e) => {
            let msg = format!("commit failed: {e}");
            tracing::error!(error = %msg, "group commit failed");
            for (done, _) in outcomes {
                let _ = done.send(Err(StoreError::Invalid(msg.clone())));
            }
        }
    }
}
