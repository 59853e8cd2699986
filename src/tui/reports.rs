//! The reports window: which report, which day or week, what the server sent, how far it is
//! scrolled, and the head's proposals being written.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use ratatui_textarea::{TextArea, WrapMode};

use crate::report::{DailyReport, WeeklyReport};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Daily,
    Weekly,
}

#[derive(Debug, Clone)]
pub struct ReportState {
    pub kind: ReportKind,
    pub date: NaiveDate,
    /// ISO year and week of the weekly analysis.
    pub week: (i32, u32),
    pub daily: Option<DailyReport>,
    pub weekly: Option<WeeklyReport>,
    pub scroll: u16,
    /// The token of the report asked for last (an older answer is dropped).
    pub waiting_for: Option<u64>,
    /// The head writing the week's proposals to the director.
    pub proposals: Option<TextArea<'static>>,
    pub error: Option<String>,
}

/// The ISO week before the one `date` is in.
pub fn last_full_week(date: NaiveDate) -> (i32, u32) {
    let week = (date - Duration::days(7)).iso_week();
    (week.year(), week.week())
}

/// The ISO week `step` weeks from `week`.
fn week_step(week: (i32, u32), step: i64) -> (i32, u32) {
    match NaiveDate::from_isoywd_opt(week.0, week.1, Weekday::Mon) {
        Some(monday) => {
            let moved = (monday + Duration::weeks(step)).iso_week();
            (moved.year(), moved.week())
        }
        None => week,
    }
}

impl ReportState {
    /// The report for `today`: the daily one, or the last full week's analysis.
    pub fn new(kind: ReportKind, today: NaiveDate) -> ReportState {
        ReportState {
            kind,
            date: today,
            week: last_full_week(today),
            daily: None,
            weekly: None,
            scroll: 0,
            waiting_for: None,
            proposals: None,
            error: None,
        }
    }

    /// One day or week back (`-1`) or on (`1`); the report shown is asked for again.
    pub fn step(&mut self, by: i64) {
        match self.kind {
            ReportKind::Daily => self.date += Duration::days(by),
            ReportKind::Weekly => self.week = week_step(self.week, by),
        }
        self.scroll = 0;
    }

    /// Starts writing the proposals from what the report holds.
    pub fn edit_proposals(&mut self) {
        let text = self
            .weekly
            .as_ref()
            .and_then(|report| report.proposals.clone())
            .unwrap_or_default();
        let mut area = TextArea::new(text.split('\n').map(str::to_string).collect());
        area.set_wrap_mode(WrapMode::WordOrGlyph);
        area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        self.proposals = Some(area);
    }

    pub fn answered_daily(&mut self, token: u64, report: DailyReport) {
        if self.waiting_for == Some(token) {
            self.waiting_for = None;
            self.error = None;
            self.daily = Some(report);
        }
    }

    pub fn answered_weekly(&mut self, token: u64, report: WeeklyReport) {
        if self.waiting_for == Some(token) {
            self.waiting_for = None;
            self.error = None;
            self.weekly = Some(report);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_step_across_the_new_year() {
        assert_eq!(week_step((2026, 1), -1), (2025, 52));
        assert_eq!(week_step((2026, 53), 1), (2027, 1));
        let sunday = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(last_full_week(sunday), (2026, 46));
    }
}
