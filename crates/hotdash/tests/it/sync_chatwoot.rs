//! The Chatwoot connector against the Chatwoot simulator, through the real sync runner into a
//! fresh database: a full pass stores exactly the simulated account (conversations, messages,
//! CSAT, daily report figures); an incremental pass picks up live changes without reading
//! everything again; a flaky server still ends in full parity; the pacer keeps a run under
//! Rack::Attack's limits; a refused token fails the pass at once.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use hotdash::config::Secret;
use hotdash::connectors::chatwoot::ChatwootConfig;
use hotdash::connectors::{Connector, ConnectorError, RequestSettings, SyncContext};
use hotdash::sync::{PassReport, SyncOptions, run_pass};
use hotdash_db::Store;
use hotdash_sim::chaos::Faults;
use hotdash_sim::chatwoot::{self as sim, RateLimits, RunningChatwoot};
use hotdash_sim::world::model::{Conversation, ConversationStatus, MessageType};
use hotdash_sim::world::{SHOP_UTC_OFFSET, Scale, SharedWorld, World, WorldConfig};
use rand::SeedableRng;
use time::OffsetDateTime;

const DAY: i64 = 86_400;
const BACKFILL_DAYS: u32 = 60;

/// A generated world (now = the wall clock, as report windows are) and a Chatwoot simulator.
async fn simulator(scale: Scale, limits: RateLimits) -> (SharedWorld, RunningChatwoot) {
    let config = WorldConfig {
        seed: 7,
        scale,
        now: OffsetDateTime::now_utc(),
    };
    let world = tokio::task::spawn_blocking(move || World::generate(config))
        .await
        .expect("world generation");
    let world: SharedWorld = Arc::new(RwLock::new(world));
    let chatwoot = sim::start(
        world.clone(),
        sim::ChatwootConfig {
            rate_limits: limits,
            ..sim::ChatwootConfig::default()
        },
    )
    .await
    .expect("the Chatwoot simulator starts");
    (world, chatwoot)
}

/// Chatwoot's own limits, with the per-IP one lifted so a medium account syncs in seconds.
fn roomy_limits() -> RateLimits {
    RateLimits {
        per_ip: 1_000_000,
        reports_per_user: 1_000,
        ..RateLimits::default()
    }
}

/// The connector config for `sim` with the given token, sized for tests.
fn config(sim: &RunningChatwoot, token: &str) -> ChatwootConfig {
    let mut config = ChatwootConfig::new(sim.url(), sim.account_id(), Secret::new(token));
    config.request = RequestSettings {
        timeout_secs: 1,
        ..RequestSettings::default()
    };
    config.requests_per_window = 1_000_000;
    config.reports_per_window = 1_000;
    config.backfill_days = BACKFILL_DAYS;
    config.report_chunk_days = 31;
    config.timezone_offset = f64::from(SHOP_UTC_OFFSET.whole_hours());
    config
}

fn connector(config: &ChatwootConfig) -> Arc<dyn Connector> {
    Arc::new(config.build("chatwoot_main").expect("the config builds"))
}

/// Quick retries: the simulator's faults are random, not a struggling server.
fn options(full: bool) -> SyncOptions {
    SyncOptions {
        full,
        retry_initial_backoff_ms: 5,
        retry_max_backoff_secs: 1,
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
            "stream {} failed: {report:?}",
            stream.stream
        );
    }
    report
}

fn ms(t: OffsetDateTime) -> String {
    (t.unix_timestamp() * 1000).to_string()
}

fn opt_ms(t: Option<OffsetDateTime>) -> String {
    t.map_or_else(|| "~".to_owned(), ms)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "~".to_owned(), |v| v.to_string())
}

fn status(s: ConversationStatus) -> &'static str {
    match s {
        ConversationStatus::Open => "open",
        ConversationStatus::Resolved => "resolved",
        ConversationStatus::Pending => "pending",
        ConversationStatus::Snoozed => "snoozed",
    }
}

fn kind(t: MessageType) -> &'static str {
    match t {
        MessageType::Incoming => "incoming",
        MessageType::Outgoing => "outgoing",
        MessageType::Activity => "activity",
        MessageType::Template => "template",
    }
}

/// What the store must hold for the world's account, as `dump_table` renders rows.
struct Truth {
    conversations: Vec<String>,
    messages: Vec<String>,
    csat: Vec<String>,
}

