//! How the console takes what the server says: replies to its commands, pushed events,
//! losing and regaining the connection.

use super::{App, Awaiting, Effect, Pane, Screen};
use crate::domain::access::{may, Operation};
use crate::domain::change::Move;
use crate::domain::request::{ExtensionState, Request, RequestId, Status};
use crate::net::client::ClientError;
use crate::service::{Event, FailureKind, Reply, Welcome};
use crate::tui::open_requests::OpenRequests;

pub(super) fn on_disconnected(app: &mut App, reason: String, permanent: bool) -> Vec<Effect> {
    // What was sent and not answered may not have happened: say so, keep what is typed.
    app.awaiting.clear();
    if let Screen::Form(form) = &mut app.screen {
        form.saving = false;
        form.draft_dirty = true;
    }
    if permanent {
        app.farewell = Some(reason);
        app.quit = true;
    } else {
        app.error(tr!("status.offline", reason = reason));
        app.offline = Some(reason);
    }
    Vec::new()
}

pub(super) fn on_reconnected(app: &mut App, welcome: Welcome) -> Vec<Effect> {
    app.open = OpenRequests::for_staff(&welcome.me, welcome.open, &welcome.policy.deadlines);
    app.me = welcome.me;
    app.policy = welcome.policy;
    app.staff = welcome.staff;
    app.mail = welcome.mail;
    app.hours = app.policy.service_hours();
    app.set_now(app.now);
    app.offline = None;
    // a server still unable to save says so again right after the welcome
    app.store_trouble = None;
    if let Screen::RouteOffer { id } = &app.screen {
        if app.open.get(*id).is_none() {
            app.screen = Screen::Board;
        }
    }
    app.follow_selection();
    app.recount_overdue();
    app.info(tr!("status.reconnected").into());
    // the open form's draft goes to the server again at the next tick
    Vec::new()
}

pub(super) fn on_event(app: &mut App, event: Event) -> Vec<Effect> {
    let mut effects = Vec::new();
    match event {
        Event::RequestChanged { request, by } => {
            // a request newly routed into one of this person's queues rings once
            let arrived = request.status == Status::Routed
                && request
                    .queue
                    .as_ref()
                    .is_some_and(|queue| app.my_queues().contains(queue))
                && app.open.get(request.id).is_none_or(|before| {
                    before.queue != request.queue || before.status != request.status
                });
            let id = request.id;
            let what = left_because(app, &request);
            app.open.upsert(request, &app.policy.deadlines);
            if arrived && !app.me.can_dispatch() {
                app.info(tr!("status.arrived", id = id));
                effects.push(Effect::Bell);
            }
            after_change(app, id, &by, what);
        }
        Event::RequestGone { id, by } => {
            app.open.forget(id, &app.policy.deadlines);
            let what = tr!("status.left.gone", id = id);
            after_change(app, id, &by, what);
        }
        Event::StoreState { trouble } => {
            match &trouble {
                Some(why) => app.error(tr!("status.store_trouble", why = why)),
                None if app.store_trouble.is_some() => app.info(tr!("status.store_ok").into()),
                None => {}
            }
            app.store_trouble = trouble;
        }
        Event::StaffChanged { staff } => {
            if staff.login == app.me.login {
                app.me = staff.clone();
            }
            match app
                .staff
                .iter_mut()
                .find(|member| member.login == staff.login)
            {
                Some(member) => *member = staff,
                None => app.staff.push(staff),
            }
            // new roles may change what the left pane lists
            app.follow_selection();
        }
    }
    effects
}

