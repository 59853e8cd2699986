//! What each key does on each screen: board, form, search, detail, prompts and help.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::ask_for_report;
use super::{App, Awaiting, Effect, Pane, Screen};
use crate::domain::access::{may_do, Operation, Viewer};
use crate::domain::call_form::Field;
use crate::domain::change::{Change, Move};
use crate::domain::request::{Channel, Request, RequestId};
use crate::service::Command;
use crate::tui::detail::{Back, DetailState};
use crate::tui::form::FormState;
use crate::tui::help::{context_of, HelpState};
use crate::tui::keymap::{Action, Context};
use crate::tui::prompt::{Prompt, PromptOutcome};
use crate::tui::queue_view::QueueView;
use crate::tui::reports::{ReportKind, ReportState};
use crate::tui::search::SearchOutcome;

pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    // the help key of the window in front opens that window's keys
    if let Some(from) = context_of(&app.screen) {
        if app.keymap.action(from, &key) == Some(Action::Help) {
            let back = std::mem::replace(&mut app.screen, Screen::Board);
            app.screen = Screen::Help(Box::new(HelpState {
                scroll: 0,
                from,
                back,
            }));
            return Vec::new();
        }
    }
    match &app.screen {
        Screen::Board => on_board_key(app, key),
        Screen::Form(_) => on_form_key(app, key),
        Screen::RouteOffer { id } => {
            let id = *id;
            on_route_offer_key(app, key, id)
        }
        Screen::Prompt(_) => on_prompt_key(app, key),
        Screen::Search(_) => on_search_key(app, key),
        Screen::Detail(_) => on_detail_key(app, key),
        Screen::Report(_) => on_report_key(app, key),
        Screen::Queue(_) => on_queue_key(app, key),
        Screen::Help(_) => on_help_key(app, key),
    }
}

