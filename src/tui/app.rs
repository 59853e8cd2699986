//! The console's state and `update`: every key, tick, reply and event becomes a change of
//! state and, where the service must act, a command to send. Nothing here draws or does I/O.

use std::collections::{HashMap, HashSet};

use chrono::FixedOffset;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::detail::DetailState;
use super::form::FormState;
use super::keymap::{Action, Context, Keymap};
use super::open_set::OpenSet;
use super::prompt::{Prompt, PromptKind, PromptOutcome};
use super::search::{SearchOutcome, SearchState};
use super::theme::Theme;
use crate::domain::call_form::Field;
use crate::domain::policy::{Policy, QueueDef};
use crate::domain::request::{Channel, Request, RequestId, Status};
use crate::domain::staff::{Role, Staff};
use crate::domain::time::Timestamp;
use crate::service::{Command, Event, Reply, Welcome};

/// Everything that can happen to the console.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    /// Time passed (the countdowns move).
    Tick,
    Resize,
    Reply {
        token: u64,
        result: Result<Reply, String>,
    },
    Event(Event),
    /// The server went away (`permanent`: it will not take this console back).
    Disconnected {
        reason: String,
        permanent: bool,
    },
    /// The server is back: what is open now.
    Reconnected(Box<Welcome>),
    /// The console is about to close (quit key, signal): keep what is typed.
    Closing,
}

/// What `update` asks the runner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Send { token: u64, command: Command },
    Bell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Incoming,
    Queues,
    Timers,
}

impl Pane {
    pub const ALL: [Pane; 3] = [Pane::Incoming, Pane::Queues, Pane::Timers];

