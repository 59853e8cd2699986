//! How report figures read in the current language: labels, shares, durations and local
//! times, shared by the Markdown and CSV files and the console screens.

use std::fmt::{Display, Write};

use chrono::{Datelike, FixedOffset, NaiveDate};

use super::{Step, Trend};
use crate::domain::policy::Policy;
use crate::domain::request::{Category, Channel};
use crate::domain::time::{Timestamp, MINUTE_MS};

pub fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Phone => tr!("report.channel.phone"),
        Channel::Web => tr!("report.channel.web"),
        Channel::Other => tr!("report.channel.other"),
    }
}

/// The queue's full name from the policy; "не распределено" for none.
pub fn queue_name(policy: &Policy, queue: Option<&str>) -> String {
    match queue {
        Some(key) => policy.queue_name(key).to_string(),
        None => tr!("report.queue.none").to_string(),
    }
}

/// The queue's short name from the policy; "не распр." for none.
pub fn queue_short(policy: &Policy, queue: Option<&str>) -> String {
    match queue {
        Some(key) => policy.queue_short(key).to_string(),
        None => tr!("report.queue.none_short").to_string(),
    }
}

pub fn category_label(policy: &Policy, category: Category) -> String {
    policy.category_label(category).to_string()
}

/// A span from the policy: `30 мин`, `2 ч`, `1 ч 30 мин`.
fn span_label(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => tr!("report.span.minutes", m = m),
        (h, 0) => tr!("report.span.hours", h = h),
        (h, m) => tr!("report.span.hours_minutes", h = h, m = m),
    }
}

/// The step's limit in the policy: `30 мин`.
fn step_span(step: Step, policy: &Policy) -> String {
    let d = &policy.deadlines;
    span_label(match step {
        Step::Route => d.route_minutes,
        Step::Take => d.take_minutes,
        Step::Resolve => d.resolve_hours * 60,
    })
}

/// The step and its limit, as the regulation words it.
pub fn step_label(step: Step, policy: &Policy) -> String {
    let span = step_span(step, policy);
    match step {
        Step::Route => tr!("report.step.route", span = span),
        Step::Take => tr!("report.step.take", span = span),
        Step::Resolve => tr!("report.step.resolve", span = span),
    }
}

/// The step in a few columns: `распределено ≤30 мин`.
pub fn step_short(step: Step, policy: &Policy) -> String {
    let span = step_span(step, policy);
    match step {
        Step::Route => tr!("report.step.route_short", span = span),
        Step::Take => tr!("report.step.take_short", span = span),
        Step::Resolve => tr!("report.step.resolve_short", span = span),
    }
}

/// The median's row of a step in the weekly comparison: `Медиана, ч:мм: распределение`.
pub fn step_median(step: Step) -> &'static str {
    match step {
        Step::Route => tr!("report.step.route_median"),
        Step::Take => tr!("report.step.take_median"),
        Step::Resolve => tr!("report.step.resolve_median"),
    }
}

/// The running timer's name for an overdue step: `распределить`.
pub fn step_verb(step: Step) -> &'static str {
    match step {
        Step::Route => tr!("report.step.route_verb"),
        Step::Take => tr!("report.step.take_verb"),
        Step::Resolve => tr!("report.step.resolve_verb"),
    }
}

/// A number of tenths with one decimal: `83,3` in Russian, `83.3` in English.
fn tenths_number(tenths: u64) -> String {
    format!(
        "{}{}{}",
        tenths / 10,
        tr!("report.number.decimal"),
        tenths % 10
    )
}

/// `83,3` from tenths of a percent; empty when there is no share.
pub fn share_number(tenths: Option<u32>) -> String {
    tenths
        .map(|t| tenths_number(u64::from(t)))
        .unwrap_or_default()
}

/// `83,3 %`, or `—` when nothing was counted.
pub fn share(tenths: Option<u32>) -> String {
    match tenths {
        Some(_) => tr!("report.number.share", share = share_number(tenths)),
        None => "—".to_string(),
    }
}

/// A duration as `ч:мм`, rounded to the nearest minute (halves up): `0:12`, `25:03`.
pub fn hours_minutes(ms: i64) -> String {
    let minutes = ms.saturating_add(MINUTE_MS / 2).div_euclid(MINUTE_MS);
    let sign = if minutes < 0 { "-" } else { "" };
    let minutes = minutes.unsigned_abs();
    format!("{sign}{}:{:02}", minutes / 60, minutes % 60)
}

/// `ч:мм`, or `—` when there is no value.
pub fn maybe_hours_minutes(ms: Option<i64>) -> String {
    ms.map(hours_minutes).unwrap_or_else(|| "—".to_string())
}

