//! The crash test: the real binary receives a stream of signed webhooks, is killed with SIGKILL
//! mid-stream and restarted; every delivery that got a 2xx is present and processed exactly once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotdash_db::WebhookFilter;
use hotdash_db::testing::TestDb;
use tokio::sync::Mutex;

use crate::support::*;

const LEASE: &[(&str, &str)] = &[("HOTDASH_JOBS__LEASE_SECS", "2")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_loses_no_acknowledged_delivery() {
    let db = TestDb::new().await;
    // A short lease, so the jobs the killed process held are reclaimed quickly after restart.
    let mut hub = HotdashProcess::start(db.url(), LEASE);
    let client = reqwest::Client::new();
    let acked = Arc::new(Mutex::new(Vec::<(String, u64)>::new()));

    // Eight senders stream deliveries until the process dies under them.
    let mut senders = Vec::new();
    for sender in 0..8u64 {
        let (client, acked, url) = (client.clone(), acked.clone(), hub.url("/webhooks/shopify"));
        senders.push(tokio::spawn(async move {
            for n in 0..10_000u64 {
                let order_id = sender * 1_000_000 + n;
                let id = format!("crash-{order_id}");
                let req = shopify(
                    "orders/create",
                    &id,
                    &order_body(order_id, "2026-11-22T10:00:00Z", "paid"),
                    SHOPIFY_SECRET,
                );
                match send_to(&client, &url, req).await {
                    Ok(resp) if resp.status().is_success() => {
                        acked.lock().await.push((id, order_id))
                    }
                    Ok(resp) => panic!("unexpected status {} before the crash", resp.status()),
                    Err(_) => return, // the hub is gone
                }
            }
        }));
    }
    // Kill once a few hundred deliveries are acknowledged (and some are being processed).
    let started = Instant::now();
    while acked.lock().await.len() < 400 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    hub.kill();
    for sender in senders {
        sender.await.expect("sender task");
    }
    let acked = acked.lock().await.clone();
    assert!(
        acked.len() >= 400,
        "only {} deliveries were acknowledged before the kill",
        acked.len()
    );

    // Restart on the same database; the workers finish whatever was pending.
    let hub = HotdashProcess::start(db.url(), LEASE);
    let store = db.store();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stats = store
            .queue_stats("webhooks", hotdash::now_ms())
            .await
            .unwrap();
        if stats.depth == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "queue did not drain after restart: {stats:?}\n{}",
            hub.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let stored = store
        .list_webhook_events(&WebhookFilter {
            limit: Some(1_000_000),
            ..Default::default()
        })
        .await
        .unwrap();
    let stored_ids: HashSet<&str> = stored.iter().map(|e| e.delivery_id.as_str()).collect();
    assert_eq!(
        stored_ids.len(),
        stored.len(),
        "each delivery is stored once"
    );
    for (id, order_id) in &acked {
        assert!(
            stored_ids.contains(id.as_str()),
            "acknowledged delivery {id} was lost"
        );
        let order = store
            .order(&format!("gid://shopify/Order/{order_id}"))
            .await
            .unwrap();
        assert!(
            order.is_some(),
            "acknowledged delivery {id} was never processed"
        );
    }
    for event in &stored {
        assert_eq!(
            event.status, "processed",
            "delivery {} ended {}",
            event.delivery_id, event.status
        );
        assert_eq!(event.duplicate_count, 0);
    }

    // Shopify retries what it thinks failed; everything acknowledged is a duplicate now.
    let client = reqwest::Client::new();
    for (id, order_id) in acked.iter().take(20) {
        let req = shopify(
            "orders/create",
            id,
            &order_body(*order_id, "2026-11-22T10:00:00Z", "paid"),
            SHOPIFY_SECRET,
        );
        let reply: serde_json::Value = post_to(&client, &hub.url("/webhooks/shopify"), req)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(reply["status"], "duplicate");
    }
    let after = store
        .list_webhook_events(&WebhookFilter {
            limit: Some(1_000_000),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(after.len(), stored.len());
}
