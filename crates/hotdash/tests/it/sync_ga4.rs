//! GA4 sync against the simulator, through the real runner and store: the stored traffic
//! equals the simulated World's, an incremental pass re-reads exactly the last three days,
//! one token serves many reports and is renewed when it expires (fetched from the key's own
//! `token_uri`), the quota guard slows down and then parks, thresholding/sampling flags are
//! stored, and a pass under chaos still ends with parity.
//!
//! A recording proxy sits between the connector and the simulator where a test needs to see
//! which requests went out.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hotdash::config::Secret;
use hotdash::connectors::ga4::{Ga4Config, PropertyId};
use hotdash::connectors::{
    Connector, ConnectorConfig, ConnectorError, PageNext, PageRequest, PassStart, RequestSettings,
    SyncContext, SyncMeter,
};
use hotdash::sync::{PassReport, SyncOptions, run_pass};
use hotdash_db::testing::TestDb;
use hotdash_db::{CursorUpdate, Store};
use hotdash_sim::chaos::Faults;
use hotdash_sim::ga4::{Ga4Switches, QuotaLimits, ServiceAccountKey};
use hotdash_sim::suite::{Simulators, SuiteConfig};
use hotdash_sim::world::Scale;
use serde_json::Value;
use time::{Date, Duration as Days};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const CONNECTOR: &str = "ga4_main";
const STREAM: &str = "traffic";

// ---------------------------------------------------------------- fixture

struct Fixture {
    sims: Simulators,
    store: Arc<dyn Store>,
    // Last: the database outlives the store's pools.
    _db: TestDb,
}

async fn fixture(scale: Scale) -> Fixture {
    let db = TestDb::new().await;
    if let Ok(expected) = std::env::var("HOTDASH_TEST_EXPECT_BACKEND") {
        assert_eq!(
            db.backend().as_str(),
            expected,
            "not on the backend CI asked for"
        );
    }
    // A fixed "now" at midday in the shop's zone: today already has traffic, whenever the
    // suite runs (tokens and quota periods still follow the wall clock).
    let sims = Simulators::start(SuiteConfig {
        scale,
        now: Some(time::macros::datetime!(2026-11-20 20:00 UTC)),
        ..SuiteConfig::default()
    })
    .await
    .expect("simulators start");
    Fixture {
        store: db.store(),
        sims,
        _db: db,
    }
}

impl Fixture {
    /// The property's today, as the simulator reads it (the shop's local date at the
    /// World's now).
    fn today(&self) -> Date {
        self.sims.world.read().expect("world").traffic_days().1
    }

    /// The World's rows for `date` as GA4 reports them by date × channel group × landing
    /// page: summed over devices, all-zero rows dropped (`keepEmptyRows: false`).
    fn truth(&self, date: Date) -> BTreeMap<(String, String, String), Figures> {
        let world = self.sims.world.read().expect("world");
        let mut out: BTreeMap<(String, String, String), Figures> = BTreeMap::new();
        for cell in world.traffic(date) {
            let f = out
                .entry((
                    compact(date),
                    cell.channel_group.clone(),
                    cell.landing_page.clone(),
                ))
                .or_default();
            f.sessions += cell.sessions;
            f.total_users += cell.total_users;
            f.key_events_milli += cell.key_events * 1000;
            f.revenue_cents += cell.purchase_revenue_cents;
        }
        out.retain(|_, f| *f != Figures::default());
        out
    }

    fn truth_window(&self, days: i64) -> BTreeMap<(String, String, String), Figures> {
        let today = self.today();
        (0..days)
            .flat_map(|back| self.truth(today - Days::days(back)))
            .collect()
    }

    /// What the store holds in `ga4_traffic`.
    async fn stored(&self) -> BTreeMap<(String, String, String), Figures> {
        let lines = self
            .store
            .dump_table("ga4_traffic")
            .await
            .expect("dump ga4_traffic");
        let property = self.sims.ga4.property_id().to_string();
        lines
            .iter()
            .map(|line| {
                let f: Vec<&str> = line.split('|').collect();
                assert_eq!(f.len(), 8, "ga4_traffic row {line}");
                assert_eq!(f[0], property, "property id of {line}");
                let num = |s: &str| {
                    s.parse::<f64>()
                        .unwrap_or_else(|_| panic!("number in {line}"))
                };
                (
                    (f[1].to_owned(), f[2].to_owned(), f[3].to_owned()),
                    Figures {
                        sessions: num(f[4]) as i64,
                        total_users: num(f[5]) as i64,
                        key_events_milli: (num(f[6]) * 1000.0).round() as i64,
                        revenue_cents: (num(f[7]) * 100.0).round() as i64,
                    },
                )
            })
            .collect()
    }

