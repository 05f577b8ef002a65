//! The cost limiter: a mirror of Shopify's leaky bucket, corrected from every response's
//! `extensions.cost.throttleStatus`. A request waits exactly until the bucket holds its
//! estimated cost (the last requested cost of that operation at that page size), so the
//! budget is spent at the restore rate and THROTTLED stays the exception. No fixed sleeps:
//! every wait is computed from the bucket.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::connectors::SyncMeter;

/// `extensions.cost.throttleStatus`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

#[derive(Debug)]
struct Bucket {
    status: ThrottleStatus,
    at: Instant,
}

impl Bucket {
    fn available(&self, now: Instant) -> f64 {
        let restored = now.duration_since(self.at).as_secs_f64() * self.status.restore_rate;
        (self.status.currently_available + restored).min(self.status.maximum_available)
    }
}

/// One per connector (one shop, one app: one bucket).
#[derive(Debug, Default)]
pub struct CostLimiter {
    bucket: Mutex<Option<Bucket>>,
    /// Last requested cost per (operation, page size): the estimate for the next such call.
    estimates: Mutex<HashMap<(String, i64), f64>>,
}

impl CostLimiter {
    pub fn estimate(&self, operation: &str, page_size: i64) -> Option<f64> {
        self.estimates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(operation.to_owned(), page_size))
            .copied()
    }

    /// How long a request of `cost` must wait now (zero if the bucket holds it, or while the
    /// bucket is unknown: the first answer tells us).
    pub fn wait_for(&self, cost: f64) -> Duration {
        let bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let Some(bucket) = bucket.as_ref() else {
            return Duration::ZERO;
        };
        let cost = cost.min(bucket.status.maximum_available);
        let missing = cost - bucket.available(Instant::now());
        if missing <= 0.0 || bucket.status.restore_rate <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(missing / bucket.status.restore_rate)
        }
    }

    /// Waits until the bucket holds `cost`, then debits it (the answer corrects the level).
    pub async fn acquire(&self, cost: f64, meter: &SyncMeter) {
        loop {
            let wait = self.wait_for(cost);
            if wait.is_zero() {
                break;
            }
            meter.add_rate_wait(wait);
            tokio::time::sleep(wait).await;
        }
        let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = bucket.as_mut() {
            let now = Instant::now();
            b.status.currently_available = (b.available(now) - cost).max(0.0);
            b.at = now;
        }
    }

    /// Records a response's cost extension.
    pub fn observe(
        &self,
        operation: &str,
        page_size: i64,
        requested: Option<f64>,
        status: ThrottleStatus,
    ) {
        *self.bucket.lock().unwrap_or_else(|e| e.into_inner()) = Some(Bucket {
            status,
            at: Instant::now(),
        });
        if let Some(requested) = requested {
            self.estimates
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((operation.to_owned(), page_size), requested);
        }
    }

    /// How long until a THROTTLED request of `cost` would fit, from the status it came with.
    pub fn throttled_wait(status: &ThrottleStatus, cost: f64) -> Duration {
        let missing = cost.min(status.maximum_available) - status.currently_available;
        if missing <= 0.0 || status.restore_rate <= 0.0 {
            Duration::from_millis(50)
        } else {
            Duration::from_secs_f64(missing / status.restore_rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(available: f64) -> ThrottleStatus {
        ThrottleStatus {
            maximum_available: 2000.0,
            currently_available: available,
            restore_rate: 100.0,
        }
    }

    #[test]
    fn waits_exactly_for_the_missing_points() {
        let limiter = CostLimiter::default();
        assert_eq!(
            limiter.wait_for(500.0),
            Duration::ZERO,
            "unknown bucket: go"
        );
        limiter.observe("Orders", 10, Some(600.0), status(100.0));
        let wait = limiter.wait_for(600.0).as_secs_f64();
        assert!((4.9..=5.0).contains(&wait), "{wait}");
        assert_eq!(limiter.wait_for(50.0), Duration::ZERO);
        assert_eq!(limiter.estimate("Orders", 10), Some(600.0));
        assert_eq!(limiter.estimate("Orders", 5), None);
    }

    #[test]
    fn a_cost_above_the_bucket_waits_for_a_full_bucket_only() {
        let limiter = CostLimiter::default();
        limiter.observe("Big", 1, None, status(1900.0));
        let wait = limiter.wait_for(5000.0).as_secs_f64();
        assert!((0.9..=1.0).contains(&wait), "{wait}");
    }

    #[test]
    fn throttled_wait_comes_from_the_status() {
        let wait = CostLimiter::throttled_wait(&status(20.0), 520.0);
        assert_eq!(wait, Duration::from_secs(5));
    }
}
