//! The Shopify connector against the Shopify simulator, through the real runner into a real
//! database: a bulk backfill equals the simulated store; a pass through 30 % faults and a
//! 60-second outage still ends in parity; a download slower than the request timeout is still
//! read; dropped webhooks are found and counted by the reconcile pass; a steady incremental run
//! on the Standard plan is never throttled; missing scopes are reported instead of hidden;
//! subscriptions are kept pointing at HotDash.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use hotdash::connectors::shopify::ShopifyConfig;
use hotdash::connectors::{Connector, RequestSettings};
use hotdash::sync::{PassReport, SyncOptions, run_pass};
use hotdash_db::Store;
use hotdash_sim::chaos::Faults;
use hotdash_sim::shopify::Plan;
use hotdash_sim::shopify::webhooks::WebhookFaults;
use hotdash_sim::suite::{Simulators, SuiteConfig, WebhookTarget};
use hotdash_sim::world::model::{decimal, gid};
use hotdash_sim::world::{Scale, SharedWorld};
use rand::SeedableRng;
use time::OffsetDateTime;

use crate::support::{SHOPIFY_SECRET, TestApp};

pub fn shopify_config(sims: &Simulators) -> ShopifyConfig {
    let toml = format!(
        "shop_domain = \"hot-rod-an.myshopify.com\"\naccess_token = \"{}\"\napi_base_url = \"{}\"\n",
        sims.shopify.access_token(),
        sims.shopify.url()
    );
    let mut config: ShopifyConfig = toml::from_str(&toml).expect("a minimal config parses");
    config.request = RequestSettings {
        timeout_secs: 2,
        ..RequestSettings::default()
    };
    config
}

fn connector(config: &ShopifyConfig) -> Arc<dyn Connector> {
    Arc::new(config.build("shopify_main").expect("the config builds"))
}

/// Quick retries (the faults are random, not a struggling server), patient enough for a
/// 60-second outage.
fn options(full: bool) -> SyncOptions {
    SyncOptions {
        full,
        retry_attempts: 40,
        retry_initial_backoff_ms: 20,
        retry_max_backoff_secs: 4,
        ..SyncOptions::default()
    }
}

async fn pass(
    store: &Arc<dyn Store>,
    connector: &Arc<dyn Connector>,
    options: &SyncOptions,
) -> PassReport {
    let report = run_pass(store.clone(), connector.clone(), options)
        .await
        .expect("the pass reaches the store");
    for stream in &report.streams {
        assert_eq!(
            stream.error, None,
            "stream {} failed: {stream:?}",
            stream.stream
        );
    }
    report
}

/// The simulators, with the Shopify shop on the Plus plan (1000 points/s): a full paged pass
/// of inventory and products at Standard's 100/s takes minutes, and only the throttling test
/// is about the plan.
pub async fn simulators(scale: Scale, target: Option<WebhookTarget>) -> Simulators {
    let sims = Simulators::start(SuiteConfig {
        seed: 11,
        scale,
        webhooks: target,
        ..SuiteConfig::default()
    })
    .await
    .expect("the simulators start");
    sims.shopify.controls().set_plan(Plan::Plus);
    sims
}

fn cents(amount: &str) -> i64 {
    (amount.parse::<f64>().expect("a decimal amount") * 100.0).round() as i64
}

fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// A dump's rows keyed by their first `key_cols` columns.
async fn dump(store: &dyn Store, table: &str, key_cols: usize) -> HashMap<String, Vec<String>> {
    store
        .dump_table(table)
        .await
        .expect("dump")
        .into_iter()
        .map(|line| {
            let cols: Vec<String> = line.split('|').map(str::to_owned).collect();
            (cols[..key_cols].join("|"), cols)
        })
        .collect()
}