fn on_help_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = app.keymap.action(Context::Help, &key);
    let Screen::Help(help) = &mut app.screen else {
        return Vec::new();
    };
    match action {
        Some(Action::Down) => help.scroll = help.scroll.saturating_add(1),
        Some(Action::Up) => help.scroll = help.scroll.saturating_sub(1),
        Some(Action::Close) => {
            if let Screen::Help(help) = std::mem::replace(&mut app.screen, Screen::Board) {
                app.screen = help.back;
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Opens request `id`'s detail and asks the server for its timeline and caller (the read of
/// contact data is recorded there).
fn open_detail(app: &mut App, id: RequestId, back_to: Back) -> Vec<Effect> {
    app.screen = Screen::Detail(Box::new(DetailState::new(id, back_to)));
    vec![app.send(Command::OpenDetail { id }, Awaiting::Detail)]
}

fn on_search_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = app.keymap.action(Context::Search, &key);
    let Screen::Search(search) = &mut app.screen else {
        return Vec::new();
    };
    match search.key(action, &key) {
        SearchOutcome::Stay => Vec::new(),
        SearchOutcome::Leave => {
            app.screen = Screen::Board;
            Vec::new()
        }
        SearchOutcome::Query(query) => {
            let effect = app.send(Command::Search { query }, Awaiting::Search);
            if let (Screen::Search(search), Effect::Send { token, .. }) = (&mut app.screen, &effect)
            {
                search.waiting_for = Some(*token);
            }
            vec![effect]
        }
        SearchOutcome::Open(id) => {
            let Screen::Search(search) = std::mem::replace(&mut app.screen, Screen::Board) else {
                return Vec::new();
            };
            open_detail(app, id, Back::Search(search))
        }
    }
}

/// The request the detail window shows (the server's copy once it came).
fn detail_request(app: &App) -> Option<Request> {
    let Screen::Detail(state) = &app.screen else {
        return None;
    };
    match &state.detail {
        Some(detail) => Some(detail.request.clone()),
        None => app.open.get(state.id).cloned(),
    }
}

fn on_detail_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = app.keymap.action(Context::Detail, &key);
    let board_action = app.keymap.action(Context::Board, &key);
    let Screen::Detail(state) = &mut app.screen else {
        return Vec::new();
    };
    match (action, board_action) {
        (Some(Action::Close), _) => {
            app.screen = match std::mem::replace(&mut state.back_to, Back::Board) {
                Back::Search(search) => Screen::Search(search),
                Back::Queue(view) => Screen::Queue(view),
                Back::Board => Screen::Board,
            };
        }
        (Some(Action::Down), _) => state.scroll = state.scroll.saturating_add(1),
        (Some(Action::Up), _) => state.scroll = state.scroll.saturating_sub(1),
        (_, Some(Action::Change(one))) => {
            if let Some(request) = detail_request(app) {
                return start_change(app, one, &request);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// A change key on `request`: sent at once when its move asks nothing, else its prompt.
fn start_change(app: &mut App, one: Move, request: &Request) -> Vec<Effect> {
    let mut prompt = Prompt::new(one.for_request(request), request, &app.policy).with_mail(
        app.mail.as_ref().map(|mail| &mail.result),
        request,
        &app.me.name,
        app.offset,
    );
    if prompt.fields().is_empty() {
        return match prompt.submit() {
            PromptOutcome::Submit(command) => app.send_work(command).into_iter().collect(),
            PromptOutcome::Stay | PromptOutcome::Cancel => Vec::new(),
        };
    }
    let beneath = std::mem::replace(&mut app.screen, Screen::Prompt(Box::new(prompt)));
    if let Screen::Queue(view) = beneath {
        app.queue_beneath = Some(view);
    }
    Vec::new()
}

/// `1`–`9` as a queue number, on either layout (digits do not change with the layout).
fn digit(key: &KeyEvent) -> Option<usize> {
    match key.code {
        KeyCode::Char(c @ '1'..='9') => Some(c as usize - '0' as usize),
        _ => None,
    }
}

fn route(app: &mut App, id: RequestId, queue_number: Option<usize>) -> Vec<Effect> {
    let Some(request) = app.open.get(id) else {
        return Vec::new();
    };
    // whether it may be routed now is the server's to say (its answer shows in the status line)
    let queue = match queue_number {
        Some(number) => app.policy.queue_by_number(number),
        None => app.policy.suggested_queue(request.category),
    };
    let Some(queue) = queue.map(|q| q.key.clone()) else {
        app.error(tr!(
            "status.no_such_queue",
            number = queue_number.unwrap_or(0),
            count = app.policy.queues.len()
        ));
        return Vec::new();
    };
    let change = Change::Route { queue };
    vec![app.send(Command::Change { id, change }, Awaiting::Route(id))]
}

fn on_board_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if let Some(number) = digit(&key) {
        return match app.selected_request() {
            Some(request) => {
                let id = request.id;
                route(app, id, Some(number))
            }
            None => Vec::new(),
        };
    }
    let Some(action) = app.keymap.action(Context::Board, &key) else {
        return Vec::new();
    };
    match action {
        Action::NewCall => {
            if may_do(&app.me, Operation::LogCall, &app.policy).is_ok() {
                app.screen = Screen::Form(Box::new(FormState::new(app.now)));
            } else {
                app.error(tr!("status.only_operators_log").into());
            }
        }
        Action::RouteSuggested => {
            if let Some(id) = app.selected_request().map(|r| r.id) {
                return route(app, id, None);
            }
        }
        Action::Open => {
            if let Some(id) = app.selected_request().map(|r| r.id) {
                return open_detail(app, id, Back::Board);
            }
            if let (Pane::Queues, Some(queue)) = (app.focus, app.selected_queue()) {
                let key = queue.key.clone();
                open_queue(app, &key);
            }
        }
        Action::Search => app.screen = Screen::Search(Box::default()),
        Action::Reports => return open_reports(app),
        Action::NextPane | Action::PreviousPane => {
            let step = if action == Action::NextPane { 1 } else { 2 };
            app.focus = Pane::ALL[(app.focus.index() + step) % 3];
        }
        Action::Down | Action::Up => app.step_selection(action == Action::Down),
        Action::Quit => {
            app.quit = true;
        }
        Action::Change(one) => {
            if let Some(request) = app.selected_request().cloned() {
                return start_change(app, one, &request);
            }
        }
        Action::Help
        | Action::Save
        | Action::Cancel
        | Action::NextField
        | Action::PreviousField
        | Action::LeaveIncoming
        | Action::Confirm
        | Action::Close
        | Action::FillCaller
        | Action::Acknowledge
        | Action::Send
        | Action::PreviousPeriod
        | Action::NextPeriod
        | Action::OtherReport
        | Action::Proposals
        | Action::FilterStatus
        | Action::FilterAssignee => {}
    }
    Vec::new()
}

fn on_form_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = app.keymap.action(Context::Form, &key);
    let dialog = app.keymap.action(Context::Dialog, &key);
    let policy = app.policy.clone();
    let acknowledges = app.mail.as_ref().is_some_and(|mail| mail.acknowledges);
    let Screen::Form(form) = &mut app.screen else {
        return Vec::new();
    };
    if form.confirm_cancel {
        match dialog {
            Some(Action::Confirm) => {
                app.screen = Screen::Board;
                app.info(tr!("status.call_not_logged").into());
                return vec![app.send(Command::DiscardDraft, Awaiting::Draft)];
            }
            Some(Action::Close) => form.confirm_cancel = false,
            _ => {}
        }
        return Vec::new();
    }
    if form.saving {
        return Vec::new();
    }
    // Ctrl-C leaves the console from anywhere; the draft is kept and comes back next time.
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        app.quit = true;
        return Vec::new();
    }
    // Enter in a one-line field moves on, as operators expect from paper-like forms.
    let single_line = form.focus != Field::Description;
    match action {
        Some(Action::Save) => {
            form.reveal_errors();
            if form.errors.is_empty() {
                form.saving = true;
                let draft = form.draft();
                return vec![app.send(
                    Command::LogCall {
                        draft,
                        channel: Channel::Phone,
                    },
                    Awaiting::SaveCall,
                )];
            }
            let count = form.errors.errors.len();
            app.error(tr!("status.fix_fields", count = count));
        }
        Some(Action::Cancel) => {
            if form.is_blank() {
                app.screen = Screen::Board;
                return vec![app.send(Command::DiscardDraft, Awaiting::Draft)];
            }
            form.confirm_cancel = true;
        }
        Some(Action::FillCaller) => {
            if !form.fill_known_caller() {
                app.error(tr!("status.caller_unknown").into());
            }
        }
        Some(Action::Acknowledge) => {
            if acknowledges {
                form.acknowledge = !form.acknowledge;
                form.draft_dirty = true;
            } else {
                app.error(tr!("status.no_acknowledgements").into());
            }
        }
        Some(Action::NextField) => form.next_field(true),
        Some(Action::PreviousField) => form.next_field(false),
        _ if single_line && key.code == KeyCode::Enter => form.next_field(true),
        _ => form.edit(&key, &policy),
    }
    look_up_caller(app).into_iter().collect()
}

/// Asks the server whose phone or email the form now holds, when that changed.
fn look_up_caller(app: &mut App) -> Option<Effect> {
    let Screen::Form(form) = &mut app.screen else {
        return None;
    };
    let (phone, email) = form.caller_to_look_up()?;
    Some(app.send(
        Command::FindCaller {
            phone: phone.clone(),
            email: email.clone(),
        },
        Awaiting::Caller(phone, email),
    ))
}

fn on_prompt_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = app.keymap.action(Context::Prompt, &key);
    let Screen::Prompt(prompt) = &mut app.screen else {
        return Vec::new();
    };
    match prompt.key(action, &key) {
        PromptOutcome::Stay => Vec::new(),
        PromptOutcome::Cancel => {
            app.leave_prompt();
            Vec::new()
        }
        // whether it may happen is the server's to say; the prompt shows its answer
        PromptOutcome::Submit(command) => app.send_work(command).into_iter().collect(),
    }
}

fn on_route_offer_key(app: &mut App, key: KeyEvent, id: RequestId) -> Vec<Effect> {
    if let Some(number) = digit(&key) {
        app.screen = Screen::Board;
        return route(app, id, Some(number));
    }
    match app.keymap.action(Context::Route, &key) {
        Some(Action::RouteSuggested) => {
            app.screen = Screen::Board;
            route(app, id, None)
        }
        Some(Action::LeaveIncoming) => {
            app.screen = Screen::Board;
            app.info(tr!("status.left_incoming", id = id));
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Opens the report this person may read: the daily one, or else the week's analysis.
fn open_reports(app: &mut App) -> Vec<Effect> {
    let may = |operation| may_do(&app.me, operation, &app.policy).is_ok();
    let kind = if may(Operation::ReadDaily) {
        ReportKind::Daily
    } else if may(Operation::ReadWeekly) {
        ReportKind::Weekly
    } else {
        app.error(tr!("status.reports_for").into());
        return Vec::new();
    };
    let today = app.now.in_offset(app.offset).date_naive();
    app.screen = Screen::Report(Box::new(ReportState::new(kind, today)));
    ask_for_report(app).into_iter().collect()
}

fn on_report_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let may = |operation| may_do(&app.me, operation, &app.policy).is_ok();
    let may_switch = may(Operation::ReadDaily) && may(Operation::ReadWeekly);
    let head = may(Operation::WriteProposals);
    let action = app.keymap.action(Context::Reports, &key);
    // the proposals are written like the form's description: its save and cancel keys
    let form_action = app.keymap.action(Context::Form, &key);
    let Screen::Report(state) = &mut app.screen else {
        return Vec::new();
    };
    if let Some(editor) = &mut state.proposals {
        match form_action {
            Some(Action::Cancel) => state.proposals = None,
            Some(Action::Save) => {
                let text = editor.lines().join("\n");
                let (year, week) = state.week;
                return vec![app.send(
                    Command::SaveProposals { year, week, text },
                    Awaiting::Proposals,
                )];
            }
            _ => {
                editor.input(key);
            }
        }
        return Vec::new();
    }
    match action {
        Some(Action::PreviousPeriod) => state.step(-1),
        Some(Action::NextPeriod) => state.step(1),
        Some(Action::OtherReport) if may_switch => {
            state.kind = match state.kind {
                ReportKind::Daily => ReportKind::Weekly,
                ReportKind::Weekly => ReportKind::Daily,
            };
            state.scroll = 0;
        }
        Some(Action::Proposals)
            if head && state.kind == ReportKind::Weekly && state.weekly.is_some() =>
        {
            state.edit_proposals();
            return Vec::new();
        }
        Some(Action::Down) => {
            state.scroll = state.scroll.saturating_add(1);
            return Vec::new();
        }
        Some(Action::Up) => {
            state.scroll = state.scroll.saturating_sub(1);
            return Vec::new();
        }
        Some(Action::Close) => {
            app.screen = Screen::Board;
            return Vec::new();
        }
        _ => return Vec::new(),
    }
    ask_for_report(app).into_iter().collect()
}

/// Opens a queue's list, if this person sees the queue's requests.
fn open_queue(app: &mut App, key: &str) {
    if !Viewer::new(&app.me, &app.policy).sees_queue(key) {
        let queue = app.policy.queue_short(key).to_string();
        app.error(tr!("status.queue_hidden", queue = queue));
        return;
    }
    let view = QueueView::new(key, &app.open, &app.policy.deadlines);
    app.screen = Screen::Queue(Box::new(view));
}

fn on_queue_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = app.keymap.action(Context::Queue, &key);
    let board_action = app.keymap.action(Context::Board, &key);
    let Screen::Queue(view) = &mut app.screen else {
        return Vec::new();
    };
    let deadlines = &app.policy.deadlines;
    match (action, board_action) {
        (Some(Action::Down | Action::Up), _) => {
            view.step(action == Some(Action::Down), &app.open, deadlines);
        }
        (Some(Action::FilterStatus), _) => view.next_status(&app.open, deadlines),
        (Some(Action::FilterAssignee), _) => view.next_assignee(&app.open, deadlines),
        (Some(Action::Close), _) => app.screen = Screen::Board,
        (Some(Action::Open), _) => {
            if let Some(id) = view.chosen() {
                let Screen::Queue(view) = std::mem::replace(&mut app.screen, Screen::Board) else {
                    return Vec::new();
                };
                return open_detail(app, id, Back::Queue(view));
            }
        }
        (_, Some(Action::Change(one))) => {
            let chosen = view.chosen().and_then(|id| app.open.get(id)).cloned();
            if let Some(request) = chosen {
                return start_change(app, one, &request);
            }
        }
        _ => {}
    }
    Vec::new()
}
