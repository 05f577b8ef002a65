//! Report days: the `YYYYMMDD` form of the `date` dimension, the property's "today" when the
//! API cannot tell us (a fallback table of zone offsets), which days a pass reads (the
//! backfill window, and the last three days again on every pass), and the page and resume
//! cursors that carry those days.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset, Weekday};

/// Days re-read on every pass, ending today: GA4 data settles for about 48 hours.
pub const REPULL_DAYS: u32 = 3;

/// `YYYYMMDD`.
pub fn compact(date: Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// `YYYY-MM-DD`, as `dateRanges` take it.
pub fn iso(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Parses `YYYYMMDD`.
pub fn parse_compact(text: &str) -> Option<Date> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = text[0..4].parse().ok()?;
    let month: u8 = text[4..6].parse().ok()?;
    let day: u8 = text[6..8].parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Standard offset (hours) and whether the zone keeps US/Canada daylight saving time.
fn zone_rule(time_zone: &str) -> Option<(i8, bool)> {
    Some(match time_zone {
        "America/Los_Angeles" | "America/Vancouver" | "America/Tijuana" | "US/Pacific" => {
            (-8, true)
        }
        "America/Denver" | "America/Edmonton" | "America/Boise" | "US/Mountain" => (-7, true),
        "America/Phoenix" => (-7, false),
        "America/Chicago" | "America/Winnipeg" | "US/Central" => (-6, true),
        "America/New_York" | "America/Toronto" | "America/Detroit" | "US/Eastern" => (-5, true),
        "America/Halifax" => (-4, true),
        "America/Anchorage" => (-9, true),
        "Pacific/Honolulu" => (-10, false),
        "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" => (0, false),
        _ => return None,
    })
}

fn nth_sunday(year: i32, month: Month, n: u8) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let shift = (7 - first.weekday().number_days_from_sunday()) % 7;
    first
        .checked_add(Duration::days(i64::from(shift) + 7 * i64::from(n - 1)))
        .filter(|d| d.weekday() == Weekday::Sunday)
}

/// The UTC offset of `time_zone` at `at`, for the North American zones a shop is likely in;
/// `None` for zones the table does not know.
pub fn utc_offset(time_zone: &str, at: OffsetDateTime) -> Option<UtcOffset> {
    let (standard, dst) = zone_rule(time_zone)?;
    let standard_offset = UtcOffset::from_hms(standard, 0, 0).ok()?;
    if !dst {
        return Some(standard_offset);
    }
    let year = at.to_offset(standard_offset).year();
    let start = nth_sunday(year, Month::March, 2)?
        .midnight()
        .assume_offset(standard_offset)
        + Duration::hours(2);
    let end = nth_sunday(year, Month::November, 1)?
        .midnight()
        .assume_offset(standard_offset)
        + Duration::hours(1);
    Some(if at >= start && at < end {
        UtcOffset::from_hms(standard + 1, 0, 0).ok()?
    } else {
        standard_offset
    })
}

/// The property's calendar day at `now`; UTC for unknown zones.
pub fn today_in(time_zone: Option<&str>, now: OffsetDateTime) -> Date {
    let offset = time_zone
        .and_then(|tz| utc_offset(tz, now))
        .unwrap_or(UtcOffset::UTC);
    now.to_offset(offset).date()
}

/// The first day a pass reads, given today and where the last pass ended.
///
/// A full pass reads the whole backfill window. An incremental pass reads from the day after
/// the last one it stored, but always at least the last [`REPULL_DAYS`] days, and never more
/// than the backfill window.
pub fn first_day(today: Date, backfill_days: u32, last_stored: Option<Date>) -> Date {
    let back = |days: u32| today.saturating_sub(Duration::days(i64::from(days.max(1)) - 1));
    let window_start = back(backfill_days);
    match last_stored {
        None => window_start,
        Some(last) => {
            let after_last = last.next_day().unwrap_or(last);
            after_last.min(back(REPULL_DAYS)).max(window_start)
        }
    }
}

/// Where a pass stands: `next` ..= `end` are still to read; `today` is the day the pass read
/// first (relative `today`), and becomes the resume point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    pub next: String,
    pub end: String,
    pub today: String,
}

