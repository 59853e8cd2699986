//! The service's hours: the weekly slots, the school's time zone, the Russian production
//! calendar (public holidays, the days off moved by decree, the working Saturdays that replace
//! them, the shortened pre-holiday days) and the school's own closed days — and time counted
//! in them: a span added to an instant, and the service time between two instants.
//!
//! Pure: the calendar is the `holidays-ru` crate's official data (1993–2027 at this writing);
//! a year it only predicts is reported as not covered, so the caller can say so.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::calendar::YearCalendar;
use super::deadline::TimerKind;
use super::time::{Timestamp, MINUTE_MS};
use std::collections::BTreeMap;

/// Minutes after local midnight, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub start: u16,
    pub end: u16,
}

/// A run of the school's own closed days (каникулы, карантин, a day closed for an event),
/// both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedDays {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub why: String,
}

/// When the service works.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceHours {
    pub zone: Tz,
    /// Monday first.
    pub week: [Vec<Slot>; 7],
    pub production_calendar: bool,
    pub closed: Vec<ClosedDays>,
    /// The imported years of the production calendar, by year.
    pub calendars: BTreeMap<i32, YearCalendar>,
}

/// A result in service time, and whether every day it crossed was known to the production
/// calendar's official data (false: a predicted year, which the console says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reckoned<T> {
    pub value: T,
    pub covered: bool,
}

/// A shortened pre-holiday day ends this much earlier (Labour Code, art. 95).
const SHORTENED_MINUTES: u16 = 60;
/// Farthest a span is carried forward looking for open time (a policy with no hours at all).
const MAX_DAYS: i64 = 400;
/// The minutes in a day.
const DAY_MINUTES: u16 = 24 * 60;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum HoursError {
    #[error("{}", tr!("hours.error.zone", zone = .0))]
    Zone(String),
    #[error("{}", tr!("hours.error.day", day = .0))]
    Day(String),
    #[error("{}", tr!("hours.error.slot", slot = .0))]
    Slot(String),
    #[error("{}", tr!("hours.error.date", date = .0))]
    Date(String),
    #[error("{}", tr!("hours.error.deadline", deadline = .0))]
    Deadline(String),
}

/// `[hours]` of `policy.toml` as the school writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursFile {
    /// An IANA zone name: `Europe/Moscow`.
    pub zone: String,
    /// `["пн-пт 08:00-20:00", "сб 09:00-15:00"]` (or `mon-fri`, `sat`…).
    pub week: Vec<String>,
    #[serde(default)]
    pub production_calendar: bool,
    /// `["2026-12-31", "2027-01-02..2027-01-11 зимние каникулы"]`.
    #[serde(default)]
    pub closed: Vec<String>,
    /// The deadlines that count service time (`route`, `take`, `resolve`); the others count
    /// the clock.
    #[serde(default = "every_deadline")]
    pub service_time: Vec<String>,
    /// Whom to call when it is urgent and the service is closed, shown with a request to
    /// the psychologist outside the hours: `["Детский телефон доверия: 8-800-2000-122"]`.
    #[serde(default)]
    pub emergency: Vec<String>,
    /// Years of the production calendar imported from the government's publication
    /// (`pult calendar import`): they take the place of the shipped data for their year.
    #[serde(default)]
    pub calendars: Vec<YearCalendar>,
}

/// The deadlines `service_time` may name.
pub const DEADLINES: [&str; 3] = ["route", "take", "resolve"];

fn every_deadline() -> Vec<String> {
    DEADLINES.iter().map(|name| name.to_string()).collect()
}

const DAY_NAMES: [[&str; 2]; 7] = [
    ["пн", "mon"],
    ["вт", "tue"],
    ["ср", "wed"],
    ["чт", "thu"],
    ["пт", "fri"],
    ["сб", "sat"],
    ["вс", "sun"],
];

fn day_index(name: &str) -> Option<usize> {
    let name = name.trim().to_lowercase();
    DAY_NAMES
        .iter()
        .position(|names| names.iter().any(|known| *known == name))
}

fn minutes(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    (minutes < 60 && (hours < 24 || (hours == 24 && minutes == 0))).then_some(hours * 60 + minutes)
}

