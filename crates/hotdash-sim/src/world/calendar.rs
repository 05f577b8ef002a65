//! The shop's clock: its time zone, the shape of demand over the year, week and day, and the
//! support team's business hours.
//!
//! The shop sits in Arizona (`America/Phoenix`), which keeps UTC−7 all year. That is a real
//! Shopify time zone, and having no daylight-saving jumps means a "shop day" is always
//! 24 hours, which keeps GA4's per-day totals and Shopify's orders easy to line up.

use time::{Date, Duration, Month, OffsetDateTime, Time, UtcOffset, Weekday};

pub const SHOP_TIME_ZONE: &str = "America/Phoenix";
pub const SHOP_UTC_OFFSET: UtcOffset = time::macros::offset!(-7);

/// The shop-local calendar date of an instant.
pub fn local_date(t: OffsetDateTime) -> Date {
    t.to_offset(SHOP_UTC_OFFSET).date()
}

/// The instant a shop-local day starts, in UTC.
pub fn local_midnight(date: Date) -> OffsetDateTime {
    date.midnight()
        .assume_offset(SHOP_UTC_OFFSET)
        .to_offset(UtcOffset::UTC)
}

/// Drops sub-second precision: Shopify and Chatwoot timestamps are whole seconds.
pub(crate) fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

pub(crate) fn from_unix(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn minutes(m: f64) -> Duration {
    Duration::seconds((m * 60.0).round() as i64)
}

/// Orders by local hour: quiet overnight, a lunch bump, the evening peak when people work on
/// their cars.
pub(crate) const HOUR_WEIGHTS: [f64; 24] = [
    0.35, 0.2, 0.12, 0.08, 0.08, 0.15, 0.35, 0.6, 0.8, 1.0, 1.1, 1.2, 1.25, 1.2, 1.1, 1.1, 1.15,
    1.25, 1.4, 1.55, 1.6, 1.4, 1.0, 0.6,
];

/// Relative demand on a day: the car season (spring and summer), weekday peaks, Black Friday.
pub(crate) fn day_weight(date: Date) -> f64 {
    let month = match date.month() {
        Month::January => 0.72,
        Month::February => 0.8,
        Month::March => 1.0,
        Month::April => 1.18,
        Month::May => 1.3,
        Month::June => 1.28,
        Month::July => 1.18,
        Month::August => 1.1,
        Month::September => 0.98,
        Month::October => 0.88,
        Month::November => 0.86,
        Month::December => 0.78,
    };
    let weekday = match date.weekday() {
        Weekday::Monday => 1.12,
        Weekday::Tuesday => 1.18,
        Weekday::Wednesday => 1.14,
        Weekday::Thursday => 1.08,
        Weekday::Friday => 0.95,
        Weekday::Saturday => 0.78,
        Weekday::Sunday => 0.75,
    };
    month * weekday * sale_boost(date)
}

/// Black Friday through Cyber Monday: the one sale of the year.
fn sale_boost(date: Date) -> f64 {
    if date.month() != Month::November && date.month() != Month::December {
        return 1.0;
    }
    let black_friday = black_friday(date.year());
    match (date - black_friday).whole_days() {
        0 => 2.8,
        1 | 2 => 1.9,
        3 => 2.4,
        _ => 1.0,
    }
}

/// The day after the fourth Thursday of November.
fn black_friday(year: i32) -> Date {
    let first = Date::from_calendar_date(year, Month::November, 1).unwrap_or(Date::MIN);
    let to_thursday = (3 + 7 - first.weekday().number_days_from_monday()) % 7;
    first + Duration::days(i64::from(to_thursday) + 21 + 1)
}

/// Support hours (shop-local): weekdays 7:00–17:00, Saturday 9:00–13:00, closed Sunday.
fn support_hours(weekday: Weekday) -> Option<(u8, u8)> {
    match weekday {
        Weekday::Sunday => None,
        Weekday::Saturday => Some((9, 13)),
        _ => Some((7, 17)),
    }
}

/// `start` plus `mins` minutes of staffed time: the clock stops outside support hours, which
/// is why an evening question waits until the next morning.
pub(crate) fn add_business_minutes(start: OffsetDateTime, mins: f64) -> OffsetDateTime {
    let mut t = start.to_offset(SHOP_UTC_OFFSET);
    let mut left = (mins * 60.0).round() as i64;
    // A week of searching always finds an open slot; the bound only guards the loop.
    for _ in 0..400 {
        if let Some((open, close)) = support_hours(t.weekday()) {
            let open_at = t.replace_time(Time::from_hms(open, 0, 0).unwrap_or(Time::MIDNIGHT));
            let close_at = t.replace_time(Time::from_hms(close, 0, 0).unwrap_or(Time::MIDNIGHT));
            if t < open_at {
                t = open_at;
            }
            if t < close_at {
                let room = (close_at - t).whole_seconds();
                if left <= room {
                    return (t + Duration::seconds(left)).to_offset(UtcOffset::UTC);
                }
                left -= room;
            }
        }
        t = (t.date() + Duration::days(1))
            .midnight()
            .assume_offset(SHOP_UTC_OFFSET);
    }
    t.to_offset(UtcOffset::UTC)
}

/// Whether support is staffed at `t`.
pub(crate) fn in_business_hours(t: OffsetDateTime) -> bool {
    let local = t.to_offset(SHOP_UTC_OFFSET);
    support_hours(local.weekday()).is_some_and(|(open, close)| {
        let hour = local.hour();
        hour >= open && hour < close
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn black_friday_is_the_day_after_thanksgiving() {
        assert_eq!(black_friday(2025), date!(2025 - 11 - 28));
        assert_eq!(black_friday(2026), date!(2026 - 11 - 27));
        assert!(day_weight(date!(2025 - 11 - 28)) > 2.0 * day_weight(date!(2025 - 11 - 21)));
    }

    #[test]
    fn business_minutes_skip_nights_and_sundays() {
        // Saturday 12:30 local + 60 staffed minutes: 30 on Saturday, Sunday closed, 30 Monday.
        let sat = datetime!(2026-06-06 12:30 -7);
        let due = add_business_minutes(sat, 60.0);
        assert_eq!(due, datetime!(2026-06-08 07:30 -7));
        // Inside hours it is plain addition.
        let tue = datetime!(2026-06-09 10:00 -7);
        assert_eq!(
            add_business_minutes(tue, 45.0),
            datetime!(2026-06-09 10:45 -7)
        );
        assert!(in_business_hours(tue));
        assert!(!in_business_hours(datetime!(2026-06-07 10:00 -7)));
    }

    #[test]
    fn local_days_are_utc_minus_seven() {
        let late = datetime!(2026-03-02 05:30 UTC);
        assert_eq!(local_date(late), date!(2026 - 03 - 01));
        assert_eq!(
            local_midnight(date!(2026 - 03 - 01)),
            datetime!(2026-03-01 07:00 UTC)
        );
    }
}
