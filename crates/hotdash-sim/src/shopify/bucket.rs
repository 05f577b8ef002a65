//! Shopify's leaky bucket for GraphQL query cost (shopify.md §1.1–1.2): a bucket of
//! `maximumAvailable` points that refills continuously at `restoreRate` points per second. A
//! query must find its *requested* cost in the bucket; afterwards the difference between requested
//! and actual cost is refunded.

use std::time::Instant;

use serde::{Deserialize, Serialize};

/// A store's plan, which sets its bucket (shopify.md §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// 2000 points, 100/s: what real Standard stores report.
    Standard,
    /// 200/s documented; the 4000-point bucket follows the observed 20× ratio (inference).
    Advanced,
    /// 1000/s documented; bucket 20000 by the same ratio (inference).
    Plus,
    /// 2000/s documented ("20X"); bucket 40000 by the same ratio (inference).
    Enterprise,
    /// Development stores: about 40 points and 2/s (Microsoft BCApps#10417).
    DevStore,
    /// Any bucket, e.g. a small fast one for tests.
    Custom { maximum: f64, restore_rate: f64 },
}

impl Plan {
    /// `(maximumAvailable, restoreRate)`.
    pub fn limits(self) -> (f64, f64) {
        match self {
            Plan::Standard => (2000.0, 100.0),
            Plan::Advanced => (4000.0, 200.0),
            Plan::Plus => (20000.0, 1000.0),
            Plan::Enterprise => (40000.0, 2000.0),
            Plan::DevStore => (40.0, 2.0),
            Plan::Custom {
                maximum,
                restore_rate,
            } => (maximum, restore_rate),
        }
    }
}

/// What `extensions.cost.throttleStatus` reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

impl ThrottleStatus {
    /// Shopify prints the maximum and rate as floats and what is available as an integer.
    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": self.currently_available.floor() as i64,
            "restoreRate": self.restore_rate,
        })
    }
}

#[derive(Debug)]
pub struct Bucket {
    maximum: f64,
    restore_rate: f64,
    available: f64,
    updated: Instant,
}

impl Bucket {
    /// A full bucket for `plan`.
    pub fn new(plan: Plan) -> Self {
        let (maximum, restore_rate) = plan.limits();
        Bucket {
            maximum,
            restore_rate,
            available: maximum,
            updated: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.available = (self.available + elapsed * self.restore_rate).min(self.maximum);
        self.updated = now;
    }

    /// Takes `cost` points if the bucket holds them; otherwise leaves it alone and says how long
    /// until it would (`Err(seconds)`).
    pub fn take(
        &mut self,
        cost: f64,
        now: Instant,
    ) -> Result<ThrottleStatus, (ThrottleStatus, f64)> {
        self.refill(now);
        if cost > self.available {
            let wait = (cost - self.available) / self.restore_rate;
            return Err((self.status(), wait));
        }
        self.available -= cost;
        Ok(self.status())
    }

    /// Gives back `points` (requested minus actual cost).
    pub fn refund(&mut self, points: f64, now: Instant) -> ThrottleStatus {
        self.refill(now);
        self.available = (self.available + points.max(0.0)).min(self.maximum);
        self.status()
    }

    /// The state right now, without taking anything.
    pub fn peek(&mut self, now: Instant) -> ThrottleStatus {
        self.refill(now);
        self.status()
    }

    fn status(&self) -> ThrottleStatus {
        ThrottleStatus {
            maximum_available: self.maximum,
            currently_available: self.available,
            restore_rate: self.restore_rate,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn takes_refunds_and_refills_continuously() {
        let start = Instant::now();
        let mut bucket = Bucket::new(Plan::Custom {
            maximum: 100.0,
            restore_rate: 10.0,
        });
        bucket.updated = start;
        let status = bucket.take(80.0, start).expect("fits");
        assert_eq!(status.currently_available, 20.0);
        let (status, wait) = bucket.take(50.0, start).expect_err("throttled");
        assert_eq!(status.currently_available, 20.0);
        assert!((wait - 3.0).abs() < 1e-9);
        // Half a second later 5 points have come back; the refund adds 30 more.
        let status = bucket.refund(30.0, start + Duration::from_millis(500));
        assert!((status.currently_available - 55.0).abs() < 1e-9);
        // Never above the maximum.
        let status = bucket.peek(start + Duration::from_secs(60));
        assert_eq!(status.currently_available, 100.0);
    }

    #[test]
    fn standard_is_2000_at_100_per_second() {
        assert_eq!(Plan::Standard.limits(), (2000.0, 100.0));
        assert_eq!(Plan::DevStore.limits(), (40.0, 2.0));
    }
}