impl HoursFile {
    /// Whether the deadline `name` (`route`, `take`, `resolve`) counts service time.
    pub fn counts(&self, name: &str) -> bool {
        self.service_time.iter().any(|counted| counted == name)
    }

    /// Whether a timer of `kind` counts service time (phoning an undelivered result is
    /// always on the clock).
    pub fn counts_timer(&self, kind: TimerKind) -> bool {
        match kind {
            TimerKind::Route => self.counts("route"),
            TimerKind::Take => self.counts("take"),
            TimerKind::Resolve => self.counts("resolve"),
            TimerKind::Phone => false,
        }
    }

    pub fn hours(&self) -> Result<ServiceHours, HoursError> {
        if let Some(unknown) = self
            .service_time
            .iter()
            .find(|name| !DEADLINES.contains(&name.as_str()))
        {
            return Err(HoursError::Deadline(unknown.clone()));
        }
        let zone: Tz = self
            .zone
            .parse()
            .map_err(|_| HoursError::Zone(self.zone.clone()))?;
        let mut week: [Vec<Slot>; 7] = Default::default();
        for line in &self.week {
            let (days, times) = line
                .trim()
                .split_once(' ')
                .ok_or_else(|| HoursError::Slot(line.clone()))?;
            let (first, last) = days.split_once('-').unwrap_or((days, days));
            let first = day_index(first).ok_or_else(|| HoursError::Day(days.to_string()))?;
            let last = day_index(last).ok_or_else(|| HoursError::Day(days.to_string()))?;
            if last < first {
                return Err(HoursError::Day(days.to_string()));
            }
            let (start, end) = times
                .split_once('-')
                .and_then(|(start, end)| Some((minutes(start)?, minutes(end)?)))
                .filter(|(start, end)| start < end)
                .ok_or_else(|| HoursError::Slot(line.clone()))?;
            for day in &mut week[first..=last] {
                day.push(Slot { start, end });
                *day = merged(std::mem::take(day));
            }
        }
        let closed = self
            .closed
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                let (dates, why) = entry.split_once(' ').unwrap_or((entry, ""));
                let (from, to) = dates.split_once("..").unwrap_or((dates, dates));
                let date = |text: &str| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map_err(|_| HoursError::Date(entry.to_string()))
                };
                let (from, to) = (date(from)?, date(to)?);
                if to < from {
                    return Err(HoursError::Date(entry.to_string()));
                }
                Ok(ClosedDays {
                    from,
                    to,
                    why: why.trim().to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        let calendars = self
            .calendars
            .iter()
            .map(|year| (year.year, year.clone().sorted()))
            .collect();
        Ok(ServiceHours {
            zone,
            week,
            production_calendar: self.production_calendar,
            closed,
            calendars,
        })
    }
}

/// What a person who turns to the service while it is closed is told: when the request
/// will be looked at and, for the psychologist, whom to call meanwhile if it is urgent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterHours {
    /// When the service opens, on the school's clock.
    pub opens: chrono::DateTime<Tz>,
    pub emergency: Vec<String>,
}

impl AfterHours {
    /// The notice, a sentence a line.
    pub fn lines(&self) -> Vec<String> {
        let day = super::time::weekday_name(self.opens.date_naive());
        let mut lines = vec![tr!(
            "after_hours.opens",
            day = day,
            date = self.opens.format("%d.%m"),
            time = self.opens.format("%H:%M")
        )];
        if !self.emergency.is_empty() {
            lines.push(tr!("after_hours.emergency").to_string());
            lines.extend(self.emergency.iter().map(|contact| format!("— {contact}")));
        }
        lines
    }
}

/// `slots` in order, those that overlap or touch made one.
fn merged(mut slots: Vec<Slot>) -> Vec<Slot> {
    slots.sort_by_key(|slot| slot.start);
    let mut out: Vec<Slot> = Vec::with_capacity(slots.len());
    for slot in slots {
        match out.last_mut() {
            Some(last) if slot.start <= last.end => last.end = last.end.max(slot.end),
            _ => out.push(slot),
        }
    }
    out
}

/// What the production calendar says of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarDay {
    /// A public holiday or a day off moved there by decree.
    DayOff,
    /// A working day: `worked_weekend` when it is a Saturday or Sunday worked instead of a
    /// moved day off, `shortened` when it is the working day before a holiday.
    Working {
        worked_weekend: bool,
        shortened: bool,
    },
    /// A weekend as its weekday says.
    Weekend,
}

