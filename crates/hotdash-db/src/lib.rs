//! HotDash storage: one [`Store`] trait, implemented once over sqlx's `Any` driver for both
//! backends, SQLite (the default: a WAL file in the data directory) and Postgres (Supabase in
//! production). SQLite's ingest transaction alone runs on rusqlite (see `sql::sqlite_ingest`).
//!
//! Start with [`Store`] for what the rest of HotDash may ask of storage, [`rows`] for the types
//! that cross the boundary, and [`sql`] for how each operation maps to SQL. Dialect differences
//! are few and local (`FOR UPDATE SKIP LOCKED`, durability pragmas); each backend has its own
//! migrations under `migrations/`. The same test suite (`tests/store.rs`) runs against both.

pub mod rows;
pub mod sql;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use rows::*;
pub use sql::{ConnectOptions, SqlStore, connect, gold_reply_resource_key};
pub use store::Store;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names, from its scheme.
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Storage errors. Messages never contain the database URL (it may hold a password).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("database URL must start with sqlite: or postgres:")]
    UnsupportedUrl,
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// From SQLite's ingest connection (see `sql::sqlite_ingest`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the SQLite ingest connection is closed")]
    IngestClosed,
    #[error("the SQLite ingest transaction panicked (a bug); it was rolled back")]
    IngestPanicked,
    #[error("starting the SQLite ingest thread failed: {0}")]
    IngestThread(std::io::Error),
    #[error(
        "an in-memory SQLite database cannot be shared by HotDash's connections; name a file (sqlite://data/hotdash.db)"
    )]
    InMemorySqlite,
    #[error("syncing the database log to disk failed: {0}")]
    Sync(std::io::Error),
}

pub type DbResult<T> = Result<T, DbError>;
