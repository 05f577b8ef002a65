//! Relay pagination as Shopify serves it: `first`/`last`/`after`/`before`/`reverse`, opaque
//! base64 cursors (Shopify's are base64 of `{"last_id":…,"last_value":…}`, and so are
//! these), and `pageInfo` computed against the whole sorted result.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use apollo_compiler::resolvers::{FieldError, ResolveInfo};

/// A sort position: the sort field's value as a string that orders like the value, then the id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    #[serde(rename = "last_value")]
    pub value: String,
    #[serde(rename = "last_id")]
    pub id: u64,
}

impl Key {
    pub fn time(t: OffsetDateTime, id: u64) -> Key {
        Key {
            value: time_key(t),
            id,
        }
    }

    pub fn number(n: i64, id: u64) -> Key {
        // Offset so negative numbers still order correctly as fixed-width text.
        let shifted = (n as i128) - (i64::MIN as i128);
        Key {
            value: format!("{shifted:020}"),
            id,
        }
    }

    pub fn text(text: &str, id: u64) -> Key {
        Key {
            value: text.to_lowercase(),
            id,
        }
    }

    pub fn id(id: u64) -> Key {
        Key::number(id as i64, id)
    }

    /// The time this key was made from, if it was made by `Key::time`.
    pub fn as_time(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.value, &Rfc3339).ok()
    }

    pub fn cursor(&self) -> String {
        STANDARD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn from_cursor(cursor: &str) -> Result<Key, FieldError> {
        STANDARD
            .decode(cursor)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| FieldError {
                message: format!("Invalid cursor: {cursor}"),
            })
    }
}

/// UTC with nanoseconds, fixed width, so text order is time order.
pub fn time_key(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}

/// A connection's paging arguments.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<usize>,
    pub last: Option<usize>,
    pub after: Option<Key>,
    pub before: Option<Key>,
    pub reverse: bool,
}

impl PageArgs {
    /// Reads `first`, `last`, `after`, `before`, `reverse` from the field's arguments. Without
    /// `first` or `last` (bulk operations) the page is unbounded.
    pub fn from_info(info: &ResolveInfo<'_>) -> Result<PageArgs, FieldError> {
        let args = info.arguments();
        let size = |name: &str| {
            args.get(name)
                .and_then(|v| v.as_i64())
                .map(|n| n.max(0) as usize)
        };
        let cursor = |name: &str| {
            args.get(name)
                .and_then(|v| v.as_str())
                .map(Key::from_cursor)
                .transpose()
        };
        Ok(PageArgs {
            first: size("first"),
            last: size("last"),
            after: cursor("after")?,
            before: cursor("before")?,
            reverse: args
                .get("reverse")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
        })
    }

    /// A plain forward page: lazy sources can stream it.
    pub fn is_forward(&self) -> bool {
        !self.reverse && self.last.is_none() && self.before.is_none()
    }
}

/// One page of a connection.
pub struct Page<T> {
    pub items: Vec<(Key, T)>,
    pub has_next: bool,
    pub has_previous: bool,
}

impl<T> Page<T> {
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(|(k, t)| (k, f(t))).collect(),
            has_next: self.has_next,
            has_previous: self.has_previous,
        }
    }
}

/// Pages an in-memory result: sorts by key (descending when `reverse`), keeps what lies between
/// `after` and `before`, then the first `first` or last `last` of that.
pub fn paginate<T>(mut items: Vec<(Key, T)>, args: &PageArgs) -> Page<T> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    if args.reverse {
        items.reverse();
    }
    let reverse = args.reverse;
    let comes_after = |key: &Key, cursor: &Key| if reverse { key < cursor } else { key > cursor };
    let total = items.len();
    let low = match &args.after {
        Some(cursor) => items
            .iter()
            .position(|(key, _)| comes_after(key, cursor))
            .unwrap_or(total),
        None => 0,
    };
    let high = match &args.before {
        Some(cursor) => items
            .iter()
            .position(|(key, _)| !comes_after(cursor, key) || key == cursor)
            .unwrap_or(total)
            .max(low),
        None => total,
    };
    let (start, end) = match (args.first, args.last) {
        (Some(first), _) => (low, (low + first).min(high)),
        (None, Some(last)) => (high.saturating_sub(last).max(low), high),
        (None, None) => (low, high),
    };
    let items: Vec<(Key, T)> = items.into_iter().skip(start).take(end - start).collect();
    Page {
        items,
        has_next: end < total,
        has_previous: start > 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(page: &Page<u64>) -> Vec<u64> {
        page.items.iter().map(|(_, v)| *v).collect()
    }

    fn items() -> Vec<(Key, u64)> {
        (1..=10).rev().map(|id| (Key::id(id), id)).collect()
    }

    #[test]
    fn forward_and_backward_pages_meet_without_gaps() {
        let args = PageArgs {
            first: Some(4),
            ..PageArgs::default()
        };
        let first = paginate(items(), &args);
        assert_eq!(keys(&first), vec![1, 2, 3, 4]);
        assert!(first.has_next && !first.has_previous);
        let args = PageArgs {
            first: Some(4),
            after: Some(first.items[3].0.clone()),
            ..PageArgs::default()
        };
        let second = paginate(items(), &args);
        assert_eq!(keys(&second), vec![5, 6, 7, 8]);
        assert!(second.has_previous);
        let args = PageArgs {
            last: Some(3),
            before: Some(Key::id(5)),
            ..PageArgs::default()
        };
        assert_eq!(keys(&paginate(items(), &args)), vec![2, 3, 4]);
        let args = PageArgs {
            first: Some(2),
            reverse: true,
            after: Some(Key::id(9)),
            ..PageArgs::default()
        };
        assert_eq!(keys(&paginate(items(), &args)), vec![8, 7]);
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_rejected() {
        let key = Key::time(time::macros::datetime!(2026-07-01 12:00:00.5 UTC), 42);
        assert_eq!(Key::from_cursor(&key.cursor()).ok(), Some(key.clone()));
        assert_eq!(
            key.as_time(),
            Some(time::macros::datetime!(2026-07-01 12:00:00.5 UTC))
        );
        assert!(Key::from_cursor("not a cursor").is_err());
        assert!(Key::number(-5, 1) < Key::number(3, 1));
    }
}
