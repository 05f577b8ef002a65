//! SQLite WAL checkpoints off the commit path. By default SQLite checkpoints inside whichever
//! commit pushes the log past 1,000 pages: under webhook load that is a commit every few dozen
//! milliseconds that also copies 4 MB into the database file, while every delivery in that batch
//! waits for its 2xx (13% of the writer thread in a perf profile). Here a task with a connection
//! of its own runs passive checkpoints (which never block the writer) every 20 ms, so
//! the writer's own automatic checkpoint, raised to `WRITER_AUTOCHECKPOINT_PAGES`, finds little
//! left to copy and still rewinds the log to keep the file bounded. Truncating checkpoints from
//! here were measured to stall the writer (p99 ~60 ms) and are not used.
//!
//! A pass every 200 ms instead was tried twice (docs/benchmarks.md): in alternating runs at
//! 5,000/s it had fewer runs with p99 over 20 ms (0 of 18 against 3 of 18), but it cost 3–6 % of
//! saturated throughput and ~10 ms of saturated p99 every time, and sets of the benchmark script
//! on it still stalled when the disk had a bad spell. Not kept.

use std::time::Duration;

use sqlx::{AnyConnection, Connection, Executor};
use tokio::task::JoinHandle;

use crate::DbResult;

/// How often the log is checkpointed: often enough that each pass copies little.
const INTERVAL: Duration = Duration::from_millis(20);

/// The write connections' automatic checkpoint threshold (pages). While the background task
/// keeps up, that checkpoint only has the last few milliseconds of frames to copy. With 8 KiB
/// pages (see `sqlite_pool`) this bounds the log at about 32 MB.
pub(super) const WRITER_AUTOCHECKPOINT_PAGES: i64 = 4000;

/// The background checkpointer; stops when dropped (with the store).
pub(super) struct Checkpointer {
    task: JoinHandle<()>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts checkpointing the SQLite database at `url` on a connection of its own.
pub(super) async fn start(url: &str) -> DbResult<Checkpointer> {
    let mut conn = AnyConnection::connect(url).await?;
    conn.execute("PRAGMA busy_timeout = 10000").await?;
    let task = tokio::spawn(async move {
        let mut interval = tokio::time::interval(INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(error) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
                // The writer's own automatic checkpoint still bounds the log meanwhile.
                tracing::warn!(error = %error, "Background WAL checkpoint failed; retrying");
            }
        }
    });
    Ok(Checkpointer { task })
}