/// What differs between the store and the world: orders (status, totals in both currencies,
/// times), their line items, refunds, fulfilment orders, inventory levels. Empty = parity.
async fn differences(world: &SharedWorld, store: &dyn Store) -> Vec<String> {
    let orders = dump(store, "shopify_orders", 1).await;
    let items = dump(store, "shopify_order_line_items", 1).await;
    let fulfillment_orders = dump(store, "shopify_fulfillment_orders", 1).await;
    let levels = dump(store, "shopify_inventory_levels", 2).await;
    let refunds = dump(store, "shopify_refunds", 1).await;
    let world = world.read().unwrap_or_else(PoisonError::into_inner);
    let mut diffs = Vec::new();
    let mut want_orders = 0;
    let mut want_items = 0;
    let mut want_fos = 0;
    let mut want_refunds = 0;
    for o in world.orders_by_created_at(None, None, None) {
        want_orders += 1;
        let key = gid("Order", o.id);
        let Some(row) = orders.get(&key) else {
            diffs.push(format!("{key} missing"));
            continue;
        };
        let status = serde_json::to_value(o.financial_status).unwrap();
        let want = [
            (1, o.id.to_string()),
            (2, o.name.clone()),
            (3, status.as_str().unwrap().to_owned()),
            (5, o.currency_code.clone()),
            (9, ms(o.created_at).to_string()),
            (10, ms(o.updated_at).to_string()),
            (14, o.presentment_currency_code.clone()),
        ];
        for (col, value) in want {
            if row[col] != value {
                diffs.push(format!("{key} column {col}: {} != {value}", row[col]));
            }
        }
        for (col, value) in [
            (6, o.total_price_cents),
            (8, o.total_discounts_cents),
            (17, o.total_refunded_cents),
            (18, o.total_tax_cents),
            (19, o.total_shipping_cents),
        ] {
            if cents(&row[col]) != value {
                diffs.push(format!(
                    "{key} money column {col}: {} != {}",
                    row[col],
                    decimal(value)
                ));
            }
        }
        for li in &o.line_items {
            want_items += 1;
            let k = gid("LineItem", li.id);
            match items.get(&k) {
                Some(r)
                    if r[1] == key
                        && r[4] == li.quantity.to_string()
                        && cents(&r[5]) == li.unit_price_cents => {}
                other => diffs.push(format!("{k}: {other:?}")),
            }
        }
        for r in &o.refunds {
            want_refunds += 1;
            if !refunds.contains_key(&gid("Refund", r.id)) {
                diffs.push(format!("refund {} missing", r.id));
            }
        }
        for fo in &o.fulfillment_orders {
            want_fos += 1;
            let k = gid("FulfillmentOrder", fo.id);
            let status = serde_json::to_value(fo.status).unwrap();
            match fulfillment_orders.get(&k) {
                Some(r)
                    if r[2] == status.as_str().unwrap()
                        && r[3] == ms(fo.updated_at).to_string() => {}
                other => diffs.push(format!("{k}: {other:?} (want {status})")),
            }
        }
    }
    for (what, want, got) in [
        ("orders", want_orders, orders.len()),
        ("line items", want_items, items.len()),
        ("refunds", want_refunds, refunds.len()),
        ("fulfillment orders", want_fos, fulfillment_orders.len()),
        (
            "inventory levels",
            world.inventory_levels().len(),
            levels.len(),
        ),
    ] {
        if want != got {
            diffs.push(format!("{what}: store has {got}, world {want}"));
        }
    }
    for l in world.inventory_levels() {
        let k = format!(
            "{}|{}",
            gid("InventoryItem", l.inventory_item_id),
            gid("Location", l.location_id)
        );
        let want = [
            l.available,
            ms(l.updated_at),
            l.on_hand,
            l.committed,
            l.incoming,
        ]
        .map(|v| v.to_string());
        match levels.get(&k) {
            Some(r) if r[2..7] == want => {}
            other => diffs.push(format!("level {k}: {other:?} != {want:?}")),
        }
    }
    diffs.truncate(200);
    diffs
}

/// Parity of the orders stream's tables alone (orders, line items, refunds).
pub async fn assert_order_parity(world: &SharedWorld, store: &dyn Store) {
    let diffs: Vec<String> = differences(world, store)
        .await
        .into_iter()
        .filter(|d| !d.contains("evel") && !d.contains("ulfillment"))
        .collect();
    assert!(
        diffs.is_empty(),
        "orders differ from the simulated shop:\n{}",
        diffs.join("\n")
    );
}

async fn assert_parity(world: &SharedWorld, store: &dyn Store) {
    let diffs = differences(world, store).await;
    assert!(
        diffs.is_empty(),
        "store differs from the simulated shop:\n{}",
        diffs.join("\n")
    );
}

