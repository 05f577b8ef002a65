//! The store story: every `Store` operation, run unchanged against whichever backend the
//! environment selects (SQLite by default; Postgres when `HOTDASH_TEST_DATABASE_URL` is set).

use hotdash_db::testing::TestDb;
use hotdash_db::*;

fn event(source: &str, delivery: &str, at: i64) -> NewWebhookEvent {
    NewWebhookEvent {
        source: source.into(),
        delivery_id: delivery.into(),
        topic: "orders/create".into(),
        event_id: Some(format!("evt-{delivery}")),
        shop_domain: Some("hot-rod-an.myshopify.com".into()),
        api_version: Some("2026-07".into()),
        triggered_at: Some(at - 5),
        resource_key: Some("shopify:order:1".into()),
        received_at: at,
        verification: "hmac-sha256".into(),
        headers_json: "{}".into(),
        body: b"{\"id\":1}".to_vec(),
        synthetic: false,
    }
}

fn job_spec() -> JobSpec {
    JobSpec {
        queue: "webhooks".into(),
        kind: "webhook.process".into(),
        priority: 0,
        max_attempts: 3,
    }
}

fn order(gid: &str, updated_at: i64, status: &str) -> OrderRow {
    OrderRow {
        gid: gid.into(),
        legacy_id: 1,
        name: "#1001".into(),
        financial_status: Some(status.into()),
        fulfillment_status: None,
        currency: "USD".into(),
        total_price: "129.95".into(),
        subtotal_price: Some("129.95".into()),
        total_discounts: Some("0.00".into()),
        created_at: 1_000,
        updated_at,
        cancelled_at: None,
        closed_at: None,
        processed_at: Some(1_000),
        presentment_currency: Some("CAD".into()),
        total_price_presentment: Some("175.43".into()),
        current_total_price: Some("129.95".into()),
        total_refunded: Some("0.00".into()),
        total_tax: Some("0.00".into()),
        total_shipping: Some("0.00".into()),
        line_items: vec![LineItemRow {
            gid: format!("{gid}-li-1"),
            sku: Some("HRA-FIT-AN6".into()),
            title: "AN-6 straight fitting".into(),
            quantity: 2,
            price: "12.99".into(),
            product_gid: None,
            variant_gid: None,
            price_presentment: Some("17.54".into()),
        }],
    }
}

async fn claim_one(store: &dyn Store, now: i64) -> ClaimedJob {
    let mut jobs = store
        .claim_jobs("webhooks", "w1", 10, 30_000, now)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1, "exactly one job should be due");
    jobs.remove(0)
}

#[tokio::test]
async fn the_backend_is_the_one_ci_asked_for() {
    let db = TestDb::new().await;
    // CI's Postgres run sets this; a silent fall-back to SQLite must fail the run.
    if let Ok(expected) = std::env::var("HOTDASH_TEST_EXPECT_BACKEND") {
        assert_eq!(
            db.backend().as_str(),
            expected,
            "tests ran on the wrong backend"
        );
    }
}

#[tokio::test]
async fn pipelined_ingest_frees_the_writer_once_per_committed_batch() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let db = TestDb::new().await;
    let store = db.store();
    let freed = AtomicUsize::new(0);
    let out = store
        .ingest_pipelined(
            vec![event("shopify", "p", 10)],
            vec![],
            &job_spec(),
            &|| {
                freed.fetch_add(1, Ordering::SeqCst);
            },
        )
        .await
        .unwrap();
    assert!(matches!(out[0], IngestOutcome::Accepted { .. }));
    assert_eq!(freed.load(Ordering::SeqCst), 1);
    // Every committed transaction frees the writer, an empty one (rejections only) too.
    store
        .ingest_pipelined(vec![], vec![], &job_spec(), &|| {
            freed.fetch_add(1, Ordering::SeqCst);
        })
        .await
        .unwrap();
    assert_eq!(freed.load(Ordering::SeqCst), 2);
}

