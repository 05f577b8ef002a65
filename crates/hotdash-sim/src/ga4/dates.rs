//! Dates as the Data API reads them: `YYYY-MM-DD`, `today`, `yesterday` and `NdaysAgo`, in the
//! property's reporting time zone, plus the `date` dimension's `YYYYMMDD` rendering.
//!
//! The `time` crate has no time-zone database, so the property's UTC offset comes from a small
//! table of North American zones with the US/Canada daylight-saving rule (since 2007); any
//! other zone is read as UTC. The shop is in North America, so this is exact where it matters.

use time::macros::format_description;
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset, Weekday};

use super::error::GoogleError;

/// Standard offset (hours) and whether the zone observes US/Canada daylight saving time.
fn zone_rule(time_zone: &str) -> (i8, bool) {
    match time_zone {
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
        _ => (0, false),
    }
}

/// The n-th `weekday` of a month (n from 1).
fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let shift =
        (7 + weekday.number_days_from_monday() - first.weekday().number_days_from_monday()) % 7;
    first.checked_add(Duration::days(i64::from(shift) + 7 * i64::from(n - 1)))
}

/// The UTC offset of `time_zone` at the instant `at`.
pub fn utc_offset(time_zone: &str, at: OffsetDateTime) -> UtcOffset {
    let (standard, observes_dst) = zone_rule(time_zone);
    let standard_offset = UtcOffset::from_hms(standard, 0, 0).unwrap_or(UtcOffset::UTC);
    if !observes_dst {
        return standard_offset;
    }
    let year = at.to_offset(standard_offset).year();
    // DST runs from 02:00 standard time on the second Sunday of March to 02:00 daylight time
    // (01:00 standard) on the first Sunday of November.
    let bounds = nth_weekday(year, Month::March, Weekday::Sunday, 2).zip(nth_weekday(
        year,
        Month::November,
        Weekday::Sunday,
        1,
    ));
    let Some((start_day, end_day)) = bounds else {
        return standard_offset;
    };
    let start = start_day.midnight().assume_offset(standard_offset) + Duration::hours(2);
    let end = end_day.midnight().assume_offset(standard_offset) + Duration::hours(1);
    if at >= start && at < end {
        UtcOffset::from_hms(standard + 1, 0, 0).unwrap_or(standard_offset)
    } else {
        standard_offset
    }
}

/// The calendar date of `now` in the property's time zone: what `today` means.
pub fn property_today(time_zone: &str, now: OffsetDateTime) -> Date {
    now.to_offset(utc_offset(time_zone, now)).date()
}

/// Resolves one `startDate`/`endDate` value.
pub fn parse_date(field: &str, value: &str, today: Date) -> Result<Date, GoogleError> {
    let invalid = || {
        GoogleError::invalid_argument(format!(
            "Invalid {field}: \"{value}\". Dates must be in the format YYYY-MM-DD, NdaysAgo, \
             yesterday, or today."
        ))
    };
    match value {
        "today" => Ok(today),
        "yesterday" => today.previous_day().ok_or_else(invalid),
        _ => {
            if let Some(days) = value.strip_suffix("daysAgo") {
                let days: i64 = days.parse().map_err(|_| invalid())?;
                if days < 0 {
                    return Err(invalid());
                }
                return today.checked_sub(Duration::days(days)).ok_or_else(invalid);
            }
            Date::parse(value, format_description!("[year]-[month]-[day]")).map_err(|_| invalid())
        }
    }
}

/// The `date` dimension value: `YYYYMMDD`.
pub fn yyyymmdd(date: Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn pacific_offset_follows_daylight_saving() {
        let la = "America/Los_Angeles";
        assert_eq!(
            utc_offset(la, datetime!(2026-01-15 12:00 UTC)).whole_hours(),
            -8
        );
        assert_eq!(
            utc_offset(la, datetime!(2026-07-15 12:00 UTC)).whole_hours(),
            -7
        );
        // 2026-03-08 is the second Sunday of March: 02:00 PST is 10:00 UTC.
        assert_eq!(
            utc_offset(la, datetime!(2026-03-08 09:59 UTC)).whole_hours(),
            -8
        );
        assert_eq!(
            utc_offset(la, datetime!(2026-03-08 10:00 UTC)).whole_hours(),
            -7
        );
        // 2026-11-01 is the first Sunday of November: 02:00 PDT is 09:00 UTC.
        assert_eq!(
            utc_offset(la, datetime!(2026-11-01 08:59 UTC)).whole_hours(),
            -7
        );
        assert_eq!(
            utc_offset(la, datetime!(2026-11-01 09:00 UTC)).whole_hours(),
            -8
        );
    }

    #[test]
    fn today_is_the_local_calendar_date() {
        let now = datetime!(2026-07-02 03:00 UTC);
        assert_eq!(
            property_today("America/Los_Angeles", now),
            date!(2026 - 07 - 01)
        );
        assert_eq!(property_today("UTC", now), date!(2026 - 07 - 02));
    }

    #[test]
    fn relative_dates_resolve_against_today() {
        let today = date!(2026 - 03 - 01);
        assert_eq!(parse_date("startDate", "today", today), Ok(today));
        assert_eq!(
            parse_date("startDate", "yesterday", today),
            Ok(date!(2026 - 02 - 28))
        );
        assert_eq!(
            parse_date("startDate", "28daysAgo", today),
            Ok(date!(2026 - 02 - 01))
        );
        assert_eq!(
            parse_date("startDate", "2025-12-31", today),
            Ok(date!(2025 - 12 - 31))
        );
        assert!(parse_date("startDate", "2025-13-01", today).is_err());
        assert!(parse_date("startDate", "-3daysAgo", today).is_err());
        assert_eq!(yyyymmdd(today), "20260301");
    }
}
