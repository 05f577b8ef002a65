//! The property-quota guard, after Airbyte's `api_quota.py`: it reads `propertyQuota` from
//! every answer, slows requests down once a bucket is at 10 % of what it held, stops sending
//! when a bucket is spent (until Google refills it), and classifies 429 RESOURCE_EXHAUSTED
//! answers by their message prefix. Hourly buckets refill at the top of the hour, daily ones
//! at midnight PST (08:00 UTC), the concurrency quota within seconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;

/// A bucket is "low" at or below this share of the most it held this period.
const LOW_SHARE: f64 = 0.10;
/// Spacing between requests while a bucket is low: the remaining budget spread until the
/// refill, within these bounds (the pass slows down instead of stopping).
const MIN_PACE: Duration = Duration::from_millis(500);
const MAX_PACE: Duration = Duration::from_secs(2);
/// Wait on "Exhausted concurrent requests quota": a slot frees as soon as any of the
/// property's in-flight reports (ours or another app's, each a second or two) finishes.
const CONCURRENCY_RETRY: Duration = Duration::from_secs(2);
/// Wait on a RESOURCE_EXHAUSTED with no known prefix (e.g. a Cloud project quota).
const UNKNOWN_RETRY: Duration = Duration::from_secs(60);
/// Wait on an exhaustion claim our own figures do not confirm (property tokens are shared
/// with other apps, so it is believed when repeated).
const UNCONFIRMED_RETRY: Duration = Duration::from_secs(2);
/// Consecutive unconfirmed claims after which the guard believes them.
const BELIEVE_AFTER: u32 = 3;

/// One `PropertyQuota` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    TokensPerDay,
    TokensPerHour,
    TokensPerProjectPerHour,
    ConcurrentRequests,
    ServerErrorsPerProjectPerHour,
    PotentiallyThresholdedRequestsPerHour,
}

impl Bucket {
    pub fn name(self) -> &'static str {
        match self {
            Self::TokensPerDay => "tokensPerDay",
            Self::TokensPerHour => "tokensPerHour",
            Self::TokensPerProjectPerHour => "tokensPerProjectPerHour",
            Self::ConcurrentRequests => "concurrentRequests",
            Self::ServerErrorsPerProjectPerHour => "serverErrorsPerProjectPerHour",
            Self::PotentiallyThresholdedRequestsPerHour => "potentiallyThresholdedRequestsPerHour",
        }
    }

    /// Which bucket a 429 message names, by Google's observed prefixes.
    pub fn from_message(message: &str) -> Option<Bucket> {
        const PREFIXES: [(&str, Bucket); 6] = [
            ("Exhausted concurrent requests", Bucket::ConcurrentRequests),
            (
                "Exhausted property tokens for a project per hour",
                Bucket::TokensPerProjectPerHour,
            ),
            ("Exhausted property tokens per hour", Bucket::TokensPerHour),
            ("Exhausted property tokens per day", Bucket::TokensPerDay),
            (
                "Exhausted potentially thresholded",
                Bucket::PotentiallyThresholdedRequestsPerHour,
            ),
            (
                "Exhausted server errors",
                Bucket::ServerErrorsPerProjectPerHour,
            ),
        ];
        let message = message.trim_start();
        PREFIXES
            .iter()
            .find(|(prefix, _)| message.starts_with(prefix))
            .map(|(_, bucket)| *bucket)
    }

    fn daily(self) -> bool {
        self == Self::TokensPerDay
    }

    /// The refill period `at` falls in (hour number, or PST day number).
    fn period(self, at: OffsetDateTime) -> i64 {
        let secs = at.unix_timestamp();
        if self.daily() {
            (secs - 8 * 3600).div_euclid(86_400)
        } else {
            secs.div_euclid(3600)
        }
    }

    /// Time from `now` until this bucket refills.
    pub fn refill_in(self, now: OffsetDateTime) -> Duration {
        if self == Self::ConcurrentRequests {
            return CONCURRENCY_RETRY;
        }
        let secs = now.unix_timestamp();
        let left = if self.daily() {
            86_400 - (secs - 8 * 3600).rem_euclid(86_400)
        } else {
            3600 - secs.rem_euclid(3600)
        };
        let left = u64::try_from(left).unwrap_or(1);
        // Whole seconds, minus what of the current second has passed.
        Duration::from_secs(left)
            .saturating_sub(Duration::from_nanos(u64::from(now.nanosecond())))
            .max(Duration::from_secs(1))
    }
}