/// Runs test-only DDL (triggers that fail or slow a statement) on `db` over a connection of
/// its own.
async fn run_ddl(db: &TestDb, ddl: &[&str]) {
    let admin = connect(db.url(), &ConnectOptions::default()).await.unwrap();
    for sql in ddl {
        admin.execute_raw(sql).await.unwrap();
    }
    admin.close().await;
}

#[tokio::test]
async fn a_failed_ingest_stores_nothing_and_leaves_the_writer_usable() {
    let db = TestDb::new().await;
    let store = db.store();
    // A real failure inside the transaction, after the deliveries are inserted: enqueueing a
    // job of kind `boom` aborts.
    let boom_ddl: &[&str] = match db.backend() {
        Backend::Sqlite => &[
            "CREATE TRIGGER boom BEFORE INSERT ON jobs WHEN NEW.kind = 'boom' \
              BEGIN SELECT RAISE(ABORT, 'boom'); END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'boom'; END $$",
            "CREATE TRIGGER boom BEFORE INSERT ON jobs FOR EACH ROW WHEN (NEW.kind = 'boom') \
             EXECUTE FUNCTION boom()",
        ],
    };
    run_ddl(&db, boom_ddl).await;

    let boom = JobSpec {
        kind: "boom".into(),
        ..job_spec()
    };
    let batch = [event("shopify", "f1", 10), event("shopify", "f2", 10)];
    let failed = store.ingest(&batch, &[], &boom).await;
    assert!(failed.is_err(), "{failed:?}");
    let events = store
        .list_webhook_events(&WebhookFilter::default())
        .await
        .unwrap();
    assert!(events.is_empty(), "rolled back: {events:?}");

    // The same deliveries are new to the next transaction on the same write connection.
    let out = store.ingest(&batch, &[], &job_spec()).await.unwrap();
    assert!(
        out.iter()
            .all(|o| matches!(o, IngestOutcome::Accepted { .. })),
        "{out:?}"
    );
    assert_eq!(store.queue_stats("webhooks", 20).await.unwrap().depth, 2);
}