/// What the status line says was done by `one`, now that `request` is as the server wrote it.
fn done_message(app: &App, one: Move, request: &Request) -> String {
    let id = request.id;
    let queue = || {
        request
            .queue
            .as_deref()
            .map(|key| app.policy.queue_short(key).to_string())
            .unwrap_or_default()
    };
    match one {
        Move::Route => tr!("status.routed_to", id = id, queue = queue()),
        Move::Take => tr!("done.take", id = id),
        Move::Note => tr!("done.note", id = id),
        Move::Resolve => tr!("done.resolve", id = id),
        Move::Return => tr!("done.return", id = id),
        Move::AskExtension => {
            let until = request.extension.as_ref().map(|extension| {
                extension
                    .until
                    .in_offset(app.offset)
                    .format("%d.%m %H:%M")
                    .to_string()
            });
            tr!(
                "done.ask_extension",
                id = id,
                until = until.unwrap_or_default()
            )
        }
        Move::DecideExtension => match request.extension.as_ref().map(|e| e.state) {
            Some(ExtensionState::Approved) => tr!("done.extension_approved", id = id),
            _ => tr!("done.extension_denied", id = id),
        },
        Move::Reassign => tr!("done.reassign", id = id, queue = queue()),
        Move::Reopen => tr!("done.reopen", id = id),
        Move::Cancel => tr!("done.cancel", id = id),
        Move::Escalate => tr!("done.escalate", id = id),
        Move::VendorAnswer => tr!("done.vendor_answer", id = id),
        Move::ChangeType => tr!(
            "done.change_type",
            id = id,
            category = app.policy.category_short(request.category)
        ),
    }
}

/// What the status line says if `request`, as it is now, leaves the list it is chosen in.
fn left_because(app: &App, request: &Request) -> String {
    let id = request.id;
    match request.status {
        Status::Routed => {
            let queue = request
                .queue
                .as_deref()
                .map(|key| app.policy.queue_short(key).to_string())
                .unwrap_or_default();
            tr!("status.left.routed", id = id, queue = queue)
        }
        Status::InWork => tr!("status.left.taken", id = id),
        Status::Resolved => tr!("status.left.resolved", id = id),
        Status::Cancelled => tr!("status.left.cancelled", id = id),
        Status::New | Status::WaitingVendor => {
            tr!(
                "status.left.changed",
                id = id,
                status = request.status.label()
            )
        }
    }
}

/// After `id` changed (by `by`): every pane keeps its choice, and if the chosen request left
/// its list because of someone else, nothing is chosen and the status line says who did what.
fn after_change(app: &mut App, id: RequestId, by: &str, what: String) {
    let left = app.follow_selection();
    app.recount_overdue();
    if left.contains(&id) && !app.acting_on(id) {
        let who = app.short_name_of(by);
        app.info(tr!("status.left.by", what = what, who = who));
    }
}