#[tokio::test]
async fn a_bulk_backfill_equals_the_medium_shop_and_the_next_pass_pages_only_changes() {
    let sims = simulators(Scale::Medium, None).await;
    let db = crate::sync_support::database().await;
    let store = db.store();
    let connector = connector(&shopify_config(&sims));
    let started = Instant::now();
    let report = pass(&store, &connector, &options(true)).await;
    let orders = report.stream("orders").unwrap();
    assert!(orders.items > 40_000, "{orders:?}");
    assert!(report.stream("inventory_levels").unwrap().items > 0);
    eprintln!("medium full pass: {:?}", started.elapsed());
    for s in &report.streams {
        eprintln!(
            "  {}: {} items, {} pages in {:?}",
            s.stream, s.items, s.pages, s.elapsed
        );
    }
    assert_parity(&sims.world, &*store).await;
    assert!(
        store
            .findings(Some("shopify_main"))
            .await
            .unwrap()
            .is_empty(),
        "a healthy shop has nothing to report"
    );

    // Advance the shop by six hours: the next pass pages through what changed only.
    {
        let mut world = sims.world.write().unwrap_or_else(PoisonError::into_inner);
        let now = world.now() + time::Duration::hours(6);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        world.advance(now, 20.0, &mut rng);
    }
    sims.shopify.controls().reset_stats();
    let report = pass(&store, &connector, &options(false)).await;
    let orders = report.stream("orders").unwrap();
    assert!(
        !orders.full && orders.items > 0 && orders.items < 2_000,
        "{orders:?}"
    );
    assert_parity(&sims.world, &*store).await;
    assert_eq!(sims.shopify.controls().stats().throttled, 0);
}

/// A bulk result that takes longer to arrive than one request timeout (a big file, a slow link,
/// a loaded machine) is still read whole, first time: the timeout bounds API calls and stalls,
/// not downloads.
#[tokio::test]
async fn a_bulk_result_slower_to_download_than_the_request_timeout_still_arrives() {
    let sims = simulators(Scale::Small, None).await;
    let mut settings = sims.shopify.controls().settings();
    settings.download_bytes_per_sec = Some(256 * 1024);
    sims.shopify.controls().set_settings(settings);
    let db = crate::sync_support::database().await;
    let store = db.store();
    let mut config = shopify_config(&sims);
    config.request.timeout_secs = 1;
    let options = SyncOptions {
        streams: vec!["orders".into()],
        ..options(true)
    };
    let report = pass(&store, &connector(&config), &options).await;
    let orders = report.stream("orders").unwrap();
    assert_eq!(orders.retries, 0, "{orders:?}");
    assert!(
        orders.elapsed > Duration::from_secs(2),
        "the download outlasted the timeout: {orders:?}"
    );
    let stored = dump(&*store, "shopify_orders", 1).await.len();
    let world = sims.world.read().unwrap_or_else(PoisonError::into_inner);
    assert_eq!(stored, world.orders_by_created_at(None, None, None).count());
}

#[tokio::test]
async fn faults_and_a_minute_long_outage_still_end_in_parity() {
    let sims = simulators(Scale::Small, None).await;
    let db = crate::sync_support::database().await;
    let store = db.store();
    let connector = connector(&shopify_config(&sims));
    sims.shopify.chaos().set(Faults {
        error_rate: 0.1,
        rate_limit_rate: 0.1,
        timeout_rate: 0.1,
        timeout_secs: 3,
        ..Faults::default()
    });
    // The outage starts with the pass. Starting 2 s in, it could miss most of a fast pass (one
    // full-suite run in six counted only 3 retries once the store's writes got faster). In force
    // from the first request, it answers 503 with `Retry-After: 5` for 60 s, so the stream in
    // flight retries about 12 times before the random faults even begin.
    sims.shopify.chaos().schedule(
        Duration::ZERO,
        Duration::from_secs(60),
        Faults {
            outage: true,
            ..Faults::default()
        },
    );
    let started = Instant::now();
    let report = pass(&store, &connector, &options(true)).await;
    let retries: u64 = report.streams.iter().map(|s| s.retries).sum();
    assert!(retries > 10, "the faults were hit: {retries} retries");
    assert!(
        started.elapsed() >= Duration::from_secs(60),
        "the outage was sat out"
    );
    assert_parity(&sims.world, &*store).await;
}