#[tokio::test]
async fn an_ingest_abandoned_mid_transaction_leaves_the_writer_usable() {
    let db = TestDb::new().await;
    let store = db.store();
    // Inserting a delivery of topic `slow` takes about a second, long enough to drop the ingest
    // future while its transaction is open (as aborting a writer task at shutdown would).
    let slow_ddl: &[&str] = match db.backend() {
        Backend::Sqlite => &[
            "CREATE TABLE burn (n INTEGER)",
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000) \
             INSERT INTO burn SELECT n FROM c",
            // Triggers cannot hold a CTE; a cross join burns the time instead.
            "CREATE TRIGGER slow BEFORE INSERT ON webhook_events WHEN NEW.topic = 'slow' \
             BEGIN SELECT count(*) FROM burn a, burn b; END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$",
            "CREATE TRIGGER slow BEFORE INSERT ON webhook_events FOR EACH ROW \
             WHEN (NEW.topic = 'slow') EXECUTE FUNCTION slow()",
        ],
    };
    run_ddl(&db, slow_ddl).await;

    let slow = NewWebhookEvent {
        topic: "slow".into(),
        ..event("shopify", "slow", 10)
    };
    let abandoned = {
        let store = store.clone();
        tokio::spawn(async move { store.ingest(&[slow], &[], &job_spec()).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    abandoned.abort();
    assert!(abandoned.await.unwrap_err().is_cancelled());

    // The next transactions, ingest and a job claim, run as if nothing had happened. The
    // abandoned delivery was never acknowledged, and it is stored whole or not at all: SQLite's
    // ingest thread finishes (and commits) a transaction it was handed, holding the write lock
    // until then; Postgres rolls back the transaction of the dropped future.
    let out = store
        .ingest(&[event("shopify", "after", 20)], &[], &job_spec())
        .await
        .unwrap();
    assert!(matches!(out[0], IngestOutcome::Accepted { .. }), "{out:?}");
    let expected: &[&str] = match db.backend() {
        Backend::Sqlite => &["after", "slow"],
        Backend::Postgres => &["after"],
    };
    let claimed = store
        .claim_jobs("webhooks", "w", 10, 60_000, 30)
        .await
        .unwrap();
    assert_eq!(claimed.len(), expected.len(), "one job per stored delivery");
    let events = store
        .list_webhook_events(&WebhookFilter::default())
        .await
        .unwrap();
    let mut deliveries: Vec<&str> = events.iter().map(|e| e.delivery_id.as_str()).collect();
    deliveries.sort_unstable();
    assert_eq!(deliveries, expected);
}

#[tokio::test]
async fn an_in_memory_sqlite_database_is_refused_with_a_reason() {
    let error = connect("sqlite::memory:", &ConnectOptions::default())
        .await
        .err()
        .expect("in-memory SQLite is refused");
    assert!(error.to_string().contains("in-memory"), "{error}");
}

#[tokio::test]
async fn ingest_stores_events_enqueues_jobs_and_counts_duplicates() {
    let db = TestDb::new().await;
    let store = db.store();
    let batch = vec![
        event("shopify", "a", 100),
        event("shopify", "b", 100),
        event("shopify", "a", 100),
    ];
    let rejection = NewRejection {
        source: "shopify".into(),
        cause: "bad_signature".into(),
        status_code: 401,
        received_at: 100,
        delivery_id: Some("x".into()),
        topic: None,
        body_len: 10,
        body_sha256: "00".into(),
        detail: "no match".into(),
    };
    let out = store
        .ingest(&batch, &[rejection], &job_spec())
        .await
        .unwrap();
    let IngestOutcome::Accepted { event_id: a } = out[0] else {
        panic!("first a accepted: {out:?}")
    };
    assert!(matches!(out[1], IngestOutcome::Accepted { .. }));
    assert_eq!(out[2], IngestOutcome::Duplicate { event_id: a });

    // A later batch with the same delivery is a duplicate too, and does not enqueue work.
    let again = store
        .ingest(&[event("shopify", "a", 200)], &[], &job_spec())
        .await
        .unwrap();
    assert_eq!(again, vec![IngestOutcome::Duplicate { event_id: a }]);
    // The same delivery id from another source is a different delivery.
    let other = store
        .ingest(&[event("chatwoot", "a", 200)], &[], &job_spec())
        .await
        .unwrap();
    assert!(matches!(other[0], IngestOutcome::Accepted { .. }));

    let stats = store.queue_stats("webhooks", 300).await.unwrap();
    assert_eq!(stats.depth, 3);
    assert_eq!(stats.oldest_pending_age_ms, Some(200));
    let detail = store.webhook_event(a).await.unwrap();
    assert_eq!(detail.event.duplicate_count, 2);
    assert_eq!(detail.body, b"{\"id\":1}");
    let rejections = store.list_rejections(Some("shopify"), 10).await.unwrap();
    assert_eq!(rejections.len(), 1);
    assert_eq!(rejections[0].cause, "bad_signature");
    assert_eq!(rejections[0].status_code, 401);
}

#[tokio::test]
async fn concurrent_copies_of_one_delivery_store_one_event() {
    let db = TestDb::new().await;
    let store = db.store();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .ingest(&[event("shopify", "same", 1)], &[], &job_spec())
                .await
        }));
    }
    let mut accepted = 0;
    for task in tasks {
        if let IngestOutcome::Accepted { .. } = task.await.unwrap().unwrap()[0] {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1);
    let events = store
        .list_webhook_events(&WebhookFilter::default())
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].duplicate_count, 9);
    assert_eq!(store.queue_stats("webhooks", 2).await.unwrap().depth, 1);
}

