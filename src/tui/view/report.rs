//! The daily report and the weekly analysis on screen: text and per-day bar charts on a page
//! the caller scrolls by `scroll` rows.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear};
use ratatui::Frame;

mod weekly;

use super::common::{fit, pad, width_of};
use super::sheet::{flow, wrap, Sheet};
use crate::domain::policy::Policy;
use crate::domain::validate::sanitize;
use crate::report::format::{
    channel_label, date, hours_minutes, iso_week, local_time, maybe_hours_minutes, offset_name,
    queue_short, share, step_short, step_verb, weekday,
};
use crate::report::{DailyReport, PeriodFigures, Step, Tally, WeeklyReport};
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
        weekly::weekly_sheet(report, policy, theme, width, height)
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
