//! The console's state and `update`: every key, tick, reply and event becomes a change of
//! state and, where the service must act, a command to send. Nothing here draws or does I/O.

use std::collections::{HashMap, HashSet};

use chrono::FixedOffset;
use ratatui::crossterm::event::{KeyEvent, KeyEventKind};

mod keys;
mod replies;

use keys::on_key;
use replies::{on_disconnected, on_event, on_reconnected, on_reply};

use super::detail::DetailState;
use super::form::FormState;
use super::help::HelpState;
use super::keymap::Keymap;
use super::open_requests::OpenRequests;
use super::prompt::Prompt;
use super::queue_view::QueueView;
use super::reports::{ReportKind, ReportState};
use super::search::SearchState;
use super::selection::Selection;
use super::theme::Theme;
use crate::domain::change::Move;
use crate::domain::policy::{Policy, QueueDef};
use crate::domain::request::{Request, RequestId};
use crate::domain::staff::{Role, Staff};
use crate::domain::time::Timestamp;
use crate::domain::website::is_website;
use crate::net::client::ClientError;
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
        result: Result<Reply, ClientError>,
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

    pub fn index(self) -> usize {
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
    /// The daily report or the weekly analysis.
    Report(Box<ReportState>),
    /// The keys of the window it was opened from.
    Help(Box<HelpState>),
    /// A note, a result, a reason or a decision about one request.
    Prompt(Box<Prompt>),
    /// One queue's requests (the head's view of a queue).
    Queue(Box<QueueView>),
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
    Route(RequestId),
    Draft,
    /// A change of a request's life (take, or what a prompt sent).
    Work(RequestId, Move),
    /// A search query's hits.
    Search,
    /// A request's detail (the read is recorded by the server).
    Detail,
    /// A report for the reports window.
    Report,
    /// The week's proposals were kept (the week's analysis is asked for again).
    Proposals,
    /// Who this phone or email belongs to (phone, email as asked).
    Caller(Option<String>, Option<String>),
}

/// What each pane has chosen.
#[derive(Debug, Clone, Default)]
pub struct Selections {
    /// Входящие's, or the specialist's own queues'.
    pub incoming: Selection<RequestId>,
    pub queues: Selection<String>,
    pub timers: Selection<RequestId>,
}

