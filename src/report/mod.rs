//! The daily report to the head of the service and the weekly analysis for the director (§3.3),
//! computed from requests alone: no store, no clock (`now` is given), no I/O.
//!
//! Figures are computed from each request's current record. Its times are the latest of each
//! kind: a request returned to the dispatcher or reassigned counts by its latest routing, and a
//! reopened request counts as not closed. Only the latest extension of a request is kept.

mod daily;
mod figures;
pub mod format;
mod period;
mod weekly;
mod words;

pub mod csv;
pub mod document;
pub mod markdown;

use chrono::{FixedOffset, NaiveDate, Offset, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::deadline::TimerKind;
use crate::domain::request::{CallerRole, Category, Channel, RequestId};
use crate::domain::time::Timestamp;

pub use daily::daily;
pub use period::{day_bounds, last_full_week, week_bounds};
pub use weekly::weekly;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReportError {
    #[error("{}", tr!("report.error.no_such_week", year = .year, week = .week))]
    NoSuchWeek { year: i32, week: u32 },
}

/// How many of something carry one key.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Tally<K> {
    pub key: K,
    pub count: u32,
}

/// A step of a request with a deadline (§3.1–3.2).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Received → routed, within `route_minutes`.
    Route,
    /// Routed → taken into work, within `take_minutes`.
    Take,
    /// Received → resolved, within `resolve_hours`.
    Resolve,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Route, Step::Take, Step::Resolve];
}

impl From<TimerKind> for Step {
    fn from(kind: TimerKind) -> Self {
        match kind {
            TimerKind::Route => Step::Route,
            TimerKind::Take => Step::Take,
            // phoning the result that mail did not deliver is part of returning it
            TimerKind::Resolve | TimerKind::Phone => Step::Resolve,
        }
    }
}

/// How one step went for a set of requests.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct StepFigures {
    /// The requests the share is over.
    pub of: u32,
    /// Of those, how many have had the step done by now.
    pub done: u32,
    /// Of those, how many had it done within the policy's span; a step not done is not within.
    pub within: u32,
    /// Median time of the step over the `done` ones: the middle value, or the mean of the two
    /// middle values (rounded down to the millisecond) when their number is even.
    pub median_ms: Option<i64>,
    /// 90th percentile over the `done` ones by nearest rank: the ⌈0.9·n⌉-th smallest.
    pub p90_ms: Option<i64>,
}

impl StepFigures {
    /// `within / of` in tenths of a percent, rounded half up; `None` when `of` is 0.
    pub fn share_tenths(&self) -> Option<u32> {
        if self.of == 0 {
            return None;
        }
        let of = u64::from(self.of);
        let tenths = (u64::from(self.within) * 1000 + of / 2) / of;
        u32::try_from(tenths).ok()
    }
}

/// The three steps of [`StepFigures`], one for each deadline.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Steps {
    pub route: StepFigures,
    pub take: StepFigures,
    pub resolve: StepFigures,
}

impl Steps {
    pub fn get(&self, step: Step) -> &StepFigures {
        match step {
            Step::Route => &self.route,
            Step::Take => &self.take,
            Step::Resolve => &self.resolve,
        }
    }
}

/// Requests received in a period, counted several ways. Every key of a kind is listed, with
/// zeros, in a fixed order: channels and roles as declared, categories and queues in the
/// policy's order.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Received {
    /// Every request received in the period, cancelled ones included.
    pub total: u32,
    /// Of `total`, those cancelled since (duplicates, spam).
    pub cancelled: u32,
    pub by_channel: Vec<Tally<Channel>>,
    pub by_category: Vec<Tally<Category>>,
    /// By the queue a request is in now; `None` for the ones not routed (or returned).
    pub by_queue: Vec<Tally<Option<String>>>,
    pub by_role: Vec<Tally<CallerRole>>,
}

/// Extension requests (§3.2.2) whose event falls in the period.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Extensions {
    /// Asked for in the period (`asked_at`).
    pub asked: u32,
    /// Approved in the period (`decided_at`).
    pub approved: u32,
    /// Denied in the period (`decided_at`).
    pub denied: u32,
}

/// Escalations to the platform's vendor whose event falls in the period.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct VendorEscalations {
    /// Sent in the period (`sent_at`).
    pub sent: u32,
    /// Answered in the period (`answered_at`).
    pub answered: u32,
}

/// The aggregate figures of one period (a day or a week): no names, no text.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct PeriodFigures {
    pub received: Received,
    /// Over the requests received in the period that are not cancelled.
    pub steps: Steps,
    /// Received before the period's end and not closed (`closed_at`) by then.
    pub open_at_end: u32,
    pub extensions: Extensions,
    pub vendor: VendorEscalations,
}

