//! The daily report and the weekly analysis on screen: text and per-day bar charts on a page
//! the caller scrolls by `scroll` rows.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Clear};
use ratatui::Frame;

use super::common::{fit, pad, width_of};
use super::sheet::{flow, wrap, Sheet};
use crate::domain::policy::Policy;
use crate::domain::validate::sanitize;
use crate::report::format::{
    change, channel_label, date, hours_minutes, iso_week, local_time, maybe_hours_minutes,
    offset_name, queue_short, share, share_change, step_noun, step_short, step_verb, weekday,
    weekday_short,
};
use crate::report::{DailyReport, PeriodFigures, Step, Tally, Trend, WeeklyReport};
use crate::tui::theme::Theme;

/// From this inner width on, the page has two columns.
const TWO_COLUMNS: u16 = 110;
/// The longest free text (senders, proposals) drawn.
const MAX_TEXT: usize = 20_000;

/// Ежедневный отчёт руководителю Службы.
pub fn draw_daily(
    frame: &mut Frame,
    area: Rect,
    report: &DailyReport,
    policy: &Policy,
    theme: &Theme,
    scroll: u16,
) {
    let title = format!(
        " Ежедневный отчёт руководителю Службы · {} ",
        date(report.date)
    );
    framed(frame, area, theme, &title, scroll, |width, _| {
        daily_sheet(report, policy, theme, width)
    });
}

/// Еженедельный анализ директору: aggregates, charts per category and per deadline.
pub fn draw_weekly(
    frame: &mut Frame,
    area: Rect,
    report: &WeeklyReport,
    policy: &Policy,
    theme: &Theme,
    scroll: u16,
) {
    let title = format!(
        " Еженедельный анализ директору · {} ",
        iso_week(report.year, report.week)
    );
    framed(frame, area, theme, &title, scroll, |width, height| {
        weekly_sheet(report, policy, theme, width, height)
    });
}

/// A bordered window around a scrolled sheet, with ↑/↓ marks where more is hidden.
fn framed<'a>(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: &str,
    scroll: u16,
    build: impl FnOnce(u16, u16) -> Sheet<'a>,
) {
    if area.is_empty() {
        return;
    }
    frame.render_widget(Clear, area);
    let mut block = Block::bordered()
        .border_style(theme.focused_border)
        .title(Span::styled(
            fit(title, usize::from(area.width.saturating_sub(2))),
            theme.focused_border,
        ));
    let inner = block.inner(area);
    let sheet = build(inner.width, inner.height);
    let scroll = scroll.min(sheet.height().saturating_sub(inner.height));
    let mut marks = Vec::new();
    if scroll > 0 {
        marks.push("↑ выше");
    }
    if scroll.saturating_add(inner.height) < sheet.height() {
        marks.push("↓ ниже");
    }
    if !marks.is_empty() {
        let text = fit(
            &format!(" {} ", marks.join(" · ")),
            usize::from(area.width.saturating_sub(2)),
        );
        block = block.title_bottom(Line::from(Span::styled(text, theme.hint_key)).right_aligned());
    }
    frame.render_widget(block, area);
    sheet.render(frame, inner, scroll);
}

fn heading<'a>(text: String, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(text, theme.hint_key))
}

fn plain<'a>(text: String) -> Line<'a> {
    Line::from(text)
}

fn plain_lines<'a>(texts: Vec<String>) -> Vec<Line<'a>> {
    texts.into_iter().map(plain).collect()
}

fn tallies<K>(tallies: &[Tally<K>], label: impl Fn(&K) -> String) -> Vec<String> {
    tallies
        .iter()
        .map(|t| format!("{} {}", label(&t.key), t.count))
        .collect()
}

