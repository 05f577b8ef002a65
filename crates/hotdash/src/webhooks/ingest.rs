//! Group commit: handlers hand verified deliveries (and rejections) to [`Ingestor`], whose writer
//! tasks store everything that arrived while the previous transaction held the store in one
//! durable transaction, then answer every waiting handler. One fsync thus acknowledges a whole
//! batch, so durability costs latency of one commit, not throughput. A full queue answers
//! `Overloaded` at once (the sender retries) instead of letting latency grow without bound.
//!
//! A writer gathers its batch only once it holds a transaction slot, and gives the slot back as
//! soon as the store says the next transaction may begin ([`Store::ingest_pipelined`]), before
//! its own fsync and answers. On SQLite (one slot: one writer) the batch is thus all
//! that arrived during the previous transaction, not what happened to be queued when a writer
//! came free and then waited for the connection; batches grew from ~39 to ~53 deliveries under
//! 128 concurrent senders and throughput with them (docs/benchmarks.md).

use std::sync::Arc;
use std::time::Instant;

use hotdash_db::{IngestOutcome, JobSpec, NewRejection, NewWebhookEvent, Store};
use tokio::sync::{Mutex, Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;

use crate::metrics;

/// Why a delivery could not be stored. Neither is the sender's fault: both ask for a retry.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    #[error("ingest queue is full")]
    Overloaded,
    #[error("the store failed to commit the batch")]
    Store,
}

enum Item {
    Event(
        Box<NewWebhookEvent>,
        oneshot::Sender<Result<IngestOutcome, IngestError>>,
    ),
    Rejection(Box<NewRejection>, oneshot::Sender<()>),
}

/// The handle handlers submit to. Cloning is cheap; writers stop when every handle is dropped.
#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<Item>,
}

impl Ingestor {
    /// Starts `writers` writer tasks on `store`, at most `transactions` of them inside the store
    /// at once. Each commits at most `batch_max` items at a time.
    pub fn start(
        store: Arc<dyn Store>,
        job: JobSpec,
        writers: usize,
        transactions: usize,
        batch_max: usize,
        capacity: usize,
    ) -> (Self, JoinSet<()>) {
        let (tx, rx) = mpsc::channel(capacity);
        let gate = Arc::new(Gate {
            queue: Mutex::new(rx),
            slots: Semaphore::new(transactions.max(1)),
        });
        let job = Arc::new(job);
        let mut tasks = JoinSet::new();
        for _ in 0..writers.max(1) {
            tasks.spawn(write_loop(
                store.clone(),
                job.clone(),
                gate.clone(),
                batch_max,
            ));
        }
        (Self { tx }, tasks)
    }

    /// Stores `event` durably; returns once it is committed (or found to be a duplicate).
    pub async fn submit(&self, event: NewWebhookEvent) -> Result<IngestOutcome, IngestError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .try_send(Item::Event(Box::new(event), done))
            .map_err(|_| IngestError::Overloaded)?;
        wait.await.unwrap_or(Err(IngestError::Store))
    }

    /// Records a rejection. Best effort: when the queue is full the record is dropped and
    /// counted, so a flood of bad requests cannot delay good ones.
    pub async fn reject(&self, rejection: NewRejection) {
        let (done, wait) = oneshot::channel();
        if self
            .tx
            .try_send(Item::Rejection(Box::new(rejection), done))
            .is_err()
        {
            metrics::rejection_record_dropped();
            return;
        }
        let _ = wait.await;
    }
}

/// What writers share: the queue they gather from and the store's transaction slots.
struct Gate {
    queue: Mutex<mpsc::Receiver<Item>>,
    slots: Semaphore,
}

async fn write_loop(store: Arc<dyn Store>, job: Arc<JobSpec>, gate: Arc<Gate>, batch_max: usize) {
    let mut items = Vec::with_capacity(batch_max);
    loop {
        let Ok(slot) = gate.slots.acquire().await else {
            return; // never closed; a closed semaphore would mean shutdown too
        };
        if gate
            .queue
            .lock()
            .await
            .recv_many(&mut items, batch_max)
            .await
            == 0
        {
            return; // every Ingestor handle is gone: shutdown
        }
        // Released by the store once the next transaction may begin, or at the latest when
        // this batch is done (an error before the commit never calls back).
        let slot = std::sync::Mutex::new(Some(slot));
        let write_free = || {
            if let Ok(mut held) = slot.lock() {
                held.take();
            }
        };
        commit(store.as_ref(), &job, &mut items, &write_free).await;
    }
}

async fn commit(
    store: &dyn Store,
    job: &JobSpec,
    items: &mut Vec<Item>,
    write_free: &(dyn Fn() + Send + Sync),
) {
    let mut events = Vec::new();
    let mut rejections = Vec::new();
    let mut event_waiters = Vec::new();
    let mut rejection_waiters = Vec::new();
    for item in items.drain(..) {
        match item {
            Item::Event(event, done) => {
                events.push(*event);
                event_waiters.push(done);
            }
            Item::Rejection(rejection, done) => {
                rejections.push(*rejection);
                rejection_waiters.push(done);
            }
        }
    }
    let started = Instant::now();
    #[cfg(feature = "bench-ceiling")]
    if ceiling::discarding() {
        for done in event_waiters {
            let _ = done.send(Ok(ceiling::accepted()));
        }
        return;
    }
    let batch_size = events.len() + rejections.len();
    let events_in_batch = events.len();
    let result = store
        .ingest_pipelined(events, rejections, job, write_free)
        .await;
    metrics::ingest_batch(batch_size, started.elapsed());
    match result {
        Ok(outcomes) => {
            for (done, outcome) in event_waiters.into_iter().zip(outcomes) {
                let _ = done.send(Ok(outcome));
            }
        }
        Err(error) => {
            tracing::error!(error = %error, batch = events_in_batch, "Failed to store a webhook batch; senders will retry");
            for done in event_waiters {
                let _ = done.send(Err(IngestError::Store));
            }
        }
    }
    for done in rejection_waiters {
        let _ = done.send(());
    }
}

/// The benchmark's ceiling: the same server answering without storing anything, to show what
/// durability costs. Compiled only with the `bench-ceiling` feature (`bench/ingest.sh ceiling`),
/// and even then only with `BENCH_DISCARD_DELIVERIES=1`, so no shipped binary can ever
/// acknowledge a delivery it did not store.
#[cfg(feature = "bench-ceiling")]
mod ceiling {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicI64, Ordering};

    use hotdash_db::IngestOutcome;

    pub(super) fn discarding() -> bool {
        static DISCARD: OnceLock<bool> = OnceLock::new();
        *DISCARD.get_or_init(|| {
            let on = std::env::var("BENCH_DISCARD_DELIVERIES").as_deref() == Ok("1");
            if on {
                tracing::warn!("bench-ceiling: deliveries are acknowledged WITHOUT being stored");
            }
            on
        })
    }

    pub(super) fn accepted() -> IngestOutcome {
        static NEXT: AtomicI64 = AtomicI64::new(1);
        IngestOutcome::Accepted {
            event_id: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }
}
