//! One queue's list: every open request in it with its status, assignee, caller, type and
//! next deadline, most urgent first; the filters in the title, the work keys in the footer.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::board::status_text;
use super::common::{footer, hints, pad, width_of};
use crate::domain::access::{may, Operation};
use crate::domain::change::Move;
use crate::domain::deadline::next_timer;
use crate::domain::staff::short_name;
use crate::domain::time::format_countdown;
use crate::tui::app::App;
use crate::tui::keymap::{Action, Context};
use crate::tui::queue_view::{AssigneeFilter, QueueView};
use crate::tui::theme::urgency_symbol;

/// The columns' widths (the deadline takes the rest).
const ID: usize = 7;
const STATUS: usize = 15;
const WIDE_STATUS: usize = 28;
const ASSIGNEE: usize = 15;
const CALLER: usize = 17;
const TYPE: usize = 8;

/// The keys of changes the list offers, most used first.
const WORK: [Move; 7] = [
    Move::DecideExtension,
    Move::Reassign,
    Move::Take,
    Move::Note,
    Move::Resolve,
    Move::Return,
    Move::AskExtension,
];

pub fn draw(frame: &mut Frame, app: &App, view: &QueueView, body: Rect, footer_area: Rect) {
    let deadlines = &app.policy.deadlines;
    let rows = view.rows(&app.open, deadlines);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.focused_border)
        .title(Span::styled(
            title(app, view, rows.len()),
            app.theme.focused_border,
        ));
    let inner = block.inner(body);
    frame.render_widget(block, body);
    let width = inner.width as usize;
    // a wide terminal shows the whole status («в работе, ждёт согласования»)
    let status_width = if width >= 120 { WIDE_STATUS } else { STATUS };
    let rest = width.saturating_sub(ID + status_width + ASSIGNEE + CALLER + TYPE + 5);
    let cells = |id: &str, status: &str, who: &str, caller: &str, kind: &str| {
        format!(
            "{} {} {} {} {} ",
            pad(id, ID),
            pad(status, status_width),
            pad(who, ASSIGNEE),
            pad(caller, CALLER),
            pad(kind, TYPE)
        )
    };
    let mut lines = vec![Line::styled(
        pad(
            &format!(
                "{}{}",
                cells(
                    " №",
                    tr!("queue.status"),
                    tr!("queue.assignee"),
                    tr!("queue.caller"),
                    tr!("queue.type")
                ),
                tr!("queue.deadline")
            ),
            width,
        ),
        app.theme.dim,
    )];
    let visible = (inner.height as usize).saturating_sub(1);
    let start = view
        .selection
        .row()
        .saturating_sub(visible.saturating_sub(1));
    for (index, request) in rows.iter().enumerate().skip(start).take(visible) {
        let selected = view.selection.highlighted() == Some(index);
        let (marker, style) = if selected {
            ("▶", app.theme.selected)
        } else {
            (" ", ratatui::style::Style::new())
        };
        let who = request
            .assignee
            .as_deref()
            .map(|login| app.short_name_of(login))
            .unwrap_or_else(|| "—".to_string());
        let left = cells(
            &format!("{marker}{}", request.id),
            &status_text(request),
            &who,
            &short_name(&request.caller.name),
            app.policy.category_short(request.category),
        );
        let (due, urgency) = match next_timer(request, deadlines) {
            Some(timer) => {
                let urgency = timer.urgency(app.now, deadlines);
                let clock = format!(
                    "{}{}",
                    format_countdown(timer.remaining(app.now)),
                    urgency_symbol(urgency)
                );
                let label = timer.kind.label();
                let text = if width_of(label) + width_of(&clock) < rest {
                    format!("{clock} {label}")
                } else {
                    clock
                };
                (text, Some(urgency))
            }
            None => (String::new(), None),
        };
        let due_style = urgency
            .map(|urgency| app.theme.urgency(urgency).patch(style))
            .unwrap_or(style);
        lines.push(Line::from(vec![
            Span::styled(left, style),
            Span::styled(pad(&due, rest), due_style),
        ]));
    }
    if rows.is_empty() && inner.height > 1 {
        lines.push(Line::styled(tr!("queue.empty"), app.theme.dim));
    }
    frame.render_widget(Paragraph::new(lines), inner);

    let chosen = view.chosen().and_then(|id| app.open.get(id));
    let work: Vec<Action> = WORK
        .into_iter()
        .filter(|one| {
            chosen.is_some_and(|request| {
                one.allowed_from(request.status)
                    && may(&app.me, Operation::Change(*one), Some(request), &app.policy).is_ok()
            })
        })
        .map(Action::Change)
        .collect();
    let mut keys = hints(app, Context::Board, &work);
    keys.extend(hints(
        app,
        Context::Queue,
        &[
            Action::Open,
            Action::Close,
            Action::FilterStatus,
            Action::FilterAssignee,
        ],
    ));
    keys.extend(hints(app, Context::Board, &[Action::Help]));
    footer(frame, app, footer_area, &keys);
}

/// " Очередь ЭЖД · 3 · статус: в работе · исполнитель: Смирнова Е. В. "
fn title(app: &App, view: &QueueView, count: usize) -> String {
    let mut title = tr!(
        "queue.title",
        queue = app.policy.queue_name(&view.queue),
        count = count
    );
    if let Some(status) = view.status {
        title.push_str(&tr!("queue.only_status", status = status.label()));
    }
    match &view.assignee {
        AssigneeFilter::Anyone => {}
        AssigneeFilter::Nobody => title.push_str(tr!("queue.only_unassigned")),
        AssigneeFilter::Person(login) => {
            title.push_str(&tr!("queue.only_person", who = app.short_name_of(login)));
        }
    }
    format!(" {title} ")
}