#[tokio::test]
async fn completion_applies_effects_and_finishes_the_event_once() {
    let db = TestDb::new().await;
    let store = db.store();
    let out = store
        .ingest(&[event("shopify", "a", 10)], &[], &job_spec())
        .await
        .unwrap();
    let IngestOutcome::Accepted { event_id } = out[0] else {
        panic!()
    };
    let job = claim_one(store.as_ref(), 20).await;
    assert_eq!(job.attempt, 1);
    assert!(
        store
            .claim_jobs("webhooks", "w2", 10, 30_000, 21)
            .await
            .unwrap()
            .is_empty(),
        "leased job is not handed out twice"
    );

    let completion = Completion {
        job: job.clone(),
        webhook_event_id: Some(event_id),
        status: EventStatus::Processed,
        effects: vec![Effect::Order(Box::new(order(
            "gid://shopify/Order/1",
            50,
            "paid",
        )))],
    };
    assert!(
        store
            .complete_jobs(std::slice::from_ref(&completion), 30)
            .await
            .unwrap()
            .is_empty()
    );
    // Completing again (a stale worker) changes nothing.
    assert_eq!(
        store.complete_jobs(&[completion], 31).await.unwrap(),
        vec![job.id]
    );

    let stored = store.order("gid://shopify/Order/1").await.unwrap().unwrap();
    assert_eq!(stored.financial_status.as_deref(), Some("paid"));
    assert_eq!(stored.line_items.len(), 1);
    let ev = store.webhook_event(event_id).await.unwrap().event;
    assert_eq!(
        (ev.status.as_str(), ev.attempts, ev.processed_at),
        ("processed", 1, Some(30))
    );
    assert_eq!(
        store.queue_stats("webhooks", 40).await.unwrap(),
        QueueStats::default()
    );
}

#[tokio::test]
async fn an_expired_lease_is_reclaimed_as_a_new_attempt_and_the_old_holder_cannot_finish() {
    let db = TestDb::new().await;
    let store = db.store();
    store
        .ingest(&[event("shopify", "a", 10)], &[], &job_spec())
        .await
        .unwrap();
    let first = store
        .claim_jobs("webhooks", "crashed", 1, 1_000, 20)
        .await
        .unwrap()
        .remove(0);
    // Before the lease ends nobody else gets it; after, a new worker does, as attempt 2.
    assert!(
        store
            .claim_jobs("webhooks", "w2", 1, 1_000, 500)
            .await
            .unwrap()
            .is_empty()
    );
    let second = store
        .claim_jobs("webhooks", "w2", 1, 1_000, 1_500)
        .await
        .unwrap()
        .remove(0);
    assert_eq!((second.id, second.attempt), (first.id, 2));
    assert_eq!(
        store
            .fail_job(&first, "late", Some(2_000), 1_600)
            .await
            .unwrap(),
        FailureOutcome::LostClaim
    );

    let event_id = parse_webhook_subject(second.subject.as_deref().unwrap()).unwrap();
    let attempts = store.webhook_event(event_id).await.unwrap().attempts;
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (attempts[0].attempt, attempts[0].outcome.as_str()),
        (1, "lease_expired")
    );
}