/// `QuotaStatus`: proto3 JSON omits zeros, so a present status without `remaining` means 0.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct QuotaStatus {
    #[serde(default)]
    pub consumed: Option<i64>,
    #[serde(default)]
    pub remaining: Option<i64>,
}

/// The `propertyQuota` block of a report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PropertyQuota {
    pub tokens_per_day: Option<QuotaStatus>,
    pub tokens_per_hour: Option<QuotaStatus>,
    pub tokens_per_project_per_hour: Option<QuotaStatus>,
    pub concurrent_requests: Option<QuotaStatus>,
    pub server_errors_per_project_per_hour: Option<QuotaStatus>,
    pub potentially_thresholded_requests_per_hour: Option<QuotaStatus>,
}

impl PropertyQuota {
    fn entries(&self) -> impl Iterator<Item = (Bucket, QuotaStatus)> + '_ {
        [
            (Bucket::TokensPerDay, self.tokens_per_day),
            (Bucket::TokensPerHour, self.tokens_per_hour),
            (
                Bucket::TokensPerProjectPerHour,
                self.tokens_per_project_per_hour,
            ),
            (Bucket::ConcurrentRequests, self.concurrent_requests),
            (
                Bucket::ServerErrorsPerProjectPerHour,
                self.server_errors_per_project_per_hour,
            ),
            (
                Bucket::PotentiallyThresholdedRequestsPerHour,
                self.potentially_thresholded_requests_per_hour,
            ),
        ]
        .into_iter()
        .filter_map(|(bucket, status)| status.map(|s| (bucket, s)))
    }
}

/// What the guard says about sending a request now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    Go,
    /// A bucket is low: wait this long first (pacing).
    Wait {
        bucket: Bucket,
        wait: Duration,
        remaining: i64,
        of: i64,
    },
    /// A bucket is spent: send nothing until it refills.
    Blocked {
        bucket: Bucket,
        retry_after: Duration,
    },
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    period: i64,
    /// The most this bucket held this period (remaining + consumed of an answer).
    most: i64,
    remaining: i64,
}

#[derive(Debug, Default)]
struct State {
    buckets: HashMap<Bucket, Seen>,
    blocked: Option<(Bucket, OffsetDateTime)>,
    last_sent: Option<OffsetDateTime>,
    /// Tokens the last report cost (for pacing).
    last_cost: i64,
    strikes: u32,
}

/// Per-property quota state, shared by every request of the connector.
#[derive(Debug, Default)]
pub struct QuotaGuard {
    state: Mutex<State>,
}

/// Buckets whose exhaustion is worth pre-empting (concurrency is a moment's congestion).
fn metered(bucket: Bucket) -> bool {
    bucket != Bucket::ConcurrentRequests
}