fn truth(world: &SharedWorld) -> Truth {
    let world = world.read().unwrap_or_else(PoisonError::into_inner);
    let account = world.chatwoot_account_id();
    let conversation = |c: &Conversation| {
        let labels = serde_json::to_string(&c.labels).expect("labels serialise");
        // `updated_at` travels as float seconds, rounded to the millisecond like webhooks.
        let updated = (c.updated_at.unix_timestamp_nanos() as f64 / 1e9 * 1000.0).round() as i64;
        [
            account.to_string(),
            c.id.to_string(),
            c.inbox_id.to_string(),
            status(c.status).to_owned(),
            opt(c.assignee_id),
            labels,
            ms(c.created_at),
            updated.to_string(),
            ms(c.last_activity_at),
            opt_ms(c.first_reply_created_at),
            opt_ms(c.waiting_since),
        ]
        .join("|")
    };
    let conversations = world.conversations();
    let mut truth = Truth {
        conversations: conversations.iter().map(conversation).collect(),
        messages: Vec::new(),
        csat: Vec::new(),
    };
    for c in conversations {
        for m in &c.messages {
            let sender = if m.sender_contact_id.is_some() {
                "contact"
            } else if m.sender_agent_id.is_some() {
                "user"
            } else {
                "~"
            };
            truth.messages.push(
                [
                    account.to_string(),
                    m.id.to_string(),
                    c.id.to_string(),
                    kind(m.message_type).to_owned(),
                    u8::from(m.private).to_string(),
                    m.content.clone(),
                    sender.to_owned(),
                    ms(m.created_at),
                    ms(m.created_at),
                ]
                .join("|"),
            );
        }
        if let Some(r) = &c.csat {
            truth.csat.push(
                [
                    account.to_string(),
                    r.id.to_string(),
                    c.id.to_string(),
                    r.rating.to_string(),
                    r.feedback_message.clone().unwrap_or_else(|| "~".into()),
                    opt(r.assigned_agent_id),
                    ms(r.created_at),
                    ms(r.created_at),
                ]
                .join("|"),
            );
        }
    }
    truth
}

async fn dump(store: &Arc<dyn Store>, table: &str) -> Vec<String> {
    let mut rows = store.dump_table(table).await.expect("dump");
    rows.sort();
    rows
}

/// Asserts two sorted row lists are equal, showing the first difference rather than both.
fn same_rows(what: &str, mut want: Vec<String>, got: Vec<String>) {
    want.sort();
    if want != got {
        let missing: Vec<_> = want.iter().filter(|w| !got.contains(w)).take(3).collect();
        let extra: Vec<_> = got.iter().filter(|g| !want.contains(g)).take(3).collect();
        panic!(
            "{what}: the store has {} rows, the world {}; missing e.g. {missing:#?}; unexpected e.g. {extra:#?}",
            got.len(),
            want.len()
        );
    }
}

async fn assert_records_match(store: &Arc<dyn Store>, world: &SharedWorld) {
    let truth = truth(world);
    assert!(
        !truth.conversations.is_empty(),
        "the world has conversations"
    );
    same_rows(
        "conversations",
        truth.conversations,
        dump(store, "chatwoot_conversations").await,
    );
    same_rows(
        "messages",
        truth.messages,
        dump(store, "chatwoot_messages").await,
    );
    same_rows(
        "csat",
        truth.csat,
        dump(store, "chatwoot_csat_responses").await,
    );
}

/// The daily figures Chatwoot's reports give for the world, keyed by (metric, day ms): counts
/// for every day of the window, averages for the days that have events.
fn report_truth(world: &SharedWorld, since: i64, until: i64) -> BTreeMap<(String, i64), f64> {
    let world = world.read().unwrap_or_else(PoisonError::into_inner);
    let offset = i64::from(SHOP_UTC_OFFSET.whole_seconds());
    let day_of = |t: OffsetDateTime| {
        let s = t.unix_timestamp();
        (s + offset).div_euclid(DAY) * DAY - offset
    };
    let mut points: BTreeMap<(&str, i64), Vec<f64>> = BTreeMap::new();
    let mut add = |metric: &'static str, t: OffsetDateTime, value: f64| {
        let s = t.unix_timestamp();
        if s >= since && s < until {
            points.entry((metric, day_of(t))).or_default().push(value);
        }
    };
    let secs = |a: OffsetDateTime, b: OffsetDateTime| (b - a).as_seconds_f64();
    for c in world.conversations() {
        add("conversations_count", c.created_at, 1.0);
        for m in &c.messages {
            match m.message_type {
                MessageType::Incoming => add("incoming_messages_count", m.created_at, 1.0),
                MessageType::Outgoing => add("outgoing_messages_count", m.created_at, 1.0),
                _ => {}
            }
        }
        if let Some(at) = c.resolved_at {
            add("resolutions_count", at, 1.0);
            add("avg_resolution_time", at, secs(c.created_at, at));
        }
        if let Some(at) = c.first_reply_created_at {
            add("avg_first_response_time", at, secs(c.created_at, at));
        }
    }
    let mut out = BTreeMap::new();
    for metric in [
        "conversations_count",
        "incoming_messages_count",
        "outgoing_messages_count",
        "resolutions_count",
    ] {
        let mut day = since;
        while day < until {
            let n = points.get(&(metric, day)).map_or(0, Vec::len);
            out.insert((metric.to_owned(), day * 1000), n as f64);
            day += DAY;
        }
    }
    for ((metric, day), values) in points {
        if metric.starts_with("avg_") {
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            out.insert((metric.to_owned(), day * 1000), mean);
        }
    }
    out
}