/// What a finished pass leaves for the next incremental one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeCursor {
    /// The newest day stored (`YYYYMMDD`).
    pub last: String,
}

impl PageCursor {
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn decode(text: &str) -> Option<(PageCursor, Date, Date, Date)> {
        let cursor: PageCursor = serde_json::from_str(text).ok()?;
        let next = parse_compact(&cursor.next)?;
        let end = parse_compact(&cursor.end)?;
        let today = parse_compact(&cursor.today)?;
        Some((cursor, next, end, today))
    }
}

impl ResumeCursor {
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn decode(text: &str) -> Option<Date> {
        serde_json::from_str::<ResumeCursor>(text)
            .ok()
            .and_then(|c| parse_compact(&c.last))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn compact_dates_round_trip() {
        assert_eq!(compact(date!(2026 - 03 - 07)), "20260307");
        assert_eq!(iso(date!(2026 - 03 - 07)), "2026-03-07");
        assert_eq!(parse_compact("20260307"), Some(date!(2026 - 03 - 07)));
        assert_eq!(parse_compact("20261340"), None);
        assert_eq!(parse_compact("2026-03-07"), None);
    }

    #[test]
    fn today_follows_the_property_zone() {
        // 03:00 UTC on Nov 21 is still Nov 20 in Los Angeles.
        let at = datetime!(2026-11-21 03:00 UTC);
        assert_eq!(
            today_in(Some("America/Los_Angeles"), at),
            date!(2026 - 11 - 20)
        );
        assert_eq!(today_in(Some("Europe/Atlantis"), at), date!(2026 - 11 - 21));
        assert_eq!(
            utc_offset("America/New_York", datetime!(2026-07-01 12:00 UTC))
                .map(|o| o.whole_hours()),
            Some(-4)
        );
        assert_eq!(
            utc_offset("America/New_York", datetime!(2026-12-01 12:00 UTC))
                .map(|o| o.whole_hours()),
            Some(-5)
        );
    }

    #[test]
    fn a_pass_reads_the_window_then_the_last_three_days() {
        let today = date!(2026 - 11 - 20);
        assert_eq!(first_day(today, 30, None), date!(2026 - 10 - 22));
        assert_eq!(first_day(today, 1, None), today);
        // Caught up today: re-read today and the two days before.
        assert_eq!(first_day(today, 30, Some(today)), date!(2026 - 11 - 18));
        // Last ran a week ago: fill the gap.
        assert_eq!(
            first_day(today, 30, Some(date!(2026 - 11 - 13))),
            date!(2026 - 11 - 14)
        );
        // Last ran long ago: no further back than the window.
        assert_eq!(
            first_day(today, 30, Some(date!(2025 - 01 - 01))),
            date!(2026 - 10 - 22)
        );
        // A window shorter than the re-pull.
        assert_eq!(first_day(today, 2, Some(today)), date!(2026 - 11 - 19));
    }

    #[test]
    fn cursors_round_trip() {
        let c = PageCursor {
            next: "20261101".into(),
            end: "20261119".into(),
            today: "20261120".into(),
        };
        let (_, next, end, today) = PageCursor::decode(&c.encode()).expect("decodes");
        assert_eq!(
            (next, end, today),
            (
                date!(2026 - 11 - 01),
                date!(2026 - 11 - 19),
                date!(2026 - 11 - 20)
            )
        );
        let r = ResumeCursor {
            last: "20261120".into(),
        }
        .encode();
        assert_eq!(ResumeCursor::decode(&r), Some(date!(2026 - 11 - 20)));
        assert_eq!(ResumeCursor::decode("garbage"), None);
    }
}
