//! The daily report and the weekly analysis on screen: the report's document drawn as text,
//! tables and per-day bar charts on a page the caller scrolls by `scroll` rows.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear};
use ratatui::Frame;

mod blocks;
mod charts;

use super::common::fit;
use crate::domain::policy::Policy;
use crate::report::document::{daily_document, weekly_document, Document};
use crate::report::{DailyReport, WeeklyReport};
use crate::tui::theme::Theme;

/// Ежедневный отчёт руководителю Службы.
pub fn draw_daily(
    frame: &mut Frame,
    area: Rect,
    report: &DailyReport,
    policy: &Policy,
    theme: &Theme,
    scroll: u16,
) {
    let document = daily_document(report, policy, report.offset());
    draw_document(frame, area, &document, theme, scroll);
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
    let document = weekly_document(report, policy, report.offset());
    draw_document(frame, area, &document, theme, scroll);
}

/// A bordered window around the document's scrolled page, with ↑/↓ marks where more is hidden.
pub fn draw_document(
    frame: &mut Frame,
    area: Rect,
    document: &Document,
    theme: &Theme,
    scroll: u16,
) {
    if area.is_empty() {
        return;
    }
    frame.render_widget(Clear, area);
    let title = format!(" {} · {} ", document.title, document.period);
    let mut block = Block::bordered()
        .border_style(theme.focused_border)
        .title(Span::styled(
            fit(&title, usize::from(area.width.saturating_sub(2))),
            theme.focused_border,
        ));
    let inner = block.inner(area);
    let sheet = blocks::sheet(document, theme, inner.width, inner.height);
    let scroll = scroll.min(sheet.height().saturating_sub(inner.height));
    let mut marks = Vec::new();
    if scroll > 0 {
        marks.push(tr!("report.screen.more_above"));
    }
    if scroll.saturating_add(inner.height) < sheet.height() {
        marks.push(tr!("report.screen.more_below"));
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
