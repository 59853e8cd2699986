//! Windows over the board: the route offer after saving, a request's detail, and help.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::common::{centered, fit, footer, hints, local_time, window_footer};
use crate::domain::request::RequestId;
use crate::tui::app::App;
use crate::tui::help::{entries, HelpState};
use crate::tui::keymap::{Action, Context};

pub(super) fn window(app: &App, frame: &mut Frame, area: Rect, title: String) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.focused_border)
        .title(Span::styled(title, app.theme.focused_border));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

pub fn draw_route_offer(
    frame: &mut Frame,
    app: &App,
    id: RequestId,
    body: Rect,
    footer_area: Rect,
) {
    let Some(request) = app.open.get(id) else {
        return;
    };
    let height = app.policy.queues.len() as u16 + 7;
    let inner = window(
        app,
        frame,
        centered(body, 64, height),
        tr!("route.title", id = id),
    );
    let width = inner.width as usize;
    let category = app.policy.category_label(request.category);
    let suggested = app.policy.suggested_queue(request.category);
    let mut lines = vec![
        Line::raw(fit(&tr!("route.type", category = category), width)),
        Line::raw(fit(
            &tr!(
                "route.route_by",
                time = local_time(app, request.deadlines.route_by, "%H:%M")
            ),
            width,
        )),
        Line::raw(""),
    ];
    for (index, queue) in app.policy.queues.iter().enumerate() {
        let is_suggested = suggested.map(|s| s.key == queue.key).unwrap_or(false);
        let text = format!(
            "{} {}{}",
            index + 1,
            app.policy.queue_name(&queue.key),
            if is_suggested {
                tr!("route.suggested")
            } else {
                ""
            }
        );
        let style = if is_suggested {
            app.theme.selected
        } else {
            app.theme.hint
        };
        lines.push(Line::styled(fit(&text, width), style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    let mut keys = Vec::new();
    if let Some(key) = app.keymap.hint(Context::Route, Action::RouteSuggested) {
        keys.push((key, tr!("route.to_suggested")));
    }
    keys.push((
        format!("1-{}", app.policy.queues.len()),
        tr!("route.to_other"),
    ));
    if let Some(key) = app.keymap.hint(Context::Route, Action::LeaveIncoming) {
        keys.push((key, tr!("action.leave_incoming")));
    }
    window_footer(frame, app, footer_area, &keys);
}

pub fn draw_help(frame: &mut Frame, app: &App, help: &HelpState, body: Rect, footer_area: Rect) {
    let inner = window(
        app,
        frame,
        centered(body, 72, 40),
        tr!("help.title_of", window = help.from.label()),
    );
    let mut lines = Vec::new();
    for entry in entries(app, help.from) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<18}", entry.keys), app.theme.hint_key),
            Span::raw(entry.label),
        ]));
    }
    if help.from == Context::Board {
        lines.push(Line::raw(""));
        lines.push(Line::raw(tr!("help.timers")));
        lines.push(Line::raw(tr!("help.layout")));
    }
    // never past the end: the last lines stay in view however far it was scrolled
    let columns = usize::from(inner.width.max(1));
    let rows: usize = lines
        .iter()
        .map(|line| line.width().div_ceil(columns).max(1))
        .sum();
    let last = u16::try_from(rows).unwrap_or(u16::MAX);
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let scroll = help.scroll.min(last.saturating_sub(inner.height));
    frame.render_widget(paragraph.scroll((scroll, 0)), inner);
    let keys = hints(
        app,
        Context::Help,
        &[Action::Down, Action::Up, Action::Close],
    );
    footer(frame, app, footer_area, &keys);
}
