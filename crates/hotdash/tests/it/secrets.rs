//! Configured secrets never appear in `check-config` output or in any log the binary writes,
//! even at debug level and across every verification path.

use hotdash_db::testing::TestDb;

use crate::support::*;

const DB_PASSWORD: &str = "pg-password-not-for-logs";

fn all_secrets() -> Vec<&'static str> {
    vec![
        SHOPIFY_SECRET,
        SHOPIFY_OLD_SECRET,
        CHATWOOT_SECRET,
        GOLD_TOKEN,
        GOLD_SIGNING_SECRET,
        DB_PASSWORD,
    ]
}

fn assert_clean(what: &str, text: &str) {
    for secret in all_secrets() {
        assert!(
            !text.contains(secret),
            "{what} contains the secret {secret}:\n{text}"
        );
    }
}

#[test]
fn check_config_redacts_every_secret() {
    let mut env = secret_env();
    env.push((
        "HOTDASH_DATABASE__URL".into(),
        format!("postgres://hotdash:{DB_PASSWORD}@db.internal:5432/hotdash"),
    ));
    let out = hotdash_cli(&["check-config"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("**redacted**"), "{stdout}");
    assert!(
        stdout.contains("postgres://hotdash:**redacted**@db.internal:5432/hotdash"),
        "{stdout}"
    );
    assert_clean("check-config stdout", &stdout);
    assert_clean("check-config stderr", &String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_config_error_does_not_echo_the_database_url() {
    let mut env = secret_env();
    env.push((
        "HOTDASH_DATABASE__URL".into(),
        format!("mysql://root:{DB_PASSWORD}@db/x"),
    ));
    let out = hotdash_cli(&["check-config"], &env);
    assert_eq!(out.status.code(), Some(2));
    assert_clean("config error", &String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_secrets() {
    let db = TestDb::new().await;
    let mut hub = HotdashProcess::start(
        db.url(),
        &[
            ("RUST_LOG", "debug"),
            ("HOTDASH_WEBHOOKS__REJECTION_LOG_INTERVAL_SECS", "0"),
        ],
    );
    let client = reqwest::Client::new();
    let now = now_secs();
    let order = order_body(1, "2026-11-22T10:00:00Z", "paid");
    let requests = [
        (
            "shopify",
            shopify("orders/create", "s-1", &order, SHOPIFY_SECRET),
        ),
        (
            "shopify",
            shopify("orders/create", "s-2", &order, "shpss_wrong"),
        ),
        (
            "shopify",
            shopify("orders/create", "s-3", r#"{"id":"x"}"#, SHOPIFY_SECRET),
        ),
        ("chatwoot", chatwoot(Some("c-1"), CHATWOOT_MESSAGE, now)),
        (
            "chatwoot",
            chatwoot(Some("c-2"), CHATWOOT_MESSAGE, now - 3600),
        ),
        ("gold-replies", gold("g-1", &gold_body(1), now)),
        (
            "gold-replies",
            gold("g-2", &gold_body(2), now).set("Authorization", &format!("Bearer {GOLD_TOKEN}x")),
        ),
        ("gold-replies", gold("g-3", "{}", now)),
    ];
    for (source, req) in requests {
        post_to(&client, &hub.url(&format!("/webhooks/{source}")), req).await;
    }
    // Let the workers process (and fail) what was accepted, then stop gracefully.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let status = hub.terminate();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    let log = hub.log();
    assert!(
        log.contains("Rejected a shopify webhook"),
        "the suite must capture real log output:\n{log}"
    );
    assert_clean("the server log", &log);
}
