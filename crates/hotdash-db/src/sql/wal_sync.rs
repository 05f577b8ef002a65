//! Group fsync of SQLite's write-ahead log, off the writing connection: the pipelined form of
//! `synchronous=FULL` for ingest.
//!
//! In WAL mode, `synchronous=FULL` means one thing more than `NORMAL`: the commit fsyncs the log
//! before it returns. Ingest commits at `NORMAL` instead, hands the write lock straight to the
//! next batch, and only then fsyncs the log file here, acknowledging nothing until that
//! fsync (covering its commit) has returned. The durability of every acknowledged delivery is
//! that of FULL (its frames are on disk before its 2xx; checkpoints sync the log before copying
//! it and the database file after, at NORMAL as at FULL), but the fsync of one batch now
//! overlaps the inserts of the next instead of stalling the only writer, and one fsync covers
//! every commit that finished before it started. SQLite cannot do this itself: its commit and
//! its sync are one call on one connection.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::{DbError, DbResult};

/// One database's log syncer. Shared by every ingest commit on the store.
pub(super) struct WalSync {
    wal: PathBuf,
    /// Commits that have returned so far; a sync that starts after a commit covers it.
    committed: AtomicU64,
    /// Set by a failed fsync: Linux may drop the unwritten pages and report success next time,
    /// so after one failure no later sync can vouch for earlier commits (Postgres panics for
    /// the same reason). Every later ingest fails until the process restarts and SQLite
    /// recovers the log.
    failed: AtomicBool,
    /// Held while a sync runs, so concurrent callers wait for it instead of issuing their own.
    state: tokio::sync::Mutex<Synced>,
}

struct Synced {
    /// Every commit up to this count is on disk.
    through: u64,
    /// The log file last synced. SQLite deletes the log when its last connection closes and
    /// recreates it later; a new file's directory entry must reach the disk too.
    inode: Option<u64>,
}

impl WalSync {
    /// For the database file at `db` (as `PRAGMA database_list` reports it).
    pub(super) fn new(db: &str) -> Self {
        Self {
            wal: PathBuf::from(format!("{db}-wal")),
            committed: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            state: tokio::sync::Mutex::new(Synced {
                through: 0,
                inode: None,
            }),
        }
    }

    /// Returns once the ingest commit that just returned (on `sqlite_ingest`'s connection) is on
    /// disk.
    pub(super) async fn commit_durable(&self) -> DbResult<()> {
        let mine = self.committed.fetch_add(1, Ordering::SeqCst) + 1;
        let mut state = self.state.lock().await;
        self.check_failed()?;
        if state.through >= mine {
            return Ok(()); // a sync that started after our commit has finished meanwhile
        }
        let target = self.committed.load(Ordering::SeqCst);
        let wal = self.wal.clone();
        let known = state.inode;
        let synced = tokio::task::spawn_blocking(move || sync_log(&wal, known))
            .await
            .map_err(|join| DbError::Sync(std::io::Error::other(join)))?;
        match synced {
            Ok(inode) => {
                state.through = target;
                state.inode = inode;
                Ok(())
            }
            Err(error) => {
                self.failed.store(true, Ordering::SeqCst);
                tracing::error!(error = %error, "fsync of the SQLite log failed; ingest stops until restart");
                Err(DbError::Sync(error))
            }
        }
    }

    fn check_failed(&self) -> DbResult<()> {
        if self.failed.load(Ordering::SeqCst) {
            return Err(DbError::Sync(std::io::Error::other(
                "an earlier fsync of the SQLite log failed",
            )));
        }
        Ok(())
    }
}

/// fdatasync of the log file (any descriptor of the file flushes its pages), and of its
/// directory when the file is new to us. No file means SQLite checkpointed it fully into the
/// database (synced) and removed it: nothing is left to sync.
fn sync_log(wal: &std::path::Path, known: Option<u64>) -> std::io::Result<Option<u64>> {
    let file = match File::open(wal) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    file.sync_data()?;
    let inode = file.metadata()?.ino();
    if known != Some(inode)
        && let Some(dir) = wal.parent()
    {
        let dir = if dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            dir
        };
        File::open(dir)?.sync_all()?;
    }
    Ok(Some(inode))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn concurrent_commits_all_become_durable_with_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hotdash.db");
        std::fs::write(format!("{}-wal", db.display()), b"frames").unwrap();
        let sync = Arc::new(WalSync::new(db.to_str().unwrap()));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let sync = sync.clone();
            tasks.spawn(async move { sync.commit_durable().await });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap().unwrap();
        }
        let state = sync.state.lock().await;
        assert_eq!(
            state.through, 16,
            "every commit is covered by a finished sync"
        );
        assert!(state.inode.is_some(), "the log file was synced");
    }

    #[tokio::test]
    async fn a_removed_log_has_nothing_left_to_sync() {
        let dir = tempfile::tempdir().unwrap();
        let sync = WalSync::new(dir.path().join("gone.db").to_str().unwrap());
        sync.commit_durable().await.unwrap();
        assert_eq!(sync.state.lock().await.inode, None);
    }

    #[tokio::test]
    async fn after_a_failed_sync_nothing_more_is_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let sync = WalSync::new(dir.path().join("hotdash.db").to_str().unwrap());
        sync.failed.store(true, Ordering::SeqCst);
        let error = sync.commit_durable().await.unwrap_err();
        assert!(error.to_string().contains("earlier fsync"), "{error}");
    }
}