/// The production calendar's word on `date`, and whether it is official (not predicted).
pub fn production_calendar(date: NaiveDate) -> (CalendarDay, bool) {
    let as_the_week_says = if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
        CalendarDay::Weekend
    } else {
        CalendarDay::Working {
            worked_weekend: false,
            shortened: false,
        }
    };
    let (Ok(month), Ok(day)) = (u8::try_from(date.month()), u8::try_from(date.day())) else {
        return (as_the_week_says, false);
    };
    let Some(resolved) = holidays_ru::flags_ymd::<holidays_ru::Federal>(date.year(), month, day)
    else {
        return (as_the_week_says, false);
    };
    let official = resolved.is_fact();
    let flags = resolved.value();
    let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
    let kind = if flags.is_holiday() || (flags.is_day_off() && !flags.is_weekend()) {
        CalendarDay::DayOff
    } else if weekend && !flags.is_working_day() {
        CalendarDay::Weekend
    } else {
        CalendarDay::Working {
            worked_weekend: weekend,
            shortened: flags.is_short_day(),
        }
    };
    (kind, official)
}

/// The instant local `date` at `minute` after midnight is in `zone`: a time that does not
/// exist (the spring gap) is the first one after it that does; a time that exists twice (the
/// autumn overlap) is the earlier.
pub fn instant_in(zone: Tz, date: NaiveDate, minute: u16) -> Timestamp {
    let midnight = date.and_time(NaiveTime::MIN);
    for late in 0..=180 {
        let local = midnight + Duration::minutes(i64::from(minute) + late);
        if let Some(at) = zone.from_local_datetime(&local).earliest() {
            return Timestamp(at.timestamp_millis());
        }
    }
    // no zone skips three hours; fall back to the fixed reading of the time
    Timestamp(
        (midnight + Duration::minutes(i64::from(minute)))
            .and_utc()
            .timestamp_millis(),
    )
}

impl ServiceHours {
    /// The slots the service keeps on local `date`, and whether the calendar's word on it
    /// is official.
    pub fn slots_on(&self, date: NaiveDate) -> (Vec<Slot>, bool) {
        if self
            .closed
            .iter()
            .any(|days| days.from <= date && date <= days.to)
        {
            return (Vec::new(), true);
        }
        let weekday = date.weekday().num_days_from_monday() as usize;
        if !self.production_calendar {
            return (self.week[weekday].clone(), true);
        }
        let (kind, official) = match self.calendars.get(&date.year()) {
            Some(imported) => (imported.day(date), true),
            None => production_calendar(date),
        };
        let slots = match kind {
            CalendarDay::DayOff => Vec::new(),
            CalendarDay::Weekend => self.week[weekday].clone(),
            CalendarDay::Working {
                worked_weekend,
                shortened,
            } => {
                // a worked Saturday keeps a working day's hours (Monday's: the week's first)
                let mut slots = self.week[if worked_weekend { 0 } else { weekday }].clone();
                if shortened {
                    if let Some(last) = slots.last_mut() {
                        last.end = last.end.saturating_sub(SHORTENED_MINUTES).max(last.start);
                    }
                    slots.retain(|slot| slot.end > slot.start);
                }
                slots
            }
        };
        (slots, official)
    }

    fn instant(&self, date: NaiveDate, minute: u16) -> Timestamp {
        instant_in(self.zone, date, minute)
    }

    /// The open intervals of local `date`, as instants, and whether the day is covered.
    pub fn open_on(&self, date: NaiveDate) -> (Vec<(Timestamp, Timestamp)>, bool) {
        let (slots, covered) = self.slots_on(date);
        let intervals = slots
            .iter()
            .map(|slot| {
                let end = if slot.end >= DAY_MINUTES {
                    self.instant(date + Duration::days(1), 0)
                } else {
                    self.instant(date, slot.end)
                };
                (self.instant(date, slot.start), end)
            })
            .filter(|(start, end)| start < end)
            .collect();
        (intervals, covered)
    }

    fn local_date(&self, at: Timestamp) -> NaiveDate {
        self.local(at).date_naive()
    }

    /// `at` on the school's clock.
    pub fn local(&self, at: Timestamp) -> chrono::DateTime<Tz> {
        self.zone.from_utc_datetime(&at.to_utc().naive_utc())
    }

