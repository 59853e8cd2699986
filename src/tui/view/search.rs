//! The search window: the line typed and the requests found, open ones first.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::common::{centered, fit, footer, hint_as, local_time, pair_as};
use super::dialogs::window;
use crate::tui::app::App;
use crate::tui::keymap::{Action, Context};
use crate::tui::search::SearchState;

pub fn draw(frame: &mut Frame, app: &App, search: &SearchState, body: Rect, footer_area: Rect) {
    let inner = window(
        app,
        frame,
        centered(body, 100, body.height),
        tr!("search.title").to_string(),
    );
    let [input, summary, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let text = search.input.text();
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("/ ", app.theme.hint_key),
            Span::raw(text.to_string()),
        ])),
        input,
    );
    let typed: usize = text.chars().take(search.input.cursor()).count();
    let cursor_x =
        input.x + 2 + super::common::width_of(&text.chars().take(typed).collect::<String>()) as u16;
    if cursor_x < input.x + input.width {
        frame.set_cursor_position((cursor_x, input.y));
    }
    let width = inner.width as usize;
    let summary_text = match &search.found {
        _ if text.trim().is_empty() => tr!("search.start_typing").to_string(),
        None => tr!("search.searching").to_string(),
        Some(found) if found.total == 0 => tr!("search.nothing").to_string(),
        Some(found) => {
            let mut line = if found.total > found.hits.len() {
                tr!(
                    "search.found_first",
                    total = found.total,
                    shown = found.hits.len()
                )
            } else {
                tr!("search.found", total = found.total)
            };
            if found.partial {
                line.push_str(tr!("search.partial"));
            }
            line
        }
    };
    frame.render_widget(
        Paragraph::new(Line::styled(fit(&summary_text, width), app.theme.dim)),
        summary,
    );
    let rows = list.height as usize;
    let skip = search.selected.saturating_sub(rows.saturating_sub(1));
    let lines: Vec<Line> = search
        .found
        .iter()
        .flat_map(|found| found.hits.iter().enumerate())
        .skip(skip)
        .take(rows)
        .map(|(index, hit)| {
            let queue = hit
                .queue
                .as_deref()
                .map(|key| app.policy.queue_short(key).to_string())
                .unwrap_or_else(|| {
                    if hit.status.is_open() {
                        tr!("search.incoming").into()
                    } else {
                        "—".into()
                    }
                });
            let row = format!(
                "{:<7} {} {:<15} {:<9} {} — {}",
                hit.id.to_string(),
                local_time(app, hit.received_at, "%d.%m.%y"),
                fit(hit.status.label(), 15),
                fit(&queue, 9),
                hit.name,
                hit.snippet
            );
            let style = if index == search.selected {
                app.theme.selected
            } else {
                ratatui::style::Style::default()
            };
            Line::styled(fit(&row, width), style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
    let keys: Vec<_> = [
        pair_as(
            app,
            Context::Search,
            (Action::Up, Action::Down),
            tr!("search.select"),
        ),
        hint_as(app, Context::Search, Action::Open, tr!("action.open")),
        hint_as(app, Context::Search, Action::Close, tr!("key.back")),
    ]
    .into_iter()
    .flatten()
    .collect();
    footer(frame, app, footer_area, &keys);
}