#[tokio::test]
async fn a_reconcile_pass_counts_and_restores_what_dropped_webhooks_missed() {
    let app = TestApp::spawn().await;
    let sims = simulators(
        Scale::Small,
        Some(WebhookTarget {
            hotdash_url: app.base.clone(),
            shopify_secret: SHOPIFY_SECRET.into(),
            chatwoot_secret: None,
            retry_time_scale: 0.001,
        }),
    )
    .await;
    let store = app.server_store();
    let connector = connector(&shopify_config(&sims));
    let baseline = pass(&store, &connector, &options(true)).await;
    assert_eq!(
        baseline
            .stream("orders")
            .unwrap()
            .reconcile
            .as_ref()
            .unwrap()
            .missed,
        0,
        "the first pass sets the baseline"
    );

    sims.shopify.webhooks.set_faults(WebhookFaults {
        drop_rate: 0.1,
        ..WebhookFaults::default()
    });
    {
        let mut world = sims.world.write().unwrap_or_else(PoisonError::into_inner);
        let now = world.now() + time::Duration::hours(48);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        world.advance(now, 6.0, &mut rng);
    }
    assert!(
        sims.shopify.webhooks.settle(Duration::from_secs(60)).await,
        "deliveries settle"
    );
    app.run_jobs().await;
    let dropped = sims
        .shopify
        .webhooks
        .attempts()
        .iter()
        .filter(|a| a.attempt == 0)
        .count();
    assert!(dropped > 0, "the simulator dropped deliveries");

    // What the store is missing now is exactly what webhooks lost.
    let (stale_orders, stale_levels) = {
        let orders = dump(&*store, "shopify_orders", 1).await;
        let levels = dump(&*store, "shopify_inventory_levels", 2).await;
        let world = sims.world.read().unwrap_or_else(PoisonError::into_inner);
        let stale_orders = world
            .orders_by_created_at(None, None, None)
            .filter(|o| {
                orders
                    .get(&gid("Order", o.id))
                    .is_none_or(|r| r[10] != ms(o.updated_at).to_string())
            })
            .count() as i64;
        let stale_levels = world
            .inventory_levels()
            .iter()
            .filter(|l| {
                let k = format!(
                    "{}|{}",
                    gid("InventoryItem", l.inventory_item_id),
                    gid("Location", l.location_id)
                );
                levels
                    .get(&k)
                    .is_none_or(|r| r[3] != ms(l.updated_at).to_string())
            })
            .count() as i64;
        (stale_orders, stale_levels)
    };
    assert!(
        stale_orders + stale_levels > 0,
        "dropped webhooks left the store behind"
    );

    let report = pass(&store, &connector, &options(false)).await;
    let orders = report.stream("orders").unwrap().reconcile.clone().unwrap();
    let levels = report
        .stream("inventory_levels")
        .unwrap()
        .reconcile
        .clone()
        .unwrap();
    assert_eq!(orders.missed, stale_orders, "{orders:?}");
    assert_eq!(levels.missed, stale_levels, "{levels:?}");
    assert!(
        orders.changes > orders.missed,
        "most changes arrived by webhook: {orders:?}"
    );
    assert_parity(&sims.world, &*store).await;

    // Each missed change is on record as a synthetic event.
    let synthetic = store
        .list_webhook_events(&hotdash_db::WebhookFilter {
            source: Some("shopify".into()),
            topic: Some("orders/updated".into()),
            limit: Some(10_000),
            ..hotdash_db::WebhookFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.delivery_id.starts_with("reconcile:"))
        .count() as i64;
    assert_eq!(synthetic, orders.missed);
    let passes = store
        .reconcile_passes(Some("shopify_main"), 100)
        .await
        .unwrap();
    assert!(
        passes
            .iter()
            .any(|p| p.table_name == "orders" && p.missed == orders.missed)
    );
    drop(sims);
    app.shutdown().await;
}

#[tokio::test]
async fn a_steady_incremental_run_on_the_standard_plan_is_never_throttled() {
    let sims = simulators(Scale::Small, None).await;
    let db = crate::sync_support::database().await;
    let store = db.store();
    let connector = connector(&shopify_config(&sims));
    pass(&store, &connector, &options(true)).await;

    // A day of trading, then incremental passes on Standard (2000 points, 100/s restored):
    // more than a bucket's worth of queries, paced by the limiter alone.
    sims.shopify.controls().set_plan(Plan::Standard);
    sims.shopify.controls().reset_stats();
    {
        let mut world = sims.world.write().unwrap_or_else(PoisonError::into_inner);
        let now = world.now() + time::Duration::hours(24);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        world.advance(now, 6.0, &mut rng);
    }
    pass(&store, &connector, &options(false)).await;
    let stats = sims.shopify.controls().stats();
    assert!(
        stats.requested_cost > 2_000,
        "the run asked for more than a bucket: {stats:?}"
    );
    assert_eq!(stats.throttled, 0, "{stats:?}");
    assert_parity(&sims.world, &*store).await;
}

#[tokio::test]
async fn missing_scopes_are_reported_not_hidden() {
    let sims = simulators(Scale::Small, None).await;
    let db = crate::sync_support::database().await;
    let store = db.store();
    let connector = connector(&shopify_config(&sims));

    // Without read_all_orders: only the last 60 days, and a finding that says so.
    sims.shopify
        .controls()
        .revoke_access_scope("read_all_orders");
    let report = pass(&store, &connector, &options(true)).await;
    let findings = store.findings(Some("shopify_main")).await.unwrap();
    assert!(
        findings.iter().any(|f| f.kind == "order_window"),
        "{findings:?}"
    );
    let window_start = {
        let world = sims.world.read().unwrap_or_else(PoisonError::into_inner);
        ms(world.now()) - 60 * 86_400_000
    };
    let orders = dump(&*store, "shopify_orders", 1).await;
    assert!(!orders.is_empty());
    assert!(
        orders
            .values()
            .all(|r| r[9].parse::<i64>().unwrap() >= window_start - 86_400_000)
    );
    assert!(report.stream("orders").unwrap().items < 200);

    // Without read_orders: orders and fulfilment orders fail for good, the rest syncs.
    sims.shopify.controls().revoke_access_scope("read_orders");
    let report = run_pass(store.clone(), connector.clone(), &options(false))
        .await
        .unwrap();
    let orders = report.stream("orders").unwrap();
    assert!(
        orders
            .error
            .as_deref()
            .is_some_and(|e| e.contains("access denied")),
        "{orders:?}"
    );
    assert_eq!(
        orders.retries, 0,
        "ACCESS_DENIED is terminal: {orders:?} {report:?}"
    );
    assert_eq!(report.stream("products").unwrap().error, None);
    let findings = store.findings(Some("shopify_main")).await.unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.kind == "access_denied" && f.subject == "orders"),
        "{findings:?}"
    );
}

