//! Shared pieces of the sync tests.

use hotdash_db::testing::TestDb;

/// A fresh database on the backend the suite runs against (CI's Postgres run must not
/// silently use SQLite).
pub async fn database() -> TestDb {
    let db = TestDb::new().await;
    if let Ok(expected) = std::env::var("HOTDASH_TEST_EXPECT_BACKEND") {
        assert_eq!(
            db.backend().as_str(),
            expected,
            "not on the backend CI asked for"
        );
    }
    db
}
