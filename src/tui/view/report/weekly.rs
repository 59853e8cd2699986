//! The weekly analysis's page: the week against the one before, frequent problems, and a bar
//! chart per category and per deadline over the seven days.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block};

use super::super::common::{pad, width_of};
use super::super::sheet::{flow, wrap, Sheet};
use super::{heading, plain, plain_lines, tallies, MAX_TEXT, TWO_COLUMNS};
use crate::domain::policy::Policy;
use crate::domain::validate::sanitize;
use crate::report::format::{
    change, date, iso_week, local_time, maybe_hours_minutes, offset_name, queue_short, share,
    share_change, step_noun, step_short, trend, weekday_short,
};
use crate::report::{Step, Trend, WeeklyReport};
use crate::tui::theme::Theme;

pub(super) fn weekly_sheet<'a>(
    report: &WeeklyReport,
    policy: &Policy,
    theme: &Theme,
    width: u16,
    height: u16,
) -> Sheet<'a> {
    let offset = report.offset();
    let columns = width >= TWO_COLUMNS;
    let column_width = usize::from(if columns { width / 2 - 1 } else { width });
    let first = report
        .days
        .first()
        .map(|d| d.date.format("%d.%m").to_string());
    let last = report.days.last().map(|d| date(d.date));
    let head = vec![
        plain(format!(
            "{} — {} · время местное {} · сформирован {}",
            first.unwrap_or_default(),
            last.unwrap_or_default(),
            offset_name(offset),
            local_time(report.generated_at, offset)
        )),
        plain("Для директора: только сводные цифры, без персональных данных.".into()),
        Line::default(),
    ];
    let comparison = comparison_lines(report, policy, theme);
    let mut problems = problem_lines(report, policy, theme, column_width);

    let mut sheet = Sheet::new(width);
    sheet.text(head);
    if columns {
        sheet.columns(comparison, problems, 2);
    } else {
        let mut lines = comparison;
        lines.push(Line::default());
        lines.append(&mut problems);
        sheet.text(lines);
    }
    sheet.text(vec![Line::default()]);

    let per_row = (width / 38).clamp(1, 3);
    let chart_height = if height >= 40 { 8 } else { 6 };
    let bars = BarSize::within((width / per_row).saturating_sub(2));
    sheet.text(vec![heading(
        "По дням: поступило по типам обращений (↑↓ — к прошлой неделе)".into(),
        theme,
    )]);
    sheet.charts(
        category_charts(report, policy, theme, bars),
        per_row,
        chart_height,
    );
    sheet.text(vec![heading(
        "По дням: доля в срок, % (↑↓ — к прошлой неделе)".into(),
        theme,
    )]);
    sheet.charts(
        deadline_charts(report, policy, theme, bars),
        per_row,
        chart_height,
    );
    sheet.text(vec![Line::default()]);

    let mut proposals = vec![heading("Предложения руководителя Службы".into(), theme)];
    let text = report
        .proposals
        .as_deref()
        .map(|text| sanitize(text, true, MAX_TEXT))
        .filter(|text| !text.trim().is_empty())
        .unwrap_or_else(|| "ещё не написаны".into());
    proposals.extend(plain_lines(wrap(&text, usize::from(width))));
    sheet.text(proposals);
    sheet
}

fn comparison_lines<'a>(report: &WeeklyReport, policy: &Policy, theme: &Theme) -> Vec<Line<'a>> {
    let (now, before) = (&report.totals, &report.previous);
    let mut rows: Vec<[String; 4]> = vec![[
        "поступило".into(),
        now.received.total.to_string(),
        before.received.total.to_string(),
        change(before.received.total.into(), now.received.total.into()),
    ]];
    for step in Step::ALL {
        let (n, b) = (now.steps.get(step), before.steps.get(step));
        rows.push([
            step_short(step, policy),
            share(n.share_tenths()),
            share(b.share_tenths()),
            share_change(b.share_tenths(), n.share_tenths()),
        ]);
    }
    for step in Step::ALL {
        let (n, b) = (now.steps.get(step), before.steps.get(step));
        rows.push([
            format!("медиана: {}", step_noun(step)),
            maybe_hours_minutes(n.median_ms),
            maybe_hours_minutes(b.median_ms),
            trend(Trend::between_some(b.median_ms, n.median_ms)),
        ]);
    }
    let counts = [
        (
            "открыто в конце недели",
            now.open_at_end,
            before.open_at_end,
        ),
        (
            "просьб о продлении",
            now.extensions.asked,
            before.extensions.asked,
        ),
        ("передано поставщику", now.vendor.sent, before.vendor.sent),
    ];
    for (label, n, b) in counts {
        rows.push([
            label.into(),
            n.to_string(),
            b.to_string(),
            change(b.into(), n.into()),
        ]);
    }
    let label_width = rows.iter().map(|r| width_of(&r[0])).max().unwrap_or(0);
    let this = iso_week(report.year, report.week);
    let (year, week) = report.previous_week();
    let previous = iso_week(year, week);
    let mut lines = vec![
        heading(format!("Сравнение с прошлой неделей ({previous})"), theme),
        plain(format!(
            "  {} {:>9} {:>9}  изменение",
            pad("", label_width),
            this,
            previous
        )),
    ];
    lines.extend(rows.into_iter().map(|[label, n, b, moved]| {
        plain(format!(
            "  {} {:>9} {:>9}  {moved}",
            pad(&label, label_width),
            n,
            b
        ))
    }));
    lines
}