#[tokio::test]
async fn failures_retry_then_dead_letter_with_every_attempt_kept_and_replay_revives() {
    let db = TestDb::new().await;
    let store = db.store();
    let out = store
        .ingest(&[event("shopify", "a", 10)], &[], &job_spec())
        .await
        .unwrap();
    let IngestOutcome::Accepted { event_id } = out[0] else {
        panic!()
    };

    let mut now = 20;
    for attempt in 1..=3 {
        let job = claim_one(store.as_ref(), now).await;
        assert_eq!(job.attempt, attempt);
        let outcome = store
            .fail_job(&job, &format!("boom {attempt}"), Some(now + 100), now)
            .await
            .unwrap();
        if attempt < 3 {
            assert_eq!(outcome, FailureOutcome::Retrying { run_at: now + 100 });
            assert!(
                store
                    .claim_jobs("webhooks", "w", 1, 1_000, now + 50)
                    .await
                    .unwrap()
                    .is_empty(),
                "backoff is honoured"
            );
        } else {
            assert_eq!(outcome, FailureOutcome::DeadLettered);
        }
        now += 200;
    }
    let detail = store.webhook_event(event_id).await.unwrap();
    assert_eq!(detail.event.status, "dead");
    assert_eq!(
        detail
            .attempts
            .iter()
            .map(|a| a.error.as_str())
            .collect::<Vec<_>>(),
        ["boom 1", "boom 2", "boom 3"]
    );
    assert_eq!(
        store
            .queue_stats("webhooks", now)
            .await
            .unwrap()
            .dead_letters,
        1
    );
    assert!(
        store
            .claim_jobs("webhooks", "w", 1, 1_000, now + 10_000)
            .await
            .unwrap()
            .is_empty()
    );

    let filter = WebhookFilter {
        status: Some("dead".into()),
        ..Default::default()
    };
    let replay = JobSpec {
        priority: 100,
        ..job_spec()
    };
    assert_eq!(
        store.enqueue_replay(&filter, &replay, now).await.unwrap(),
        1
    );
    // Replaying again while its job is queued adds nothing.
    assert_eq!(
        store
            .enqueue_replay(&WebhookFilter::default(), &replay, now)
            .await
            .unwrap(),
        0
    );
    let stats = store.queue_stats("webhooks", now).await.unwrap();
    assert_eq!((stats.depth, stats.dead_letters), (1, 0));
    assert_eq!(
        store.webhook_event(event_id).await.unwrap().event.status,
        "pending"
    );
    let job = claim_one(store.as_ref(), now).await;
    assert_eq!(job.attempt, 1, "a replay starts a fresh job");
}