impl QuotaGuard {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// May a request go out at `now`? Records it as sent when the answer is `Go`.
    pub fn admit(&self, now: OffsetDateTime) -> Admission {
        let mut st = self.state();
        if let Some((bucket, until)) = st.blocked {
            if until > now {
                let retry_after = Duration::try_from(until - now).unwrap_or(Duration::ZERO);
                return Admission::Blocked {
                    bucket,
                    retry_after: retry_after.max(Duration::from_secs(1)),
                };
            }
            st.blocked = None;
        }
        let fresh: Vec<(Bucket, Seen)> = st
            .buckets
            .iter()
            .filter(|(bucket, seen)| metered(**bucket) && seen.period == bucket.period(now))
            .map(|(b, s)| (*b, *s))
            .collect();
        if let Some((bucket, _)) = fresh.iter().find(|(_, seen)| seen.remaining <= 0) {
            let bucket = *bucket;
            let retry_after = bucket.refill_in(now);
            st.blocked = Some((bucket, now + retry_after));
            return Admission::Blocked {
                bucket,
                retry_after,
            };
        }
        let low = fresh
            .iter()
            .filter(|(_, seen)| {
                seen.most > 0 && (seen.remaining as f64) <= LOW_SHARE * seen.most as f64
            })
            .min_by(|a, b| {
                let share = |s: &Seen| s.remaining as f64 / s.most as f64;
                share(&a.1).total_cmp(&share(&b.1))
            });
        if let Some((bucket, seen)) = low {
            let requests_left = (seen.remaining / st.last_cost.max(1)).max(1);
            let spread = bucket.refill_in(now) / u32::try_from(requests_left).unwrap_or(u32::MAX);
            let pace = spread.clamp(MIN_PACE, MAX_PACE);
            let since = st.last_sent.map_or(pace, |t| {
                Duration::try_from(now - t).unwrap_or(Duration::ZERO)
            });
            if since < pace {
                return Admission::Wait {
                    bucket: *bucket,
                    wait: pace - since,
                    remaining: seen.remaining,
                    of: seen.most,
                };
            }
        }
        st.last_sent = Some(now);
        Admission::Go
    }

    /// Takes in a successful answer's `propertyQuota`.
    pub fn observe(&self, quota: &PropertyQuota, now: OffsetDateTime) {
        let mut st = self.state();
        st.strikes = 0;
        st.blocked = None;
        for (bucket, status) in quota.entries() {
            let remaining = status.remaining.unwrap_or(0);
            let consumed = status.consumed.unwrap_or(0);
            if bucket == Bucket::TokensPerHour && consumed > 0 {
                st.last_cost = consumed;
            }
            let period = bucket.period(now);
            let most = match st.buckets.get(&bucket) {
                Some(seen) if seen.period == period => seen.most.max(remaining + consumed),
                _ => remaining + consumed,
            };
            st.buckets.insert(
                bucket,
                Seen {
                    period,
                    most,
                    remaining,
                },
            );
        }
    }