/// `UTC+03:00`
pub fn offset_name(offset: FixedOffset) -> String {
    let seconds = offset.local_minus_utc();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A date or time in the catalogue's `strftime` pattern; a pattern chrono cannot read gives
/// what was written before the fault rather than a panic.
fn formatted(value: impl Display) -> String {
    let mut text = String::new();
    let _ = write!(text, "{value}");
    text
}

/// `18.11.2026 14:32`
pub fn local_time(at: Timestamp, offset: FixedOffset) -> String {
    formatted(at.in_offset(offset).format(tr!("report.format.date_time")))
}

/// `18.11.2026`
pub fn date(date: NaiveDate) -> String {
    formatted(date.format(tr!("report.format.date")))
}

/// `Пн 09.11`: a day of the week in the weekly series.
pub fn day_short(date: NaiveDate) -> String {
    format!(
        "{} {}",
        weekday_short(date),
        formatted(date.format(tr!("report.format.day_month")))
    )
}

/// `Пн`…`Вс`
pub fn weekday_short(date: NaiveDate) -> &'static str {
    [
        tr!("report.weekday.mon_short"),
        tr!("report.weekday.tue_short"),
        tr!("report.weekday.wed_short"),
        tr!("report.weekday.thu_short"),
        tr!("report.weekday.fri_short"),
        tr!("report.weekday.sat_short"),
        tr!("report.weekday.sun_short"),
    ][date.weekday().num_days_from_monday() as usize]
}

/// `понедельник`…`воскресенье`
pub fn weekday(date: NaiveDate) -> &'static str {
    crate::domain::time::weekday_name(date)
}

/// `2026-W46`
pub fn iso_week(year: i32, week: u32) -> String {
    format!("{year}-W{week:02}")
}

/// Unchanged, in words: a cell starting with `=` would be a formula to Excel.
fn unchanged() -> String {
    tr!("report.trend.same").to_string()
}

/// Which way a figure moved: `↑`, `↓`, `без изменений`, or `—` without both sides.
pub fn trend(trend: Option<Trend>) -> String {
    match trend {
        Some(Trend::Same) => unchanged(),
        Some(moved) => moved.symbol().to_string(),
        None => "—".to_string(),
    }
}

/// A signed difference with the trend's arrow: `↑ +3`, `↓ −2`, `без изменений`.
pub fn change(before: i64, now: i64) -> String {
    let delta = now - before;
    match delta.signum() {
        1 => format!("↑ +{delta}"),
        -1 => format!("↓ −{}", delta.unsigned_abs()),
        _ => unchanged(),
    }
}

/// The change of a share in percentage points, one decimal: `↑ +12,5 п.п.`; `—` without one.
pub fn share_change(before: Option<u32>, now: Option<u32>) -> String {
    let (Some(before), Some(now)) = (before, now) else {
        return "—".to_string();
    };
    let delta = i64::from(now) - i64::from(before);
    let points = tenths_number(delta.unsigned_abs());
    let points = tr!("report.number.points", points = points);
    match delta.signum() {
        1 => format!("↑ +{points}"),
        -1 => format!("↓ −{points}"),
        _ => unchanged(),
    }
}

/// A row of values as a text sparkline, `▁▃█`, scaled to the largest.
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&value| {
            if max == 0 || value == 0 {
                ' '
            } else {
                let level = (value.saturating_mul(8)).div_ceil(max).saturating_sub(1);
                BARS[(level as usize).min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_to_the_minute() {
        assert_eq!(hours_minutes(12 * MINUTE_MS + 29_999), "0:12");
        assert_eq!(hours_minutes(12 * MINUTE_MS + 30_000), "0:13");
        assert_eq!(hours_minutes(25 * 60 * MINUTE_MS + 3 * MINUTE_MS), "25:03");
        assert_eq!(hours_minutes(-5 * MINUTE_MS), "-0:05");
    }

    #[test]
    fn shares_and_offsets_read_in_russian() {
        assert_eq!(share(Some(833)), "83,3 %");
        assert_eq!(share(Some(1000)), "100,0 %");
        assert_eq!(share(None), "—");
        assert_eq!(
            offset_name(FixedOffset::east_opt(3 * 3600).expect("offset")),
            "UTC+03:00"
        );
        assert_eq!(
            offset_name(FixedOffset::west_opt(9 * 3600 + 1800).expect("offset")),
            "UTC-09:30"
        );
        assert_eq!(share_change(Some(500), Some(625)), "↑ +12,5 п.п.");
        assert_eq!(change(5, 3), "↓ −2");
        assert_eq!(change(4, 4), "без изменений");
        assert_eq!(trend(Some(Trend::Same)), "без изменений");
    }

    #[test]
    fn the_reports_texts_come_from_their_own_files_under_locales() {
        let text = |lang: &str| crate::_rust_i18n_translate(lang, "report.trend.same");
        assert_eq!(text("ru"), "без изменений");
        assert_eq!(text("en"), "no change");
        assert_eq!(crate::tr!("report.trend.same"), "без изменений");
    }

    #[test]
    fn sparkline_scales_to_the_largest() {
        assert_eq!(sparkline(&[0, 1, 7, 14]), " ▁▄█");
        assert_eq!(sparkline(&[]), "");
    }
}
