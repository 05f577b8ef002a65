//! Property quotas: the six per-property buckets Google meters (tokens per day, per hour, per
//! project per hour, concurrent requests, server errors, potentially thresholded requests),
//! kept separately for the Core and Realtime categories, with Google's exact
//! "Exhausted ..." messages and the `propertyQuota` block of responses.
//!
//! Daily buckets refresh at midnight PST (UTC-8 all year, as Google words it), hourly ones at
//! the top of each UTC hour. "If any quota for a property is exhausted, all requests to that
//! property will return Resource Exhausted errors", so every bucket is checked on admission.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::error::GoogleError;

/// Limits of one quota category. Configurable because Google's published numbers changed
/// (older docs give 25k/5k/1,250).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuotaLimits {
    pub tokens_per_day: i64,
    pub tokens_per_hour: i64,
    pub tokens_per_project_per_hour: i64,
    pub concurrent_requests: i64,
    pub server_errors_per_project_per_hour: i64,
    pub potentially_thresholded_requests_per_hour: i64,
}

impl QuotaLimits {
    /// Standard property, current quotas page: 200k/day, 40k/h, 14k per project per hour.
    pub fn standard() -> Self {
        QuotaLimits {
            tokens_per_day: 200_000,
            tokens_per_hour: 40_000,
            tokens_per_project_per_hour: 14_000,
            concurrent_requests: 10,
            server_errors_per_project_per_hour: 10,
            potentially_thresholded_requests_per_hour: 120,
        }
    }

    /// Standard property as older docs (and older copies of `PropertyQuota`) describe it.
    pub fn legacy() -> Self {
        QuotaLimits {
            tokens_per_day: 25_000,
            tokens_per_hour: 5_000,
            tokens_per_project_per_hour: 1_250,
            ..Self::standard()
        }
    }

    /// Analytics 360 property.
    pub fn analytics_360() -> Self {
        QuotaLimits {
            tokens_per_day: 2_000_000,
            tokens_per_hour: 400_000,
            tokens_per_project_per_hour: 140_000,
            concurrent_requests: 50,
            server_errors_per_project_per_hour: 50,
            potentially_thresholded_requests_per_hour: 120,
        }
    }

    fn limit(&self, bucket: Bucket) -> i64 {
        match bucket {
            Bucket::TokensPerDay => self.tokens_per_day,
            Bucket::TokensPerHour => self.tokens_per_hour,
            Bucket::TokensPerProjectPerHour => self.tokens_per_project_per_hour,
            Bucket::ConcurrentRequests => self.concurrent_requests,
            Bucket::ServerErrorsPerProjectPerHour => self.server_errors_per_project_per_hour,
            Bucket::PotentiallyThresholdedRequestsPerHour => {
                self.potentially_thresholded_requests_per_hour
            }
        }
    }
}

impl Default for QuotaLimits {
    fn default() -> Self {
        Self::standard()
    }
}

/// One `PropertyQuota` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    TokensPerDay,
    TokensPerHour,
    ConcurrentRequests,
    ServerErrorsPerProjectPerHour,
    PotentiallyThresholdedRequestsPerHour,
    TokensPerProjectPerHour,
}

const QUOTAS_URL: &str =
    "https://developers.google.com/analytics/devguides/reporting/data/v1/quotas";

