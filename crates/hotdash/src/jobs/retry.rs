//! Retry delays: exponential backoff from a base, capped, with ±20 % jitter so retries of a
//! batch that failed together do not return together.

use std::time::Duration;

use rand::Rng;

/// The delay before retrying after failed attempt number `attempt` (1-based).
pub fn delay(attempt: i32, base_ms: u64, cap_secs: u64, rng: &mut impl Rng) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(32);
    let raw = base_ms
        .saturating_mul(1u64 << exponent)
        .min(cap_secs.saturating_mul(1000));
    let jitter = rng.random_range(0.8..=1.2);
    Duration::from_millis((raw as f64 * jitter) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_per_attempt_within_jitter_and_respects_the_cap() {
        let mut rng = rand::rng();
        for (attempt, expected_ms) in [
            (1, 1_000.0),
            (2, 2_000.0),
            (3, 4_000.0),
            (10, 512_000.0),
            (40, 600_000.0),
        ] {
            for _ in 0..50 {
                let ms = delay(attempt, 1_000, 600, &mut rng).as_millis() as f64;
                assert!(
                    ms >= expected_ms * 0.8 - 1.0 && ms <= expected_ms * 1.2 + 1.0,
                    "attempt {attempt}: {ms}"
                );
            }
        }
    }

    #[test]
    fn jitter_spreads_retries() {
        let mut rng = rand::rng();
        let delays: std::collections::HashSet<_> =
            (0..20).map(|_| delay(3, 1_000, 600, &mut rng)).collect();
        assert!(delays.len() > 1);
    }
}
