//! The CLI's contract: exit codes (0 ok, 1 runtime failure, 2 bad usage or config), config errors
//! that name the key, and `webhooks list|show|replay` against a real database.

use hotdash_db::testing::TestDb;

use crate::support::*;

fn db_env(db: &TestDb) -> Vec<(String, String)> {
    vec![("HOTDASH_DATABASE__URL".into(), db.url().to_owned())]
}

#[test]
fn bad_usage_and_bad_config_exit_2_naming_the_problem() {
    let out = hotdash_cli(&["no-such-command"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = hotdash_cli(
        &["check-config"],
        &[("HOTDASH_SERVER__LISTEN".into(), "not-an-address".into())],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("server.listen") && stderr.contains("HOTDASH_SERVER__LISTEN"),
        "{stderr}"
    );
    let out = hotdash_cli(
        &["check-config"],
        &[("HOTDASH_WEBHOOKS__CHATWOOT__ACCOUNT_ID".into(), "0".into())],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("webhooks.chatwoot.account_id"), "{stderr}");
    let out = hotdash_cli(
        &["--config", "/nonexistent/hotdash.toml", "check-config"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = hotdash_cli(&["version"], &[]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("hotdash "));
}

#[test]
fn an_unreachable_database_is_a_runtime_failure() {
    let out = hotdash_cli(
        &["migrate"],
        &[(
            "HOTDASH_DATABASE__URL".into(),
            "postgres://nobody@127.0.0.1:1/none".into(),
        )],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn webhooks_list_show_and_replay_work_on_the_stored_deliveries() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        let body = order_body(500 + i, "2026-11-22T10:00:00Z", "paid");
        app.post(
            "shopify",
            shopify("orders/create", &format!("cli-{i}"), &body, SHOPIFY_SECRET),
        )
        .await;
    }
    app.post(
        "chatwoot",
        chatwoot(Some("cli-cw"), CHATWOOT_MESSAGE, now_secs()),
    )
    .await;
    app.run_jobs().await;
    let env = db_env(&app.db);

    let out = hotdash_cli(&["webhooks", "list", "--source", "shopify", "--json"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l["source"] == "shopify" && l["status"] == "processed")
    );

    let out = hotdash_cli(
        &[
            "webhooks",
            "list",
            "--topic",
            "message_created",
            "--since",
            "1h",
        ],
        &env,
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("cli-cw") && !table.contains("cli-0"),
        "{table}"
    );

    let id = lines[0]["id"].as_i64().unwrap().to_string();
    let out = hotdash_cli(&["webhooks", "show", &id, "--body"], &env);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("\"topic\": \"orders/create\"") && shown.contains("HRA-FIT-AN6"),
        "{shown}"
    );
    assert_eq!(
        hotdash_cli(&["webhooks", "show", "999999"], &env)
            .status
            .code(),
        Some(2)
    );

    let out = hotdash_cli(
        &["webhooks", "replay", "--source", "shopify", "--dry-run"],
        &env,
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("would replay 3"));
    let out = hotdash_cli(&["webhooks", "replay", "--source", "shopify"], &env);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("queued 3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.run_jobs().await, 3);
    assert_eq!(
        hotdash_cli(&["webhooks", "replay", "--status", "bogus"], &env)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        hotdash_cli(&["webhooks", "list", "--since", "yesterday"], &env)
            .status
            .code(),
        Some(2)
    );
    app.shutdown().await;
}

#[test]
fn sim_exports_the_same_store_for_the_same_seed_and_refuses_bad_flags() {
    let export = |seed: &str| {
        let out = hotdash_cli(
            &[
                "sim",
                "--seed",
                seed,
                "--now",
                "2026-11-01T00:00:00Z",
                "--export-truth",
                "-",
            ],
            &[],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let first = export("7");
    assert_eq!(first, export("7"), "same seed, same store");
    assert_ne!(first, export("8"), "another seed, another store");
    let text = String::from_utf8(first).expect("JSON lines are UTF-8");
    let kinds: std::collections::BTreeSet<String> = text
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
            value["kind"].as_str().expect("a kind").to_owned()
        })
        .collect();
    for kind in [
        "order",
        "product",
        "inventory_level",
        "conversation",
        "traffic_row",
    ] {
        assert!(kinds.contains(kind), "{kind} missing from {kinds:?}");
    }

    for args in [
        &["sim", "--now", "yesterday", "--export-truth", "-"][..],
        &["sim", "--live=-3"][..],
        &["sim", "--scale", "huge"][..],
        &["sim", "--fault", "paypal:outage=true"][..],
        &["sim", "--fault", "shopify:error_rate=lots"][..],
        &["sim", "--fault", "ga4@soon:outage=true"][..],
    ] {
        let out = hotdash_cli(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    // Webhooks to HotDash need the secret HotDash verifies with.
    let out = hotdash_cli(&["sim", "--webhooks-to", "http://127.0.0.1:9"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("webhooks.shopify.secrets"), "{stderr}");
}
