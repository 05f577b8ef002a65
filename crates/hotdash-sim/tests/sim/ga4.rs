//! GA4 Data API simulator over real HTTP: the official Python client reads the World's traffic
//! through it (acceptance 1), the OAuth token endpoint checks assertions like Google's, and
//! reports, validation, quotas, enum encoding, paging and faults answer in Google's words.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use hotdash_sim::chaos::Faults;
use hotdash_sim::ga4::{
    self, GOOGLE_TOKEN_AUDIENCE, Ga4Config, Ga4Switches, QuotaLimits, RunningGa4, SCOPE_READONLY,
};
use hotdash_sim::world::{Scale, SharedWorld, World, WorldConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime};

fn world() -> SharedWorld {
    Arc::new(RwLock::new(World::generate(WorldConfig {
        seed: 42,
        scale: Scale::Small,
        now: datetime!(2026-06-15 18:00 UTC),
    })))
}

async fn start(world: &SharedWorld, config: Ga4Config) -> RunningGa4 {
    ga4::start(Arc::clone(world), config)
        .await
        .expect("the GA4 simulator starts on loopback")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("a plain reqwest client builds")
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// A self-signed JWT as the official clients send it.
fn self_signed(sim: &RunningGa4) -> String {
    let email = &sim.service_account().client_email;
    sign(
        sim,
        json!({"iss": email, "sub": email, "scope": SCOPE_READONLY,
            "iat": now(), "exp": now() + 3600}),
    )
}

fn sign(sim: &RunningGa4, claims: Value) -> String {
    sim.service_account()
        .sign(&claims)
        .expect("the test key signs")
}

fn yyyymmdd(date: Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// POSTs `body` to `properties/{id}:{method}{query}` and returns status and JSON.
async fn call(
    sim: &RunningGa4,
    method_and_query: &str,
    token: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let url = format!("{}/v1beta/{}:{method_and_query}", sim.url(), sim.property());
    let response = client()
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("the simulator answers");
    let status = response.status();
    let body = response.json().await.expect("a JSON body");
    (status, body)
}

async fn run_report(sim: &RunningGa4, token: &str, body: &Value) -> Value {
    let (status, body) = call(sim, "runReport", token, body).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn post_token(sim: &RunningGa4, form: &str) -> (StatusCode, Value) {
    let response = client()
        .post(sim.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .expect("the token endpoint answers");
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

fn assertion_form(jwt: &str) -> String {
    format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}")
}

/// The last `days` days of traffic (ending on the World's today).
fn recent_days(world: &SharedWorld, days: i64) -> (Date, Date) {
    let (_, last) = world.read().expect("world lock").traffic_days();
    (last - Duration::days(days - 1), last)
}

/// What the World says a (date, channel) report must contain:
/// [date, channel, sessions, totalUsers, keyEvents, purchaseRevenue] as the API renders them.
fn expected_by_date_and_channel(world: &SharedWorld, start: Date, end: Date) -> Vec<Vec<String>> {
    let world = world.read().expect("world lock");
    let mut sums: BTreeMap<(String, String), [i64; 4]> = BTreeMap::new();
    let mut day = start;
    while day <= end {
        for row in world.traffic(day) {
            let entry = sums
                .entry((yyyymmdd(day), row.channel_group.clone()))
                .or_default();
            entry[0] += row.sessions;
            entry[1] += row.total_users;
            entry[2] += row.key_events;
            entry[3] += row.purchase_revenue_cents;
        }
        day = day.next_day().expect("dates within range");
    }
    sums.into_iter()
        .filter(|(_, v)| v.iter().any(|x| *x != 0))
        .map(|((date, channel), v)| {
            vec![
                date,
                channel,
                v[0].to_string(),
                v[1].to_string(),
                v[2].to_string(),
                format!("{}", v[3] as f64 / 100.0),
            ]
        })
        .collect()
}

fn rows_of(report: &Value) -> Vec<Vec<String>> {
    report["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    let cells = row["dimensionValues"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .chain(row["metricValues"].as_array().into_iter().flatten());
                    cells
                        .map(|c| c["value"].as_str().unwrap_or_default().to_owned())
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The official Python client (acceptance 1)
// ---------------------------------------------------------------------------------------------

/// The interpreter with `google-analytics-data` installed: `HOTDASH_PYTHON`, else the venv CI
/// and developers create at `target/pyclients`, else `python3`.
fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("HOTDASH_PYTHON") {
        return python.into();
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/pyclients/bin/python3");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

/// Whether the official client is importable; in CI its absence is a failure, not a skip.
async fn python_client_available(python: &PathBuf) -> bool {
    let probe = tokio::process::Command::new(python)
        .args(["-c", "import google.analytics.data_v1beta"])
        .output()
        .await;
    let ok = probe.as_ref().is_ok_and(|o| o.status.success());
    if !ok {
        let why = match &probe {
            Ok(output) => String::from_utf8_lossy(&output.stderr).into_owned(),
            Err(error) => error.to_string(),
        };
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install the official GA4 client (tests/clients/python/README.md): {python:?} \
             cannot import it: {why}"
        );
        eprintln!(
            "SKIPPED: {python:?} cannot import google.analytics.data_v1beta ({}); see \
             tests/clients/python/README.md",
            why.trim()
        );
    }
    ok
}

async fn run_python_client(sim: &RunningGa4, start: Date, end: Date, auth: &str) -> Value {
    let dir = tempfile::tempdir().expect("a temp dir");
    let key_file = dir.path().join("service-account.json");
    std::fs::write(&key_file, sim.service_account_json()).expect("the key file writes");
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/python/run_report.py");
    let output = tokio::process::Command::new(python())
        .arg(&script)
        .arg(sim.url())
        .arg(&key_file)
        .args(["--property", &sim.property_id().to_string()])
        .args(["--start", &start.to_string(), "--end", &end.to_string()])
        .args(["--page-size", "25", "--auth", auth])
        .output()
        .await
        .expect("python runs");
    assert!(
        output.status.success(),
        "run_report.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    if !output.stderr.is_empty() {
        eprintln!(
            "run_report.py stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).expect("run_report.py prints JSON")
}

fn python_rows(result: &Value) -> Vec<Vec<String>> {
    result["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            row.as_array()
                .into_iter()
                .flatten()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_official_python_client_reads_the_worlds_traffic() {
    let python = python();
    if !python_client_available(&python).await {
        return;
    }
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let (start_date, end_date) = recent_days(&world, 14);
    let expected = expected_by_date_and_channel(&world, start_date, end_date);
    assert!(expected.len() > 25, "the window spans several pages");

    // Self-signed JWT, as the client does by default against Google.
    let result = run_python_client(&sim, start_date, end_date, "self-signed").await;
    assert_eq!(python_rows(&result), expected);
    assert_eq!(result["rowCount"], json!(expected.len()));
    assert_eq!(result["pages"], json!(expected.len().div_ceil(25)));
    assert_eq!(
        result["metricTypes"],
        json!([
            "TYPE_INTEGER",
            "TYPE_INTEGER",
            "TYPE_INTEGER",
            "TYPE_CURRENCY"
        ])
    );
    assert_eq!(result["currencyCode"], "USD");
    assert_eq!(result["tokenPrefix"], Value::Null);

    // google-auth's two-legged flow through the simulator's /token.
    let result = run_python_client(&sim, start_date, end_date, "token").await;
    assert_eq!(
        result["tokenPrefix"], "ya29.c.sim",
        "the token came from the simulator"
    );
    assert_eq!(python_rows(&result), expected);
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_sales_report_adds_up_to_the_worlds_traffic() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let (start_date, end_date) = recent_days(&world, 28);
    let body = json!({
        "dateRanges": [{"startDate": start_date.to_string(), "endDate": end_date.to_string()}],
        "dimensions": [{"name": "date"}, {"name": "sessionDefaultChannelGroup"}],
        "metrics": [{"name": "sessions"}, {"name": "totalUsers"}, {"name": "keyEvents"},
                    {"name": "purchaseRevenue"}],
        "orderBys": [{"dimension": {"dimensionName": "date"}},
                     {"dimension": {"dimensionName": "sessionDefaultChannelGroup"}}],
        "returnPropertyQuota": true
    });
    let report = run_report(&sim, &self_signed(&sim), &body).await;
    let expected = expected_by_date_and_channel(&world, start_date, end_date);
    assert_eq!(rows_of(&report), expected);
    assert_eq!(report["rowCount"], json!(expected.len()));
    assert_eq!(report["kind"], "analyticsData#runReport");
    assert_eq!(report["metadata"]["currencyCode"], "USD");
    assert_eq!(report["metadata"]["timeZone"], "America/Phoenix");
    assert_eq!(
        report["metricHeaders"][3],
        json!({"name": "purchaseRevenue", "type": "TYPE_CURRENCY"})
    );
    let tokens = &report["propertyQuota"]["tokensPerDay"];
    assert!(
        tokens["consumed"].as_i64().is_some_and(|c| c > 0),
        "{tokens}"
    );
    assert_eq!(
        tokens["consumed"].as_i64().unwrap_or_default()
            + tokens["remaining"].as_i64().unwrap_or_default(),
        200_000
    );
}

#[tokio::test]
async fn an_organic_landing_page_report_filters_orders_and_accepts_deprecated_names() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let body = json!({
        "dateRanges": [{"startDate": "28daysAgo", "endDate": "yesterday"}],
        "dimensions": [{"name": "landingPagePlusQueryString"}],
        "metrics": [{"name": "sessions"}, {"name": "conversions"}],
        "dimensionFilter": {"filter": {"fieldName": "sessionDefaultChannelGrouping",
            "stringFilter": {"matchType": "EXACT", "value": "Organic Search"}}},
        "orderBys": [{"metric": {"metricName": "sessions"}, "desc": true}],
        "limit": "50", "offset": "0", "keepEmptyRows": false,
        "metricAggregations": ["TOTAL"]
    });
    let report = run_report(&sim, &self_signed(&sim), &body).await;
    assert_eq!(
        report["metricHeaders"][1]["name"], "conversions",
        "echoes the alias"
    );
    let rows = rows_of(&report);
    assert!(!rows.is_empty());
    let sessions: Vec<i64> = rows.iter().map(|r| r[1].parse().unwrap_or(-1)).collect();
    assert!(
        sessions.windows(2).all(|w| w[0] >= w[1]),
        "desc by sessions: {sessions:?}"
    );

    // The organic sessions of the World over the same days.
    let w = world.read().expect("world lock");
    let (_, today) = w.traffic_days();
    let mut organic = 0;
    let mut day = today - Duration::days(28);
    while day < today {
        organic += w
            .traffic(day)
            .iter()
            .filter(|r| r.channel_group == "Organic Search")
            .map(|r| r.sessions)
            .sum::<i64>();
        day = day.next_day().expect("in range");
    }
    assert_eq!(
        report["totals"][0]["metricValues"][0]["value"],
        organic.to_string()
    );
    assert_eq!(
        report["totals"][0]["dimensionValues"][0]["value"],
        "RESERVED_TOTAL"
    );
}

#[tokio::test]
async fn paging_by_offset_returns_every_row_exactly_once() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let token = self_signed(&sim);
    let base = json!({
        "dateRanges": [{"startDate": "13daysAgo", "endDate": "today"}],
        "dimensions": [{"name": "date"}, {"name": "deviceCategory"}],
        "metrics": [{"name": "sessions"}],
        "orderBys": [{"dimension": {"dimensionName": "date"}},
                     {"dimension": {"dimensionName": "deviceCategory"}}]
    });
    let all = run_report(&sim, &token, &base).await;
    let total = all["rowCount"].as_u64().expect("rowCount");
    assert!(total > 7);
    let mut paged = Vec::new();
    let mut offset = 0;
    while offset < total {
        let mut body = base.clone();
        body["limit"] = json!("7");
        body["offset"] = json!(offset.to_string());
        let page = run_report(&sim, &token, &body).await;
        assert_eq!(page["rowCount"], json!(total), "rowCount ignores paging");
        paged.extend(rows_of(&page));
        offset += 7;
    }
    assert_eq!(paged, rows_of(&all));

    let mut beyond = base.clone();
    beyond["offset"] = json!(total + 5);
    let empty = run_report(&sim, &token, &beyond).await;
    assert!(empty.get("rows").is_none());
}

#[tokio::test]
async fn an_empty_report_has_neither_rows_nor_row_count() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let body = json!({
        "dateRanges": [{"startDate": "2015-01-01", "endDate": "2015-01-31"}],
        "dimensions": [{"name": "date"}],
        "metrics": [{"name": "sessions"}]
    });
    let report = run_report(&sim, &self_signed(&sim), &body).await;
    assert!(report.get("rows").is_none(), "{report}");
    assert!(report.get("rowCount").is_none(), "{report}");
    assert_eq!(report["dimensionHeaders"], json!([{"name": "date"}]));
}

#[tokio::test]
async fn integer_enums_are_read_and_written_under_enum_encoding_int() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let token = self_signed(&sim);
    let body = json!({
        "dateRanges": [{"startDate": "7daysAgo", "endDate": "today"}],
        "dimensions": [{"name": "sessionDefaultChannelGroup"}],
        "metrics": [{"name": "sessions"}, {"name": "bounceRate"}, {"name": "totalRevenue"}],
        "dimensionFilter": {"filter": {"fieldName": "sessionDefaultChannelGroup",
            "stringFilter": {"matchType": 4, "value": "search"}}},
        "orderBys": [{"dimension": {"dimensionName": "sessionDefaultChannelGroup", "orderType": 1}}],
        "limit": 10
    });
    let (status, ints) = call(
        &sim,
        "runReport?$alt=json;enum-encoding=int&$prettyPrint=0",
        &token,
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ints}");
    let types: Vec<&Value> = ints["metricHeaders"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| &h["type"])
        .collect();
    assert_eq!(types, [&json!(1), &json!(2), &json!(9)]);
    let channels: Vec<String> = rows_of(&ints).into_iter().map(|r| r[0].clone()).collect();
    assert!(!channels.is_empty());
    assert!(
        channels.iter().all(|c| c.to_lowercase().contains("search")),
        "{channels:?}"
    );

    let (_, names) = call(&sim, "runReport", &token, &body).await;
    assert_eq!(names["metricHeaders"][0]["type"], "TYPE_INTEGER");
    assert_eq!(rows_of(&names), rows_of(&ints));
}

#[tokio::test]
async fn batch_realtime_metadata_and_compatibility_answer_in_googles_shapes() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let token = self_signed(&sim);
    let one = json!({"dateRanges": [{"startDate": "yesterday", "endDate": "yesterday"}],
        "metrics": [{"name": "sessions"}]});
    let (status, batch) = call(
        &sim,
        "batchRunReports",
        &token,
        &json!({"requests": [one, one]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{batch}");
    assert_eq!(batch["kind"], "analyticsData#batchRunReports");
    assert_eq!(batch["reports"].as_array().map(Vec::len), Some(2));
    assert_eq!(batch["reports"][0]["kind"], "analyticsData#runReport");
    let six = json!({"requests": [one, one, one, one, one, one]});
    let (status, error) = call(&sim, "batchRunReports", &token, &six).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["status"], "INVALID_ARGUMENT");

    let (status, realtime) = call(
        &sim,
        "runRealtimeReport",
        &token,
        &json!({"dimensions": [{"name": "deviceCategory"}], "metrics": [{"name": "activeUsers"}],
                "returnPropertyQuota": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{realtime}");
    assert_eq!(realtime["kind"], "analyticsData#runRealtimeReport");
    assert_eq!(
        realtime["metricHeaders"][0],
        json!({"name": "activeUsers", "type": "TYPE_INTEGER"})
    );
    assert!(realtime["propertyQuota"]["tokensPerHour"]["consumed"].is_i64());

    let metadata: Value = client()
        .get(format!("{}/v1beta/{}/metadata", sim.url(), sim.property()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(metadata["name"], format!("{}/metadata", sim.property()));
    let key_events = metadata["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["apiName"] == "keyEvents")
        .cloned()
        .unwrap_or_default();
    assert_eq!(key_events["deprecatedApiNames"], json!(["conversions"]));
    assert_eq!(key_events["type"], "TYPE_INTEGER");

    let (status, compat) = call(
        &sim,
        "checkCompatibility",
        &token,
        &json!({"dimensions": [{"name": "landingPagePlusQueryString"}],
                "compatibilityFilter": "INCOMPATIBLE"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{compat}");
    let incompatible: Vec<&Value> = compat["metricCompatibilities"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| &m["metricMetadata"]["apiName"])
        .collect();
    assert!(
        incompatible.contains(&&json!("purchaseRevenue")),
        "{compat}"
    );
    assert!(!incompatible.contains(&&json!("sessions")));
}

#[tokio::test]
async fn switches_add_thresholding_sampling_and_other_row_flags() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let body = json!({"dateRanges": [{"startDate": "7daysAgo", "endDate": "yesterday"}],
        "metrics": [{"name": "totalUsers"}], "returnPropertyQuota": true});
    let plain = run_report(&sim, &self_signed(&sim), &body).await;
    assert!(plain["metadata"].get("subjectToThresholding").is_none());
    let switched = client()
        .put(format!("{}/__sim/ga4/switches", sim.url()))
        .json(
            &json!({"subjectToThresholding": true, "sampling": true, "dataLossFromOtherRow": true}),
        )
        .send()
        .await
        .expect("admin answers");
    assert_eq!(switched.status(), StatusCode::OK);
    let flagged = run_report(&sim, &self_signed(&sim), &body).await;
    assert_eq!(flagged["metadata"]["subjectToThresholding"], true);
    assert_eq!(flagged["metadata"]["dataLossFromOtherRow"], true);
    let sampling = &flagged["metadata"]["samplingMetadatas"][0];
    assert!(
        sampling["samplingSpaceSize"]
            .as_str()
            .is_some_and(|s| s.parse::<i64>().is_ok())
    );
    assert_eq!(
        flagged["propertyQuota"]["potentiallyThresholdedRequestsPerHour"],
        json!({"consumed": 1, "remaining": 119})
    );
    sim.set_switches(Ga4Switches::default());
    let plain = run_report(&sim, &self_signed(&sim), &body).await;
    assert!(plain["metadata"].get("samplingMetadatas").is_none());
}

// ---------------------------------------------------------------------------------------------
// Validation, quotas, faults
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn invalid_requests_get_googles_400_envelope() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let token = self_signed(&sim);
    let range = json!([{"startDate": "7daysAgo", "endDate": "today"}]);
    let cases = [
        (
            json!({"dateRanges": range, "metrics": [{"name": "pageViews"}]}),
            "Field pageViews is not a valid metric. For a list of valid dimensions and metrics, \
             see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema",
        ),
        (
            json!({"dateRanges": range, "dimensions": [{"name": "pagePath"}], "metrics": [{"name": "sessions"}]}),
            "Field pagePath is not a valid dimension. For a list of valid dimensions and metrics, \
             see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema",
        ),
        (
            json!({"dateRanges": range, "dimensions": [{"name": "landingPagePlusQueryString"}],
                   "metrics": [{"name": "sessions"}, {"name": "purchaseRevenue"}]}),
            "Please remove purchaseRevenue to make the request compatible for example. The \
             request's dimensions & metrics are incompatible. To learn more, see \
             https://ga-dev-tools.web.app/ga4/dimensions-metrics-explorer/",
        ),
        (
            json!({"dateRanges": range, "metrics": [{"name": "sessions"}], "dimensionFilters": {}}),
            "Invalid JSON payload received. Unknown name \"dimensionFilters\": Cannot find field.",
        ),
    ];
    for (body, message) in cases {
        let (status, error) = call(&sim, "runReport", &token, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            error,
            json!({"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}})
        );
    }
    let (status, error) = call(&sim, "runReport", &token,
        &json!({"dateRanges": [{"startDate": "today", "endDate": "7daysAgo"}], "metrics": [{"name": "sessions"}]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["status"], "INVALID_ARGUMENT");
}

#[tokio::test]
async fn another_property_is_permission_denied() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let response = client()
        .post(format!("{}/v1beta/properties/987654321:runReport", sim.url()))
        .bearer_auth(self_signed(&sim))
        .json(&json!({"dateRanges": [{"startDate": "today", "endDate": "today"}], "metrics": [{"name": "sessions"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({"error": {"code": 403, "status": "PERMISSION_DENIED",
        "message": "User does not have sufficient permissions for this property. To learn more \
                    about Property ID, see \
                    https://developers.google.com/analytics/devguides/reporting/data/v1/property-id."}})
    );
}

#[tokio::test]
async fn exhausted_quota_answers_429_with_googles_message_until_reset() {
    let world = world();
    let config = Ga4Config {
        quotas: QuotaLimits {
            tokens_per_hour: 3,
            ..QuotaLimits::standard()
        },
        ..Ga4Config::default()
    };
    let sim = start(&world, config).await;
    let token = self_signed(&sim);
    let body = json!({"dateRanges": [{"startDate": "yesterday", "endDate": "yesterday"}],
        "metrics": [{"name": "sessions"}], "returnPropertyQuota": true});
    let mut remaining = Vec::new();
    let refusal = loop {
        let (status, answer) = call(&sim, "runReport", &token, &body).await;
        if status != StatusCode::OK {
            break (status, answer);
        }
        remaining.push(
            answer["propertyQuota"]["tokensPerHour"]["remaining"]
                .as_i64()
                .unwrap_or(0),
        );
        assert!(
            remaining.len() <= 3,
            "one-token reports cannot outlast a 3-token budget"
        );
    };
    assert_eq!(remaining, [2, 1, 0]);
    assert_eq!(refusal.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refusal.1["error"]["code"], 429);
    assert_eq!(refusal.1["error"]["status"], "RESOURCE_EXHAUSTED");
    let message = refusal.1["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Exhausted property tokens per hour."),
        "{message}"
    );

    // The realtime category has its own buckets.
    let (status, _) = call(
        &sim,
        "runRealtimeReport",
        &token,
        &json!({"metrics": [{"name": "activeUsers"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let reset = client()
        .delete(format!("{}/__sim/ga4/quota", sim.url()))
        .send()
        .await
        .expect("admin answers");
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    let (status, _) = call(&sim, "runReport", &token, &body).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_legacy_preset_and_concurrency_limits_use_their_own_messages() {
    let world = world();
    let config = Ga4Config {
        quotas: QuotaLimits {
            concurrent_requests: 0,
            ..QuotaLimits::legacy()
        },
        ..Ga4Config::default()
    };
    let sim = start(&world, config).await;
    let body = json!({"dateRanges": [{"startDate": "yesterday", "endDate": "yesterday"}],
        "metrics": [{"name": "sessions"}]});
    let (status, error) = call(&sim, "runReport", &self_signed(&sim), &body).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let message = error["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Exhausted concurrent requests quota."),
        "{message}"
    );

    sim.set_quota_limits(QuotaLimits::legacy());
    let body = json!({"dateRanges": [{"startDate": "yesterday", "endDate": "yesterday"}],
        "metrics": [{"name": "sessions"}], "returnPropertyQuota": true});
    let (status, report) = call(&sim, "runReport", &self_signed(&sim), &body).await;
    assert_eq!(status, StatusCode::OK);
    let project = &report["propertyQuota"]["tokensPerProjectPerHour"];
    assert_eq!(
        project["remaining"].as_i64().unwrap_or(0) + project["consumed"].as_i64().unwrap_or(0),
        1_250
    );
}

#[tokio::test]
async fn chaos_faults_answer_in_googles_envelope() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let body = json!({"dateRanges": [{"startDate": "yesterday", "endDate": "yesterday"}],
        "metrics": [{"name": "sessions"}]});
    sim.chaos().set(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let (status, error) = call(&sim, "runReport", &self_signed(&sim), &body).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        error,
        json!({"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}})
    );
    sim.chaos().set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let (status, error) = call(&sim, "runReport", &self_signed(&sim), &body).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error["error"]["status"], "RESOURCE_EXHAUSTED");
    let message = error["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Exhausted concurrent requests quota."),
        "a random 429 is the concurrency refusal: {message}"
    );
    sim.chaos().set(Faults {
        outage: true,
        ..Faults::default()
    });
    let (status, error) = call(&sim, "runReport", &self_signed(&sim), &body).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error["error"]["status"], "UNAVAILABLE");
    sim.chaos().set(Faults {
        auth_failure: true,
        ..Faults::default()
    });
    let (status, error) = call(&sim, "runReport", &self_signed(&sim), &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["error"]["status"], "UNAUTHENTICATED");
    sim.chaos().clear();
    let (status, _) = call(&sim, "runReport", &self_signed(&sim), &body).await;
    assert_eq!(status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Auth: the token endpoint and bearer checks
// ---------------------------------------------------------------------------------------------

fn assertion(sim: &RunningGa4, aud: &str, iat: i64, exp: i64) -> String {
    sign(
        sim,
        json!({"iss": sim.service_account().client_email, "scope": SCOPE_READONLY,
        "aud": aud, "iat": iat, "exp": exp}),
    )
}

#[tokio::test]
async fn the_token_endpoint_exchanges_a_good_assertion_for_a_working_token() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    // google-auth's audience, then Airbyte's (the key's token_uri).
    for aud in [GOOGLE_TOKEN_AUDIENCE.to_owned(), sim.token_url()] {
        let jwt = assertion(&sim, &aud, now(), now() + 3600);
        let (status, body) = post_token(&sim, &assertion_form(&jwt)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["expires_in"], 3599);
        assert_eq!(body["token_type"], "Bearer");
        let token = body["access_token"].as_str().expect("an access token");
        let report = run_report(
            &sim,
            token,
            &json!({
            "dateRanges": [{"startDate": "yesterday", "endDate": "yesterday"}],
            "metrics": [{"name": "sessions"}]}),
        )
        .await;
        assert_eq!(report["kind"], "analyticsData#runReport");
    }
}

#[tokio::test]
async fn the_token_endpoint_refuses_bad_assertions_in_googles_words() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let good = assertion(&sim, GOOGLE_TOKEN_AUDIENCE, now(), now() + 3600);
    // Same header and payload, someone else's signature.
    let other = assertion(&sim, GOOGLE_TOKEN_AUDIENCE, now() - 1, now() + 3599);
    let forged = format!(
        "{}.{}",
        good.rsplit_once('.')
            .map(|(head, _)| head)
            .unwrap_or_default(),
        other
            .rsplit_once('.')
            .map(|(_, sig)| sig)
            .unwrap_or_default()
    );
    let short_lived = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a \
                       reasonable timeframe. Check your iat and exp values in the JWT claim.";
    let no_scope = sign(
        &sim,
        json!({"iss": sim.service_account().client_email,
        "aud": GOOGLE_TOKEN_AUDIENCE, "iat": now(), "exp": now() + 3600}),
    );
    let cases = [
        (forged, "invalid_grant", "Invalid JWT Signature."),
        (
            assertion(&sim, "https://example.com/token", now(), now() + 3600),
            "invalid_grant",
            "Invalid JWT: Failed audience check.",
        ),
        (
            assertion(&sim, GOOGLE_TOKEN_AUDIENCE, now(), now() + 7200),
            "invalid_grant",
            short_lived,
        ),
        (
            assertion(&sim, GOOGLE_TOKEN_AUDIENCE, now() - 7200, now() - 3600),
            "invalid_grant",
            short_lived,
        ),
        (
            no_scope,
            "invalid_scope",
            "Invalid OAuth scope or ID token audience provided.",
        ),
    ];
    for (jwt, error, description) in cases {
        let (status, body) = post_token(&sim, &assertion_form(&jwt)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{description}");
        assert_eq!(
            body,
            json!({"error": error, "error_description": description})
        );
    }
    // Five minutes of clock skew are tolerated.
    let skewed = assertion(&sim, GOOGLE_TOKEN_AUDIENCE, now() + 200, now() + 3600);
    let (status, _) = post_token(&sim, &assertion_form(&skewed)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post_token(&sim, "grant_type=client_credentials").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn the_api_refuses_missing_expired_and_forged_credentials() {
    let world = world();
    let sim = start(&world, Ga4Config::default()).await;
    let url = format!("{}/v1beta/{}:runReport", sim.url(), sim.property());
    let body = json!({"dateRanges": [{"startDate": "today", "endDate": "today"}], "metrics": [{"name": "sessions"}]});
    let email = sim.service_account().client_email.clone();
    let expired = sign(
        &sim,
        json!({"iss": email, "sub": email, "scope": SCOPE_READONLY,
        "iat": now() - 4000, "exp": now() - 400}),
    );
    let wrong_issuer = sign(
        &sim,
        json!({"iss": "someone@else.iam.gserviceaccount.com",
        "scope": SCOPE_READONLY, "iat": now(), "exp": now() + 3600}),
    );
    let by_audience = sign(
        &sim,
        json!({"iss": email, "sub": email,
        "aud": ga4::API_AUDIENCE, "iat": now(), "exp": now() + 3600}),
    );
    for token in [
        None,
        Some("ya29.not-issued-here"),
        Some(expired.as_str()),
        Some(wrong_issuer.as_str()),
    ] {
        let mut request = client().post(&url).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("answers");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert!(response.headers().contains_key("www-authenticate"));
        let error: Value = response.json().await.expect("JSON");
        assert_eq!(error["error"]["code"], 401);
        assert_eq!(error["error"]["status"], "UNAUTHENTICATED");
    }
    // A self-signed JWT may carry the API audience instead of a scope.
    let report = run_report(&sim, &by_audience, &body).await;
    assert_eq!(report["kind"], "analyticsData#runReport");
}
