//! The simulated store: same seed, same data; the small scale looks like the real store; and
//! the invariants a user of the data would check hold (totals add up, stock balances, GA4
//! revenue matches the orders, the `updated_at` index pages without gaps), in history and
//! after live mode has run.

use std::collections::{BTreeMap, BTreeSet};

use hotdash_sim::world::model::{
    ConversationStatus, FinancialStatus, FulfillmentOrderStatus, MessageType, Order,
};
use std::sync::{Arc, RwLock};

use hotdash_sim::world::{Change, Scale, World, WorldConfig, live_driver, local_date};
use rand::SeedableRng;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use tokio::sync::broadcast::error::RecvError;

const NOW: OffsetDateTime = datetime!(2026-06-15 18:30 UTC);

fn world(seed: u64, scale: Scale) -> World {
    World::generate(WorldConfig {
        seed,
        scale,
        now: NOW,
    })
}

fn export(w: &World) -> Vec<u8> {
    let mut out = Vec::new();
    w.export_jsonl(&mut out)
        .expect("writing to a Vec cannot fail");
    out
}

fn all_orders(w: &World) -> Vec<Order> {
    w.orders_by_created_at(None, None, None).collect()
}

#[test]
fn same_seed_same_store_and_other_seeds_differ() {
    let a = export(&world(7, Scale::Small));
    let b = export(&world(7, Scale::Small));
    let c = export(&world(8, Scale::Small));
    assert!(
        a.len() > 100_000,
        "the export holds the whole store ({} bytes)",
        a.len()
    );
    assert!(
        a == b,
        "two worlds from one seed export identical ground truth"
    );
    assert!(a != c, "another seed gives another store");
}

#[test]
fn small_scale_has_about_forty_orders_a_month() {
    let w = world(1, Scale::Small);
    let orders = all_orders(&w);
    assert_eq!(orders.len() as u64, w.order_count());
    let mut per_month: BTreeMap<(i32, u8), u32> = BTreeMap::new();
    for o in &orders {
        let d = local_date(o.created_at);
        *per_month.entry((d.year(), d.month() as u8)).or_default() += 1;
    }
    // Twelve full months and today's partial one.
    assert_eq!(per_month.len(), 13, "{per_month:?}");
    let full: Vec<u32> = per_month.values().skip(1).take(11).copied().collect();
    let mean = f64::from(full.iter().sum::<u32>()) / full.len() as f64;
    assert!(
        (32.0..=50.0).contains(&mean),
        "mean {mean} per month: {per_month:?}"
    );
    // Car season: spring and summer outsell winter.
    let month = |m: u8| {
        per_month
            .iter()
            .filter(|((_, mm), _)| *mm == m)
            .map(|(_, n)| *n)
            .sum::<u32>()
    };
    assert!(month(5) + month(6) > month(1) + month(2), "{per_month:?}");
    // The real store's average order is about $182.
    let aov = orders.iter().map(|o| o.total_price_cents).sum::<i64>() as f64
        / orders.len() as f64
        / 100.0;
    assert!((150.0..=215.0).contains(&aov), "AOV ${aov:.2}");
}

