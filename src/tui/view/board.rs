//! The dispatch board: incoming, queues and timers, a detail strip and key hints.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::common::{fit, footer, hints, local_time, pad, width_of};
use crate::domain::access::{may_do, shown, Operation, Viewer};
use crate::domain::change::{returned_because, Move};
use crate::domain::request::{Channel, Request};
use crate::domain::staff::short_name;
use crate::domain::time::format_countdown;
use crate::tui::app::{App, Pane};
use crate::tui::keymap::{Action, Context};
use crate::tui::theme::urgency_symbol;

/// Below this width the board shows one pane at a time.
pub const MIN_WIDE: u16 = 80;

pub fn draw(frame: &mut Frame, app: &App, body: Rect, footer_area: Rect) {
    let show_detail = body.height >= 14;
    let [panes, detail] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(if show_detail { 4 } else { 0 }),
    ])
    .areas(body);

    if panes.width >= MIN_WIDE {
        let [incoming, queues, timers] = Layout::horizontal([
            Constraint::Fill(3),
            Constraint::Fill(3),
            Constraint::Fill(4),
        ])
        .areas(panes);
        draw_incoming(frame, app, incoming);
        draw_queues(frame, app, queues);
        draw_timers(frame, app, timers);
    } else {
        match app.focus {
            Pane::Incoming => draw_incoming(frame, app, panes),
            Pane::Queues => draw_queues(frame, app, panes),
            Pane::Timers => draw_timers(frame, app, panes),
        }
    }
    if show_detail {
        draw_detail(frame, app, detail);
    }
    // the head's own decisions first: she watches the queues more than she routes
    let mut keys = if app.watches_queues() {
        hints(
            app,
            Context::Board,
            &[
                Action::Change(Move::DecideExtension),
                Action::Change(Move::Reassign),
            ],
        )
    } else {
        Vec::new()
    };
    if app.shows_my_queue() {
        keys.extend(hints(
            app,
            Context::Board,
            &[
                Action::Change(Move::Take),
                Action::Change(Move::Note),
                Action::Change(Move::Resolve),
                Action::Change(Move::Return),
                Action::Change(Move::AskExtension),
            ],
        ));
    } else {
        keys.extend(hints(
            app,
            Context::Board,
            &[Action::NewCall, Action::Open, Action::RouteSuggested],
        ));
        keys.push((
            format!("1-{}", app.policy.queues.len()),
            tr!("board.to_queue"),
        ));
    }
    // most important first: a narrow footer drops the last ones, and help lists them all
    keys.extend(hints(
        app,
        Context::Board,
        &[Action::Help, Action::Quit, Action::Search],
    ));
    let reads_reports = [Operation::ReadDaily, Operation::ReadWeekly]
        .into_iter()
        .any(|report| may_do(&app.me, report, &app.policy).is_ok());
    if reads_reports {
        keys.extend(hints(app, Context::Board, &[Action::Reports]));
    }
    keys.extend(hints(app, Context::Board, &[Action::NextPane]));
    footer(frame, app, footer_area, &keys);
}

fn pane_block<'a>(app: &App, pane: Pane, title: String) -> Block<'a> {
    let style = if app.focus == pane {
        app.theme.focused_border
    } else {
        app.theme.border
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(title, style))
}

/// First row to show so that the selected row stays in view.
fn scroll_start(selected: usize, visible: usize) -> usize {
    if visible == 0 {
        0
    } else {
        selected.saturating_sub(visible - 1)
    }
}

fn is_selected(app: &App, pane: Pane, index: usize) -> bool {
    app.focus == pane && app.highlighted(pane) == Some(index)
}

fn row_style(app: &App, pane: Pane, index: usize) -> Style {
    if is_selected(app, pane, index) {
        app.theme.selected
    } else {
        Style::new()
    }
}

