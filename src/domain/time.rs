//! Instants as UTC milliseconds and the injectable clock every rule reads time from.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// An instant in UTC, in milliseconds since the Unix epoch (how it is stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;

impl Timestamp {
    pub fn from_utc(time: DateTime<Utc>) -> Self {
        Timestamp(time.timestamp_millis())
    }

    pub fn to_utc(self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    pub fn in_offset(self, offset: FixedOffset) -> DateTime<FixedOffset> {
        self.to_utc().with_timezone(&offset)
    }

    /// RFC 3339 in UTC, for scripts.
    pub fn to_rfc3339(self) -> String {
        self.to_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    pub fn plus_minutes(self, minutes: i64) -> Self {
        Timestamp(self.0.saturating_add(minutes.saturating_mul(MINUTE_MS)))
    }

    pub fn plus_hours(self, hours: i64) -> Self {
        Timestamp(self.0.saturating_add(hours.saturating_mul(HOUR_MS)))
    }

    /// Milliseconds from `self` until `later` (negative when `later` is earlier).
    pub fn millis_until(self, later: Timestamp) -> i64 {
        later.0.saturating_sub(self.0)
    }
}

/// Where every part of pult gets "now" from, so tests can move time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_utc(Utc::now())
    }
}

/// A clock that only moves when told to; clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<AtomicI64>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            now: Arc::new(AtomicI64::new(start.0)),
        }
    }

    pub fn set(&self, time: Timestamp) {
        self.now.store(time.0, Ordering::SeqCst);
    }

    pub fn advance_minutes(&self, minutes: i64) {
        self.now
            .fetch_add(minutes.saturating_mul(MINUTE_MS), Ordering::SeqCst);
    }

    pub fn advance_millis(&self, millis: i64) {
        self.now.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now.load(Ordering::SeqCst))
    }
}

/// Formats a signed span as `HH:MM` (or `Nд HH:MM` past a day), with a minus when negative.
pub fn format_span(millis: i64) -> String {
    let total_minutes = millis.unsigned_abs() / MINUTE_MS as u64;
    let sign = if millis < 0 && total_minutes > 0 {
        "-"
    } else {
        ""
    };
    let days = total_minutes / (24 * 60);
    let hours = (total_minutes / 60) % 24;
    let minutes = total_minutes % 60;
    if days > 0 {
        format!("{sign}{days}{} {hours:02}:{minutes:02}", tr!("time.days"))
    } else {
        format!("{sign}{hours:02}:{minutes:02}")
    }
}

/// Formats a signed span with seconds, `MM:SS` under an hour, `HH:MM:SS` under a day.
pub fn format_countdown(millis: i64) -> String {
    let total_seconds = millis.unsigned_abs() / 1000;
    let sign = if millis < 0 && total_seconds > 0 {
        "-"
    } else {
        ""
    };
    let hours = total_seconds / 3600;
    let minutes = (total_seconds / 60) % 60;
    let seconds = total_seconds % 60;
    if hours >= 24 {
        format!(
            "{sign}{}{}{:02}{}",
            hours / 24,
            tr!("time.days"),
            hours % 24,
            tr!("time.hours")
        )
    } else if hours > 0 {
        format!("{sign}{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{sign}{minutes:02}:{seconds:02}")
    }
}

/// `понедельник`…`воскресенье` (the catalogue's words for the day of `date`).
pub fn weekday_name(date: chrono::NaiveDate) -> &'static str {
    use chrono::Datelike;
    [
        tr!("report.weekday.mon"),
        tr!("report.weekday.tue"),
        tr!("report.weekday.wed"),
        tr!("report.weekday.thu"),
        tr!("report.weekday.fri"),
        tr!("report.weekday.sat"),
        tr!("report.weekday.sun"),
    ][date.weekday().num_days_from_monday() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_time() {
        let clock = ManualClock::new(Timestamp(1_000));
        let other = clock.clone();
        clock.advance_minutes(2);
        assert_eq!(other.now(), Timestamp(1_000 + 2 * MINUTE_MS));
    }

    #[test]
    fn countdown_counts_up_with_a_minus_when_overdue() {
        assert_eq!(format_countdown(12 * MINUTE_MS + 5_000), "12:05");
        assert_eq!(format_countdown(-(65 * MINUTE_MS)), "-1:05:00");
        assert_eq!(format_countdown(-999), "00:00");
        assert_eq!(format_countdown(-1_000), "-00:01");
        assert_eq!(format_countdown(25 * HOUR_MS), "1д01ч");
    }

    #[test]
    fn span_formats_hours_and_days() {
        assert_eq!(format_span(90 * MINUTE_MS), "01:30");
        assert_eq!(format_span(-(26 * HOUR_MS)), "-1д 02:00");
    }

    #[test]
    fn rfc3339_is_utc() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00Z");
    }
}
