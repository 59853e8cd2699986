//! The detail window: one request whole — who called, where it is, its deadlines, notes,
//! result, the caller's other requests and the timeline of who changed what.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::board::{placement, status_text};
use super::common::{centered, footer, hint_as, hints, local_time};
use super::dialogs::window;
use crate::domain::access::{may, shown, Operation};
use crate::domain::audit::describe;
use crate::domain::change::Move;
use crate::domain::deadline::running_timers;
use crate::domain::request::{ExtensionState, Request, ReturnChannel};
use crate::domain::time::format_countdown;
use crate::service::Detail;
use crate::tui::app::App;
use crate::tui::detail::DetailState;
use crate::tui::keymap::{Action, Context};
use crate::tui::theme::urgency_symbol;

pub fn draw(frame: &mut Frame, app: &App, state: &DetailState, body: Rect, footer_area: Rect) {
    let request = match &state.detail {
        Some(detail) => Some(&detail.request),
        None => app.open.get(state.id),
    };
    let inner = window(
        app,
        frame,
        centered(body, 90, body.height.saturating_sub(2).max(20)),
        tr!("detail.title", id = state.id),
    );
    let mut lines = match request {
        Some(request) => request_lines(app, request),
        None => Vec::new(),
    };
    match &state.detail {
        Some(detail) => lines.extend(detail_lines(app, detail)),
        None => {
            lines.push(Line::raw(""));
            lines.push(Line::styled(tr!("detail.loading"), app.theme.dim));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((state.scroll, 0)),
        inner,
    );
    let mut keys = hints(app, Context::Detail, &[Action::Down, Action::Up]);
    if let Some(request) = request {
        // the moves the rules let this person make now, as the server will decide them
        let moves: Vec<Action> = Move::ALL
            .into_iter()
            .filter(|one| one.key_name().is_some() && one.allowed_from(request.status))
            .filter(|one| may(&app.me, Operation::Change(*one), Some(request), &app.policy).is_ok())
            .map(Action::Change)
            .collect();
        keys.extend(hints(app, Context::Board, &moves));
    }
    keys.extend(hint_as(
        app,
        Context::Detail,
        Action::Close,
        tr!("key.back"),
    ));
    footer(frame, app, footer_area, &keys);
}

fn heading<'a>(app: &App, text: &'a str) -> Line<'a> {
    Line::styled(text, app.theme.field_focused)
}

/// The request itself: everything the board's copy has.
fn request_lines(app: &App, request: &Request) -> Vec<Line<'static>> {
    let caller = &request.caller;
    let dash = || "—".to_string();
    let mut lines = vec![
        Line::raw(tr!(
            "detail.status",
            status = status_text(request),
            place = placement(app, request)
        )),
        Line::raw(tr!(
            "detail.received",
            at = local_time(app, request.received_at, "%d.%m.%Y %H:%M"),
            by = request.logged_by
        )),
        Line::raw(tr!("detail.name", name = caller.name)),
        Line::raw(tr!(
            "detail.role_class",
            role = caller.role.label(),
            class = caller.class.map(|c| c.to_string()).unwrap_or_else(dash)
        )),
        Line::raw(tr!(
            "detail.type",
            category = app
                .policy
                .category(request.category)
                .map(|c| c.label.as_str())
                .unwrap_or("")
        )),
        Line::raw(tr!(
            "detail.contacts",
            phone = caller
                .phone
                .as_ref()
                .map(|p| p.display())
                .unwrap_or_else(dash),
            email = caller
                .email
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_else(dash)
        )),
    ];
    for timer in running_timers(request, &app.policy.deadlines) {
        let urgency = timer.urgency(app.now, &app.policy.deadlines);
        lines.push(Line::from(vec![
            Span::raw(tr!(
                "detail.timer",
                step = timer.kind.label(),
                time = local_time(app, timer.due, "%d.%m %H:%M")
            )),
            Span::styled(
                format!(
                    "{}{}",
                    format_countdown(timer.remaining(app.now)),
                    urgency_symbol(urgency)
                ),
                app.theme.urgency(urgency),
            ),
        ]));
    }
    if let Some(extension) = &request.extension {
        lines.push(Line::raw(tr!(
            "detail.extension",
            until = local_time(app, extension.until, "%d.%m %H:%M"),
            state = match extension.state {
                ExtensionState::Pending => tr!("board.extension_pending"),
                ExtensionState::Approved => tr!("detail.approved"),
                ExtensionState::Denied => tr!("detail.denied"),
            },
            reason = shown(&extension.reason)
        )));
    }
    if let Some(result) = &request.result {
        let channel = match result.returned_by {
            ReturnChannel::Phone => tr!("detail.by_phone"),
            ReturnChannel::Email => tr!("detail.by_email"),
        };
        lines.push(Line::raw(tr!(
            "detail.result",
            channel = channel,
            at = local_time(app, result.at, "%d.%m %H:%M"),
            text = shown(&result.text)
        )));
    }
    if let Some(undelivered) = &request.undelivered {
        lines.push(Line::styled(
            tr!(
                "detail.undelivered",
                at = local_time(app, undelivered.at, "%d.%m %H:%M"),
                to = shown(&undelivered.to),
                reason = shown(&undelivered.reason)
            ),
            app.theme.overdue,
        ));
    }
    if let Some(reason) = &request.cancel_reason {
        lines.push(Line::raw(tr!("detail.cancelled", reason = reason)));
    }
    for case in &request.vendor {
        lines.push(Line::raw(tr!(
            "detail.vendor",
            at = local_time(app, case.sent_at, "%d.%m %H:%M"),
            ticket = case.ticket,
            text = case
                .answer
                .as_deref()
                .unwrap_or(tr!("detail.no_answer_yet"))
        )));
    }
    for note in &request.notes {
        lines.push(Line::styled(
            format!(
                "{} {} · {}: {}",
                local_time(app, note.at, "%d.%m %H:%M"),
                note.author,
                note.kind.label(),
                note.text
            ),
            app.theme.dim,
        ));
    }
    lines.push(Line::raw(""));
    lines.push(heading(app, tr!("detail.description")));
    lines.extend(
        shown(&request.description)
            .lines()
            .map(|line| Line::raw(line.to_string())),
    );
    lines
}

/// What only the server knows: the caller's other requests and the timeline.
fn detail_lines(app: &App, detail: &Detail) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw("")];
    if let Some(card) = &detail.caller {
        lines.push(heading(app, tr!("detail.caller")));
        lines.push(Line::raw(tr!(
            "detail.caller_requests",
            card = card.describe(),
            count = card.requests.len()
        )));
        for hit in &detail.earlier {
            lines.push(Line::styled(
                format!(
                    "  {} {} {} — {}",
                    hit.id,
                    local_time(app, hit.received_at, "%d.%m.%Y"),
                    hit.status.label(),
                    hit.snippet
                ),
                app.theme.dim,
            ));
        }
        lines.push(Line::raw(""));
    }
    lines.push(heading(app, tr!("detail.history")));
    for event in &detail.timeline {
        let who = app.short_name_of(&event.actor);
        lines.push(Line::raw(format!(
            "{}  {who}: {}",
            local_time(app, event.at, "%d.%m %H:%M"),
            describe(&event.action, &app.policy, app.offset)
        )));
    }
    lines
}