    /// `ga4_report_days` rows: date → (thresholded, sampled, row_count, currency).
    async fn report_days(&self) -> BTreeMap<String, (bool, bool, i64, String)> {
        let lines = self
            .store
            .dump_table("ga4_report_days")
            .await
            .expect("dump ga4_report_days");
        lines
            .iter()
            .map(|line| {
                let f: Vec<&str> = line.split('|').collect();
                assert_eq!(f.len(), 6, "ga4_report_days row {line}");
                let flag = |s: &str| matches!(s, "1" | "true" | "t");
                (
                    f[1].to_owned(),
                    (
                        flag(f[2]),
                        flag(f[3]),
                        f[4].parse().expect("row_count"),
                        f[5].to_owned(),
                    ),
                )
            })
            .collect()
    }

    /// A connector on `api_base` (the simulator or a proxy) with `key_json`.
    fn connector(
        &self,
        api_base: &str,
        key_json: String,
        backfill_days: u32,
        page_size: u32,
    ) -> Arc<dyn Connector> {
        let config = Ga4Config {
            credentials_json: Some(Secret::new(key_json)),
            ..self.config(api_base, backfill_days, page_size)
        };
        ConnectorConfig::Ga4(config)
            .build(CONNECTOR)
            .expect("the GA4 connector builds")
    }

    /// The connector's table, without credentials.
    fn config(&self, api_base: &str, backfill_days: u32, page_size: u32) -> Ga4Config {
        Ga4Config {
            property_id: PropertyId(self.sims.ga4.property_id().to_string()),
            credentials_json: None,
            credentials_file: None,
            api_base_url: api_base.to_owned(),
            backfill_days,
            page_size,
            sync_interval_secs: 3600,
            request: RequestSettings {
                timeout_secs: 2,
                ..RequestSettings::default()
            },
        }
    }

    fn context(&self) -> SyncContext {
        SyncContext {
            store: self.store.clone(),
            shutdown: CancellationToken::new(),
            meter: Arc::new(SyncMeter::default()),
        }
    }

    async fn pass(&self, connector: &Arc<dyn Connector>, options: &SyncOptions) -> PassReport {
        run_pass(self.store.clone(), connector.clone(), options)
            .await
            .expect("the pass reaches the store")
    }
}

/// Integer forms of the four metrics, so sums compare exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Figures {
    sessions: i64,
    total_users: i64,
    key_events_milli: i64,
    revenue_cents: i64,
}