#[test]
fn order_totals_and_line_items_add_up() {
    let w = world(2, Scale::Small);
    let mut statuses = BTreeSet::new();
    let mut currencies = BTreeSet::new();
    for o in all_orders(&w) {
        assert_eq!(
            o.total_price_cents,
            o.subtotal_cents - o.total_discounts_cents + o.total_shipping_cents + o.total_tax_cents,
            "{}",
            o.name
        );
        let lines: i64 = o
            .line_items
            .iter()
            .map(|l| l.unit_price_cents * l.quantity)
            .sum();
        assert_eq!(lines, o.subtotal_cents, "{}", o.name);
        let discounts: i64 = o.line_items.iter().map(|l| l.total_discount_cents).sum();
        assert_eq!(discounts, o.total_discounts_cents, "{}", o.name);
        assert!((1..=4).contains(&o.line_items.len()), "{}", o.name);
        for l in &o.line_items {
            let (product, variant) = w
                .variant(l.variant_id)
                .expect("every line item's variant exists");
            assert_eq!(product.id, l.product_id);
            assert_eq!(variant.sku, l.sku);
        }
        // Every line item is in exactly one fulfilment order.
        let mut covered: Vec<u64> = o
            .fulfillment_orders
            .iter()
            .flat_map(|f| f.line_items.iter().map(|l| l.line_item_id))
            .collect();
        covered.sort_unstable();
        let mut ids: Vec<u64> = o.line_items.iter().map(|l| l.id).collect();
        ids.sort_unstable();
        assert_eq!(covered, ids, "{}", o.name);
        // Shipping follows the policy: $8.95 under $75 and free from $75 (standard, US), UPS
        // upgrades, Canada flat, each maybe with $5.95 signature confirmation.
        let net = o.subtotal_cents - o.total_discounts_cents;
        let base = if [595, 1490, 2490, 4190, 3090].contains(&o.total_shipping_cents) {
            o.total_shipping_cents - 595
        } else {
            o.total_shipping_cents
        };
        match (o.shipping_country_code.as_str(), base) {
            ("US", 0) => assert!(net >= 7500, "{} ships free under $75", o.name),
            ("US", 895) => assert!(net < 7500, "{} pays shipping over $75", o.name),
            ("US", 1895 | 3595) | ("CA", 2495) => {}
            other => panic!("{}: unexpected shipping {other:?}", o.name),
        }
        if o.shipping_country_code == "CA" {
            assert_eq!(o.presentment_currency_code, "CAD");
            assert!(o.presentment_rate > 1.3);
        }
        assert!(o.total_refunded_cents <= o.total_price_cents, "{}", o.name);
        match o.financial_status {
            FinancialStatus::Refunded => assert_eq!(o.total_refunded_cents, o.total_price_cents),
            FinancialStatus::PartiallyRefunded => assert!(o.total_refunded_cents > 0),
            FinancialStatus::Paid | FinancialStatus::Pending => {
                assert_eq!(o.total_refunded_cents, 0)
            }
            _ => {}
        }
        for f in &o.fulfillments {
            assert!(f.tracking_number.is_some() && f.tracking_company.is_some());
            assert!(f.created_at >= o.created_at && f.updated_at <= NOW);
        }
        assert!(
            o.created_at <= o.updated_at && o.updated_at <= NOW,
            "{}",
            o.name
        );
        statuses.insert(format!("{:?}", o.financial_status));
        currencies.insert(o.presentment_currency_code.clone());
    }
    assert!(
        statuses.contains("Paid") && statuses.len() >= 3,
        "{statuses:?}"
    );
    assert_eq!(currencies.len(), 2, "{currencies:?}");
}

#[test]
fn stock_balances_and_matches_open_fulfilment_orders() {
    let w = world(3, Scale::Small);
    let levels = w.inventory_levels();
    let keys: Vec<(u64, u64)> = levels
        .iter()
        .map(|l| (l.inventory_item_id, l.location_id))
        .collect();
    assert!(
        keys.windows(2).all(|p| p[0] < p[1]),
        "levels are ordered by (item, location)"
    );
    for l in levels {
        assert_eq!(l.on_hand, l.available + l.committed);
        assert!(w.inventory_item(l.inventory_item_id).is_some());
    }
    // Committed stock is exactly what open fulfilment orders still have to ship.
    let mut open: BTreeMap<(u64, u64), i64> = BTreeMap::new();
    for o in all_orders(&w) {
        for fo in &o.fulfillment_orders {
            if !matches!(
                fo.status,
                FulfillmentOrderStatus::Closed | FulfillmentOrderStatus::Cancelled
            ) {
                for li in &fo.line_items {
                    *open
                        .entry((li.inventory_item_id, fo.assigned_location_id))
                        .or_default() += li.remaining_quantity;
                }
            }
        }
    }
    for l in levels {
        let expected = open
            .get(&(l.inventory_item_id, l.location_id))
            .copied()
            .unwrap_or(0);
        assert_eq!(
            l.committed, expected,
            "item {} at {}",
            l.inventory_item_id, l.location_id
        );
    }
    let canada = w
        .locations()
        .iter()
        .find(|l| l.name == "Canada WH")
        .expect("Canada WH")
        .id;
    assert!(
        levels
            .iter()
            .any(|l| l.location_id == canada && l.available < 0),
        "Canada WH runs negative"
    );
    assert!(
        levels.iter().filter(|l| l.available == 0).count() >= 5,
        "some items are out of stock"
    );
    assert!(
        levels.iter().filter(|l| l.available > 4).count() > levels.len() / 2,
        "most are healthy"
    );
}

