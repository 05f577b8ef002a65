//! [`TestDb`]: a fresh, migrated database per test. A unique SQLite file by default; a new
//! Postgres database when `HOTDASH_TEST_DATABASE_URL` names a server (CI sets it for the
//! Postgres run). Dropped with the value.

use std::sync::Arc;

use rand::Rng;
use tempfile::TempDir;

use crate::{Backend, ConnectOptions, SqlStore, Store, connect};

/// The variable CI sets to run the suites against Postgres: an admin URL to a server where the
/// user may `CREATE DATABASE`.
pub const TEST_DATABASE_URL_VAR: &str = "HOTDASH_TEST_DATABASE_URL";

/// A migrated database that exists for one test.
pub struct TestDb {
    url: String,
    store: Arc<SqlStore>,
    postgres: Option<PostgresTestDatabase>,
    // Last: the SQLite file must outlive the pools.
    _dir: Option<TempDir>,
}

struct PostgresTestDatabase {
    admin_url: String,
    name: String,
}

impl TestDb {
    /// Creates and migrates a fresh database on the backend the environment selects.
    ///
    /// # Panics
    /// If the database cannot be created: a test cannot run without one.
    pub async fn new() -> Self {
        match std::env::var(TEST_DATABASE_URL_VAR) {
            Ok(admin_url) if !admin_url.is_empty() => Self::postgres(admin_url).await,
            _ => Self::sqlite().await,
        }
    }

    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir for the test database");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("hotdash.db").display()
        );
        let store = connect(&url, &ConnectOptions::default())
            .await
            .expect("open test SQLite");
        store.migrate().await.expect("migrate test SQLite");
        Self {
            url,
            store,
            postgres: None,
            _dir: Some(dir),
        }
    }

    async fn postgres(admin_url: String) -> Self {
        let name = format!("hotdash_test_{:016x}", rand::rng().random::<u64>());
        let admin = connect(
            &admin_url,
            &ConnectOptions {
                max_connections: 1,
                ..Default::default()
            },
        )
        .await
        .expect("connect to the Postgres test server");
        admin
            .execute_raw(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await;
        let url = with_database(&admin_url, &name);
        let store = connect(&url, &ConnectOptions::default())
            .await
            .expect("open test database");
        store.migrate().await.expect("migrate test database");
        Self {
            url,
            store,
            postgres: Some(PostgresTestDatabase { admin_url, name }),
            _dir: None,
        }
    }

    /// The database URL, for a HotDash process under test.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(pg) = self.postgres.take() else {
            return;
        };
        // Drop may run inside a runtime; a helper thread with its own runtime can block safely.
        let handle = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let Ok(runtime) = runtime else { return };
            runtime.block_on(async move {
                if let Ok(admin) = connect(
                    &pg.admin_url,
                    &ConnectOptions {
                        max_connections: 1,
                        ..Default::default()
                    },
                )
                .await
                {
                    let _ = admin
                        .execute_raw(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name))
                        .await;
                    admin.close().await;
                }
            });
        });
        let _ = handle.join();
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database_name() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "t1"),
            "postgres://u:p@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "t1"),
            "postgres://h/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
    }
}