impl Bucket {
    pub fn json_name(self) -> &'static str {
        match self {
            Self::TokensPerDay => "tokensPerDay",
            Self::TokensPerHour => "tokensPerHour",
            Self::ConcurrentRequests => "concurrentRequests",
            Self::ServerErrorsPerProjectPerHour => "serverErrorsPerProjectPerHour",
            Self::PotentiallyThresholdedRequestsPerHour => "potentiallyThresholdedRequestsPerHour",
            Self::TokensPerProjectPerHour => "tokensPerProjectPerHour",
        }
    }

    /// The 429 message. Clients classify on the prefix up to the first period (Airbyte's
    /// `api_quota.py`), so the prefixes are the observed ones; the tail follows Google's style.
    pub fn exhausted_message(self) -> String {
        let head = match self {
            Self::TokensPerDay => {
                "Exhausted property tokens per day. These quota tokens will return in under 24 \
                 hours."
            }
            Self::TokensPerHour => {
                "Exhausted property tokens per hour. These quota tokens will return in under an \
                 hour."
            }
            Self::TokensPerProjectPerHour => {
                "Exhausted property tokens for a project per hour. These quota tokens will \
                 return in under an hour."
            }
            Self::ConcurrentRequests => {
                "Exhausted concurrent requests quota. Wait for in-flight requests to this \
                 property to finish."
            }
            Self::ServerErrorsPerProjectPerHour => {
                "Exhausted server errors per project per hour quota. These quota tokens will \
                 return in under an hour."
            }
            Self::PotentiallyThresholdedRequestsPerHour => {
                "Exhausted potentially thresholded requests quota. These quota tokens will \
                 return in under an hour."
            }
        };
        format!("{head} To learn more, see {QUOTAS_URL}")
    }
}

/// Reporting categories; each request consumes only its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Core,
    Realtime,
}

/// A counter that starts again at zero when its period (day or hour number) changes.
#[derive(Debug, Default, Clone, Copy)]
struct Window {
    period: i64,
    used: i64,
}

impl Window {
    fn used(&mut self, period: i64) -> i64 {
        if self.period != period {
            *self = Window { period, used: 0 };
        }
        self.used
    }

    fn add(&mut self, period: i64, amount: i64) {
        self.used(period);
        self.used += amount;
    }
}

#[derive(Debug, Default)]
struct CategoryState {
    day: Window,
    hour: Window,
    thresholded: Window,
    project_hour: HashMap<String, Window>,
    server_errors: HashMap<String, Window>,
    in_flight: i64,
}

/// The day (PST) and hour numbers a moment falls in.
#[derive(Debug, Clone, Copy)]
struct Periods {
    day: i64,
    hour: i64,
}

impl Periods {
    fn at(now: OffsetDateTime) -> Periods {
        let secs = now.unix_timestamp();
        Periods {
            day: (secs - 8 * 3600).div_euclid(86_400),
            hour: secs.div_euclid(3600),
        }
    }
}

/// What a request consumed and what is left, per bucket: the `propertyQuota` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaReport {
    pub entries: Vec<(Bucket, i64, i64)>,
}

impl QuotaReport {
    /// Proto3 JSON: zero `consumed`/`remaining` are omitted, as Google's JSON omits defaults.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        for (bucket, consumed, remaining) in &self.entries {
            let mut status = Map::new();
            if *consumed != 0 {
                status.insert("consumed".into(), json!(consumed));
            }
            if *remaining != 0 {
                status.insert("remaining".into(), json!(remaining));
            }
            out.insert(bucket.json_name().into(), Value::Object(status));
        }
        Value::Object(out)
    }
}

/// The quota state of the simulated property.
#[derive(Debug)]
pub struct QuotaBook {
    limits: Mutex<QuotaLimits>,
    state: Mutex<HashMap<Category, CategoryState>>,
}

/// Holds one concurrent-request slot until dropped.
#[derive(Debug)]
pub struct Permit {
    book: Arc<QuotaBook>,
    category: Category,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.book.state.lock().expect("quota lock poisoned");
        let st = state.entry(self.category).or_default();
        st.in_flight -= 1;
    }
}

impl QuotaBook {
    pub fn new(limits: QuotaLimits) -> Self {
        QuotaBook {
            limits: Mutex::new(limits),
            state: Mutex::new(HashMap::new()),
        }
    }

    pub fn limits(&self) -> QuotaLimits {
        *self.limits.lock().expect("quota lock poisoned")
    }

    pub fn set_limits(&self, limits: QuotaLimits) {
        *self.limits.lock().expect("quota lock poisoned") = limits;
    }

    /// Forgets all consumption (the limits stay).
    pub fn reset(&self) {
        let mut state = self.state.lock().expect("quota lock poisoned");
        for st in state.values_mut() {
            let in_flight = st.in_flight;
            *st = CategoryState {
                in_flight,
                ..CategoryState::default()
            };
        }
    }