fn compact(date: Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn iso(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn fast_options(full: bool) -> SyncOptions {
    SyncOptions {
        full,
        retry_initial_backoff_ms: 20,
        retry_max_backoff_secs: 1,
        retry_attempts: 25,
        ..SyncOptions::default()
    }
}

fn assert_parity(
    stored: &BTreeMap<(String, String, String), Figures>,
    truth: &BTreeMap<(String, String, String), Figures>,
) {
    let missing: Vec<_> = truth
        .keys()
        .filter(|k| !stored.contains_key(*k))
        .take(5)
        .collect();
    let extra: Vec<_> = stored
        .keys()
        .filter(|k| !truth.contains_key(*k))
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing rows {missing:?}, extra rows {extra:?}"
    );
    let wrong: Vec<_> = truth
        .iter()
        .filter(|(k, f)| stored.get(*k) != Some(*f))
        .take(5)
        .map(|(k, f)| (k, f, stored.get(k)))
        .collect();
    assert!(
        wrong.is_empty(),
        "rows differ (key, world, stored): {wrong:?}"
    );
}

// ---------------------------------------------------------------- recording proxy

#[derive(Debug, Clone)]
struct Logged {
    path: String,
    body: String,
    bearer: Option<String>,
    status: u16,
}

#[derive(Clone)]
struct Proxy {
    url: String,
    log: Arc<Mutex<Vec<Logged>>>,
    /// Rewrites `expires_in` of token answers (to see tokens expire in a test's time).
    token_lifetime: Arc<Mutex<Option<u64>>>,
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    proxy: Proxy,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let proxy = Proxy {
            url: format!("http://{}", listener.local_addr().expect("proxy address")),
            log: Arc::default(),
            token_lifetime: Arc::default(),
        };
        let state = ProxyState {
            upstream,
            client: reqwest::Client::new(),
            proxy: proxy.clone(),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        proxy
    }

    fn log(&self) -> Vec<Logged> {
        self.log.lock().expect("log").clone()
    }

    fn clear(&self) {
        self.log.lock().expect("log").clear();
    }

    fn token_requests(&self) -> usize {
        self.log().iter().filter(|l| l.path == "/token").count()
    }

    fn reports(&self) -> Vec<Logged> {
        self.log()
            .into_iter()
            .filter(|l| l.path.contains(":runReport"))
            .collect()
    }

    /// The `startDate` of every runReport sent.
    fn report_dates(&self) -> Vec<String> {
        self.reports()
            .iter()
            .map(|l| {
                let body: Value = serde_json::from_str(&l.body).expect("runReport body is JSON");
                let range = &body["dateRanges"][0];
                assert_eq!(range["startDate"], range["endDate"], "one day per report");
                range["startDate"].as_str().expect("a startDate").to_owned()
            })
            .collect()
    }
}

async fn forward(
    State(state): State<ProxyState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).expect("method");
    let mut request = state
        .client
        .request(method, format!("{}{path}", state.upstream))
        .body(body.to_vec());
    for name in ["authorization", "content-type"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.as_bytes());
        }
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (status, mut text) = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        }
        Err(_) => (502, String::new()),
    };
    if path == "/token"
        && status == 200
        && let Some(lifetime) = *state.proxy.token_lifetime.lock().expect("lifetime")
        && let Ok(mut answer) = serde_json::from_str::<Value>(&text)
    {
        answer["expires_in"] = lifetime.into();
        text = answer.to_string();
    }
    state.proxy.log.lock().expect("log").push(Logged {
        path: uri.path().to_owned(),
        body: String::from_utf8_lossy(&body).into_owned(),
        bearer,
        status,
    });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    (status, [("content-type", "application/json")], text).into_response()
}

/// The test key with its `token_uri` at `proxy`.
fn key_via(proxy: &Proxy) -> String {
    ServiceAccountKey::test_key().to_json_with_token_uri(&format!("{}/token", proxy.url))
}

// ---------------------------------------------------------------- tests

/// After a full pass the stored GA rows of the backfill window are the World's, row for row
/// and metric for metric, read in several pages per day where a day has more rows than a page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_pass_stores_what_the_world_holds() {
    let fx = fixture(Scale::Medium).await;
    let proxy = Proxy::start(fx.sims.ga4.url()).await;
    let backfill = 10;
    let connector = fx.connector(&proxy.url, key_via(&proxy), backfill, 200);

    let report = fx.pass(&connector, &fast_options(true)).await;
    let stream = report.stream(STREAM).expect("the traffic stream ran");
    assert!(report.ok(), "{report:?}");
    assert!(stream.full);
    assert_eq!(stream.pages, u64::from(backfill), "one page per day");

    let truth = fx.truth_window(i64::from(backfill));
    assert!(
        truth.len() > 1000,
        "a medium store has traffic to compare ({} rows)",
        truth.len()
    );
    assert_parity(&fx.stored().await, &truth);
    assert_eq!(stream.items, truth.len() as u64);

    // Days with more rows than a page were read with offsets.
    let offsets: BTreeSet<String> = proxy
        .reports()
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(&l.body).expect("JSON")["offset"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    assert!(
        offsets.contains("200"),
        "pagination used offsets: {offsets:?}"
    );

    let days = fx.report_days().await;
    assert_eq!(days.len(), backfill as usize);
    for (date, (thresholded, sampled, row_count, currency)) in &days {
        let rows = truth.keys().filter(|(d, _, _)| d == date).count() as i64;
        assert_eq!(*row_count, rows, "row_count of {date}");
        assert!(
            !thresholded && !sampled,
            "no flags unless the property sets them"
        );
        assert_eq!(currency, "USD");
    }
}

