//! Days and ISO weeks in local time, as UTC instants.

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, Offset, Utc};

use super::ReportError;
use crate::domain::time::{Timestamp, HOUR_MS};

const DAY_MS: i64 = 24 * HOUR_MS;

/// The local day `date` in `offset` as `[start, end)`.
pub fn day_bounds(date: NaiveDate, offset: FixedOffset) -> (Timestamp, Timestamp) {
    let start = local_midnight(date, offset);
    (start, Timestamp(start.0.saturating_add(DAY_MS)))
}

/// The ISO week `week` of `year` in `offset` as `[Monday 00:00, next Monday 00:00)`.
pub fn week_bounds(
    year: i32,
    week: u32,
    offset: FixedOffset,
) -> Result<(Timestamp, Timestamp), ReportError> {
    let monday = monday_of(year, week)?;
    let start = local_midnight(monday, offset);
    Ok((start, Timestamp(start.0.saturating_add(7 * DAY_MS))))
}

/// The last ISO week that has fully ended at `now` in `offset`: the one before the current.
pub fn last_full_week(now: Timestamp, offset: FixedOffset) -> (i32, u32) {
    let today = now.in_offset(offset).date_naive();
    let week_ago = today.checked_sub_signed(Duration::days(7)).unwrap_or(today);
    let iso = week_ago.iso_week();
    (iso.year(), iso.week())
}

pub(super) fn monday_of(year: i32, week: u32) -> Result<NaiveDate, ReportError> {
    NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon)
        .ok_or(ReportError::NoSuchWeek { year, week })
}

/// The ISO week before the one starting on `monday`.
pub(super) fn previous_week(monday: NaiveDate) -> (i32, u32) {
    let before = monday
        .checked_sub_signed(Duration::days(7))
        .unwrap_or(monday);
    let iso = before.iso_week();
    (iso.year(), iso.week())
}

/// The seven dates of the week starting on `monday`.
pub(super) fn week_days(monday: NaiveDate) -> Vec<NaiveDate> {
    monday.iter_days().take(7).collect()
}

/// The offset in which `date` starts at `start`; UTC if that is no valid offset.
pub(super) fn offset_of(date: NaiveDate, start: Timestamp) -> FixedOffset {
    let utc_of_local = date.and_time(NaiveTime::MIN).and_utc().timestamp_millis();
    i32::try_from((utc_of_local - start.0) / 1000)
        .ok()
        .and_then(FixedOffset::east_opt)
        .unwrap_or_else(|| Utc.fix())
}

fn local_midnight(date: NaiveDate, offset: FixedOffset) -> Timestamp {
    let utc_of_local = date.and_time(NaiveTime::MIN).and_utc().timestamp_millis();
    Timestamp(utc_of_local - i64::from(offset.local_minus_utc()) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moscow() -> FixedOffset {
        FixedOffset::east_opt(3 * 3600).expect("valid offset")
    }

    #[test]
    fn a_moscow_day_starts_at_21_utc_the_day_before() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 18).expect("date");
        let (start, end) = day_bounds(date, moscow());
        assert_eq!(start.to_rfc3339(), "2026-11-17T21:00:00Z");
        assert_eq!(end.to_rfc3339(), "2026-11-18T21:00:00Z");
        assert_eq!(offset_of(date, start), moscow());
    }

    #[test]
    fn iso_week_46_of_2026_runs_from_monday_9_november() {
        let (start, end) = week_bounds(2026, 46, moscow()).expect("week");
        assert_eq!(start.to_rfc3339(), "2026-11-08T21:00:00Z");
        assert_eq!(end.to_rfc3339(), "2026-11-15T21:00:00Z");
        assert!(week_bounds(2026, 54, moscow()).is_err());
        assert!(week_bounds(2026, 0, moscow()).is_err());
    }

    #[test]
    fn the_last_full_week_is_the_one_before_the_current() {
        // Monday 23.11.2026 00:30 in Moscow is already week 48
        let (start, _) = week_bounds(2026, 48, moscow()).expect("week");
        assert_eq!(last_full_week(start.plus_minutes(30), moscow()), (2026, 47));
        // a minute before, on Sunday, week 47 is still running
        assert_eq!(last_full_week(start.plus_minutes(-1), moscow()), (2026, 46));
    }

    #[test]
    fn the_week_before_the_first_is_in_the_previous_year() {
        let monday = monday_of(2026, 1).expect("week");
        assert_eq!(previous_week(monday), (2025, 52));
    }
}