#[tokio::test]
async fn live_jobs_run_before_replays() {
    let db = TestDb::new().await;
    let store = db.store();
    store
        .ingest(&[event("shopify", "old", 10)], &[], &job_spec())
        .await
        .unwrap();
    let job = claim_one(store.as_ref(), 10).await;
    let out = store.ingest(&[], &[], &job_spec()).await.unwrap();
    assert!(out.is_empty());
    store
        .complete_jobs(
            &[Completion {
                job,
                webhook_event_id: None,
                status: EventStatus::Processed,
                effects: vec![],
            }],
            11,
        )
        .await
        .unwrap();
    store
        .enqueue_replay(
            &WebhookFilter::default(),
            &JobSpec {
                priority: 100,
                ..job_spec()
            },
            12,
        )
        .await
        .unwrap();
    store
        .ingest(&[event("shopify", "live", 20)], &[], &job_spec())
        .await
        .unwrap();
    let jobs = store
        .claim_jobs("webhooks", "w", 10, 1_000, 30)
        .await
        .unwrap();
    let subjects: Vec<i64> = jobs
        .iter()
        .map(|j| parse_webhook_subject(j.subject.as_deref().unwrap()).unwrap())
        .collect();
    let live = store
        .list_webhook_events(&WebhookFilter {
            ids: vec![subjects[0]],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(live[0].delivery_id, "live");
    assert_eq!(jobs.len(), 2);
}

#[tokio::test]
async fn list_filters_by_source_topic_status_and_time() {
    let db = TestDb::new().await;
    let store = db.store();
    let mut cw = event("chatwoot", "c1", 500);
    cw.topic = "message_created".into();
    store
        .ingest(
            &[event("shopify", "s1", 100), event("shopify", "s2", 300), cw],
            &[],
            &job_spec(),
        )
        .await
        .unwrap();
    let by = |f: WebhookFilter| {
        let store = store.clone();
        async move {
            store
                .list_webhook_events(&f)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.delivery_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        by(WebhookFilter {
            source: Some("shopify".into()),
            ..Default::default()
        })
        .await,
        ["s2", "s1"]
    );
    assert_eq!(
        by(WebhookFilter {
            topic: Some("message_created".into()),
            ..Default::default()
        })
        .await,
        ["c1"]
    );
    assert_eq!(
        by(WebhookFilter {
            received_from: Some(200),
            received_until: Some(400),
            ..Default::default()
        })
        .await,
        ["s2"]
    );
    assert_eq!(
        by(WebhookFilter {
            status: Some("processed".into()),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        by(WebhookFilter {
            limit: Some(1),
            ..Default::default()
        })
        .await,
        ["c1"]
    );
}

/// Applies `effects` through a real job completion, as the worker does.
async fn apply(store: &dyn Store, effects: Vec<Effect>, at: i64) {
    let id = format!("d-{at}-{}", rand_suffix());
    store
        .ingest(&[event("shopify", &id, at)], &[], &job_spec())
        .await
        .unwrap();
    let job = store
        .claim_jobs("webhooks", "w", 1, 1_000, at)
        .await
        .unwrap()
        .remove(0);
    let lost = store
        .complete_jobs(
            &[Completion {
                job,
                webhook_event_id: None,
                status: EventStatus::Processed,
                effects,
            }],
            at,
        )
        .await
        .unwrap();
    assert!(lost.is_empty());
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn stale_updates_never_overwrite_newer_state() {
    let db = TestDb::new().await;
    let store = db.store();
    let gid = "gid://shopify/Order/7";
    apply(
        store.as_ref(),
        vec![Effect::Order(Box::new(order(gid, 200, "paid")))],
        1,
    )
    .await;
    let mut older = order(gid, 100, "pending");
    older.line_items.clear();
    apply(store.as_ref(), vec![Effect::Order(Box::new(older))], 2).await;
    let stored = store.order(gid).await.unwrap().unwrap();
    assert_eq!(
        (stored.financial_status.as_deref(), stored.line_items.len()),
        (Some("paid"), 1)
    );
    apply(
        store.as_ref(),
        vec![Effect::Order(Box::new(order(gid, 300, "refunded")))],
        3,
    )
    .await;
    assert_eq!(
        store
            .order(gid)
            .await
            .unwrap()
            .unwrap()
            .financial_status
            .as_deref(),
        Some("refunded")
    );

    let level = |available, updated_at| {
        Effect::InventoryLevel(InventoryLevelRow {
            inventory_item_gid: "gid://shopify/InventoryItem/1".into(),
            location_gid: "gid://shopify/Location/1".into(),
            available,
            updated_at,
            on_hand: None,
            committed: None,
            incoming: None,
        })
    };
    apply(store.as_ref(), vec![level(5, 200), level(9, 100)], 4).await;
    let stored = store
        .inventory_level("gid://shopify/InventoryItem/1", "gid://shopify/Location/1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.available, 5);

    let conversation = |status: &str, updated_at| {
        Effect::Conversation(ConversationRow {
            account_id: 1,
            id: 42,
            inbox_id: Some(2),
            status: status.into(),
            assignee_id: None,
            labels: "[]".into(),
            created_at: 10,
            updated_at,
            last_activity_at: None,
            first_reply_created_at: None,
            waiting_since: None,
        })
    };
    apply(
        store.as_ref(),
        vec![conversation("resolved", 300), conversation("open", 200)],
        5,
    )
    .await;
    assert_eq!(
        store.conversation(1, 42).await.unwrap().unwrap().status,
        "resolved"
    );

    let product = |title: &str, updated_at| {
        Effect::Product(ProductRow {
            gid: "gid://shopify/Product/3".into(),
            title: title.into(),
            handle: None,
            status: Some("ACTIVE".into()),
            vendor: None,
            product_type: None,
            created_at: 1,
            updated_at,
            variants: vec![VariantRow {
                gid: "gid://shopify/ProductVariant/31".into(),
                sku: Some("HRA-HOSE-AN8".into()),
                title: None,
                price: Some("4.99".into()),
                inventory_item_gid: None,
                updated_at,
                unit_cost: Some("2.10".into()),
            }],
        })
    };
    apply(
        store.as_ref(),
        vec![product("AN-8 hose v2", 20), product("AN-8 hose v1", 10)],
        6,
    )
    .await;
    let stored = store
        .product("gid://shopify/Product/3")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.title.as_str(), stored.variants.len()),
        ("AN-8 hose v2", 1)
    );
}