pub(super) fn on_reply(
    app: &mut App,
    token: u64,
    result: Result<Reply, ClientError>,
) -> Vec<Effect> {
    let Some(awaiting) = app.awaiting.remove(&token) else {
        return Vec::new();
    };
    match (awaiting, result) {
        (Awaiting::SaveCall, Ok(Reply::Logged { request })) => {
            let id = request.id;
            let said = noting_the_clock(app, &request, tr!("status.saved", id = id));
            app.open.upsert(request, &app.policy.deadlines);
            app.follow_selection();
            // the call just logged is the one chosen in Входящие once the offer is left
            if let Some(row) = app.request_position(Pane::Incoming, id) {
                app.selection.incoming.choose(id, row);
            }
            app.screen = Screen::RouteOffer { id };
            app.info(said);
        }
        (Awaiting::SaveCall, Err(error)) => {
            if let Screen::Form(form) = &mut app.screen {
                form.saving = false;
            }
            app.error(not_saved(&error));
        }
        (Awaiting::Route(_), Ok(Reply::Changed { request })) => {
            let queue = request
                .queue
                .as_deref()
                .map(|key| app.policy.queue_short(key).to_string())
                .unwrap_or_default();
            let said = tr!("status.routed_to", id = request.id, queue = queue);
            app.info(noting_the_clock(app, &request, said));
            app.open.upsert(request, &app.policy.deadlines);
            app.follow_selection();
            app.recount_overdue();
        }
        (Awaiting::Route(_), Err(error)) => app.error(error.to_string()),
        (Awaiting::Work(_, one), Ok(Reply::Changed { request })) => {
            let id = request.id;
            let done = done_message(app, one, &request);
            // back in Входящие (its type changed, or returned) and this person routes:
            // the route to the suggested queue is one key away, as after logging a call
            let offers_route = request.status == Status::New
                && may(
                    &app.me,
                    Operation::Change(Move::Route),
                    Some(&request),
                    &app.policy,
                )
                .is_ok();
            let suggested = app
                .policy
                .suggested_queue(request.category)
                .map(|queue| app.policy.queue_short(&queue.key).to_string())
                .unwrap_or_default();
            app.open.upsert(request, &app.policy.deadlines);
            app.follow_selection();
            app.recount_overdue();
            if matches!(app.screen, Screen::Prompt(_)) {
                app.leave_prompt();
            }
            if offers_route {
                app.queue_beneath = None;
                app.screen = Screen::RouteOffer { id };
                app.info(tr!("status.done_suggested", id = id, suggested = suggested));
            } else {
                app.info(done);
            }
        }
        (Awaiting::Work(id, _), Ok(_)) => {
            // done, and the request left this console's view (e.g. returned to the dispatcher)
            if matches!(app.screen, Screen::Prompt(_)) {
                app.leave_prompt();
            }
            app.info(tr!("status.done_gone", id = id));
        }
        (Awaiting::Work(..), Err(error)) => {
            if let Screen::Prompt(prompt) = &mut app.screen {
                prompt.sending = false;
                prompt.error = Some(error.to_string());
            } else {
                app.error(error.to_string());
            }
        }
        (Awaiting::Draft, Ok(_)) => {
            if let Screen::Form(form) = &mut app.screen {
                form.draft_kept_at = Some(app.now);
            }
        }
        (Awaiting::Search, Ok(Reply::Found { found })) => {
            if let Screen::Search(search) = &mut app.screen {
                search.answered(token, found);
            }
        }
        (Awaiting::Detail, Ok(Reply::Detail { detail })) => {
            if let Screen::Detail(state) = &mut app.screen {
                if state.id == detail.request.id {
                    state.detail = Some(*detail);
                }
            }
        }
        (Awaiting::Caller(phone, email), Ok(Reply::People { cards })) => {
            if let Screen::Form(form) = &mut app.screen {
                form.caller_found(&(phone, email), cards);
            }
        }
        (Awaiting::Report, Ok(Reply::Daily { report })) => {
            if let Screen::Report(state) = &mut app.screen {
                state.answered_daily(token, *report);
            }
        }
        (Awaiting::Report, Ok(Reply::Weekly { report })) => {
            if let Screen::Report(state) = &mut app.screen {
                state.answered_weekly(token, *report);
            }
        }
        (Awaiting::Report, Err(error)) => {
            if let Screen::Report(state) = &mut app.screen {
                state.waiting_for = None;
                state.error = Some(error.to_string());
            }
        }
        (Awaiting::Proposals, Ok(_)) => {
            app.info(tr!("status.proposals_saved").into());
            if let Screen::Report(state) = &mut app.screen {
                state.proposals = None;
            }
            return crate::tui::app::ask_for_report(app).into_iter().collect();
        }
        (Awaiting::Proposals, Err(error)) => app.error(not_saved(&error)),
        (Awaiting::Search | Awaiting::Detail, Err(error)) => app.error(error.to_string()),
        // a lookup that failed leaves the form as it is
        (Awaiting::Caller(..), Err(_)) => {}
        (Awaiting::Draft, Err(error)) => app.error(tr!("status.draft_not_kept", error = error)),
        (_, Ok(_)) => {}
    }
    Vec::new()
}

/// "Не сохранено: why", unless the server's own sentence already says so (a full disk, a
/// failed write).
fn not_saved(error: &ClientError) -> String {
    let says_so = matches!(
        error.kind(),
        Some(FailureKind::DiskFull | FailureKind::StoreFailed | FailureKind::NotSaved)
    );
    if !says_so {
        return tr!("status.not_saved", error = error);
    }
    let sentence = error.to_string();
    let mut letters = sentence.chars();
    match letters.next() {
        Some(first) => first.to_uppercase().chain(letters).collect(),
        None => sentence,
    }
}

/// `said`, and that a deadline of `request` in service time counts the clock when the
/// production calendar only predicts a year it crosses (a school can import that year's).
fn noting_the_clock(app: &App, request: &Request, said: String) -> String {
    match app.clock_year(request) {
        Some(year) => tr!("status.calendar_predicted", said = said, year = year),
        None => said,
    }
}