#[tokio::test]
async fn subscriptions_are_created_and_repointed_and_deprecations_recorded() {
    let sims = simulators(Scale::Small, None).await;
    let db = crate::sync_support::database().await;
    let store = db.store();
    let mut config = shopify_config(&sims);
    config.webhook_url = Some("https://hotdash.example/webhooks/shopify".into());
    let shopify = config.build("shopify_main").unwrap();
    let cx = hotdash::connectors::SyncContext {
        store: store.clone(),
        shutdown: Default::default(),
        meter: Default::default(),
    };
    let changes = hotdash::connectors::shopify::subscriptions::ensure(
        &shopify,
        &cx,
        "https://hotdash.example/webhooks/shopify",
    )
    .await
    .unwrap();
    assert_eq!(changes.created.len(), config.webhook_topics.len());
    let again = hotdash::connectors::shopify::subscriptions::ensure(
        &shopify,
        &cx,
        "https://hotdash.example/webhooks/shopify",
    )
    .await
    .unwrap();
    assert_eq!(again, Default::default(), "nothing to do the second time");
    let moved = hotdash::connectors::shopify::subscriptions::ensure(
        &shopify,
        &cx,
        "https://new.example/webhooks/shopify",
    )
    .await
    .unwrap();
    assert_eq!(moved.repointed.len(), config.webhook_topics.len());
    assert!(moved.created.is_empty());

    // A fall-forward (the pinned version retired) is a finding.
    let mut settings = sims.shopify.controls().settings();
    settings.fake_fall_forward = Some("2026-10".into());
    sims.shopify.controls().set_settings(settings);
    pass(&store, &connector(&config), &options(false)).await;
    let findings = store.findings(Some("shopify_main")).await.unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.kind == "api_version" && f.message.contains("2026-10")),
        "{findings:?}"
    );
}
