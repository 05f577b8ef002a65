//! The order index: creation times, the `updated_at` index built at generation, and the live
//! overlay. Base orders are regenerated on every read; an order live mode has touched lives in
//! the overlay instead, and its entry in the `updated_at` order moves with it.

use std::collections::{BTreeMap, BTreeSet};

use time::OffsetDateTime;

use super::ids;
use super::model::Order;

/// A position in `(updated_at or created_at, order index)` order, in whole seconds.
pub(crate) type Key = (i64, u64);

pub(crate) struct OrderBook {
    /// Orders generated with the world; indices at and above are live orders.
    pub base_count: u64,
    /// Creation time (unix seconds) of every order, base and live, ascending.
    pub created: Vec<i64>,
    /// (updated_at seconds, index) of base orders at generation, sorted.
    pub by_updated: Vec<(i64, u32)>,
    /// Orders live mode changed or created, by index.
    pub overlay: BTreeMap<u64, Order>,
    /// (updated_at seconds, index) of overlay orders.
    pub overlay_by_updated: BTreeSet<Key>,
    /// (next planned event seconds, index) of orders that will still change.
    pub active: BTreeSet<Key>,
}

/// Converts the API's `(after, from, to)` into a half-open key range `[lo, hi)`.
pub(crate) fn key_range(
    after: Option<(OffsetDateTime, u64)>,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
) -> (Key, i64) {
    // Stored times are whole seconds; a bound with a fraction rounds to the next second.
    let ceil_secs = |t: OffsetDateTime| t.unix_timestamp() + i64::from(t.nanosecond() > 0);
    let mut lo: Key = (i64::MIN, 0);
    if let Some(from) = from {
        lo = lo.max((ceil_secs(from), 0));
    }
    if let Some((t, id)) = after {
        let bound = if t.nanosecond() > 0 {
            (t.unix_timestamp() + 1, 0)
        } else {
            match ids::order_index(id) {
                Some(index) => (t.unix_timestamp(), index.saturating_add(1)),
                None => (t.unix_timestamp(), 0),
            }
        };
        lo = lo.max(bound);
    }
    let hi = to.map_or(i64::MAX, ceil_secs);
    (lo, hi)
}

impl OrderBook {
    pub(crate) fn count(&self) -> u64 {
        self.created.len() as u64
    }

    pub(crate) fn created_secs(&self, index: u64) -> Option<i64> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.created.get(i))
            .copied()
    }

    /// Order indices in `(updated_at, index)` order within `[lo, hi)`: the base index merged
    /// with the overlay, skipping base entries the overlay has replaced.
    pub(crate) fn updated_keys(&self, lo: Key, hi: i64) -> impl Iterator<Item = Key> + '_ {
        let start = self
            .by_updated
            .partition_point(|(secs, index)| (*secs, u64::from(*index)) < lo);
        let base = self.by_updated[start..]
            .iter()
            .map(|(secs, index)| (*secs, u64::from(*index)))
            .filter(|(_, index)| !self.overlay.contains_key(index));
        let overlay = self.overlay_by_updated.range(lo..).copied();
        Merge {
            a: base.peekable(),
            b: overlay.peekable(),
        }
        .take_while(move |(secs, _)| *secs < hi)
    }

    /// Order indices in `(created_at, index)` order within `[lo, hi)`.
    pub(crate) fn created_keys(&self, lo: Key, hi: i64) -> impl Iterator<Item = Key> + '_ {
        let start = self.created.partition_point(|secs| *secs < lo.0);
        self.created[start..]
            .iter()
            .enumerate()
            .map(move |(offset, secs)| (*secs, (start + offset) as u64))
            .filter(move |key| *key >= lo)
            .take_while(move |(secs, _)| *secs < hi)
    }
}

/// Merges two ascending key streams.
struct Merge<A: Iterator<Item = Key>, B: Iterator<Item = Key>> {
    a: std::iter::Peekable<A>,
    b: std::iter::Peekable<B>,
}

impl<A: Iterator<Item = Key>, B: Iterator<Item = Key>> Iterator for Merge<A, B> {
    type Item = Key;

    fn next(&mut self) -> Option<Key> {
        match (self.a.peek(), self.b.peek()) {
            (Some(x), Some(y)) if x <= y => self.a.next(),
            (Some(_), Some(_)) => self.b.next(),
            (Some(_), None) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn key_range_is_strictly_after_the_cursor() {
        let t = datetime!(2026-01-01 00:00:10 UTC);
        let (lo, hi) = key_range(Some((t, ids::order_id(7))), None, None);
        assert_eq!(lo, (t.unix_timestamp(), 8));
        assert_eq!(hi, i64::MAX);
        let half = datetime!(2026-01-01 00:00:10.5 UTC);
        let (lo, hi) = key_range(None, Some(half), Some(half));
        assert_eq!(lo, (t.unix_timestamp() + 1, 0));
        assert_eq!(hi, t.unix_timestamp() + 1);
    }
}