fn assert_ga4_matches_orders(w: &World) {
    let mut by_day: BTreeMap<time::Date, (i64, i64)> = BTreeMap::new();
    for o in w.orders_by_created_at(None, None, None) {
        if o.source_name == "web" && o.cancelled_at.is_none() {
            let e = by_day.entry(local_date(o.created_at)).or_default();
            e.0 += 1;
            e.1 += o.total_price_cents;
        }
    }
    let (first, last) = w.traffic_days();
    let mut day = first;
    while day <= last {
        let rows = w.traffic(day);
        let tx: i64 = rows.iter().map(|r| r.transactions).sum();
        let revenue: i64 = rows.iter().map(|r| r.purchase_revenue_cents).sum();
        assert_eq!(
            (tx, revenue),
            by_day.get(&day).copied().unwrap_or_default(),
            "{day}"
        );
        for r in &rows {
            assert!(r.sessions >= r.transactions && r.sessions > 0);
            assert!(r.engaged_sessions <= r.sessions && r.new_users <= r.total_users);
            assert!(r.key_events >= r.transactions);
        }
        day = day.next_day().expect("dates in range");
    }
    assert!(
        w.traffic(first.previous_day().expect("in range"))
            .is_empty(),
        "no data before history"
    );
}

#[test]
fn ga4_revenue_equals_each_days_online_orders() {
    let w = world(4, Scale::Small);
    assert_ga4_matches_orders(&w);
    // Traffic looks like the real store: ~4,167 sessions a month, mostly organic.
    let (first, last) = w.traffic_days();
    let rows: Vec<_> = (0..(last - first).whole_days())
        .flat_map(|d| w.traffic(first + Duration::days(d)))
        .collect();
    let sessions: i64 = rows.iter().map(|r| r.sessions).sum();
    let per_month = sessions as f64 / 12.0;
    assert!(
        (3_000.0..=6_000.0).contains(&per_month),
        "{per_month} sessions a month"
    );
    let organic: i64 = rows
        .iter()
        .filter(|r| r.channel_group == "Organic Search")
        .map(|r| r.sessions)
        .sum();
    assert!((0.6..0.8).contains(&(organic as f64 / sessions as f64)));
    let pages: BTreeSet<&str> = rows.iter().map(|r| r.landing_page.as_str()).collect();
    assert!(
        pages.contains("/pages/an-sizing-guide")
            && pages.iter().any(|p| p.starts_with("/products/"))
    );
    assert_eq!(
        w.traffic(last + Duration::days(1)).len(),
        0,
        "no data after today"
    );
}

fn assert_updated_index_pages_cleanly(w: &World) {
    let all: Vec<(OffsetDateTime, u64)> = w
        .orders_by_updated_at(None, None, None)
        .map(|o| (o.updated_at, o.id))
        .collect();
    assert_eq!(
        all.len() as u64,
        w.order_count(),
        "every order is in the index once"
    );
    assert!(
        all.windows(2).all(|p| p[0] < p[1]),
        "ascending (updated_at, id)"
    );
    // Paging with a cursor yields the same sequence: no gaps, no repeats.
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page: Vec<(OffsetDateTime, u64)> = w
            .orders_by_updated_at(cursor, None, None)
            .take(37)
            .map(|o| (o.updated_at, o.id))
            .collect();
        let Some(last) = page.last().copied() else {
            break;
        };
        paged.extend(page);
        cursor = Some(last);
    }
    assert_eq!(paged, all);
    // A window holds exactly the orders updated inside it.
    let (from, to) = (NOW - Duration::days(30), NOW - Duration::days(10));
    let window: Vec<u64> = w
        .orders_by_updated_at(None, Some(from), Some(to))
        .map(|o| o.id)
        .collect();
    let expected: Vec<u64> = all
        .iter()
        .filter(|(t, _)| *t >= from && *t < to)
        .map(|(_, id)| *id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(window, expected);
    assert_eq!(
        w.count_orders_updated(Some(from), Some(to)),
        expected.len() as u64
    );
}

#[test]
fn updated_at_index_is_sorted_complete_and_pages_without_gaps() {
    let w = world(5, Scale::Small);
    assert_updated_index_pages_cleanly(&w);
    let created: Vec<u64> = w
        .orders_by_created_at(None, None, None)
        .map(|o| o.id)
        .collect();
    assert!(created.windows(2).all(|p| p[0] < p[1]));
    let o = w.order(created[10]).expect("order by id");
    assert_eq!(w.order_by_number(o.number).map(|x| x.id), Some(o.id));
    assert!(w.order(1).is_none());
}