    /// The instant `minutes` of service time after `start` (None: no open time within
    /// `MAX_DAYS`, e.g. hours with no slot at all).
    pub fn add(&self, start: Timestamp, minutes: i64) -> Option<Reckoned<Timestamp>> {
        let mut left = minutes.max(0) * MINUTE_MS;
        let mut covered = true;
        let first = self.local_date(start);
        // the day before as well: a slot past midnight of a zone's short night
        for offset in -1..MAX_DAYS {
            let date = first + Duration::days(offset);
            let (intervals, official) = self.open_on(date);
            // a predicted day counts against the span even when predicted closed
            if offset >= 0 {
                covered &= official;
            }
            for (open, close) in intervals {
                let from = open.0.max(start.0);
                if from >= close.0 {
                    continue;
                }
                covered &= official;
                let room = close.0 - from;
                if left <= room {
                    return Some(Reckoned {
                        value: Timestamp(from + left),
                        covered,
                    });
                }
                left -= room;
            }
        }
        None
    }

    /// The service time between `from` and `to`, in milliseconds (0 when `to` is earlier).
    pub fn between(&self, from: Timestamp, to: Timestamp) -> Reckoned<i64> {
        let mut total = 0;
        let mut covered = true;
        if to <= from {
            return Reckoned { value: 0, covered };
        }
        let (first, last) = (self.local_date(from), self.local_date(to));
        let mut date = first - Duration::days(1);
        while date <= last {
            let (intervals, official) = self.open_on(date);
            if date >= first {
                covered &= official;
            }
            for (open, close) in intervals {
                let (start, end) = (open.0.max(from.0), close.0.min(to.0));
                if start < end {
                    total += end - start;
                    covered &= official;
                }
            }
            date += Duration::days(1);
        }
        Reckoned {
            value: total,
            covered,
        }
    }

    /// Whether the calendar's word on `year` is official (the shipped data or an imported
    /// year); always so without the production calendar.
    pub fn knows_year(&self, year: i32) -> bool {
        !self.production_calendar
            || self.calendars.contains_key(&year)
            || NaiveDate::from_ymd_opt(year, 1, 1).is_some_and(|first| production_calendar(first).1)
    }