pub struct App {
    pub me: Staff,
    pub policy: Policy,
    pub staff: Vec<Staff>,
    /// The school's result template when mail is set up (the close prompt shows the message).
    pub mail: Option<crate::domain::mail::ConsoleMail>,
    /// The service's hours from the policy, when it has them (timers pause outside them).
    pub hours: Option<crate::domain::hours::ServiceHours>,
    /// While the service is closed: when it opens (see `set_now`).
    closed_until: Option<Timestamp>,
    pub open: OpenRequests,
    pub now: Timestamp,
    pub offset: FixedOffset,
    pub keymap: Keymap,
    pub theme: Theme,
    pub screen: Screen,
    pub focus: Pane,
    /// What each pane has chosen.
    pub selection: Selections,
    pub status: Option<StatusLine>,
    /// Overdue requests per queue, recounted when time passes or something changes.
    pub overdue: HashMap<String, usize>,
    /// Requests already overdue (each rings once when it becomes so).
    overdue_seen: HashSet<RequestId>,
    pub quit: bool,
    /// The queue's list a prompt was opened from, to go back to when it closes.
    pub queue_beneath: Option<Box<QueueView>>,
    /// Set while the server cannot be reached: why.
    pub offline: Option<String>,
    /// Set while the server's store takes no writes (a full disk): why.
    pub store_trouble: Option<String>,
    /// Said after the console closes (e.g. the account was disabled).
    pub farewell: Option<String>,
    next_token: u64,
    awaiting: HashMap<u64, Awaiting>,
    /// The reports window was opened before anything could be sent: ask at the next tick.
    pending_report: bool,
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
        let open = OpenRequests::for_staff(&welcome.me, welcome.open, &welcome.policy.deadlines);
        let hours = welcome.policy.service_hours();
        let mut app = App {
            me: welcome.me,
            policy: welcome.policy,
            staff: welcome.staff,
            mail: welcome.mail,
            hours,
            closed_until: None,
            open,
            now,
            offset,
            keymap,
            theme,
            screen: Screen::Board,
            focus: Pane::Incoming,
            selection: Selections::default(),
            status: None,
            overdue: HashMap::new(),
            overdue_seen: HashSet::new(),
            quit: false,
            queue_beneath: None,
            offline: None,
            store_trouble: None,
            farewell: None,
            next_token: 1,
            awaiting: HashMap::new(),
            pending_report: false,
        };
        if let Some(draft) = welcome.draft.filter(|draft| !draft.is_blank()) {
            let answered = draft
                .answered_at
                .map(|at| at.in_offset(offset).format("%H:%M").to_string())
                .unwrap_or_default();
            app.screen = Screen::Form(Box::new(FormState::from_draft(&draft, now)));
            app.info(tr!("status.draft_restored", answered = answered));
        }
        app.set_now(now);
        app.recount_overdue();
        app.overdue_seen = app.open.overdue_ids(now).into_iter().collect();
        if app.watches_queues() {
            app.focus = Pane::Queues;
        }
        app.selection = Selections {
            incoming: Selection::first(app.request_at(Pane::Incoming, 0).map(|r| r.id)),
            queues: Selection::first(app.queue_rows().first().map(|(_, q)| q.key.clone())),
            timers: Selection::first(app.request_at(Pane::Timers, 0).map(|r| r.id)),
        };
        // the director reads aggregates only: the console opens on the week's analysis
        if app.me.main_role() == Some(Role::Director) && matches!(app.screen, Screen::Board) {
            let today = now.in_offset(offset).date_naive();
            app.screen = Screen::Report(Box::new(ReportState::new(ReportKind::Weekly, today)));
            app.pending_report = true;
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

    /// Sends a change of a request's life (its reply is awaited as `Work`).
    fn send_work(&mut self, command: Command) -> Option<Effect> {
        let Command::Change { id, change } = &command else {
            return None;
        };
        let awaiting = Awaiting::Work(*id, change.kind());
        Some(self.send(command, awaiting))
    }

    /// Whether this console has a change of `id` on its way (its own act, not another's).
    fn acting_on(&self, id: RequestId) -> bool {
        self.awaiting.values().any(
            |awaiting| matches!(awaiting, Awaiting::Route(of) | Awaiting::Work(of, _) if *of == id),
        )
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
        let chosen = match self.focus {
            Pane::Incoming => self.selection.incoming.chosen(),
            Pane::Timers => self.selection.timers.chosen(),
            Pane::Queues => None,
        };
        self.open.get(*chosen?)
    }

    pub fn selected_queue(&self) -> Option<&QueueDef> {
        let key = self.selection.queues.chosen()?;
        self.policy.queues.iter().find(|queue| &queue.key == key)
    }

    /// The highlighted row of a pane, if something there is chosen.
    pub fn highlighted(&self, pane: Pane) -> Option<usize> {
        match pane {
            Pane::Incoming => self.selection.incoming.highlighted(),
            Pane::Queues => self.selection.queues.highlighted(),
            Pane::Timers => self.selection.timers.highlighted(),
        }
    }

    /// The row a pane keeps in sight.
    pub fn selection_row(&self, pane: Pane) -> usize {
        match pane {
            Pane::Incoming => self.selection.incoming.row(),
            Pane::Queues => self.selection.queues.row(),
            Pane::Timers => self.selection.timers.row(),
        }
    }

    /// The request on `row` of the incoming (or own queue) or timers pane.
    fn request_at(&self, pane: Pane, row: usize) -> Option<&Request> {
        match pane {
            Pane::Incoming if self.shows_my_queue() => self.open.mine_at(&self.my_queues(), row),
            Pane::Incoming => self.open.incoming_at(row),
            Pane::Timers => self
                .open
                .timer_at(row, &self.policy.deadlines, self.watches_queues()),
            Pane::Queues => None,
        }
    }

    fn request_position(&self, pane: Pane, id: RequestId) -> Option<usize> {
        match pane {
            Pane::Incoming if self.shows_my_queue() => {
                self.open.mine_position(&self.my_queues(), id)
            }
            Pane::Incoming => self.open.incoming_position(id),
            Pane::Timers => {
                self.open
                    .timer_position(id, &self.policy.deadlines, self.watches_queues())
            }
            Pane::Queues => None,
        }
    }

    /// Keeps each pane's choice on what was chosen after the lists changed; returns the
    /// requests that left the pane they were chosen in (nothing is chosen there now).
    fn follow_selection(&mut self) -> Vec<RequestId> {
        let mut incoming = std::mem::take(&mut self.selection.incoming);
        let mut timers = std::mem::take(&mut self.selection.timers);
        let mut queues = std::mem::take(&mut self.selection.queues);
        let left_incoming = incoming.follow(|id| self.request_position(Pane::Incoming, *id));
        let left_timers = timers.follow(|id| self.request_position(Pane::Timers, *id));
        follow_queue(&self.queue_rows(), &mut queues);
        self.selection = Selections {
            incoming,
            queues,
            timers,
        };
        let mut left: Vec<RequestId> = left_incoming.into_iter().chain(left_timers).collect();
        let deadlines = &self.policy.deadlines;
        if let Screen::Queue(view) = &mut self.screen {
            left.extend(view.follow(&self.open, deadlines));
        }
        if let Some(view) = &mut self.queue_beneath {
            left.extend(view.follow(&self.open, deadlines));
        }
        left.sort();
        left.dedup();
        left
    }

    /// Keeps the queues pane's choice on its queue as the head's queues re-sort.
    fn follow_queue_selection(&mut self) {
        let mut queues = std::mem::take(&mut self.selection.queues);
        follow_queue(&self.queue_rows(), &mut queues);
        self.selection.queues = queues;
    }

    /// Closes a prompt: back to the queue's list it was opened from, or to the board.
    fn leave_prompt(&mut self) {
        self.screen = match self.queue_beneath.take() {
            Some(view) => Screen::Queue(view),
            None => Screen::Board,
        };
    }

    /// Moves the focused pane's choice one row.
    fn step_selection(&mut self, down: bool) {
        let len = self.pane_len(self.focus);
        match self.focus {
            Pane::Incoming | Pane::Timers => {
                let pane = self.focus;
                let mut selection = std::mem::take(match pane {
                    Pane::Incoming => &mut self.selection.incoming,
                    _ => &mut self.selection.timers,
                });
                selection.step(down, len, |row| self.request_at(pane, row).map(|r| r.id));
                match pane {
                    Pane::Incoming => self.selection.incoming = selection,
                    _ => self.selection.timers = selection,
                }
            }
            Pane::Queues => {
                let keys: Vec<String> = self
                    .queue_rows()
                    .into_iter()
                    .map(|(_, queue)| queue.key.clone())
                    .collect();
                self.selection
                    .queues
                    .step(down, len, |row| keys.get(row).cloned());
            }
        }
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

    /// When a timer of `kind` resumes: the service is closed now and the timer counts its
    /// hours.
    pub fn paused_until(&self, kind: crate::domain::deadline::TimerKind) -> Option<Timestamp> {
        let counted = self
            .policy
            .hours
            .as_ref()
            .is_some_and(|file| file.counts_timer(kind));
        self.closed_until.filter(|_| counted)
    }

    /// What a caller with a request of `category` is told while the service is closed
    /// (None: it is open, or keeps no hours).
    pub fn after_hours(
        &self,
        category: crate::domain::request::Category,
    ) -> Option<crate::domain::hours::AfterHours> {
        self.policy
            .after_hours_until(self.hours.as_ref()?, category, self.closed_until?)
    }

    /// The year the production calendar only predicts that put a running deadline of
    /// `request` on the clock (the console says so when the deadline is set).
    pub fn clock_year(&self, request: &crate::domain::request::Request) -> Option<i32> {
        self.policy.clock_year(self.hours.as_ref()?, request)
    }

    /// Notes the time: when the service, closed now, opens again (once per message, not
    /// per timer drawn).
    fn set_now(&mut self, now: Timestamp) {
        self.now = now;
        self.closed_until = self
            .hours
            .as_ref()
            .and_then(|hours| hours.opens_at(now))
            .filter(|opens| *opens > now);
    }

    /// A colleague's short name («Козлов А. П.»), or the login of an account this console
    /// does not know.
    pub fn short_name_of(&self, login: &str) -> String {
        if is_website(login) {
            return tr!("who.website").to_string();
        }
        self.staff
            .iter()
            .find(|member| member.login == login)
            .map(|member| member.short_name())
            .unwrap_or_else(|| login.to_string())
    }

    /// Staff who work a queue, for the queues pane.
    pub fn queue_staff(&self, queue: &QueueDef) -> Vec<&Staff> {
        self.staff
            .iter()
            .filter(|member| !member.disabled && member.has(queue.role))
            .collect()
    }

    pub fn status_visible(&self) -> Option<&StatusLine> {
        self.status.as_ref().filter(|status| {
            status.kind == StatusKind::Error || self.now.0 - status.at.0 < STATUS_MS
        })
    }
}

fn follow_queue(rows: &[(usize, &QueueDef)], queues: &mut Selection<String>) {
    queues.follow(|key| rows.iter().position(|(_, queue)| &queue.key == key));
}

/// Applies one message at `now`; returns what the runner must do.
pub fn update(app: &mut App, msg: Msg, now: Timestamp) -> Vec<Effect> {
    app.set_now(now);
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
    // the head's queues re-sort as requests become overdue (the requests' lists do not move
    // with time alone)
    app.follow_queue_selection();
    let mut effects: Vec<Effect> = keep_draft(app).into_iter().collect();
    if std::mem::take(&mut app.pending_report) {
        effects.extend(ask_for_report(app));
    }
    let overdue = app.open.overdue_ids(app.now);
    let newly: Vec<String> = overdue
        .iter()
        .filter(|id| !app.overdue_seen.contains(id))
        .map(|id| id.to_string())
        .collect();
    app.overdue_seen = overdue.into_iter().collect();
    if !newly.is_empty() {
        app.error(tr!("status.overdue", ids = newly.join(", ")));
        effects.push(Effect::Bell);
    }
    effects
}

/// Asks the server for the report the reports window shows.
pub(crate) fn ask_for_report(app: &mut App) -> Option<Effect> {
    let Screen::Report(state) = &app.screen else {
        return None;
    };
    let offset_seconds = app.offset.local_minus_utc();
    let command = match state.kind {
        ReportKind::Daily => Command::DailyReport {
            date: Some(state.date),
            offset_seconds,
        },
        ReportKind::Weekly => Command::WeeklyReport {
            week: Some(state.week),
            offset_seconds,
        },
    };
    let effect = app.send(command, Awaiting::Report);
    if let (Screen::Report(state), Effect::Send { token, .. }) = (&mut app.screen, &effect) {
        state.waiting_for = Some(*token);
    }
    Some(effect)
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