#[test]
fn recent_orders_are_still_moving_through_fulfilment() {
    let w = world(6, Scale::Medium);
    let recent: Vec<Order> = w
        .orders_by_created_at(None, Some(NOW - Duration::days(3)), None)
        .collect();
    let statuses: BTreeSet<String> = recent
        .iter()
        .flat_map(|o| {
            o.fulfillment_orders
                .iter()
                .map(|f| format!("{:?}", f.status))
        })
        .collect();
    for s in ["Open", "InProgress", "Closed"] {
        assert!(statuses.contains(s), "{s} missing from {statuses:?}");
    }
    let displays: BTreeSet<String> = recent
        .iter()
        .flat_map(|o| {
            o.fulfillments
                .iter()
                .map(|f| format!("{:?}", f.display_status))
        })
        .collect();
    assert!(displays.contains("InTransit"), "{displays:?}");
    let old: Vec<Order> = w
        .orders_by_created_at(None, None, Some(NOW - Duration::days(60)))
        .take(2_000)
        .collect();
    assert!(old.iter().filter(|o| o.cancelled_at.is_none()).all(|o| {
        o.fulfillment_orders
            .iter()
            .all(|f| f.status == FulfillmentOrderStatus::Closed)
    }));
    let carriers: BTreeSet<&str> = old
        .iter()
        .flat_map(|o| &o.fulfillments)
        .filter_map(|f| f.tracking_company.as_deref())
        .collect();
    assert_eq!(carriers, BTreeSet::from(["Canada Post", "UPS", "USPS"]));
    assert!(
        (45_000..=55_000).contains(&w.order_count()),
        "{}",
        w.order_count()
    );
}

#[test]
fn support_conversations_look_like_a_small_shops_inbox() {
    let w = world(9, Scale::Medium);
    let conversations = w.conversations();
    let expected = w.order_count() as f64 * 0.15;
    assert!(
        (conversations.len() as f64) > expected * 0.85,
        "{} conversations",
        conversations.len()
    );
    assert!(
        conversations
            .windows(2)
            .all(|p| p[0].id < p[1].id && p[0].created_at <= p[1].created_at)
    );
    let resolved: Vec<_> = conversations
        .iter()
        .filter(|c| c.status == ConversationStatus::Resolved)
        .collect();
    assert!(
        resolved.len() as f64 > conversations.len() as f64 * 0.85,
        "most are resolved"
    );
    let rated: Vec<u8> = resolved
        .iter()
        .filter_map(|c| c.csat.as_ref().map(|r| r.rating))
        .collect();
    let share = rated.len() as f64 / resolved.len() as f64;
    assert!(
        (0.5..0.7).contains(&share),
        "CSAT on {share:.2} of resolved"
    );
    let high = rated.iter().filter(|r| **r >= 4).count() as f64 / rated.len() as f64;
    assert!(high > 0.75, "ratings skew high ({high:.2})");
    assert!(
        conversations
            .iter()
            .any(|c| c.status != ConversationStatus::Resolved && c.assignee_id.is_none()),
        "some unassigned"
    );
    assert!(conversations.iter().any(|c| c.status != ConversationStatus::Resolved && c.first_reply_created_at.is_none()), "some wait for a first reply");
    for c in conversations {
        assert_eq!(c.messages[0].message_type, MessageType::Incoming);
        if let Some(first) = c.first_reply_created_at {
            assert!(first >= c.created_at);
        }
        if let Some(order) = &c.order_name {
            let number: u64 = order
                .trim_start_matches('#')
                .parse()
                .expect("order names are #number");
            assert!(w.order_by_number(number).is_some(), "{order} exists");
        }
        assert!(w.contacts().iter().any(|x| x.id == c.contact_id));
    }
    // First replies take minutes to hours, not days, on average.
    let waits: Vec<i64> = conversations
        .iter()
        .filter_map(|c| {
            c.first_reply_created_at
                .map(|t| (t - c.created_at).whole_minutes())
        })
        .collect();
    let median = {
        let mut w = waits.clone();
        w.sort_unstable();
        w[w.len() / 2]
    };
    assert!(
        (10..=12 * 60).contains(&median),
        "median first response {median} min"
    );
    let ids: Vec<u64> = conversations
        .iter()
        .flat_map(|c| c.messages.iter().map(|m| m.id))
        .collect();
    assert_eq!(
        ids.len(),
        ids.iter().collect::<BTreeSet<_>>().len(),
        "message ids are unique"
    );
    assert!(
        w.agents()
            .iter()
            .filter(|a| a.role == hotdash_sim::world::model::AgentRole::Administrator)
            .count()
            == 1
    );
}

