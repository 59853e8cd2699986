//! Pieces every screen uses: the title bar, the footer, and text that fits its cells.

use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthChar;

use crate::domain::time::Timestamp;
use crate::tui::app::{App, StatusKind};
use crate::tui::keymap::{Action, Context};

/// `text` cut to `width` terminal columns, ending in `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    let mut used = 0;
    let mut out = String::new();
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return text.to_string();
    }
    if width == 0 {
        return out;
    }
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// `text` padded or cut to exactly `width` columns.
pub fn pad(text: &str, width: usize) -> String {
    let cut = fit(text, width);
    let used: usize = cut.chars().map(|c| c.width().unwrap_or(0)).sum();
    format!("{cut}{}", " ".repeat(width.saturating_sub(used)))
}

pub fn width_of(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

pub fn local_time(app: &App, at: Timestamp, format: &str) -> String {
    at.in_offset(app.offset).format(format).to_string()
}

/// A rectangle of at most `width`×`height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// `pult · Служба сопровождения` on the left; who, role and clock on the right.
pub fn title_bar(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let role = app.me.main_role().map(|r| r.short()).unwrap_or("");
    let clock = local_time(app, app.now, "%H:%M:%S");
    let right = format!("{} ({role}) · {clock} ", app.me.short_name());
    let left_room = (area.width as usize).saturating_sub(width_of(&right) + 1);
    let left = if app.offline.is_some() {
        tr!("header.offline")
    } else if app.store_trouble.is_some() {
        tr!("header.store_trouble")
    } else {
        tr!("header.title")
    };
    let left = fit(left, left_room);
    frame.render_widget(Paragraph::new(left).style(theme.title), area);
    frame.render_widget(
        Paragraph::new(fit(&right, area.width as usize))
            .alignment(Alignment::Right)
            .style(theme.title),
        area,
    );
}

/// The board's footer: the status line when there is one (it is the news), then as many of
/// `hints` as fit whole. Hints are listed most important first; the last ones are dropped.
pub fn footer(frame: &mut Frame, app: &App, area: Rect, hints: &[(String, &str)]) {
    draw_footer(frame, app, area, hints, false);
}

/// A window's footer (a prompt, a dialog, the form): its own keys first, never hidden by an
/// older message; the status line takes the room that is left.
pub fn window_footer(frame: &mut Frame, app: &App, area: Rect, hints: &[(String, &str)]) {
    draw_footer(frame, app, area, hints, true);
}

fn draw_footer(
    frame: &mut Frame,
    app: &App,
    area: Rect,
    hints: &[(String, &str)],
    hints_first: bool,
) {
    let theme = &app.theme;
    // a window's footer replaces the board's: nothing of the old line may show through
    frame.render_widget(Clear, area);
    let width = area.width as usize;
    let status = app.status_visible().map(|status| {
        let style = match status.kind {
            StatusKind::Info => theme.info,
            StatusKind::Error => theme.error,
        };
        (format!(" {}", status.text), style)
    });
    let mut spans = Vec::new();
    let mut used = 0;
    if let (false, Some((text, style))) = (hints_first, &status) {
        let text = fit(text, width);
        used += width_of(&text) + 1;
        spans.push(Span::styled(text, *style));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw(" "));
    used += 1;
    for (key, label) in fitting_hints(hints, width.saturating_sub(used)) {
        used += width_of(key) + width_of(label) + 3;
        spans.push(Span::styled(key.clone(), theme.hint_key));
        spans.push(Span::styled(format!(" {label}  "), theme.hint));
    }
    if let (true, Some((text, style))) = (hints_first, &status) {
        spans.push(Span::styled(fit(text, width.saturating_sub(used)), *style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The first hints that fit in `width` columns, each whole (`key label` and two spaces).
pub fn fitting_hints<'h, 'l>(
    hints: &'h [(String, &'l str)],
    width: usize,
) -> &'h [(String, &'l str)] {
    let mut used = 0;
    let count = hints
        .iter()
        .take_while(|(key, label)| {
            // the last one needs no trailing spaces
            used += width_of(key) + 1 + width_of(label);
            let fits = used <= width;
            used += 2;
            fits
        })
        .count();
    &hints[..count]
}

/// `(key, label)` for each action, with the keymap's first key.
/// One action's first key with words of the window's own for it ("Esc назад").
pub fn hint_as(
    app: &App,
    context: Context,
    action: Action,
    words: &'static str,
) -> Option<(String, &'static str)> {
    app.keymap.hint(context, action).map(|key| (key, words))
}

/// Two actions' first keys together with one set of words ("↑↓ выбрать").
pub fn pair_as(
    app: &App,
    context: Context,
    (first, second): (Action, Action),
    words: &'static str,
) -> Option<(String, &'static str)> {
    let first = app.keymap.hint(context, first)?;
    let second = app.keymap.hint(context, second)?;
    Some((format!("{first}{second}"), words))
}

pub fn hints(app: &App, context: Context, actions: &[Action]) -> Vec<(String, &'static str)> {
    actions
        .iter()
        .filter_map(|action| {
            app.keymap
                .hint(context, *action)
                .map(|key| (key, action.label()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_counts_columns_and_marks_the_cut() {
        assert_eq!(fit("Петрова", 10), "Петрова");
        assert_eq!(fit("Петрова Анна", 8), "Петрова…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(pad("№1", 4), "№1  ");
    }

    #[test]
    fn centered_never_leaves_the_area() {
        let area = Rect::new(0, 0, 10, 5);
        assert_eq!(centered(area, 60, 12), area);
        assert_eq!(centered(area, 4, 1), Rect::new(3, 2, 4, 1));
    }
}