/// An open request whose soonest running deadline has passed.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct OverdueRequest {
    pub id: RequestId,
    pub queue: Option<String>,
    /// The assignee's login, when someone has taken it.
    pub assignee: Option<String>,
    /// The step whose deadline has passed.
    pub step: Step,
    /// How long ago that deadline passed, at the report's `now`.
    pub late_ms: i64,
}

/// A result sent by email that did not get through: the person is still to be phoned.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct UndeliveredResult {
    pub id: RequestId,
    pub queue: Option<String>,
    /// The assignee's login (their short name in the head's copy).
    pub assignee: Option<String>,
    /// When the mail server refused it, or pult gave up.
    pub since: Timestamp,
    /// The mail server's words.
    pub reason: String,
}

/// Ежедневный отчёт руководителю Службы (§3.3.2): the head's document, which may list overdue
/// requests by number, queue and assignee.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct DailyReport {
    pub date: NaiveDate,
    /// The day in local time: `[start, end)`.
    pub start: Timestamp,
    pub end: Timestamp,
    /// The `now` the report was computed at.
    pub generated_at: Timestamp,
    /// Who sends it: the operator and the site administrator (§3.3.2).
    pub senders: Vec<String>,
    pub figures: PeriodFigures,
    /// Open at `generated_at` and past their soonest running deadline, latest first.
    pub overdue: Vec<OverdueRequest>,
    /// Open at `generated_at` with a result by email that did not get through, oldest first.
    pub undelivered: Vec<UndeliveredResult>,
}

impl DailyReport {
    /// The offset the day was cut in, read back from `date` and `start`.
    pub fn offset(&self) -> FixedOffset {
        period::offset_of(self.date, self.start)
    }
}

/// One day of the weekly series.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct DayFigures {
    pub date: NaiveDate,
    pub figures: PeriodFigures,
}

/// A long-open request as the director may see it: no names, no description.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct LongOpen {
    pub id: RequestId,
    pub queue: Option<String>,
    pub category: Category,
    /// Whole hours from receipt to the end of the week (or to `now`, if sooner).
    pub hours_open: i64,
}

/// Еженедельный анализ директору (§3.3.3): aggregates only, plus the head's proposals.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct WeeklyReport {
    /// The ISO week.
    pub year: i32,
    pub week: u32,
    /// Monday 00:00 to the next Monday 00:00, local time.
    pub start: Timestamp,
    pub end: Timestamp,
    pub generated_at: Timestamp,
    /// Monday to Sunday.
    pub days: Vec<DayFigures>,
    pub totals: PeriodFigures,
    /// The same figures for the ISO week before.
    pub previous: PeriodFigures,
    /// Categories received in the week, most first (ties in the policy's order), zeros left out.
    pub top_categories: Vec<Tally<Category>>,
    /// Words from descriptions found in at least three requests, by how many requests hold them.
    pub recurring_words: Vec<Tally<String>>,
    /// Callers (same phone or email) with two or more requests received in the week.
    pub repeat_callers: u32,
    /// Open at the end of the week (or `now`, if sooner), longest open first.
    pub longest_open: Vec<LongOpen>,
    /// The head's proposals for the director, kept with the week.
    pub proposals: Option<String>,
}

impl WeeklyReport {
    /// The ISO week before this one, whose figures are `previous`.
    pub fn previous_week(&self) -> (i32, u32) {
        match period::monday_of(self.year, self.week) {
            Ok(monday) => period::previous_week(monday),
            Err(_) => (self.year, self.week.saturating_sub(1)),
        }
    }

    /// The offset the week was cut in, read back from its Monday and `start`.
    pub fn offset(&self) -> FixedOffset {
        match self.days.first() {
            Some(monday) => period::offset_of(monday.date, self.start),
            None => Utc.fix(),
        }
    }
}

/// Which way a figure moved since the week before.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Up,
    Down,
    Same,
}

impl Trend {
    pub fn between<T: PartialOrd>(before: T, now: T) -> Trend {
        if now > before {
            Trend::Up
        } else if now < before {
            Trend::Down
        } else {
            Trend::Same
        }
    }

    /// `None` when either side has nothing to compare.
    pub fn between_some<T: PartialOrd>(before: Option<T>, now: Option<T>) -> Option<Trend> {
        Some(Trend::between(before?, now?))
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Trend::Up => "↑",
            Trend::Down => "↓",
            Trend::Same => "=",
        }
    }
}