/// A second, incremental pass reads today and the two days before again, and nothing older.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_pass_rereads_exactly_the_last_three_days() {
    let fx = fixture(Scale::Small).await;
    let proxy = Proxy::start(fx.sims.ga4.url()).await;
    let connector = fx.connector(&proxy.url, key_via(&proxy), 10, 10_000);
    let first = fx.pass(&connector, &fast_options(false)).await;
    assert!(first.ok(), "{first:?}");
    assert!(
        first.streams[0].full,
        "no earlier pass: the first one is full"
    );
    assert_eq!(proxy.report_dates().len(), 10);

    proxy.clear();
    let second = fx.pass(&connector, &fast_options(false)).await;
    assert!(second.ok(), "{second:?}");
    assert!(!second.streams[0].full, "the second pass is incremental");
    let today = fx.today();
    let mut requested = proxy.report_dates();
    requested.sort();
    let mut expected = vec![
        "today".to_owned(),
        iso(today - Days::days(2)),
        iso(today - Days::days(1)),
    ];
    expected.sort();
    assert_eq!(
        requested, expected,
        "today (relative) and the two days before"
    );
    assert_parity(&fx.stored().await, &fx.truth_window(10));
}

/// One token serves every report of a pass; it comes from the key's `token_uri`; once it
/// expires the next report gets a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_serves_many_reports_and_is_renewed_after_expiry() {
    let fx = fixture(Scale::Small).await;
    let proxy = Proxy::start(fx.sims.ga4.url()).await;
    let connector = fx.connector(&proxy.url, key_via(&proxy), 12, 10_000);
    let report = fx.pass(&connector, &fast_options(true)).await;
    assert!(report.ok(), "{report:?}");
    let reports = proxy.reports();
    assert_eq!(reports.len(), 12);
    assert_eq!(
        proxy.token_requests(),
        1,
        "one grant, at the key's token_uri (the proxy)"
    );
    let bearers: BTreeSet<_> = reports.iter().map(|l| l.bearer.clone()).collect();
    assert_eq!(bearers.len(), 1, "every report carried the same token");
    let grant = proxy
        .log()
        .into_iter()
        .find(|l| l.path == "/token")
        .expect("a grant");
    assert!(grant.body.starts_with(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
    ));
    assert_eq!(grant.status, 200);

    // A connector whose tokens live three seconds: a pass, a wait, a pass.
    proxy.clear();
    *proxy.token_lifetime.lock().expect("lifetime") = Some(3);
    let short_lived = fx.connector(&proxy.url, key_via(&proxy), 1, 10_000);
    assert!(fx.pass(&short_lived, &fast_options(true)).await.ok());
    assert_eq!(proxy.token_requests(), 1);
    let before = proxy.reports()[0].bearer.clone();
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert!(fx.pass(&short_lived, &fast_options(true)).await.ok());
    assert_eq!(proxy.token_requests(), 2, "the expired token was replaced");
    let after = proxy.reports().last().expect("a report").bearer.clone();
    assert_ne!(before, after, "the new report used the new token");
}

