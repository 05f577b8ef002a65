//! Inventory levels per (item, location), derived from what the order history shipped and
//! still has committed. The stock each level ends at is drawn per level (most healthy, some
//! low, some out, Canada WH sometimes negative because it prints labels before stock is
//! counted), then `on_hand = available + committed` holds by construction, and live orders
//! move the numbers from there.

use rand::Rng;
use time::{Duration, OffsetDateTime};

use super::calendar::{from_unix, whole_seconds};
use super::catalog::{CANADA_WH, Catalog};
use super::history::StockTally;
use super::model::{InventoryLevel, ProductStatus};
use super::orders::StockEffect;
use super::rng::{Stream, chance, lognormal, rng_for};

pub(crate) fn build_levels(
    seed: u64,
    catalog: &Catalog,
    tallies: &[StockTally],
    history_days: i64,
    now: OffsetDateTime,
) -> Vec<InventoryLevel> {
    let locations = catalog.locations.len();
    let mut levels = Vec::new();
    for (item_pos, item) in catalog.items.iter().enumerate() {
        let (product, _) = catalog.variant_at(item_pos);
        for loc in 0..locations {
            let tally = tallies[item_pos * locations + loc];
            let canada = loc == CANADA_WH;
            if canada
                && !catalog.stocked_in_canada[item_pos]
                && tally.shipped + tally.committed == 0
            {
                continue;
            }
            let mut rng = rng_for(seed, Stream::Inventory, (item_pos * locations + loc) as u64);
            // Units a day this level moves; stock is a number of days of cover on top.
            let velocity = tally.shipped as f64 / history_days.max(1) as f64;
            let roll: f64 = rng.random();
            let available = match product.status {
                ProductStatus::Archived => 0,
                ProductStatus::Draft => rng.random_range(0..12),
                ProductStatus::Active if canada && roll < 0.14 => -rng.random_range(1..=6),
                ProductStatus::Active if roll < 0.2 => 0,
                ProductStatus::Active if roll < 0.34 => rng.random_range(1..=4),
                ProductStatus::Active => {
                    let cover_days = lognormal(&mut rng, 45.0, 0.45);
                    ((velocity * cover_days).round() as i64).max(rng.random_range(8..40))
                }
            };
            // Low and empty shelves usually have a purchase order on the way.
            let incoming = if available <= 4
                && product.status == ProductStatus::Active
                && chance(&mut rng, 0.6)
            {
                let qty = (velocity * 45.0).max(10.0);
                ((qty / 5.0).ceil() * 5.0) as i64
            } else {
                0
            };
            let counted = whole_seconds(now - Duration::minutes(rng.random_range(60..43_200)));
            let touched = if tally.last_touched > 0 {
                from_unix(tally.last_touched)
            } else {
                counted
            };
            levels.push(InventoryLevel {
                inventory_item_id: item.id,
                location_id: catalog.locations[loc].id,
                available,
                on_hand: available + tally.committed,
                committed: tally.committed,
                incoming,
                updated_at: touched.max(counted).min(now),
            });
        }
    }
    levels
}

/// Applies the difference between two views of one order's stock effects (before and after a
/// live change) to the levels, returning the positions of the levels that changed.
pub(crate) fn apply_effects(
    levels: &mut [InventoryLevel],
    catalog: &Catalog,
    before: &[StockEffect],
    after: &[StockEffect],
    at: OffsetDateTime,
) -> Vec<usize> {
    let mut touched = Vec::new();
    let mut apply = |e: &StockEffect, sign: i64| {
        let item_id = catalog.items[e.item].id;
        let location_id = catalog.locations[e.location].id;
        let Ok(pos) = levels.binary_search_by_key(&(item_id, location_id), |l| {
            (l.inventory_item_id, l.location_id)
        }) else {
            return;
        };
        let level = &mut levels[pos];
        level.on_hand += sign * (e.restocked - e.shipped);
        level.committed += sign * e.committed;
        level.available = level.on_hand - level.committed;
        if !touched.contains(&pos) {
            touched.push(pos);
        }
    };
    for e in before {
        apply(e, -1);
    }
    for e in after {
        apply(e, 1);
    }
    // A level whose net change is zero was not really touched.
    touched.retain(|pos| {
        let before_sum: i64 = net(before, catalog, &levels[*pos]);
        let after_sum: i64 = net(after, catalog, &levels[*pos]);
        before_sum != after_sum
    });
    for pos in &touched {
        levels[*pos].updated_at = at;
    }
    touched
}

/// A signature of one level's part of an effect list, to tell real changes from no-ops.
fn net(effects: &[StockEffect], catalog: &Catalog, level: &InventoryLevel) -> i64 {
    effects
        .iter()
        .filter(|e| {
            catalog.items[e.item].id == level.inventory_item_id
                && catalog.locations[e.location].id == level.location_id
        })
        .map(|e| e.shipped * 1_000_003 + e.committed * 1_009 + e.restocked)
        .sum()
}
