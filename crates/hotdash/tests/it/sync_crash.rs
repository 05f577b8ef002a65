//! `hotdash sync` killed with SIGKILL in the middle of an orders backfill: the restarted sync
//! resumes the same bulk operation from its checkpoint (no new operation, orders already
//! stored are not stored again) and ends in parity with the simulated shop.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hotdash_db::Store;
use hotdash_sim::world::Scale;

use crate::sync_shopify::shopify_config;

fn sync_command(db_url: &str, sims: &hotdash_sim::suite::Simulators) -> Command {
    let config = shopify_config(sims);
    let mut command = Command::new(env!("CARGO_BIN_EXE_hotdash"));
    command
        .args(["sync", "shopify_main", "--full", "--stream", "orders"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOTDASH_DATABASE__URL", db_url)
        .env("HOTDASH_CONNECTORS__SHOPIFY_MAIN__TYPE", "shopify")
        .env(
            "HOTDASH_CONNECTORS__SHOPIFY_MAIN__SHOP_DOMAIN",
            &config.shop_domain,
        )
        .env(
            "HOTDASH_CONNECTORS__SHOPIFY_MAIN__ACCESS_TOKEN",
            config.access_token.expose(),
        )
        .env(
            "HOTDASH_CONNECTORS__SHOPIFY_MAIN__API_BASE_URL",
            config.api_base_url.clone().unwrap_or_default(),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Orders the interrupted backfill had stored, from its checkpoint.
async fn stored_by_checkpoint(store: &dyn Store) -> Option<(String, u64)> {
    let cursor = store.sync_cursor("shopify_main", "orders").await.ok()??;
    let page: serde_json::Value = serde_json::from_str(cursor.page_cursor.as_deref()?).ok()?;
    (page["bulk"] == "reading").then(|| {
        (
            page["op"].as_str().unwrap_or("").to_owned(),
            page["done"].as_u64().unwrap_or(0),
        )
    })
}

#[tokio::test]
async fn a_killed_backfill_resumes_from_its_checkpoint_and_reaches_parity() {
    let sims = crate::sync_shopify::simulators(Scale::Medium, None).await;
    let db = crate::sync_support::database().await;
    let store = db.store();

    let started = Instant::now();
    let mut child = sync_command(db.url(), &sims)
        .spawn()
        .expect("hotdash sync starts");
    let deadline = Instant::now() + Duration::from_secs(240);
    let (op, done) = loop {
        if let Some((op, done)) = stored_by_checkpoint(&*store).await
            && done >= 2_000
        {
            break (op, done);
        }
        assert!(Instant::now() < deadline, "the backfill never got going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "hotdash sync ended before it was killed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let total = sims.world.read().unwrap().order_count();
    assert!(done < total, "killed mid-backfill: {done} of {total}");

    let output = tokio::task::spawn_blocking({
        let mut command = sync_command(db.url(), &sims);
        move || command.output().expect("hotdash sync runs")
    })
    .await
    .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    eprintln!("killed and resumed backfill: {:?}", started.elapsed());
    assert!(output.status.success(), "the resumed sync failed:\n{log}");
    assert!(log.contains("Resuming an interrupted pass"), "{log}");
    assert!(
        !log.contains("Started the orders bulk operation"),
        "a new bulk operation was started:\n{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("Read the bulk result") && l.contains(&op)),
        "the result of {op} was read again:\n{log}"
    );
    // The resumed run stored only what the killed one had not.
    let runs = store.sync_runs(Some("shopify_main"), 100).await.unwrap();
    let resumed = runs
        .iter()
        .find(|r| r.stream == "orders" && r.status == "ok")
        .expect("the resumed orders run finished");
    assert_eq!(resumed.items as u64, total - done, "{resumed:?}");
    // Only the orders stream ran: its tables match the shop.
    crate::sync_shopify::assert_order_parity(&sims.world, &*store).await;
}