/// At 10 % of the hourly tokens the connector slows down; with the hourly tokens spent it
/// sends nothing more and the pass parks with a retry-after that ends at the refill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_quota_slows_down_and_a_spent_hourly_quota_parks_until_the_refill() {
    let fx = fixture(Scale::Small).await;
    // Small-store reports cost one token each: 20 requests this hour.
    fx.sims.ga4.set_quota_limits(QuotaLimits {
        tokens_per_hour: 20,
        ..QuotaLimits::standard()
    });
    let proxy = Proxy::start(fx.sims.ga4.url()).await;
    let connector = fx.connector(&proxy.url, key_via(&proxy), 40, 10_000);
    let options = SyncOptions {
        // Park on any wait for the refill (it is at least a second away).
        max_rate_wait: Duration::from_millis(900),
        ..fast_options(true)
    };
    let report = fx.pass(&connector, &options).await;
    let stream = report.stream(STREAM).expect("the stream ran");
    assert!(stream.parked, "parked until the quota refills: {stream:?}");
    assert!(
        stream.rate_wait >= Duration::from_secs(1),
        "slowed down before the end: {stream:?}"
    );
    let error = stream.error.clone().expect("the pass did not finish");
    let retry_ms: u64 = error
        .split("retry after ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a retry-after in {error}"));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let to_top_of_hour = (3600 - now.rem_euclid(3600)) as u64;
    assert!(
        retry_ms / 1000 <= to_top_of_hour && retry_ms / 1000 + 10 >= to_top_of_hour,
        "retry after {retry_ms} ms, the hour ends in {to_top_of_hour} s"
    );
    let sent = proxy.reports().len();
    assert_eq!(
        sent, 20,
        "the 20 tokens of the hour were used, then nothing was sent"
    );
    assert_eq!(stream.pages, 20, "every answered report was stored");

    // Not a busy loop: another pass sends nothing while the quota is spent.
    let again = fx.pass(&connector, &options).await;
    assert!(again.streams[0].parked);
    assert_eq!(
        proxy.reports().len(),
        sent,
        "nothing sent while the quota is spent"
    );

    let findings = fx.store.findings(Some(CONNECTOR)).await.expect("findings");
    let kinds: BTreeSet<&str> = findings.iter().map(|f| f.kind.as_str()).collect();
    assert!(
        kinds.contains("quota_low") && kinds.contains("quota_exhausted"),
        "{kinds:?}"
    );
}

/// Thresholding and sampling, switched on in the simulator, are stored with each day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thresholding_and_sampling_flags_are_stored_with_the_day() {
    let fx = fixture(Scale::Small).await;
    fx.sims.ga4.set_switches(Ga4Switches {
        subject_to_thresholding: true,
        sampling: true,
        data_loss_from_other_row: false,
    });
    let connector = fx.connector(
        &fx.sims.ga4.url(),
        fx.sims.ga4.service_account_json(),
        4,
        10_000,
    );
    let report = fx.pass(&connector, &fast_options(true)).await;
    assert!(report.ok(), "{report:?}");
    let days = fx.report_days().await;
    assert_eq!(days.len(), 4);
    assert!(
        days.values()
            .all(|(thresholded, sampled, _, _)| *thresholded && *sampled),
        "{days:?}"
    );

    fx.sims.ga4.set_switches(Ga4Switches::default());
    let report = fx.pass(&connector, &fast_options(false)).await;
    assert!(report.ok(), "{report:?}");
    let days = fx.report_days().await;
    let today = fx.today();
    for back in 0..4 {
        let date = compact(today - Days::days(back));
        let (thresholded, sampled, _, _) = days[&date];
        // The last three days were read again without the flags; the oldest keeps them.
        assert_eq!(thresholded && sampled, back == 3, "flags of {date}");
    }
    let findings = fx.store.findings(Some(CONNECTOR)).await.expect("findings");
    assert!(
        findings.iter().any(|f| f.kind == "thresholded"),
        "{findings:?}"
    );
    assert!(findings.iter().any(|f| f.kind == "sampled"), "{findings:?}");
}

/// With about 30 % of requests failing (5xx, 429, timeouts), the pass still ends with the
/// World's rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_under_chaos_ends_with_parity() {
    let fx = fixture(Scale::Small).await;
    // Injected 5xx count against the property's server-error quota (10 an hour); a test
    // that injects dozens on purpose raises it.
    fx.sims.ga4.set_quota_limits(QuotaLimits {
        server_errors_per_project_per_hour: 10_000,
        ..QuotaLimits::standard()
    });
    fx.sims.ga4.chaos().set(Faults {
        error_rate: 0.1,
        rate_limit_rate: 0.1,
        timeout_rate: 0.1,
        timeout_secs: 3,
        ..Faults::default()
    });
    // Random faults alone miss a 15-page pass about once in 300 (0.7^16), which made the
    // retry assertion below flaky; every request in the first 400 ms fails, so the pass always
    // meets some (a few retries at the 20 ms initial backoff, far inside its 25 attempts).
    fx.sims.ga4.chaos().schedule(
        Duration::ZERO,
        Duration::from_millis(400),
        Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
    );
    let backfill = 15;
    let connector = fx.connector(
        &fx.sims.ga4.url(),
        fx.sims.ga4.service_account_json(),
        backfill,
        10_000,
    );
    let report = fx.pass(&connector, &fast_options(true)).await;
    fx.sims.ga4.chaos().clear();
    let stream = report.stream(STREAM).expect("the stream ran");
    assert!(report.ok(), "{stream:?}");
    assert!(stream.retries > 0, "chaos made some pages fail: {stream:?}");
    assert_parity(&fx.stored().await, &fx.truth_window(i64::from(backfill)));
}