    /// Refuses the request if any bucket of its category is exhausted; otherwise takes a
    /// concurrent-request slot for as long as the permit lives.
    pub fn admit(
        self: &Arc<Self>,
        category: Category,
        project: &str,
    ) -> Result<Permit, GoogleError> {
        let limits = self.limits();
        let periods = Periods::at(OffsetDateTime::now_utc());
        let mut state = self.state.lock().expect("quota lock poisoned");
        let st = state.entry(category).or_default();
        let used = |bucket: Bucket, st: &mut CategoryState| match bucket {
            Bucket::ConcurrentRequests => st.in_flight,
            Bucket::TokensPerDay => st.day.used(periods.day),
            Bucket::TokensPerHour => st.hour.used(periods.hour),
            Bucket::TokensPerProjectPerHour => st
                .project_hour
                .entry(project.to_owned())
                .or_default()
                .used(periods.hour),
            Bucket::PotentiallyThresholdedRequestsPerHour => st.thresholded.used(periods.hour),
            Bucket::ServerErrorsPerProjectPerHour => st
                .server_errors
                .entry(project.to_owned())
                .or_default()
                .used(periods.hour),
        };
        // Concurrency first: it is the one a client should simply wait out.
        let order = [
            Bucket::ConcurrentRequests,
            Bucket::TokensPerDay,
            Bucket::TokensPerHour,
            Bucket::TokensPerProjectPerHour,
            Bucket::PotentiallyThresholdedRequestsPerHour,
            Bucket::ServerErrorsPerProjectPerHour,
        ];
        for bucket in order {
            if used(bucket, st) >= limits.limit(bucket) {
                return Err(GoogleError::resource_exhausted(bucket.exhausted_message()));
            }
        }
        st.in_flight += 1;
        Ok(Permit {
            book: Arc::clone(self),
            category,
        })
    }

    /// Charges a finished request and returns its `propertyQuota`.
    pub fn charge(
        &self,
        category: Category,
        project: &str,
        tokens: i64,
        potentially_thresholded: bool,
    ) -> QuotaReport {
        let limits = self.limits();
        let periods = Periods::at(OffsetDateTime::now_utc());
        let mut state = self.state.lock().expect("quota lock poisoned");
        let st = state.entry(category).or_default();
        st.day.add(periods.day, tokens);
        st.hour.add(periods.hour, tokens);
        let project_hour = st.project_hour.entry(project.to_owned()).or_default();
        project_hour.add(periods.hour, tokens);
        let project_used = project_hour.used;
        let thresholded_now = i64::from(potentially_thresholded);
        st.thresholded.add(periods.hour, thresholded_now);
        let errors_used = st
            .server_errors
            .entry(project.to_owned())
            .or_default()
            .used(periods.hour);
        let remaining = |bucket: Bucket, used: i64| (limits.limit(bucket) - used).max(0);
        // This request's own slot is still held; Google reports it as not consuming one.
        let others_in_flight = (st.in_flight - 1).max(0);
        let entries = vec![
            (
                Bucket::TokensPerDay,
                tokens,
                remaining(Bucket::TokensPerDay, st.day.used),
            ),
            (
                Bucket::TokensPerHour,
                tokens,
                remaining(Bucket::TokensPerHour, st.hour.used),
            ),
            (
                Bucket::ConcurrentRequests,
                0,
                remaining(Bucket::ConcurrentRequests, others_in_flight),
            ),
            (
                Bucket::ServerErrorsPerProjectPerHour,
                0,
                remaining(Bucket::ServerErrorsPerProjectPerHour, errors_used),
            ),
            (
                Bucket::PotentiallyThresholdedRequestsPerHour,
                thresholded_now,
                remaining(
                    Bucket::PotentiallyThresholdedRequestsPerHour,
                    st.thresholded.used,
                ),
            ),
            (
                Bucket::TokensPerProjectPerHour,
                tokens,
                remaining(Bucket::TokensPerProjectPerHour, project_used),
            ),
        ];
        QuotaReport { entries }
    }