    /// Takes in a 429 RESOURCE_EXHAUSTED and says how long to wait before the next attempt.
    pub fn exhausted(&self, message: &str, now: OffsetDateTime) -> (Option<Bucket>, Duration) {
        let Some(bucket) = Bucket::from_message(message) else {
            return (None, UNKNOWN_RETRY);
        };
        if bucket == Bucket::ConcurrentRequests {
            return (Some(bucket), CONCURRENCY_RETRY);
        }
        let mut st = self.state();
        // Believed at once when our own figures agree (the bucket was low); otherwise only
        // when repeated: one stray 429 must not park a pass for an hour.
        let confirmed = st.buckets.get(&bucket).is_some_and(|seen| {
            seen.period == bucket.period(now)
                && (seen.remaining as f64) <= LOW_SHARE * seen.most as f64
        });
        if !confirmed && st.strikes + 1 < BELIEVE_AFTER {
            st.strikes += 1;
            return (Some(bucket), UNCONFIRMED_RETRY);
        }
        let retry_after = bucket.refill_in(now);
        st.blocked = Some((bucket, now + retry_after));
        (Some(bucket), retry_after)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn quota(hour_remaining: i64, consumed: i64) -> PropertyQuota {
        serde_json::from_value(serde_json::json!({
            "tokensPerDay": { "consumed": consumed, "remaining": 199_000 },
            "tokensPerHour": { "consumed": consumed, "remaining": hour_remaining },
            "concurrentRequests": { "remaining": 10 },
        }))
        .expect("a propertyQuota block")
    }

    #[test]
    fn prefixes_name_the_bucket() {
        let m =
            "Exhausted property tokens per hour. These quota tokens will return in under an hour.";
        assert_eq!(Bucket::from_message(m), Some(Bucket::TokensPerHour));
        assert_eq!(
            Bucket::from_message("Exhausted property tokens for a project per hour. ..."),
            Some(Bucket::TokensPerProjectPerHour)
        );
        assert_eq!(
            Bucket::from_message("Exhausted concurrent requests quota."),
            Some(Bucket::ConcurrentRequests)
        );
        assert_eq!(
            Bucket::from_message("Quota exceeded for quota metric"),
            None
        );
    }

    #[test]
    fn refills_are_the_top_of_the_hour_and_midnight_pst() {
        let now = datetime!(2026-11-20 14:45:00 UTC);
        assert_eq!(
            Bucket::TokensPerHour.refill_in(now),
            Duration::from_secs(15 * 60)
        );
        // Midnight PST is 08:00 UTC.
        assert_eq!(
            Bucket::TokensPerDay.refill_in(now),
            Duration::from_secs((17 * 60 + 15) * 60)
        );
        assert_eq!(
            Bucket::ConcurrentRequests.refill_in(now),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn plenty_goes_low_paces_spent_blocks_until_the_refill() {
        let guard = QuotaGuard::default();
        let now = datetime!(2026-11-20 14:00:00 UTC);
        assert_eq!(guard.admit(now), Admission::Go);
        guard.observe(&quota(990, 10), now);
        assert_eq!(guard.admit(now), Admission::Go, "99 % left: no pacing");
        guard.observe(&quota(50, 10), now);
        let later = now + time::Duration::milliseconds(100);
        match guard.admit(later) {
            Admission::Wait {
                bucket,
                wait,
                remaining,
                ..
            } => {
                assert_eq!(bucket, Bucket::TokensPerHour);
                assert_eq!(remaining, 50);
                assert!(wait > Duration::ZERO && wait <= MAX_PACE, "{wait:?}");
            }
            other => panic!("5 % left should pace, got {other:?}"),
        }
        guard.observe(&quota(0, 10), now);
        let at = now + time::Duration::minutes(20);
        assert_eq!(
            guard.admit(at),
            Admission::Blocked {
                bucket: Bucket::TokensPerHour,
                retry_after: Duration::from_secs(40 * 60)
            }
        );
        // A new hour: the old figures no longer count.
        assert_eq!(guard.admit(now + time::Duration::hours(1)), Admission::Go);
    }

    #[test]
    fn a_429_blocks_until_the_refill_when_confirmed_or_repeated() {
        let now = datetime!(2026-11-20 14:30:00 UTC);
        let hourly = "Exhausted property tokens per hour. These quota tokens will return...";
        let guard = QuotaGuard::default();
        guard.observe(&quota(990, 10), now);
        guard.observe(&quota(30, 10), now);
        let (bucket, wait) = guard.exhausted(hourly, now);
        assert_eq!(bucket, Some(Bucket::TokensPerHour));
        assert_eq!(
            wait,
            Duration::from_secs(30 * 60),
            "our figures agree: believed"
        );
        assert!(
            matches!(guard.admit(now), Admission::Blocked { .. }),
            "no busy loop"
        );

        let guard = QuotaGuard::default();
        guard.observe(&quota(39_000, 5), now);
        assert_eq!(guard.exhausted(hourly, now).1, UNCONFIRMED_RETRY);
        assert_eq!(
            guard.admit(now),
            Admission::Go,
            "a stray 429 blocks nothing"
        );
        assert_eq!(guard.exhausted(hourly, now).1, UNCONFIRMED_RETRY);
        assert_eq!(
            guard.exhausted(hourly, now).1,
            Duration::from_secs(30 * 60),
            "believed when repeated"
        );
        assert!(matches!(guard.admit(now), Admission::Blocked { .. }));
        let daily =
            "Exhausted property tokens per day. These quota tokens will return in under 24 hours.";
        let guard = QuotaGuard::default();
        guard.observe(
            &serde_json::from_value(serde_json::json!({"tokensPerDay": {"consumed": 5}}))
                .expect("quota"),
            now,
        );
        assert_eq!(
            guard.exhausted(daily, now).1,
            Duration::from_secs(((17 * 60) + 30) * 60)
        );
        assert_eq!(
            QuotaGuard::default()
                .exhausted("Exhausted concurrent requests quota.", now)
                .1,
            CONCURRENCY_RETRY
        );
    }
}