/// A specialist's own queues, most urgent first, in place of Входящие.
fn draw_mine(frame: &mut Frame, app: &App, area: Rect) {
    let queues = app.my_queues();
    let block = pane_block(
        app,
        Pane::Incoming,
        tr!("board.my_queue", count = app.open.mine_len(&queues)),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let start = scroll_start(
        app.selection_row(Pane::Incoming),
        (inner.height / 2) as usize,
    );
    let rows = app
        .open
        .mine(&queues, start)
        .take((inner.height / 2) as usize)
        .map(|request| {
            let first = format!(
                "{} {} {}",
                request.id,
                app.policy.category_short(request.category),
                short_name(&request.caller.name)
            );
            let state = if request.undelivered.is_some() {
                tr!("board.undelivered").to_string()
            } else if request.extension_pending() {
                tr!("board.extension_pending").to_string()
            } else {
                request.status.label().to_string()
            };
            (first, state)
        })
        .collect();
    draw_two_line_rows(frame, app, inner, start, rows);
}

/// Rows of two lines each in the left pane (`▶` and reverse video on the selected one).
fn draw_two_line_rows(
    frame: &mut Frame,
    app: &App,
    inner: Rect,
    start: usize,
    rows: Vec<(String, String)>,
) {
    let width = inner.width as usize;
    let mut lines = Vec::with_capacity(rows.len() * 2);
    let empty = rows.is_empty() && start == 0;
    for (offset, (first, second)) in rows.into_iter().enumerate() {
        let index = start + offset;
        let style = row_style(app, Pane::Incoming, index);
        let marker = if is_selected(app, Pane::Incoming, index) {
            "▶"
        } else {
            " "
        };
        lines.push(Line::styled(pad(&format!("{marker}{first}"), width), style));
        lines.push(Line::styled(pad(&format!("  {second}"), width), style));
    }
    if empty && inner.height > 0 {
        lines.push(Line::styled(fit(tr!("board.empty"), width), app.theme.dim));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_incoming(frame: &mut Frame, app: &App, area: Rect) {
    if app.shows_my_queue() {
        return draw_mine(frame, app, area);
    }
    let block = pane_block(
        app,
        Pane::Incoming,
        tr!("board.incoming", count = app.open.incoming_len()),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let visible = (inner.height / 2) as usize;
    let start = scroll_start(app.selection_row(Pane::Incoming), visible);
    let rows = app
        .open
        .incoming(start)
        .take(visible)
        .map(|request| {
            let first = format!(
                "{} {} {}",
                request.id,
                local_time(app, request.received_at, "%H:%M"),
                short_name(&request.caller.name)
            );
            let class = request
                .caller
                .class
                .map(|c| format!(" {c}"))
                .unwrap_or_default();
            let returned = returned_because(request)
                .map(|reason| format!("  ↩ {reason}"))
                .unwrap_or_default();
            let site = if request.channel == Channel::Web {
                format!("  {}", tr!("board.from_website"))
            } else {
                String::new()
            };
            let second = format!(
                "{}{class}  {}{site}{returned}",
                request.caller.role.label(),
                app.policy.category_short(request.category)
            );
            (first, second)
        })
        .collect();
    draw_two_line_rows(frame, app, inner, start, rows);
}

fn draw_queues(frame: &mut Frame, app: &App, area: Rect) {
    let block = pane_block(app, Pane::Queues, tr!("board.queues").to_string());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let viewer = Viewer::new(&app.me, &app.policy);
    // the counts' column: "open overdue!", or why there are none to show
    let counts_width = width_of(tr!("board.queue_hidden")).max(7);
    let left_width = width.saturating_sub(counts_width + 1);
    let mut lines = vec![Line::styled(
        format!(
            "{} {}",
            pad(
                &format!("  {:<8} {}", tr!("board.queue"), tr!("board.queue_staff")),
                left_width
            ),
            fit(tr!("board.queue_counts"), counts_width)
        ),
        app.theme.dim,
    )];
    for (index, (number, queue)) in app.queue_rows().into_iter().enumerate() {
        let load = app.open.load(&queue.key);
        let overdue = app.overdue.get(&queue.key).copied().unwrap_or(0);
        let staff: Vec<String> = app
            .queue_staff(queue)
            .into_iter()
            .map(|member| member.short_name())
            .collect();
        let staff = if staff.is_empty() {
            "—".to_string()
        } else {
            staff.join(", ")
        };
        let counts = if !viewer.sees_queue(&queue.key) {
            tr!("board.queue_hidden").to_string()
        } else if overdue > 0 {
            format!("{load} {overdue}!")
        } else {
            format!("{load}")
        };
        let short = pad(app.policy.queue_short(&queue.key), 8);
        let left = pad(&format!("{number} {short} {staff}"), left_width);
        let style = row_style(app, Pane::Queues, index);
        let counts_style = if overdue > 0 {
            app.theme.overdue.patch(style)
        } else {
            style
        };
        lines.push(Line::from(vec![
            Span::styled(left, style),
            Span::styled(" ", style),
            Span::styled(format!("{counts:>counts_width$}"), counts_style),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// «пауза до пн 08:00»: a timer in service time while the service is closed, and when it
/// goes on (in the school's zone).
fn paused(app: &App, opens: crate::domain::time::Timestamp) -> String {
    let local = app.hours.as_ref().map_or_else(
        || opens.in_offset(app.offset).naive_local(),
        |hours| opens.to_utc().with_timezone(&hours.zone).naive_local(),
    );
    tr!(
        "board.paused",
        day = crate::report::format::weekday_short(local.date()).to_lowercase(),
        time = local.format("%H:%M")
    )
}

/// The room a timer's row needs to say its queue and caller besides what is due.
const TIMER_WITH_WHERE: usize = 42;

fn draw_timers(frame: &mut Frame, app: &App, area: Rect) {
    let block = pane_block(app, Pane::Timers, tr!("board.timers").to_string());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let visible = inner.height as usize;
    let start = scroll_start(app.selection_row(Pane::Timers), visible);
    let deadlines = &app.policy.deadlines;
    let mut lines = Vec::with_capacity(visible);
    for (offset, (request, timer)) in app
        .open
        .timers(start, deadlines, app.watches_queues())
        .take(visible)
        .enumerate()
    {
        let urgency = timer.urgency(app.now, deadlines);
        let counting = match app.paused_until(timer.kind) {
            Some(opens) => paused(app, opens),
            None => format_countdown(timer.remaining(app.now)),
        };
        let clock = format!("{counting}{}", urgency_symbol(urgency));
        let id = format!("{} ", request.id);
        let label_width = width.saturating_sub(width_of(&id) + width_of(&clock) + 1);
        // where it is wide enough: whose queue, and who called
        let label = if label_width >= TIMER_WITH_WHERE {
            let queue = request
                .queue
                .as_deref()
                .map(|key| app.policy.queue_short(key))
                .unwrap_or(tr!("board.in_incoming"));
            format!(
                "{} {} {}",
                pad(timer.kind.label(), 15),
                pad(queue, 9),
                short_name(&request.caller.name)
            )
        } else {
            timer.kind.label().to_string()
        };
        let row = row_style(app, Pane::Timers, start + offset);
        lines.push(Line::from(vec![
            Span::styled(id, row),
            Span::styled(pad(&label, label_width), row),
            Span::styled(" ", row),
            Span::styled(clock, app.theme.urgency(urgency).patch(row)),
        ]));
    }
    if app.open.timers_len() == 0 && inner.height > 0 {
        lines.push(Line::styled(
            fit(tr!("board.no_timers"), width),
            app.theme.dim,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The status, and "extension pending" while the head has not decided on more time.
pub fn status_text(request: &Request) -> String {
    if request.undelivered.is_some() {
        tr!("board.status_undelivered", status = request.status.label())
    } else if request.extension_pending() {
        tr!(
            "board.status_extension_pending",
            status = request.status.label()
        )
    } else {
        request.status.label().to_string()
    }
}

/// Where a request is: its queue (and assignee), or the suggested queue while incoming.
pub fn placement(app: &App, request: &Request) -> String {
    match (&request.queue, &request.assignee) {
        (Some(queue), Some(assignee)) => {
            let who = app.short_name_of(assignee);
            format!("{} ({who})", app.policy.queue_short(queue))
        }
        (Some(queue), None) => app.policy.queue_short(queue).to_string(),
        (None, _) => app
            .policy
            .suggested_queue(request.category)
            .map(|queue| {
                tr!(
                    "board.suggested",
                    queue = app.policy.queue_short(&queue.key)
                )
            })
            .unwrap_or_default(),
    }
}

fn draw_detail(frame: &mut Frame, app: &App, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let lines = if let Some(request) = app.selected_request() {
        let mut facts = vec![
            request.id.to_string(),
            status_text(request),
            format!(
                "{} → {}",
                app.policy.category_short(request.category),
                placement(app, request)
            ),
        ];
        let caller = &request.caller;
        let class = caller.class.map(|c| format!(" {c}")).unwrap_or_default();
        facts.push(format!("{}, {}{class}", caller.name, caller.role.label()));
        if let Some(phone) = &caller.phone {
            facts.push(tr!("board.phone", phone = phone));
        }
        if let Some(email) = &caller.email {
            facts.push(email.to_string());
        }
        let description = shown(&request.description).replace('\n', " ");
        vec![
            Line::raw(fit(&facts.join(" · "), width)),
            Line::styled(fit(&description, width), app.theme.dim),
        ]
    } else if let (Pane::Queues, Some(queue)) = (app.focus, app.selected_queue()) {
        let staff: Vec<String> = app
            .staff
            .iter()
            .filter(|member| !member.disabled && member.has(queue.role))
            .map(|member| member.short_name())
            .collect();
        vec![
            Line::raw(fit(
                &tr!(
                    "board.queue_load",
                    queue = app.policy.queue_name(&queue.key),
                    open = app.open.load(&queue.key)
                ),
                width,
            )),
            Line::styled(
                fit(&tr!("board.staff", names = staff.join(", ")), width),
                app.theme.dim,
            ),
        ]
    } else {
        vec![Line::styled(
            fit(tr!("board.nothing_selected"), width),
            app.theme.dim,
        )]
    };
    frame.render_widget(Paragraph::new(lines), inner);
}
