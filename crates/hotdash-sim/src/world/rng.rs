//! Deterministic randomness. Every record draws from its own ChaCha stream keyed by
//! (seed, stream kind, index), so one order can be regenerated alone, in any order, on any
//! thread, and two runs with the same seed agree byte for byte. Nothing here touches std's
//! `HashMap` ordering or a thread-local RNG.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Which family of records a stream belongs to, so order 7 and conversation 7 differ.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Catalog = 1,
    Order = 2,
    Customer = 3,
    Day = 4,
    Traffic = 5,
    Support = 6,
    Inventory = 7,
    Contact = 8,
}

/// The RNG for record `index` of `stream` under `seed`: the ChaCha key holds the seed and the
/// stream kind, the ChaCha stream number is the index, so no two records share a sequence.
pub(crate) fn rng_for(seed: u64, stream: Stream, index: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(stream as u64).to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(index);
    rng
}

/// True with probability `p` (clamped), without `random_bool`'s panic on odd inputs.
pub(crate) fn chance(rng: &mut impl Rng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// A standard normal draw (Box–Muller).
pub(crate) fn normal(rng: &mut impl Rng) -> f64 {
    let u1 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A log-normal draw with the given median; `sigma` is the spread of the underlying normal.
pub(crate) fn lognormal(rng: &mut impl Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// A Poisson draw: exact for small means, normal approximation for large ones (days at the
/// large scale carry thousands of orders).
pub(crate) fn poisson(rng: &mut impl Rng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    if mean < 30.0 {
        let limit = (-mean).exp();
        let mut product = rng.random::<f64>();
        let mut count = 0;
        while product > limit {
            product *= rng.random::<f64>();
            count += 1;
        }
        return count;
    }
    (mean + mean.sqrt() * normal(rng)).round().max(0.0) as u64
}

/// Picks an index with probability proportional to `weights[i]`.
pub(crate) fn weighted(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut target = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if target < *w {
            return i;
        }
        target -= w;
    }
    weights.len().saturating_sub(1)
}

/// A cumulative table for picking among many weighted items in O(log n).
#[derive(Debug, Clone, Default)]
pub(crate) struct Cumulative {
    bounds: Vec<f64>,
}

impl Cumulative {
    pub(crate) fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        let bounds = weights
            .into_iter()
            .map(|w| {
                acc += w.max(0.0);
                acc
            })
            .collect();
        Cumulative { bounds }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bounds.last().is_none_or(|total| *total <= 0.0)
    }

    pub(crate) fn pick(&self, rng: &mut impl Rng) -> usize {
        let total = self.bounds.last().copied().unwrap_or(0.0);
        let target = rng.random::<f64>() * total;
        self.bounds
            .partition_point(|b| *b <= target)
            .min(self.bounds.len().saturating_sub(1))
    }
}

/// Splits `total` into integer parts proportional to `weights` that add up exactly
/// (largest remainder), so money split across rows never loses a cent.
pub(crate) fn apportion(total: i64, weights: &[f64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if sum <= 0.0 {
        let mut parts = vec![0; weights.len()];
        parts[0] = total;
        return parts;
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<i64> = exact.iter().map(|x| x.floor() as i64).collect();
    let mut rest = total - parts.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| {
        let ra = exact[*a] - exact[*a].floor();
        let rb = exact[*b] - exact[*b].floor();
        rb.total_cmp(&ra).then(a.cmp(b))
    });
    let mut i = 0;
    while rest > 0 {
        parts[order[i % order.len()]] += 1;
        rest -= 1;
        i += 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_repeatable() {
        let a: u64 = rng_for(1, Stream::Order, 5).random();
        let b: u64 = rng_for(1, Stream::Order, 5).random();
        let c: u64 = rng_for(1, Stream::Order, 6).random();
        let d: u64 = rng_for(1, Stream::Support, 5).random();
        let e: u64 = rng_for(2, Stream::Order, 5).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_ne!(a, e);
    }

    #[test]
    fn apportion_keeps_the_total() {
        let parts = apportion(1001, &[1.0, 1.0, 1.0]);
        assert_eq!(parts.iter().sum::<i64>(), 1001);
        assert!(parts.iter().all(|p| (333..=334).contains(p)));
        assert_eq!(apportion(5, &[0.0, 0.0]), vec![5, 0]);
    }

    #[test]
    fn poisson_mean_is_close() {
        let mut rng = rng_for(9, Stream::Day, 0);
        let small: u64 = (0..10_000).map(|_| poisson(&mut rng, 1.3)).sum();
        assert!((12_000..14_000).contains(&small), "{small}");
        let large: u64 = (0..1_000).map(|_| poisson(&mut rng, 1_000.0)).sum();
        assert!((990_000..1_010_000).contains(&large), "{large}");
    }
}
