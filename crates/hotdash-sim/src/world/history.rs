//! The order history: when each order was placed (a compact per-order timestamp table), and
//! one streaming pass over every order at generation that yields the `updated_at` index, the
//! orders still in motion, per-day online sales (for GA4) and what the orders did to stock.
//!
//! The pass holds one order at a time, so memory is ~24 bytes per order whatever the scale;
//! it runs on as many threads as the machine offers, and the merge is order-independent sums
//! and sorts, so the result does not depend on the thread count.

use rand::Rng;
use time::{Date, Duration, OffsetDateTime};

use super::Scale;
use super::calendar::{HOUR_WEIGHTS, day_weight, local_date, local_midnight};
use super::catalog::Catalog;
use super::orders::{Picker, materialize, plan};
use super::rng::{Stream, lognormal, poisson, rng_for, weighted};

/// How many days of history a scale has, and how many orders it should hold in total.
pub(crate) fn extent(scale: Scale) -> (i64, f64) {
    match scale {
        // The real store: about 40 orders a month.
        Scale::Small => (365, 40.0 * 12.0),
        Scale::Medium => (730, 50_000.0),
        Scale::Bench => (730, 100_000.0),
        Scale::Large => (730, 1_000_000.0),
    }
}

/// Orders expected on each day of `[start, start + days)`, before randomness.
pub(crate) fn expected_per_day(seed: u64, start: Date, days: i64, total: f64) -> Vec<f64> {
    let weights: Vec<f64> = (0..days)
        .map(|d| {
            let date = start + Duration::days(d);
            // A store that grows ~15% over its history, with day-to-day noise.
            let growth = 1.0 + 0.15 * d as f64 / days.max(1) as f64;
            let mut rng = rng_for(seed, Stream::Day, d as u64);
            day_weight(date) * growth * lognormal(&mut rng, 1.0, 0.12)
        })
        .collect();
    let sum: f64 = weights.iter().sum();
    weights.iter().map(|w| total * w / sum).collect()
}

/// Creation times (unix seconds, ascending) of every order placed from `start` up to `now`.
pub(crate) fn schedule(seed: u64, start: Date, expected: &[f64], now: OffsetDateTime) -> Vec<i64> {
    let now_secs = now.unix_timestamp();
    let mut created = Vec::new();
    for (d, mean) in expected.iter().enumerate() {
        let date = start + Duration::days(d as i64);
        let midnight = local_midnight(date).unix_timestamp();
        if midnight > now_secs {
            break;
        }
        // Stream index offset so the day's count and its noise weight use separate draws.
        let mut rng = rng_for(seed, Stream::Day, 1_000_000 + d as u64);
        let count = poisson(&mut rng, *mean);
        let first = created.len();
        for _ in 0..count {
            let hour = weighted(&mut rng, &HOUR_WEIGHTS) as i64;
            let t = midnight + hour * 3600 + rng.random_range(0..3600);
            if t <= now_secs {
                created.push(t);
            }
        }
        created[first..].sort_unstable();
    }
    created
}

/// Stock totals per (inventory item, location) from the whole history.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StockTally {
    pub shipped: i64,
    pub committed: i64,
    pub restocked: i64,
    /// Unix seconds of the last order that touched the level.
    pub last_touched: i64,
}

/// Per-day online sales, what GA4 reports as transactions and purchase revenue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DaySales {
    pub transactions: i64,
    pub revenue_cents: i64,
}

/// What the pass learns.
pub(crate) struct Scan {
    /// (updated_at unix seconds, order index), sorted.
    pub by_updated: Vec<(i64, u32)>,
    /// (next event unix seconds, order index) for orders still in motion, sorted.
    pub active: Vec<(i64, u64)>,
    /// Indexed by day offset from the history's first day.
    pub sales: Vec<DaySales>,
    /// Indexed by `item * locations + location`.
    pub stock: Vec<StockTally>,
}

pub(crate) struct ScanInput<'a> {
    pub seed: u64,
    pub catalog: &'a Catalog,
    pub picker: &'a Picker,
    pub created: &'a [i64],
    pub start: Date,
    pub days: usize,
    pub now: OffsetDateTime,
}

fn scan_range(input: &ScanInput<'_>, range: std::ops::Range<usize>) -> Scan {
    let locations = input.catalog.locations.len();
    let mut out = Scan {
        by_updated: Vec::with_capacity(range.len()),
        active: Vec::new(),
        sales: vec![DaySales::default(); input.days],
        stock: vec![StockTally::default(); input.catalog.items.len() * locations],
    };
    for index in range {
        let created = super::calendar::from_unix(input.created[index]);
        let p = plan(
            input.seed,
            input.catalog,
            input.picker,
            index as u64,
            created,
        );
        let m = materialize(&p, input.catalog, input.now);
        let updated = m.order.updated_at.unix_timestamp();
        out.by_updated.push((updated, index as u32));
        if let Some(next) = m.next_event {
            out.active.push((next.unix_timestamp(), index as u64));
        }
        if m.web_sale {
            let day = (local_date(created) - input.start).whole_days();
            if let Some(s) = usize::try_from(day).ok().and_then(|d| out.sales.get_mut(d)) {
                s.transactions += 1;
                s.revenue_cents += m.order.total_price_cents;
            }
        }
        for e in &m.effects {
            let t = &mut out.stock[e.item * locations + e.location];
            t.shipped += e.shipped;
            t.committed += e.committed;
            t.restocked += e.restocked;
            t.last_touched = t.last_touched.max(updated);
        }
    }
    out
}

/// Runs the pass over every order, split across threads.
pub(crate) fn scan(input: &ScanInput<'_>) -> Scan {
    let n = input.created.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .clamp(1, 8);
    let chunk = n.div_ceil(threads).max(1);
    let parts: Vec<Scan> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|lo| s.spawn(move || scan_range(input, lo..(lo + chunk).min(n))))
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(part) => part,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    let mut merged = Scan {
        by_updated: Vec::with_capacity(n),
        active: Vec::new(),
        sales: vec![DaySales::default(); input.days],
        stock: vec![
            StockTally::default();
            input.catalog.items.len() * input.catalog.locations.len()
        ],
    };
    for part in parts {
        merged.by_updated.extend(part.by_updated);
        merged.active.extend(part.active);
        for (m, p) in merged.sales.iter_mut().zip(part.sales) {
            m.transactions += p.transactions;
            m.revenue_cents += p.revenue_cents;
        }
        for (m, p) in merged.stock.iter_mut().zip(part.stock) {
            m.shipped += p.shipped;
            m.committed += p.committed;
            m.restocked += p.restocked;
            m.last_touched = m.last_touched.max(p.last_touched);
        }
    }
    merged.by_updated.sort_unstable();
    merged.active.sort_unstable();
    merged
}