fn daily_sheet<'a>(report: &DailyReport, policy: &Policy, theme: &Theme, width: u16) -> Sheet<'a> {
    let offset = report.offset();
    let columns = width >= TWO_COLUMNS;
    let column_width = usize::from(if columns { width / 2 - 1 } else { width });
    let figures = &report.figures;

    let mut head = vec![plain(format!(
        "За {} ({}), время местное {} · сформирован {}",
        date(report.date),
        weekday(report.date),
        offset_name(offset),
        local_time(report.generated_at, offset)
    ))];
    let senders = sanitize(&report.senders.join(", "), false, MAX_TEXT);
    head.extend(plain_lines(wrap(
        &format!("Направляют: {senders}"),
        usize::from(width),
    )));
    head.push(Line::default());

    let mut left = received_lines(figures, policy, theme, column_width);
    left.push(Line::default());
    left.extend(step_lines(figures, policy, theme));

    let mut right = vec![plain(format!(
        "Открыто на конец дня: {}",
        figures.open_at_end
    ))];
    let overdue_style = if report.overdue.is_empty() {
        theme.hint_key
    } else {
        theme.overdue
    };
    right.push(Line::from(Span::styled(
        format!(
            "Просрочено сейчас: {}{}",
            report.overdue.len(),
            if report.overdue.is_empty() { "" } else { " !" }
        ),
        overdue_style,
    )));
    for late in &report.overdue {
        let text = format!(
            "  {} {} {} {} {:>7} !",
            pad(&late.id.to_string(), 6),
            pad(&queue_short(policy, late.queue.as_deref()), 9),
            pad(late.assignee.as_deref().unwrap_or("—"), 10),
            pad(step_verb(late.step), 14),
            hours_minutes(late.late_ms)
        );
        right.push(Line::from(Span::styled(text, theme.overdue)));
    }
    right.push(Line::default());
    let (e, v) = (&figures.extensions, &figures.vendor);
    right.push(plain(format!(
        "Продление сроков: просили {} · согласовано {} · отказано {}",
        e.asked, e.approved, e.denied
    )));
    right.push(plain(format!(
        "Поставщик платформы: передано {} · ответил {}",
        v.sent, v.answered
    )));

    let mut sheet = Sheet::new(width);
    sheet.text(head);
    if columns {
        sheet.columns(left, right, 2);
    } else {
        left.push(Line::default());
        left.extend(right);
        sheet.text(left);
    }
    sheet
}

fn received_lines<'a>(
    figures: &PeriodFigures,
    policy: &Policy,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'a>> {
    let received = &figures.received;
    let mut lines = vec![heading(
        format!(
            "Поступило за день: {} · отменено: {}",
            received.total, received.cancelled
        ),
        theme,
    )];
    let rows = [
        (
            "  каналы:  ",
            tallies(&received.by_channel, |c| channel_label(*c).into()),
        ),
        (
            "  типы:    ",
            tallies(&received.by_category, |c| {
                policy.category_short(*c).to_string()
            }),
        ),
        (
            "  очереди: ",
            tallies(&received.by_queue, |q| queue_short(policy, q.as_deref())),
        ),
        (
            "  роли:    ",
            tallies(&received.by_role, |r| r.label().into()),
        ),
    ];
    for (lead, items) in rows {
        lines.extend(plain_lines(flow(lead, &items, width)));
    }
    lines
}

fn step_lines<'a>(figures: &PeriodFigures, policy: &Policy, theme: &Theme) -> Vec<Line<'a>> {
    let labels = Step::ALL.map(|step| step_short(step, policy));
    let label_width = labels.iter().map(|l| width_of(l)).max().unwrap_or(0);
    let mut lines = vec![
        heading(
            "Сроки (от поступивших за день, без отменённых)".into(),
            theme,
        ),
        plain(format!(
            "  {} {:>7} {:>8} {:>8} {:>8}",
            pad("этап", label_width),
            "в срок",
            "доля",
            "медиана",
            "90 %"
        )),
    ];
    for (step, label) in Step::ALL.iter().zip(labels) {
        let step = figures.steps.get(*step);
        lines.push(plain(format!(
            "  {} {:>7} {:>8} {:>8} {:>8}",
            pad(&label, label_width),
            format!("{}/{}", step.within, step.of),
            share(step.share_tenths()),
            maybe_hours_minutes(step.median_ms),
            maybe_hours_minutes(step.p90_ms)
        )));
    }
    lines
}

fn weekly_sheet<'a>(
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
            Trend::between_some(b.median_ms, n.median_ms)
                .map_or("—", Trend::symbol)
                .into(),
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
    let previous = previous_week_label(report);
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

fn previous_week_label(report: &WeeklyReport) -> String {
    report
        .days
        .first()
        .and_then(|d| d.date.checked_sub_days(chrono::Days::new(7)))
        .map(|d| {
            let iso = chrono::Datelike::iso_week(&d);
            iso_week(iso.year(), iso.week())
        })
        .unwrap_or_default()
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