    /// Whether the service is open at `at`; when not, the instant it opens next.
    pub fn opens_at(&self, at: Timestamp) -> Option<Timestamp> {
        let first = self.local_date(at);
        for offset in -1..MAX_DAYS {
            let (intervals, _) = self.open_on(first + Duration::days(offset));
            for (open, close) in intervals {
                if close.0 > at.0 {
                    return Some(Timestamp(open.0.max(at.0)));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn moscow(week: &[&str], calendar: bool, closed: &[&str]) -> ServiceHours {
        HoursFile {
            zone: "Europe/Moscow".into(),
            week: week.iter().map(|line| line.to_string()).collect(),
            production_calendar: calendar,
            closed: closed.iter().map(|line| line.to_string()).collect(),
            service_time: every_deadline(),
            emergency: Vec::new(),
            calendars: Vec::new(),
        }
        .hours()
        .expect("hours")
    }

    fn school() -> ServiceHours {
        moscow(&["пн-пт 08:00-20:00", "сб 09:00-15:00"], true, &[])
    }

    /// Local Moscow time as an instant.
    fn at(y: i32, m: u32, d: u32, h: u16, min: u16) -> Timestamp {
        let date = NaiveDate::from_ymd_opt(y, m, d).expect("date");
        instant_in(chrono_tz::Europe::Moscow, date, h * 60 + min)
    }

    fn due(hours: &ServiceHours, start: Timestamp, minutes: i64) -> Timestamp {
        hours.add(start, minutes).expect("open time").value
    }

    #[test]
    fn friday_evening_is_due_on_saturday_morning_or_on_monday() {
        // Friday 20.11.2026 19:55, 30 minutes to route
        let start = at(2026, 11, 20, 19, 55);
        assert_eq!(due(&school(), start, 30), at(2026, 11, 21, 9, 25));
        let weekdays = moscow(&["пн-пт 08:00-20:00"], true, &[]);
        assert_eq!(due(&weekdays, start, 30), at(2026, 11, 23, 8, 25));
    }

    #[test]
    fn a_working_saturday_of_a_transferred_week_works_a_weekdays_hours() {
        // 1 November 2025 was worked (3 November off instead); the service works weekdays only
        let weekdays = moscow(&["пн-пт 08:00-20:00"], true, &[]);
        let friday = at(2025, 10, 31, 19, 55);
        assert_eq!(due(&weekdays, friday, 30), at(2025, 11, 1, 8, 25));
        // shortened before 4 November, and the Monday it was moved from is closed: ten
        // minutes before 19:00 on Saturday, the rest on Wednesday
        let (kind, _) = production_calendar(NaiveDate::from_ymd_opt(2025, 11, 1).unwrap());
        assert_eq!(
            kind,
            CalendarDay::Working {
                worked_weekend: true,
                shortened: true
            }
        );
        let saturday = at(2025, 11, 1, 18, 50);
        assert_eq!(due(&weekdays, saturday, 30), at(2025, 11, 5, 8, 20));
    }

    #[test]
    fn the_last_of_december_is_due_after_the_new_year_holidays() {
        let start = at(2026, 12, 30, 19, 50);
        let due_at = due(&school(), start, 30);
        let (_, official) = production_calendar(NaiveDate::from_ymd_opt(2027, 1, 11).unwrap());
        assert!(official);
        assert!(due_at > at(2027, 1, 8, 23, 0), "{due_at:?}");
        // nothing is open from the 31st to the end of the holidays
        let holidays = school().between(at(2026, 12, 31, 0, 0), at(2027, 1, 9, 0, 0));
        assert_eq!(holidays.value, 0);
    }

    #[test]
    fn a_shortened_day_closes_an_hour_early() {
        // 30 April 2026 (Thursday) is shortened before 1 May
        let (kind, _) = production_calendar(NaiveDate::from_ymd_opt(2026, 4, 30).unwrap());
        assert_eq!(
            kind,
            CalendarDay::Working {
                worked_weekend: false,
                shortened: true
            }
        );
        let start = at(2026, 4, 30, 18, 50);
        // open until 19:00: 10 minutes that day, the rest after the May holidays
        let due_at = due(&school(), start, 30);
        assert!(due_at > at(2026, 5, 1, 0, 0));
        assert_eq!(
            school().between(start, at(2026, 4, 30, 20, 0)).value,
            10 * MINUTE_MS
        );
    }

    #[test]
    fn the_schools_own_closed_days_are_closed() {
        let hours = moscow(
            &["пн-пт 08:00-20:00"],
            false,
            &["2026-11-23..2026-11-24 карантин"],
        );
        assert_eq!(hours.closed[0].why, "карантин");
        let friday = at(2026, 11, 20, 19, 55);
        assert_eq!(due(&hours, friday, 30), at(2026, 11, 25, 8, 25));
    }

    #[test]
    fn a_year_the_calendar_only_predicts_is_not_covered() {
        let start = at(2031, 3, 3, 10, 0);
        let reckoned = school().add(start, 30).expect("open");
        assert!(!reckoned.covered);
        assert!(
            school()
                .add(at(2026, 3, 3, 10, 0), 30)
                .expect("open")
                .covered
        );
        // without the calendar every year is the weekly hours
        let plain = moscow(&["пн-пт 08:00-20:00"], false, &[]);
        assert!(plain.add(start, 30).expect("open").covered);
    }

    #[test]
    fn a_summer_time_day_is_an_hour_shorter_or_longer() {
        let berlin = HoursFile {
            zone: "Europe/Berlin".into(),
            week: vec!["пн-вс 00:00-24:00".into()],
            production_calendar: false,
            closed: Vec::new(),
            service_time: every_deadline(),
            emergency: Vec::new(),
            calendars: Vec::new(),
        }
        .hours()
        .unwrap();
        let day = |d: u32, m: u32| {
            let date = NaiveDate::from_ymd_opt(2026, m, d).unwrap();
            let (open, _) = berlin.open_on(date);
            open.iter().map(|(a, b)| b.0 - a.0).sum::<i64>() / MINUTE_MS
        };
        assert_eq!(day(29, 3), 23 * 60);
        assert_eq!(day(25, 10), 25 * 60);
        assert_eq!(day(26, 10), 24 * 60);
    }

    #[test]
    fn hours_that_do_not_parse_say_which_line() {
        let bad = |week: &str, zone: &str| {
            HoursFile {
                zone: zone.into(),
                week: vec![week.into()],
                production_calendar: false,
                closed: Vec::new(),
                service_time: every_deadline(),
                emergency: Vec::new(),
                calendars: Vec::new(),
            }
            .hours()
            .unwrap_err()
        };
        assert_eq!(
            bad("пн-пт 08:00-20:00", "Europe/Moskva"),
            HoursError::Zone("Europe/Moskva".into())
        );
        assert_eq!(
            bad("пт-пн 08:00-20:00", "Europe/Moscow"),
            HoursError::Day("пт-пн".into())
        );
        assert!(matches!(
            bad("пн 20:00-08:00", "Europe/Moscow"),
            HoursError::Slot(_)
        ));
        assert!(matches!(
            bad("пн 25:00-26:00", "Europe/Moscow"),
            HoursError::Slot(_)
        ));
    }

    /// Service time as a minute-by-minute walk over the open intervals.
    fn walked(hours: &ServiceHours, start: Timestamp, minutes: i64) -> Timestamp {
        let open = |t: i64| {
            let date = hours.local_date(Timestamp(t));
            (-1..=1).any(|offset| {
                hours
                    .open_on(date + Duration::days(offset))
                    .0
                    .iter()
                    .any(|(a, b)| a.0 <= t && t < b.0)
            })
        };
        let mut t = start.0;
        let mut left = minutes;
        if left == 0 {
            while !open(t) {
                t += MINUTE_MS;
            }
            return Timestamp(t);
        }
        loop {
            if open(t) {
                left -= 1;
                if left == 0 {
                    return Timestamp(t + MINUTE_MS);
                }
            }
            t += MINUTE_MS;
        }
    }

    fn random_hours() -> impl Strategy<Value = ServiceHours> {
        let slot = (0u16..23, 1u16..10).prop_map(|(start, len)| {
            let (start, end) = (start * 60, (start * 60 + len * 45).min(DAY_MINUTES));
            format!(
                "{:02}:{:02}-{:02}:{:02}",
                start / 60,
                start % 60,
                end / 60,
                end % 60
            )
        });
        (
            proptest::collection::vec((0usize..7, 0usize..7, slot), 1..4),
            any::<bool>(),
            prop_oneof![
                Just("Europe/Moscow"),
                Just("Europe/Berlin"),
                Just("Asia/Yekaterinburg")
            ],
        )
            .prop_map(|(lines, calendar, zone)| {
                let week = lines
                    .into_iter()
                    .map(|(a, b, slot)| {
                        let (a, b) = (a.min(b), a.max(b));
                        format!("{}-{} {slot}", DAY_NAMES[a][0], DAY_NAMES[b][0])
                    })
                    .collect();
                let file = HoursFile {
                    zone: zone.into(),
                    week,
                    production_calendar: calendar,
                    closed: vec!["2026-03-30..2026-03-31".into()],
                    service_time: every_deadline(),
                    emergency: Vec::new(),
                    calendars: Vec::new(),
                };
                file.hours().expect("generated hours parse")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Adding a span agrees with walking it minute by minute, measuring it back gives the
        /// span, a deadline never falls outside the hours, and a later start is never due
        /// earlier.
        #[test]
        fn service_time_agrees_with_a_minute_by_minute_walk(
            hours in random_hours(),
            // around the spring change in Europe (29 March 2026), minute-aligned
            start_minute in 0i64..(6 * 24 * 60),
            span in 0i64..300,
            later in 0i64..300,
        ) {
            let start = Timestamp(1_774_569_600_000 + start_minute * MINUTE_MS);
            let due_at = hours.add(start, span).expect("open time within days").value;
            prop_assert_eq!(due_at, walked(&hours, start, span));
            prop_assert_eq!(hours.between(start, due_at).value, span * MINUTE_MS);
            if span > 0 {
                prop_assert!(hours.opens_at(Timestamp(due_at.0 - 1)) == Some(Timestamp(due_at.0 - 1)));
            }
            let later_due = hours.add(Timestamp(start.0 + later * MINUTE_MS), span).expect("open").value;
            prop_assert!(later_due >= due_at);
        }
    }
}