    fn index(self) -> usize {
        match self {
            Pane::Incoming => 0,
            Pane::Queues => 1,
            Pane::Timers => 2,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Screen {
    Board,
    Form(Box<FormState>),
    /// The call was saved: offer its suggested queue.
    RouteOffer {
        id: RequestId,
    },
    /// One request, open or closed, with its timeline and its caller's other requests.
    Detail(Box<DetailState>),
    /// Requests found as the text is typed.
    Search(Box<SearchState>),
    /// The keys, scrolled by this many lines.
    Help {
        scroll: u16,
    },
    /// A note, a result, a reason or a decision about one request.
    Prompt(Box<Prompt>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub text: String,
    pub kind: StatusKind,
    pub at: Timestamp,
}

/// What a sent command was for, to know what its reply means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Awaiting {
    SaveCall,
    Route,
    Draft,
    /// A change of a request's life (take, or what a prompt sent).
    Work,
    /// A search query's hits.
    Search,
    /// A request's detail (the read is recorded by the server).
    Detail,
    /// Who this phone or email belongs to (phone, email as asked).
    Caller(Option<String>, Option<String>),
}

pub struct App {
    pub me: Staff,
    pub policy: Policy,
    pub staff: Vec<Staff>,
    pub open: OpenSet,
    pub now: Timestamp,
    pub offset: FixedOffset,
    pub keymap: Keymap,
    pub theme: Theme,
    pub screen: Screen,
    pub focus: Pane,
    pub selection: [usize; 3],
    pub status: Option<StatusLine>,
    /// Overdue requests per queue, recounted when time passes or something changes.
    pub overdue: HashMap<String, usize>,
    /// Requests already overdue (each rings once when it becomes so).
    overdue_seen: HashSet<RequestId>,
    pub quit: bool,
    /// Set while the server cannot be reached: why.
    pub offline: Option<String>,
    /// Said after the console closes (e.g. the account was disabled).
    pub farewell: Option<String>,
    next_token: u64,
    awaiting: HashMap<u64, Awaiting>,
}

/// How long an info line stays in the footer.
const STATUS_MS: i64 = 8_000;

impl App {
    pub fn new(
        welcome: Welcome,
        keymap: Keymap,
        theme: Theme,
        now: Timestamp,
        offset: FixedOffset,
    ) -> App {
        let open = OpenSet::new(welcome.open, &welcome.policy.deadlines);
        let mut app = App {
            me: welcome.me,
            policy: welcome.policy,
            staff: welcome.staff,
            open,
            now,
            offset,
            keymap,
            theme,
            screen: Screen::Board,
            focus: Pane::Incoming,
            selection: [0; 3],
            status: None,
            overdue: HashMap::new(),
            overdue_seen: HashSet::new(),
            quit: false,
            offline: None,
            farewell: None,
            next_token: 1,
            awaiting: HashMap::new(),
        };
        if let Some(draft) = welcome.draft.filter(|draft| !draft.is_blank()) {
            let answered = draft
                .answered_at
                .map(|at| at.in_offset(offset).format("%H:%M").to_string())
                .unwrap_or_default();
            app.screen = Screen::Form(Box::new(FormState::from_draft(&draft, now)));
            app.info(format!("Восстановлен несохранённый звонок от {answered}"));
        }
        app.recount_overdue();
        app.overdue_seen = app.open.overdue_ids(now).into_iter().collect();
        if app.watches_queues() {
            app.focus = Pane::Queues;
        }
        app
    }

    fn info(&mut self, text: String) {
        self.status = Some(StatusLine {
            text,
            kind: StatusKind::Info,
            at: self.now,
        });
    }

    fn error(&mut self, text: String) {
        self.status = Some(StatusLine {
            text,
            kind: StatusKind::Error,
            at: self.now,
        });
    }

    fn send(&mut self, command: Command, awaiting: Awaiting) -> Effect {
        let token = self.next_token;
        self.next_token += 1;
        self.awaiting.insert(token, awaiting);
        Effect::Send { token, command }
    }

    fn recount_overdue(&mut self) {
        self.overdue = self.open.overdue_by_queue(self.now);
    }

    /// The request under the selection in the focused pane (incoming or timers).
    /// A specialist's board shows their queues' requests where a dispatcher's shows Входящие.
    pub fn shows_my_queue(&self) -> bool {
        !self.me.can_dispatch() && !self.my_queues().is_empty()
    }

    /// The queues whose role this person holds.
    pub fn my_queues(&self) -> Vec<String> {
        self.policy
            .queues
            .iter()
            .filter(|queue| self.me.has(queue.role))
            .map(|queue| queue.key.clone())
            .collect()
    }

    pub fn selected_request(&self) -> Option<&Request> {
        match self.focus {
            Pane::Incoming if self.shows_my_queue() => {
                let queues = self.my_queues();
                let id = self.open.mine(&queues, self.selection[0]).next()?.id;
                self.open.get(id)
            }
            Pane::Incoming => self.open.incoming_at(self.selection[0]),
            Pane::Timers => self.open.timer_at(
                self.selection[2],
                &self.policy.deadlines,
                self.watches_queues(),
            ),
            Pane::Queues => None,
        }
    }

    pub fn selected_queue(&self) -> Option<&QueueDef> {
        self.queue_rows()
            .get(self.selection[1])
            .map(|(_, queue)| *queue)
    }

    /// The head watches every queue: hers opens on the queues, overdue ones on top. A
    /// dispatcher's opens on Входящие.
    pub fn watches_queues(&self) -> bool {
        self.me.main_role() == Some(Role::Head)
    }

    /// Queues as the queues pane lists them, each with its number on the board (its key).
    pub fn queue_rows(&self) -> Vec<(usize, &QueueDef)> {
        let mut rows: Vec<(usize, &QueueDef)> = self
            .policy
            .queues
            .iter()
            .enumerate()
            .map(|(index, queue)| (index + 1, queue))
            .collect();
        if self.watches_queues() {
            // stable: equal counts keep the board's numbering order
            rows.sort_by_key(|(_, queue)| {
                std::cmp::Reverse(self.overdue.get(&queue.key).copied().unwrap_or(0))
            });
        }
        rows
    }

    fn pane_len(&self, pane: Pane) -> usize {
        match pane {
            Pane::Incoming if self.shows_my_queue() => self.open.mine_len(&self.my_queues()),
            Pane::Incoming => self.open.incoming_len(),
            Pane::Queues => self.policy.queues.len(),
            Pane::Timers => self.open.timers_len(),
        }
    }

    fn clamp_selection(&mut self) {
        for pane in Pane::ALL {
            let len = self.pane_len(pane);
            let selected = &mut self.selection[pane.index()];
            *selected = (*selected).min(len.saturating_sub(1));
        }
    }

    /// Staff who work a queue, for the queues pane.
    pub fn queue_staff(&self, queue: &QueueDef) -> Option<&Staff> {
        self.staff
            .iter()
            .find(|member| !member.disabled && member.has(queue.role))
    }

    pub fn status_visible(&self) -> Option<&StatusLine> {
        self.status.as_ref().filter(|status| {
            status.kind == StatusKind::Error || self.now.0 - status.at.0 < STATUS_MS
        })
    }
}

/// Applies one message at `now`; returns what the runner must do.
pub fn update(app: &mut App, msg: Msg, now: Timestamp) -> Vec<Effect> {
    app.now = now;
    match msg {
        Msg::Key(key) if key.kind == KeyEventKind::Press => on_key(app, key),
        Msg::Key(_) | Msg::Resize => Vec::new(),
        Msg::Paste(text) => {
            match &mut app.screen {
                Screen::Form(form) => form.paste(&text),
                Screen::Prompt(prompt) => prompt.paste(&text),
                _ => {}
            }
            Vec::new()
        }
        Msg::Tick => on_tick(app),
        Msg::Reply { token, result } => on_reply(app, token, result),
        Msg::Event(event) => on_event(app, event),
        Msg::Disconnected { reason, permanent } => on_disconnected(app, reason, permanent),
        Msg::Reconnected(welcome) => on_reconnected(app, *welcome),
        Msg::Closing => keep_draft(app).into_iter().collect(),
    }
}

fn on_tick(app: &mut App) -> Vec<Effect> {
    app.recount_overdue();
    let mut effects: Vec<Effect> = keep_draft(app).into_iter().collect();
    let overdue = app.open.overdue_ids(app.now);
    let newly: Vec<String> = overdue
        .iter()
        .filter(|id| !app.overdue_seen.contains(id))
        .map(|id| id.to_string())
        .collect();
    app.overdue_seen = overdue.into_iter().collect();
    if !newly.is_empty() {
        app.error(format!("Просрочено: {}", newly.join(", ")));
        effects.push(Effect::Bell);
    }
    effects
}

/// Sends the open form's draft to be kept if something was typed since the last time.
fn keep_draft(app: &mut App) -> Option<Effect> {
    let Screen::Form(form) = &mut app.screen else {
        return None;
    };
    if !form.draft_dirty || form.saving {
        return None;
    }
    form.draft_dirty = false;
    let draft = form.draft();
    Some(app.send(Command::SaveDraft { draft }, Awaiting::Draft))
}

fn on_disconnected(app: &mut App, reason: String, permanent: bool) -> Vec<Effect> {
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
        app.error(format!(
            "Нет связи с сервером ({reason}). Переподключение…; введённое сохраняется"
        ));
        app.offline = Some(reason);
    }
    Vec::new()
}

fn on_reconnected(app: &mut App, welcome: Welcome) -> Vec<Effect> {
    app.me = welcome.me;
    app.policy = welcome.policy;
    app.staff = welcome.staff;
    app.open = OpenSet::new(welcome.open, &app.policy.deadlines);
    app.offline = None;
    if let Screen::RouteOffer { id } = &app.screen {
        if app.open.get(*id).is_none() {
            app.screen = Screen::Board;
        }
    }
    app.clamp_selection();
    app.recount_overdue();
    app.info("Связь с сервером восстановлена".into());
    // the open form's draft goes to the server again at the next tick
    Vec::new()
}

fn on_event(app: &mut App, event: Event) -> Vec<Effect> {
    let mut effects = Vec::new();
    match event {
        Event::RequestChanged { request } => {
            let selected = app.selected_request().map(|r| r.id);
            // a request newly routed into one of this person's queues rings once
            let arrived = request.status == crate::domain::request::Status::Routed
                && request
                    .queue
                    .as_ref()
                    .is_some_and(|queue| app.my_queues().contains(queue))
                && app.open.get(request.id).is_none_or(|before| {
                    before.queue != request.queue || before.status != request.status
                });
            let id = request.id;
            app.open.upsert(request, &app.policy.deadlines);
            if arrived && !app.me.can_dispatch() {
                app.info(format!("{id} направлено в вашу очередь"));
                effects.push(Effect::Bell);
            }
            // keep the selection on the same request where it is still incoming
            if let (Pane::Incoming, Some(id)) = (app.focus, selected) {
                if let Some(position) = app.open.incoming_position(id) {
                    app.selection[0] = position;
                }
            }
            app.clamp_selection();
            app.recount_overdue();
        }
        Event::RequestGone { id } => {
            app.open.forget(id, &app.policy.deadlines);
            app.clamp_selection();
            app.recount_overdue();
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
        }
    }
    effects
}

fn on_reply(app: &mut App, token: u64, result: Result<Reply, String>) -> Vec<Effect> {
    let Some(awaiting) = app.awaiting.remove(&token) else {
        return Vec::new();
    };
    match (awaiting, result) {
        (Awaiting::SaveCall, Ok(Reply::Logged { request })) => {
            let id = request.id;
            app.open.upsert(request, &app.policy.deadlines);
            app.screen = Screen::RouteOffer { id };
            app.info(format!("Обращение {id} сохранено"));
        }
        (Awaiting::SaveCall, Err(message)) => {
            if let Screen::Form(form) = &mut app.screen {
                form.saving = false;
            }
            app.error(format!("Не сохранено: {message}"));
        }
        (Awaiting::Route, Ok(Reply::Routed { request })) => {
            let queue = request
                .queue
                .as_deref()
                .map(|key| app.policy.queue_short(key).to_string())
                .unwrap_or_default();
            app.info(format!("{} направлено: {queue}", request.id));
            app.open.upsert(request, &app.policy.deadlines);
            app.clamp_selection();
            app.recount_overdue();
        }
        (Awaiting::Route, Err(message)) => app.error(message),
        (Awaiting::Work, Ok(Reply::Changed { request })) => {
            let id = request.id;
            let status = request.status.label();
            app.open.upsert(request, &app.policy.deadlines);
            app.clamp_selection();
            app.recount_overdue();
            if matches!(app.screen, Screen::Prompt(_)) {
                app.screen = Screen::Board;
            }
            app.info(format!("{id}: сделано, статус «{status}»"));
        }
        (Awaiting::Work, Ok(_)) => {
            // done, and the request left this console's view (e.g. returned to the dispatcher)
            if matches!(app.screen, Screen::Prompt(_)) {
                app.screen = Screen::Board;
            }
            app.info("Сделано".into());
        }
        (Awaiting::Work, Err(message)) => {
            if let Screen::Prompt(prompt) = &mut app.screen {
                prompt.sending = false;
                prompt.error = Some(message);
            } else {
                app.error(message);
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
        (Awaiting::Caller(phone, email), Ok(Reply::Caller { card })) => {
            if let Screen::Form(form) = &mut app.screen {
                form.caller_found(&(phone, email), card);
            }
        }
        (Awaiting::Search | Awaiting::Detail, Err(message)) => app.error(message),
        // a lookup that failed leaves the form as it is
        (Awaiting::Caller(..), Err(_)) => {}
        (Awaiting::Draft, Err(message)) => app.error(format!("Черновик не сохранён: {message}")),
        (_, Ok(_)) => {}
    }
    Vec::new()
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
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
        Screen::Help { scroll } => {
            let scroll = *scroll;
            match app.keymap.action(Context::Board, &key) {
                Some(Action::Down) => app.screen = Screen::Help { scroll: scroll + 1 },
                Some(Action::Up) => {
                    app.screen = Screen::Help {
                        scroll: scroll.saturating_sub(1),
                    }
                }
                Some(Action::Help) => app.screen = Screen::Board,
                _ if app.keymap.action(Context::Dialog, &key).is_some() => {
                    app.screen = Screen::Board;
                }
                _ => {}
            }
            Vec::new()
        }
    }
}

/// Opens request `id`'s detail and asks the server for its timeline and caller (the read of
/// contact data is recorded there).
fn open_detail(app: &mut App, id: RequestId, back_to: Option<Box<SearchState>>) -> Vec<Effect> {
    app.screen = Screen::Detail(Box::new(DetailState::new(id, back_to)));
    vec![app.send(Command::OpenDetail { id }, Awaiting::Detail)]
}

fn on_search_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Screen::Search(search) = &mut app.screen else {
        return Vec::new();
    };
    match search.key(&key) {
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
            open_detail(app, id, Some(search))
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
    let action = app.keymap.action(Context::Board, &key);
    let Screen::Detail(state) = &mut app.screen else {
        return Vec::new();
    };
    if app.keymap.action(Context::Dialog, &key) == Some(Action::Close) {
        app.screen = match state.back_to.take() {
            Some(search) => Screen::Search(search),
            None => Screen::Board,
        };
        return Vec::new();
    }
    match action {
        Some(Action::Down) => state.scroll = state.scroll.saturating_add(1),
        Some(Action::Up) => state.scroll = state.scroll.saturating_sub(1),
        Some(action) => {
            if let Some(request) = detail_request(app) {
                if let Some(prompt) = prompt_for(app, action, &request) {
                    app.screen = Screen::Prompt(Box::new(prompt));
                } else if action == Action::Take {
                    let id = request.id;
                    return vec![app.send(Command::Take { id }, Awaiting::Work)];
                }
            }
        }
        None => {}
    }
    Vec::new()
}

/// The prompt a work key opens for `request`, if the key is one of those.
fn prompt_for(app: &App, action: Action, request: &Request) -> Option<Prompt> {
    let kind = match action {
        Action::Escalate if request.status == Status::WaitingVendor => PromptKind::VendorAnswer,
        Action::Escalate => PromptKind::Escalate,
        Action::AddNote => PromptKind::Note,
        Action::CloseRequest => PromptKind::Close,
        Action::ReturnToDispatcher => PromptKind::Return,
        Action::AskExtension => PromptKind::Extension,
        Action::Reassign => PromptKind::Reassign,
        Action::CancelRequest => PromptKind::Cancel,
        Action::DecideExtension => PromptKind::Decide,
        Action::Reopen => PromptKind::Reopen,
        _ => return None,
    };
    Some(Prompt::new(kind, request, &app.policy))
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
        app.error(format!(
            "Очереди {} нет: очереди пронумерованы 1–{}",
            queue_number.unwrap_or(0),
            app.policy.queues.len()
        ));
        return Vec::new();
    };
    vec![app.send(Command::Route { id, queue }, Awaiting::Route)]
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
            if app.me.can_dispatch() {
                app.screen = Screen::Form(Box::new(FormState::new(app.now)));
            } else {
                app.error("Регистрировать звонки может специалист горячей линии".into());
            }
        }
        Action::RouteSuggested => {
            if let Some(id) = app.selected_request().map(|r| r.id) {
                return route(app, id, None);
            }
        }
        Action::Open => {
            if let Some(id) = app.selected_request().map(|r| r.id) {
                return open_detail(app, id, None);
            }
        }
        Action::Search => app.screen = Screen::Search(Box::default()),
        Action::NextPane | Action::PreviousPane => {
            let step = if action == Action::NextPane { 1 } else { 2 };
            app.focus = Pane::ALL[(app.focus.index() + step) % 3];
        }
        Action::Down | Action::Up => {
            let len = app.pane_len(app.focus);
            let selected = &mut app.selection[app.focus.index()];
            *selected = if action == Action::Down {
                (*selected + 1).min(len.saturating_sub(1))
            } else {
                selected.saturating_sub(1)
            };
        }
        Action::Help => app.screen = Screen::Help { scroll: 0 },
        Action::Take => {
            if let Some(id) = app.selected_request().map(|r| r.id) {
                return vec![app.send(Command::Take { id }, Awaiting::Work)];
            }
        }
        Action::Quit => {
            app.quit = true;
        }
        action => {
            if let Some(request) = app.selected_request() {
                if let Some(prompt) = prompt_for(app, action, request) {
                    app.screen = Screen::Prompt(Box::new(prompt));
                }
            }
        }
    }
    Vec::new()
}

fn on_form_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = app.keymap.action(Context::Form, &key);
    let dialog = app.keymap.action(Context::Dialog, &key);
    let policy = app.policy.clone();
    let Screen::Form(form) = &mut app.screen else {
        return Vec::new();
    };
    if form.confirm_cancel {
        match dialog {
            Some(Action::Confirm) => {
                app.screen = Screen::Board;
                app.info("Звонок не записан".into());
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
            app.error(format!("Не сохранено: исправьте поля ({count})"));
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
                app.error("Этот телефон или почта ещё не встречались".into());
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
    let Screen::Prompt(prompt) = &mut app.screen else {
        return Vec::new();
    };
    match prompt.key(&key) {
        PromptOutcome::Stay => Vec::new(),
        PromptOutcome::Cancel => {
            app.screen = Screen::Board;
            Vec::new()
        }
        // whether it may happen is the server's to say; the prompt shows its answer
        PromptOutcome::Submit(command) => vec![app.send(command, Awaiting::Work)],
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
            app.info(format!("{id} оставлено во Входящих"));
            Vec::new()
        }
        _ => Vec::new(),
    }
}