/// A pass interrupted after a few days resumes at the next day: nothing stored is read again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_pass_resumes_from_its_cursor() {
    let fx = fixture(Scale::Small).await;
    let proxy = Proxy::start(fx.sims.ga4.url()).await;
    let connector = fx.connector(&proxy.url, key_via(&proxy), 8, 10_000);
    let cx = fx.context();
    // Three pages by hand, committed as the runner would, then the process "dies".
    let mut cursor: Option<String> = None;
    for _ in 0..3 {
        let request = PageRequest {
            stream: STREAM,
            start: &PassStart::Full,
            cursor: cursor.as_deref(),
        };
        let page = connector.sync_page(&cx, request).await.expect("a page");
        let PageNext::More(next) = page.next.clone() else {
            panic!("an 8-day pass has more than three pages");
        };
        let update = CursorUpdate::Continue {
            page_cursor: next.clone(),
            full_pass: true,
        };
        fx.store
            .commit_sync_page(CONNECTOR, STREAM, &page.effects, &update, hotdash::now_ms())
            .await
            .expect("commit");
        cursor = Some(next);
    }
    let before: Vec<String> = proxy.report_dates();
    proxy.clear();

    let report = fx.pass(&connector, &fast_options(false)).await;
    assert!(report.ok(), "{report:?}");
    assert!(
        report.streams[0].full,
        "the interrupted full pass goes on as a full pass"
    );
    let after = proxy.report_dates();
    assert_eq!(
        before.len() + after.len(),
        8,
        "every day read once: {before:?} then {after:?}"
    );
    assert!(
        !after.contains(&"today".to_owned()),
        "today was read before the interruption"
    );
    assert!(
        after.iter().all(|d| !before.contains(d)),
        "{before:?} then {after:?}"
    );
    assert_parity(&fx.stored().await, &fx.truth_window(8));
}

/// The healthcheck works on the real path (here with the key in a file); a property the
/// account cannot read is AccessDenied; a refused credential is Unauthorized; no error
/// shows the private key or a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_and_refusals_map_to_connector_errors() {
    let fx = fixture(Scale::Small).await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let key_path = dir.path().join("ga4-key.json");
    std::fs::write(&key_path, fx.sims.ga4.service_account_json()).expect("write the key file");
    let from_file = |config: Ga4Config| {
        ConnectorConfig::Ga4(Ga4Config {
            credentials_file: Some(key_path.clone()),
            ..config
        })
        .build(CONNECTOR)
        .expect("builds")
    };
    let cx = fx.context();
    let connector = from_file(fx.config(&fx.sims.ga4.url(), 3, 10_000));
    connector
        .healthcheck(&cx)
        .await
        .expect("healthy against the simulator");

    let wrong = from_file(Ga4Config {
        property_id: PropertyId("987654321".into()),
        ..fx.config(&fx.sims.ga4.url(), 3, 10_000)
    });
    let error = wrong.healthcheck(&cx).await.expect_err("not our property");
    assert!(
        matches!(error, ConnectorError::AccessDenied(_)),
        "{error:?}"
    );

    // A revoked credential: the cached token is refused, and so is the new grant.
    fx.sims.ga4.chaos().set(Faults {
        auth_failure: true,
        ..Faults::default()
    });
    let error = connector.healthcheck(&cx).await.expect_err("refused");
    fx.sims.ga4.chaos().clear();
    assert!(
        matches!(error, ConnectorError::Unauthorized(_)),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    let key = ServiceAccountKey::test_key();
    let private_line = key.private_key.lines().nth(1).expect("a PEM body line");
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(
            !text.contains(private_line) && !text.contains("ya29."),
            "{text}"
        );
    }
}