async fn assert_reports_match(store: &Arc<dyn Store>, world: &SharedWorld) {
    let offset = i64::from(SHOP_UTC_OFFSET.whole_seconds());
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let until = (now + offset).div_euclid(DAY) * DAY - offset + DAY;
    let since = until - i64::from(BACKFILL_DAYS) * DAY;
    let want = report_truth(world, since, until);
    let got: BTreeMap<(String, i64), f64> = dump(store, "chatwoot_daily_metrics")
        .await
        .iter()
        .map(|row| {
            let f: Vec<&str> = row.split('|').collect();
            assert_eq!(f.len(), 4, "{row}");
            let day: i64 = f[2].parse().expect("day");
            let value: f64 = f[3].parse().expect("value");
            ((f[1].to_owned(), day), value)
        })
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "report days and metrics"
    );
    for (key, value) in &want {
        let stored = got[key];
        assert!(
            (stored - value).abs() <= 1e-6 * value.abs().max(1.0),
            "{key:?}: stored {stored}, the world says {value}"
        );
    }
    assert!(
        want.iter()
            .any(|((m, _), v)| m == "avg_first_response_time" && *v > 0.0),
        "the window holds first responses"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pass_stores_the_medium_account_exactly() {
    let (world, chatwoot) = simulator(Scale::Medium, roomy_limits()).await;
    let db = crate::sync_support::database().await;
    let store = db.store();
    let connector = connector(&config(&chatwoot, chatwoot.admin_token()));
    let started = Instant::now();
    let report = pass(&store, &connector, &options(true)).await;
    let conversations = report.stream("conversations").expect("conversations ran");
    assert!(conversations.full);
    assert!(conversations.items > 5_000, "{report:?}");
    assert_records_match(&store, &world).await;
    assert_reports_match(&store, &world).await;
    eprintln!("medium full pass: {:?} ({report:?})", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_pass_picks_up_live_changes_without_reading_everything() {
    let (world, chatwoot) = simulator(Scale::Small, roomy_limits()).await;
    let db = crate::sync_support::database().await;
    let store = db.store();
    let connector = connector(&config(&chatwoot, chatwoot.admin_token()));
    let first = pass(&store, &connector, &options(true)).await;
    assert_records_match(&store, &world).await;

    // The shop keeps trading for six simulated hours: new conversations, replies, resolutions
    // (which do not move a conversation's last activity) and their CSAT ratings.
    let changes = {
        let mut world = world.write().unwrap_or_else(PoisonError::into_inner);
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let mut changes = Vec::new();
        for _ in 0..6 {
            let at = world.now() + time::Duration::hours(1);
            changes.extend(world.advance(at, 40.0, &mut rng));
        }
        changes
    };
    assert!(!changes.is_empty(), "live mode changed something");
    let live_only = SyncOptions {
        streams: vec!["conversations".into(), "csat".into()],
        ..options(false)
    };
    let second = pass(&store, &connector, &live_only).await;
    assert_records_match(&store, &world).await;

    let items = |r: &PassReport, s: &str| r.stream(s).map_or(0, |s| s.items);
    let (full, incremental) = (
        items(&first, "conversations"),
        items(&second, "conversations"),
    );
    assert!(
        !second.stream("conversations").expect("ran").full,
        "the second pass is incremental"
    );
    assert!(incremental > 0, "the incremental pass read the changes");
    // Still-open conversations are re-checked every pass; how many are open depends on the
    // world's clock (the wall clock here), so the bound leaves room for a busy hour.
    assert!(
        incremental * 2 < full,
        "the incremental pass read {incremental} records, the full one {full}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_through_a_flaky_server_still_ends_in_parity() {
    let (world, chatwoot) = simulator(Scale::Small, roomy_limits()).await;
    // About 30% of requests fail: 5xx, plain-text 429s, hangs past the client timeout and
    // bodies cut in half.
    chatwoot.chaos().set(Faults {
        error_rate: 0.12,
        rate_limit_rate: 0.1,
        timeout_rate: 0.04,
        timeout_secs: 3,
        malformed_rate: 0.05,
        ..Faults::default()
    });
    let db = crate::sync_support::database().await;
    let store = db.store();
    let connector = connector(&config(&chatwoot, chatwoot.admin_token()));
    let report = pass(&store, &connector, &options(true)).await;
    chatwoot.chaos().clear();
    let retries: u64 = report.streams.iter().map(|s| s.retries).sum();
    assert!(retries > 0, "the faults were felt: {report:?}");
    assert_records_match(&store, &world).await;
    assert_reports_match(&store, &world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pacer_keeps_a_run_under_the_servers_throttles() {
    // Rack::Attack's throttles on a 2-second window, tight enough that an unpaced run of
    // this account would trip every one of them.
    let limits = RateLimits {
        period_secs: 2,
        per_ip: 40,
        reports_per_user: 3,
        reports_per_account: 1_000,
        conversations_meta: 2,
        ..RateLimits::default()
    };
    let (world, chatwoot) = simulator(Scale::Small, limits).await;
    let db = crate::sync_support::database().await;
    let store = db.store();
    let mut config = config(&chatwoot, chatwoot.admin_token());
    config.rate_window_secs = 2;
    config.requests_per_window = 40;
    config.reports_per_window = 3;
    config.conversations_meta_per_window = 2;
    let connector = connector(&config);

    // Healthchecks hit `/conversations/meta` and `/reports/summary`: paced, never refused.
    let cx = SyncContext {
        store: store.clone(),
        shutdown: Default::default(),
        meter: Default::default(),
    };
    let started = Instant::now();
    for _ in 0..4 {
        connector
            .healthcheck(&cx)
            .await
            .expect("a paced healthcheck is answered");
    }
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the third call waited"
    );
    assert!(cx.meter.rate_wait() > Duration::ZERO);

    let report = pass(&store, &connector, &options(true)).await;
    for stream in &report.streams {
        assert_eq!(stream.retries, 0, "a request was refused: {report:?}");
    }
    assert!(
        report.streams.iter().any(|s| s.rate_wait > Duration::ZERO),
        "the run had to wait for budget: {report:?}"
    );
    assert_records_match(&store, &world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_fails_the_pass_without_retrying() {
    let (_world, chatwoot) = simulator(Scale::Small, roomy_limits()).await;
    let db = crate::sync_support::database().await;
    let store = db.store();
    let bad_token = "cw-revoked-token-4f1e9";
    let connector = connector(&config(&chatwoot, bad_token));
    let cx = SyncContext {
        store: store.clone(),
        shutdown: Default::default(),
        meter: Default::default(),
    };
    let health = connector.healthcheck(&cx).await;
    assert!(
        matches!(&health, Err(ConnectorError::Unauthorized(m)) if m.contains("Invalid Access Token")),
        "{health:?}"
    );

    let started = Instant::now();
    let report = run_pass(store.clone(), connector.clone(), &options(true))
        .await
        .expect("the pass reaches the store");
    assert!(!report.ok(), "the pass reports failure");
    assert_eq!(report.streams.len(), 3);
    for stream in &report.streams {
        let error = stream.error.as_deref().unwrap_or_default();
        assert!(
            error.contains("unauthorized"),
            "{}: {error:?}",
            stream.stream
        );
        assert!(!error.contains(bad_token), "the token stays out of errors");
        assert_eq!((stream.retries, stream.pages), (0, 0), "{}", stream.stream);
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no backoff happened"
    );
    assert_eq!(
        store
            .dump_table("chatwoot_conversations")
            .await
            .unwrap()
            .len(),
        0
    );

    // An agent's token works but may not read reports: the healthcheck says so.
    let agent = connector_for_agent(&chatwoot);
    let health = agent.healthcheck(&cx).await;
    assert!(
        matches!(&health, Err(ConnectorError::Unauthorized(m)) if m.contains("not authorized")),
        "{health:?}"
    );
}

fn connector_for_agent(chatwoot: &RunningChatwoot) -> Arc<dyn Connector> {
    connector(&config(chatwoot, chatwoot.agent_token()))
}