fn problem_lines<'a>(
    report: &WeeklyReport,
    policy: &Policy,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'a>> {
    let mut lines = vec![heading("Частые проблемы".into(), theme)];
    let categories = tallies(&report.top_categories, |c| {
        policy.category_short(*c).to_string()
    });
    let words = tallies(&report.recurring_words, String::clone);
    lines.extend(plain_lines(flow("  типы:  ", &categories, width)));
    lines.extend(plain_lines(flow("  слова: ", &words, width)));
    lines.push(plain(format!(
        "Повторные обращения: {} обратившихся (2 и более за неделю)",
        report.repeat_callers
    )));
    lines.push(heading("Дольше всего открыты".into(), theme));
    if report.longest_open.is_empty() {
        lines.push(plain("  нет".into()));
    }
    for open in &report.longest_open {
        lines.push(plain(format!(
            "  {} {} {} {:>5} ч",
            pad(&open.id.to_string(), 6),
            pad(&queue_short(policy, open.queue.as_deref()), 9),
            pad(policy.category_short(open.category), 8),
            open.hours_open
        )));
    }
    lines
}

/// One chart per category: received per day, the week's count and its trend in the title.
fn category_charts<'a>(
    report: &WeeklyReport,
    policy: &Policy,
    theme: &Theme,
    bars: BarSize,
) -> Vec<BarChart<'a>> {
    let totals = &report.totals.received.by_category;
    // one scale for all categories, so their bars compare
    let busiest = report
        .days
        .iter()
        .flat_map(|d| d.figures.received.by_category.iter().map(|t| t.count))
        .max()
        .unwrap_or(0);
    totals
        .iter()
        .enumerate()
        .map(|(index, total)| {
            let before = report
                .previous
                .received
                .by_category
                .get(index)
                .map_or(0, |t| t.count);
            let title = format!(
                " {} {} {} ",
                policy.category_short(total.key),
                total.count,
                Trend::between(before, total.count).symbol()
            );
            let values: Vec<(u64, String)> = report
                .days
                .iter()
                .map(|d| {
                    let count = d
                        .figures
                        .received
                        .by_category
                        .get(index)
                        .map_or(0, |t| t.count);
                    (u64::from(count), count.to_string())
                })
                .collect();
            chart(
                report,
                title,
                values,
                u64::from(busiest),
                theme.hint_key,
                theme,
                bars,
            )
        })
        .collect()
}

/// One chart per deadline: the day's share within, in whole percent.
fn deadline_charts<'a>(
    report: &WeeklyReport,
    policy: &Policy,
    theme: &Theme,
    bars: BarSize,
) -> Vec<BarChart<'a>> {
    Step::ALL
        .iter()
        .map(|&step| {
            let now = report.totals.steps.get(step).share_tenths();
            let before = report.previous.steps.get(step).share_tenths();
            let title = format!(
                " {} {} {} ",
                step_short(step, policy),
                share(now),
                Trend::between_some(before, now).map_or("", Trend::symbol)
            );
            let values: Vec<(u64, String)> = report
                .days
                .iter()
                .map(|d| match d.figures.steps.get(step).share_tenths() {
                    Some(tenths) => {
                        let percent = (tenths + 5) / 10;
                        (u64::from(percent), percent.to_string())
                    }
                    None => (0, String::new()),
                })
                .collect();
            chart(report, title, values, 100, theme.info, theme, bars)
        })
        .collect()
}

fn chart<'a>(
    report: &WeeklyReport,
    title: String,
    values: Vec<(u64, String)>,
    max: u64,
    bar_style: Style,
    theme: &Theme,
    size: BarSize,
) -> BarChart<'a> {
    let bars: Vec<Bar<'a>> = report
        .days
        .iter()
        .zip(values)
        .map(|(day, (value, text))| {
            Bar::default()
                .value(value)
                .text_value(text)
                .label(Line::from(weekday_short(day.date)))
        })
        .collect();
    BarChart::default()
        .block(
            Block::bordered()
                .border_style(theme.border)
                .title(Span::raw(title)),
        )
        .data(BarGroup::default().bars(&bars))
        .bar_width(size.width)
        .bar_gap(size.gap)
        .bar_style(bar_style)
        .value_style(theme.selected)
        .max(max)
}

/// Seven bars and their gaps in a chart `inner` columns wide: up to 6 columns a bar, gaps
/// dropped when even one-column bars would not fit with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BarSize {
    width: u16,
    gap: u16,
}

impl BarSize {
    fn within(inner: u16) -> BarSize {
        if inner >= 13 {
            BarSize {
                width: ((inner - 6) / 7).min(6),
                gap: 1,
            }
        } else {
            BarSize {
                width: (inner / 7).max(1),
                gap: 0,
            }
        }
    }
}