#[test]
fn export_lines_are_tagged_records_with_rfc3339_times() {
    let w = world(10, Scale::Small);
    let text = String::from_utf8(export(&w)).expect("UTF-8");
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        let kind = v["kind"].as_str().expect("kind").to_owned();
        assert!(v["record"].is_object());
        *kinds.entry(kind).or_default() += 1;
    }
    assert_eq!(kinds["order"] as u64, w.order_count());
    assert_eq!(kinds["inventory_level"], w.inventory_levels().len());
    assert_eq!(kinds["conversation"], w.conversations().len());
    assert_eq!(kinds["shop"], 1);
    for k in [
        "location",
        "product",
        "variant",
        "inventory_item",
        "agent",
        "inbox",
        "contact",
        "traffic_row",
    ] {
        assert!(kinds.get(k).is_some_and(|n| *n > 0), "{k} missing");
    }
    let first_order = text
        .lines()
        .find(|l| l.starts_with(r#"{"kind":"order""#))
        .expect("an order line");
    let v: serde_json::Value = serde_json::from_str(first_order).expect("JSON");
    let created = v["record"]["created_at"].as_str().expect("string time");
    OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
}

#[test]
fn live_mode_adds_orders_moves_old_ones_and_keeps_the_books_straight() {
    let mut w = world(11, Scale::Small);
    let mut rx = w.subscribe();
    let before = w.order_count();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut changes = w.advance(NOW + Duration::minutes(30), 10.0, &mut rng);
    let received: Vec<Change> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert!(!changes.is_empty());
    assert_eq!(received, changes, "subscribers see every change");
    // Three days in 30-minute ticks, at ten orders an hour.
    for tick in 2..=144 {
        changes.extend(w.advance(NOW + Duration::minutes(30 * tick), 10.0, &mut rng));
    }
    let created = changes
        .iter()
        .filter(|c| matches!(c, Change::OrderCreated { .. }))
        .count() as u64;
    assert!(created > 400, "{created} orders in three days");
    assert_eq!(w.order_count(), before + created);
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::OrderFulfilled { .. }))
    );
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::InventoryLevelUpdated { .. }))
    );
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::MessageCreated { .. }))
    );
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::ConversationCreated { .. }))
    );

    // A new order, once its plan has run, has shipped; its stock left the warehouse.
    let first_new = changes
        .iter()
        .find_map(|c| match c {
            Change::OrderCreated { order_id } => Some(*order_id),
            _ => None,
        })
        .expect("an order was created");
    let o = w.order(first_new).expect("live orders are readable");
    assert!(
        o.created_at > NOW && o.updated_at > o.created_at,
        "{} moved on",
        o.name
    );
    assert!(o.fulfillments.iter().all(|f| f.created_at > NOW));

    for l in w.inventory_levels() {
        assert_eq!(l.on_hand, l.available + l.committed);
    }
    assert_updated_index_pages_cleanly(&w);
    assert_ga4_matches_orders(&w);
    assert_eq!(w.traffic_days().1, local_date(NOW + Duration::days(3)));
}

#[tokio::test]
async fn live_driver_announces_new_orders_as_time_passes() {
    let shared = Arc::new(RwLock::new(world(13, Scale::Small)));
    // Four simulated hours per real second, ten orders per real second.
    let (driver, mut changes) = live_driver(shared.clone(), 600.0, 14_400.0);
    let order_id = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match changes.recv().await {
                Ok(Change::OrderCreated { order_id }) => break order_id,
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => panic!("the driver stopped"),
            }
        }
    })
    .await
    .expect("an order within ten seconds");
    driver.abort();
    let w = shared.read().expect("lock");
    assert!(w.now() > NOW);
    let order = w.order(order_id).expect("the announced order exists");
    assert!(order.created_at > NOW && order.created_at <= w.now());
    let details = w.order_details(order_id).expect("details");
    assert!(!details.customer_last_name.is_empty() && !details.shipping_title.is_empty());
}

/// Generation time and memory are measured on this test in release mode:
/// `cargo test -p hotdash-sim --release --test sim world::large -- --ignored --nocapture`
/// under `/usr/bin/time -v` (the report lists the figures).
#[test]
#[ignore = "a million orders: minutes in debug, seconds in release; run by hand"]
fn large_scale_generates_in_seconds_and_streams() {
    let started = std::time::Instant::now();
    let w = world(12, Scale::Large);
    let generated = started.elapsed();
    assert!(
        (950_000..=1_050_000).contains(&w.order_count()),
        "{}",
        w.order_count()
    );
    assert_eq!(w.count_orders_updated(None, None), w.order_count());
    let mut counter = CountingSink::default();
    w.export_jsonl(&mut counter).expect("export to a sink");
    println!(
        "large: {} orders generated in {generated:.2?}, exported {} MB in {:.2?}",
        w.order_count(),
        counter.bytes / 1_000_000,
        started.elapsed() - generated
    );
}

#[derive(Default)]
struct CountingSink {
    bytes: u64,
}

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