    /// Counts a 5xx answered to `project` (Core category).
    pub fn record_server_error(&self, project: &str) {
        let periods = Periods::at(OffsetDateTime::now_utc());
        let mut state = self.state.lock().expect("quota lock poisoned");
        let st = state.entry(Category::Core).or_default();
        st.server_errors
            .entry(project.to_owned())
            .or_default()
            .add(periods.hour, 1);
    }

    /// Consumption so far, for `GET /__sim/ga4/quota`.
    pub fn status(&self) -> Value {
        let limits = self.limits();
        let periods = Periods::at(OffsetDateTime::now_utc());
        let mut state = self.state.lock().expect("quota lock poisoned");
        let mut categories = Map::new();
        for (category, name) in [(Category::Core, "core"), (Category::Realtime, "realtime")] {
            let st = state.entry(category).or_default();
            let projects: Map<String, Value> = st
                .project_hour
                .iter_mut()
                .map(|(project, w)| (project.clone(), json!(w.used(periods.hour))))
                .collect();
            let errors: Map<String, Value> = st
                .server_errors
                .iter_mut()
                .map(|(project, w)| (project.clone(), json!(w.used(periods.hour))))
                .collect();
            categories.insert(
                name.into(),
                json!({
                    "tokensPerDay": st.day.used(periods.day),
                    "tokensPerHour": st.hour.used(periods.hour),
                    "tokensPerProjectPerHour": projects,
                    "concurrentRequests": st.in_flight,
                    "serverErrorsPerProjectPerHour": errors,
                    "potentiallyThresholdedRequestsPerHour": st.thresholded.used(periods.hour),
                }),
            );
        }
        json!({ "limits": limits, "used": categories })
    }
}

/// Token cost of a Core report. Google says only that cost grows with rows, columns, filter
/// complexity and date range, and that "most requests consume fewer than 10 tokens"; this
/// formula has those properties and is deterministic, so tests can predict it.
pub fn report_cost(
    span_days: i64,
    scanned_rows: usize,
    returned_rows: usize,
    filters: usize,
) -> i64 {
    let scanned = i64::try_from(scanned_rows).unwrap_or(i64::MAX);
    let returned = i64::try_from(returned_rows).unwrap_or(i64::MAX);
    let filters = i64::try_from(filters).unwrap_or(i64::MAX);
    1_i64
        .saturating_add(span_days / 30)
        .saturating_add(scanned / 2_000)
        .saturating_add(returned / 1_000)
        .saturating_add(filters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhausting_tokens_refuses_the_next_request_with_googles_prefix() {
        let book = Arc::new(QuotaBook::new(QuotaLimits {
            tokens_per_hour: 5,
            ..QuotaLimits::standard()
        }));
        let permit = book.admit(Category::Core, "p").map_err(|e| e.message);
        assert!(permit.is_ok());
        drop(permit);
        let report = book.charge(Category::Core, "p", 5, false);
        assert!(report.entries.contains(&(Bucket::TokensPerHour, 5, 0)));
        let refused = book.admit(Category::Core, "p").map(drop);
        let error = refused.expect_err("hourly tokens are spent");
        assert_eq!(error.code.as_u16(), 429);
        assert!(
            error
                .message
                .starts_with("Exhausted property tokens per hour.")
        );
        // Realtime has its own buckets.
        assert!(book.admit(Category::Realtime, "p").is_ok());
    }

    #[test]
    fn concurrent_slots_are_released_on_drop() {
        let book = Arc::new(QuotaBook::new(QuotaLimits {
            concurrent_requests: 1,
            ..QuotaLimits::standard()
        }));
        let first = book.admit(Category::Core, "p");
        assert!(first.is_ok());
        let second = book.admit(Category::Core, "p").map(drop);
        let error = second.expect_err("one slot only");
        assert!(
            error
                .message
                .starts_with("Exhausted concurrent requests quota.")
        );
        drop(first);
        assert!(book.admit(Category::Core, "p").is_ok());
    }

    #[test]
    fn cost_grows_with_span_and_rows() {
        assert_eq!(report_cost(7, 100, 10, 0), 1);
        assert!(report_cost(365, 100, 10, 0) > report_cost(28, 100, 10, 0));
        assert!(report_cost(28, 50_000, 10, 0) > report_cost(28, 100, 10, 0));
    }
}
