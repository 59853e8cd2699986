//! How report figures read in Russian: labels, shares, durations and local times, shared by
//! the Markdown and CSV files and the console screens.

use chrono::{Datelike, FixedOffset, NaiveDate};

use super::{Step, Trend};
use crate::domain::policy::Policy;
use crate::domain::request::{Category, Channel};
use crate::domain::time::{Timestamp, MINUTE_MS};

pub fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Phone => "телефон",
        Channel::Web => "сайт",
        Channel::Other => "другое",
    }
}

/// The queue's full name from the policy; "не распределено" for none.
pub fn queue_name(policy: &Policy, queue: Option<&str>) -> String {
    match queue {
        Some(key) => policy
            .queue(key)
            .map(|q| q.name.clone())
            .unwrap_or_else(|| key.to_string()),
        None => "не распределено".to_string(),
    }
}

/// The queue's short name from the policy; "не распр." for none.
pub fn queue_short(policy: &Policy, queue: Option<&str>) -> String {
    match queue {
        Some(key) => policy.queue_short(key).to_string(),
        None => "не распр.".to_string(),
    }
}

pub fn category_label(policy: &Policy, category: Category) -> String {
    policy
        .category(category)
        .map(|c| c.label.clone())
        .unwrap_or_else(|| policy.category_short(category).to_string())
}

/// A span from the policy: `30 мин`, `2 ч`, `1 ч 30 мин`.
fn span_label(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} мин"),
        (h, 0) => format!("{h} ч"),
        (h, m) => format!("{h} ч {m} мин"),
    }
}

/// The step and its limit, as the regulation words it.
pub fn step_label(step: Step, policy: &Policy) -> String {
    let d = &policy.deadlines;
    match step {
        Step::Route => format!("распределено в течение {}", span_label(d.route_minutes)),
        Step::Take => format!(
            "взято в работу в течение {} после распределения",
            span_label(d.take_minutes)
        ),
        Step::Resolve => format!("закрыто в течение {}", span_label(d.resolve_hours * 60)),
    }
}

/// The step in a few columns: `распределено ≤30 мин`.
pub fn step_short(step: Step, policy: &Policy) -> String {
    let d = &policy.deadlines;
    match step {
        Step::Route => format!("распределено ≤{}", span_label(d.route_minutes)),
        Step::Take => format!("взято ≤{}", span_label(d.take_minutes)),
        Step::Resolve => format!("закрыто ≤{}", span_label(d.resolve_hours * 60)),
    }
}

/// The step as a noun: `распределение`.
pub fn step_noun(step: Step) -> &'static str {
    match step {
        Step::Route => "распределение",
        Step::Take => "взятие в работу",
        Step::Resolve => "закрытие",
    }
}

/// The running timer's name for an overdue step: `распределить`.
pub fn step_verb(step: Step) -> &'static str {
    match step {
        Step::Route => "распределить",
        Step::Take => "взять в работу",
        Step::Resolve => "закрыть",
    }
}

/// `83,3` from tenths of a percent; empty when there is no share.
pub fn share_number(tenths: Option<u32>) -> String {
    tenths
        .map(|t| format!("{},{}", t / 10, t % 10))
        .unwrap_or_default()
}

/// `83,3 %`, or `—` when nothing was counted.
pub fn share(tenths: Option<u32>) -> String {
    match tenths {
        Some(_) => format!("{} %", share_number(tenths)),
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

/// `18.11.2026 14:32`
pub fn local_time(at: Timestamp, offset: FixedOffset) -> String {
    at.in_offset(offset).format("%d.%m.%Y %H:%M").to_string()
}

/// `18.11.2026`
pub fn date(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// `Пн`…`Вс`
pub fn weekday_short(date: NaiveDate) -> &'static str {
    ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"][date.weekday().num_days_from_monday() as usize]
}

/// `понедельник`…`воскресенье`
pub fn weekday(date: NaiveDate) -> &'static str {
    [
        "понедельник",
        "вторник",
        "среда",
        "четверг",
        "пятница",
        "суббота",
        "воскресенье",
    ][date.weekday().num_days_from_monday() as usize]
}

/// `2026-W46`
pub fn iso_week(year: i32, week: u32) -> String {
    format!("{year}-W{week:02}")
}

/// Unchanged, in words: a cell starting with `=` would be a formula to Excel.
const UNCHANGED: &str = "без изменений";

/// Which way a figure moved: `↑`, `↓`, `без изменений`, or `—` without both sides.
pub fn trend(trend: Option<Trend>) -> String {
    match trend {
        Some(Trend::Same) => UNCHANGED.to_string(),
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
        _ => UNCHANGED.to_string(),
    }
}

/// The change of a share in percentage points, one decimal: `↑ +12,5 п.п.`; `—` without one.
pub fn share_change(before: Option<u32>, now: Option<u32>) -> String {
    let (Some(before), Some(now)) = (before, now) else {
        return "—".to_string();
    };
    let delta = i64::from(now) - i64::from(before);
    let points = delta.unsigned_abs();
    let points = format!("{},{} п.п.", points / 10, points % 10);
    match delta.signum() {
        1 => format!("↑ +{points}"),
        -1 => format!("↓ −{points}"),
        _ => UNCHANGED.to_string(),
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
