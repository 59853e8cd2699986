//! Random sequences of commands from random staff members, through the real `Service` on a
//! real sled store in a temp directory, with a manual clock that jumps between steps.
//!
//! The roster holds one account per role and the vendor representative. After every step
//! the store is read directly and checked against issue 4's table and the state machine:
//!
//! 1. every open request is in exactly one place (Входящие, or one queue of the policy) and
//!    the `open` index holds exactly the open requests;
//! 2. a resolved request went back by a channel the caller gave;
//! 3. an accepted command left exactly one audit event naming its actor and request; a
//!    refused one changed nothing at all;
//! 4. deadlines move only by the rules (route, return, reassign, an approved extension);
//! 5. a command the table forbids is refused — and, the other way round, a command the table
//!    allows on a request whose state permits it goes through (the model below is the
//!    table plus `domain::lifecycle`).
//!
//! Steps are plain data, interpreted against the store, so a failure shrinks to a short
//! sequence. The run ends by checking that every command was both accepted and refused for
//! lack of permission at least once, so the property never holds vacuously.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};

use pult::domain::call_form::CallDraft;
use pult::domain::deadline::Deadlines;
use pult::domain::policy::{Policy, DEFAULT_POLICY_TOML};
use pult::domain::request::{
    CallerRole, Category, Channel, ExtensionState, NoteKind, Request, RequestId, ReturnChannel,
    Status,
};
use pult::domain::staff::{Role, Staff};
use pult::domain::time::{Clock, ManualClock, Timestamp, MINUTE_MS};
use pult::service::{Command, Reply, Service};
use pult::store::{AuditAction, Store};

const T0: Timestamp = Timestamp(1_795_000_000_000);
const CASES: u32 = 48;
const MAX_STEPS: usize = 40;
/// An id no request ever gets in a run (at most `MAX_STEPS` are logged).
const MISSING: RequestId = RequestId(9_999);
const NOTE_KINDS: [NoteKind; 4] = [
    NoteKind::Phoned,
    NoteKind::NoAnswer,
    NoteKind::Emailed,
    NoteKind::Internal,
];

/// One account per role, plus the vendor representative (a technician, as in the demo).
fn roster() -> Vec<Staff> {
    let mut staff: Vec<Staff> = Role::ALL
        .iter()
        .map(|role| Staff {
            login: role.key().to_string(),
            name: format!("Сотрудник {}", role.key()),
            roles: vec![*role],
            vendor_rep: false,
            disabled: false,
        })
        .collect();
    staff.push(Staff {
        login: "vendor".into(),
        name: "Козлов Андрей Петрович".into(),
        roles: vec![Role::Tech],
        vendor_rep: true,
        disabled: false,
    });
    staff
}

// ---------------------------------------------------------------------------------------------
// Steps: plain data

/// Who sends the command: anyone on the roster, or someone the table allows (when there is
/// such a person), so that runs get deep into requests' lives.
#[derive(Debug, Clone, Copy)]
enum Who {
    Anyone(usize),
    Fitting(usize),
}

/// Which request: any stored one, one whose state permits the command (when there is one),
/// or a number that does not exist.
#[derive(Debug, Clone, Copy)]
enum Target {
    Any(usize),
    Fitting(usize),
    Missing,
}

#[derive(Debug, Clone, Copy)]
enum Contact {
    Phone,
    Email,
    Both,
}

/// A command in plain data. `blank` stands for a text of spaces where a text is asked;
/// a queue of `None` is one the policy does not know.
#[derive(Debug, Clone, Copy)]
enum Op {
    Log {
        contact: Contact,
        category: usize,
        caller: usize,
        /// Minutes from now when the call was answered (positive: a clock ahead); `None`:
        /// the form does not say.
        answered: Option<i8>,
    },
    Route {
        target: Target,
        queue: Option<usize>,
    },
    Take {
        target: Target,
    },
    Note {
        target: Target,
        kind: usize,
        blank: bool,
    },
    Close {
        target: Target,
        by_email: bool,
        blank: bool,
    },
    Return {
        target: Target,
        blank: bool,
    },
    AskExtension {
        target: Target,
        /// The asked date, in minutes after the current resolve-by (≤ 0: not later).
        minutes: i16,
        blank: bool,
    },
    Decide {
        target: Target,
        approve: bool,
    },
    Reassign {
        target: Target,
        queue: Option<usize>,
        assignee: Option<usize>,
    },
    Reopen {
        target: Target,
        blank: bool,
    },
    Cancel {
        target: Target,
        blank: bool,
    },
    Escalate {
        target: Target,
        blank: bool,
    },
    VendorAnswer {
        target: Target,
        blank: bool,
    },
}

impl Op {
    fn kind(&self) -> &'static str {
        match self {
            Op::Log { .. } => "LogCall",
            Op::Route { .. } => "Route",
            Op::Take { .. } => "Take",
            Op::Note { .. } => "AddNote",
            Op::Close { .. } => "Close",
            Op::Return { .. } => "ReturnToDispatcher",
            Op::AskExtension { .. } => "AskExtension",
            Op::Decide { .. } => "DecideExtension",
            Op::Reassign { .. } => "Reassign",
            Op::Reopen { .. } => "Reopen",
            Op::Cancel { .. } => "Cancel",
            Op::Escalate { .. } => "Escalate",
            Op::VendorAnswer { .. } => "VendorAnswer",
        }
    }

    fn target(&self) -> Option<Target> {
        match *self {
            Op::Log { .. } => None,
            Op::Route { target, .. }
            | Op::Take { target }
            | Op::Note { target, .. }
            | Op::Close { target, .. }
            | Op::Return { target, .. }
            | Op::AskExtension { target, .. }
            | Op::Decide { target, .. }
            | Op::Reassign { target, .. }
            | Op::Reopen { target, .. }
            | Op::Cancel { target, .. }
            | Op::Escalate { target, .. }
            | Op::VendorAnswer { target, .. } => Some(target),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Step {
    /// How far the clock moves before the command.
    wait_minutes: u32,
    who: Who,
    op: Op,
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        3 => any::<usize>().prop_map(Who::Fitting),
        1 => any::<usize>().prop_map(Who::Anyone),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        8 => any::<usize>().prop_map(Target::Fitting),
        3 => any::<usize>().prop_map(Target::Any),
        1 => Just(Target::Missing),
    ]
}

fn blank() -> impl Strategy<Value = bool> {
    prop::bool::weighted(0.1)
}

fn queue() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![8 => (0usize..4).prop_map(Some), 1 => Just(None)]
}

fn op() -> impl Strategy<Value = Op> {
    let contact = prop_oneof![
        Just(Contact::Phone),
        Just(Contact::Email),
        Just(Contact::Both)
    ];
    prop_oneof![
        4 => (contact, 0usize..6, 0usize..3, proptest::option::of(-30i8..=5)).prop_map(
            |(contact, category, caller, answered)| Op::Log { contact, category, caller, answered }
        ),
        3 => (target(), queue()).prop_map(|(target, queue)| Op::Route { target, queue }),
        3 => target().prop_map(|target| Op::Take { target }),
        2 => (target(), 0usize..4, prop::bool::weighted(0.2))
            .prop_map(|(target, kind, blank)| Op::Note { target, kind, blank }),
        3 => (target(), any::<bool>(), blank())
            .prop_map(|(target, by_email, blank)| Op::Close { target, by_email, blank }),
        2 => (target(), blank()).prop_map(|(target, blank)| Op::Return { target, blank }),
        2 => (target(), -120i16..3000, blank())
            .prop_map(|(target, minutes, blank)| Op::AskExtension { target, minutes, blank }),
        2 => (target(), any::<bool>())
            .prop_map(|(target, approve)| Op::Decide { target, approve }),
        2 => (target(), queue(), proptest::option::of(0usize..9))
            .prop_map(|(target, queue, assignee)| Op::Reassign { target, queue, assignee }),
        2 => (target(), blank()).prop_map(|(target, blank)| Op::Reopen { target, blank }),
        1 => (target(), blank()).prop_map(|(target, blank)| Op::Cancel { target, blank }),
        2 => (target(), blank()).prop_map(|(target, blank)| Op::Escalate { target, blank }),
        2 => (target(), blank()).prop_map(|(target, blank)| Op::VendorAnswer { target, blank }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let wait = prop_oneof![
        2 => Just(0u32),
        4 => 1u32..30,
        2 => 30u32..600,
        1 => 600u32..3000,
    ];
    (wait, who(), op()).prop_map(|(wait_minutes, who, op)| Step {
        wait_minutes,
        who,
        op,
    })
}

// ---------------------------------------------------------------------------------------------
// The oracle: issue 4's table and the state machine, written out here

fn dispatcher(actor: &Staff) -> bool {
    [Role::Operator, Role::SiteAdmin, Role::Head]
        .iter()
        .any(|role| actor.has(*role))
}

/// Whether the table lets `actor` send `op` about `request` (which exists for every op but
/// `Log`; `None` means it does not).
fn permitted(actor: &Staff, op: &Op, request: Option<&Request>, policy: &Policy) -> bool {
    let head = actor.has(Role::Head);
    match op {
        // log, route: operator, site admin, head
        Op::Log { .. } | Op::Route { .. } => dispatcher(actor),
        // take, note, close, return, ask for more time: the queue's own role only
        Op::Take { .. }
        | Op::Note { .. }
        | Op::Close { .. }
        | Op::Return { .. }
        | Op::AskExtension { .. } => request
            .and_then(|request| request.queue.as_deref())
            .and_then(|queue| policy.queue(queue))
            .is_some_and(|queue| actor.has(queue.role)),
        // approve an extension, reopen, reassign: the head only
        Op::Decide { .. } | Op::Reopen { .. } | Op::Reassign { .. } => head,
        // cancel: the head, or the operator / site admin who logged it
        Op::Cancel { .. } => {
            head || (request.is_some_and(|request| request.logged_by == actor.login)
                && (actor.has(Role::Operator) || actor.has(Role::SiteAdmin)))
        }
        // the vendor: only the designated representative
        Op::Escalate { .. } | Op::VendorAnswer { .. } => actor.vendor_rep,
    }
}

/// Whether the state machine lets `op` start from the request's state (inputs aside).
fn state_fits(op: &Op, request: &Request) -> bool {
    use Status::*;
    let status = request.status;
    match op {
        Op::Log { .. } => false,
        Op::Route { .. } => status == New,
        Op::Take { .. } => status == Routed,
        Op::Note { .. } => matches!(status, Routed | InWork | WaitingVendor),
        Op::Close { .. } | Op::Escalate { .. } => status == InWork,
        Op::Return { .. } | Op::Reassign { .. } => matches!(status, Routed | InWork),
        Op::AskExtension { .. } => {
            matches!(status, InWork | WaitingVendor) && !request.extension_pending()
        }
        Op::Decide { .. } => status.is_open() && request.extension_pending(),
        Op::Reopen { .. } => status == Resolved,
        Op::Cancel { .. } => status.is_open(),
        Op::VendorAnswer { .. } => status == WaitingVendor,
    }
}

/// Whether the command's own inputs are acceptable for this request.
fn inputs_fit(op: &Op, request: &Request) -> bool {
    match *op {
        Op::Log { .. } | Op::Take { .. } | Op::Decide { .. } => true,
        Op::Route { queue, .. } | Op::Reassign { queue, .. } => queue.is_some(),
        Op::Note { kind, blank, .. } => !blank || NOTE_KINDS[kind] != NoteKind::Internal,
        Op::Close {
            by_email, blank, ..
        } => {
            let given = if by_email {
                request.caller.email.is_some()
            } else {
                request.caller.phone.is_some()
            };
            !blank && given
        }
        Op::AskExtension { minutes, blank, .. } => !blank && minutes > 0,
        Op::Return { blank, .. }
        | Op::Reopen { blank, .. }
        | Op::Cancel { blank, .. }
        | Op::Escalate { blank, .. }
        | Op::VendorAnswer { blank, .. } => !blank,
    }
}

// ---------------------------------------------------------------------------------------------
// Interpreting steps

fn text(blank: bool, what: &str) -> String {
    if blank {
        "   ".into()
    } else {
        what.into()
    }
}

fn queue_key(policy: &Policy, queue: Option<usize>) -> String {
    match queue {
        Some(index) => policy.queues[index % policy.queues.len()].key.clone(),
        None => "nowhere".into(),
    }
}

fn draft(
    contact: Contact,
    category: usize,
    caller: usize,
    answered: Option<Timestamp>,
) -> CallDraft {
    let role = CallerRole::ALL[caller % CallerRole::ALL.len()];
    let (phone, email) = match contact {
        Contact::Phone => (true, false),
        Contact::Email => (false, true),
        Contact::Both => (true, true),
    };
    CallDraft {
        answered_at: answered,
        name: "Петрова Анна Ивановна".into(),
        role: Some(role),
        class: if role.needs_class() {
            "5А".into()
        } else {
            String::new()
        },
        category: Some(Category::ALL[category % Category::ALL.len()]),
        description: "Не открывается дневник".into(),
        phone: if phone {
            "8 912 345-67-89".into()
        } else {
            String::new()
        },
        email: if email {
            "petrova@mail.ru".into()
        } else {
            String::new()
        },
    }
}

/// The command a step sends, and the audit action it must leave when accepted.
fn command(
    op: &Op,
    id: RequestId,
    request: Option<&Request>,
    roster: &[Staff],
    policy: &Policy,
    now: Timestamp,
) -> (Command, AuditAction) {
    match *op {
        Op::Log {
            contact,
            category,
            caller,
            answered,
        } => (
            Command::LogCall {
                draft: draft(
                    contact,
                    category,
                    caller,
                    answered.map(|minutes| now.plus_minutes(i64::from(minutes))),
                ),
                channel: Channel::Phone,
            },
            AuditAction::Logged,
        ),
        Op::Route { queue, .. } => {
            let queue = queue_key(policy, queue);
            (
                Command::Route {
                    id,
                    queue: queue.clone(),
                },
                AuditAction::Routed { queue },
            )
        }
        Op::Take { .. } => (Command::Take { id }, AuditAction::Taken),
        Op::Note { kind, blank, .. } => {
            let kind = NOTE_KINDS[kind];
            (
                Command::AddNote {
                    id,
                    kind,
                    text: text(blank, "перезвонить после 15:00"),
                },
                AuditAction::Noted { kind },
            )
        }
        Op::Close {
            by_email, blank, ..
        } => (
            Command::Close {
                id,
                text: text(blank, "Сбросили пароль, дневник открывается"),
                returned_by: if by_email {
                    ReturnChannel::Email
                } else {
                    ReturnChannel::Phone
                },
            },
            AuditAction::Resolved,
        ),
        Op::Return { blank, .. } => (
            Command::ReturnToDispatcher {
                id,
                reason: text(blank, "это вопрос к учителю"),
            },
            AuditAction::Returned,
        ),
        Op::AskExtension { minutes, blank, .. } => {
            let resolve_by = request.map_or(now, |request| request.deadlines.resolve_by);
            let until = resolve_by.plus_minutes(i64::from(minutes));
            (
                Command::AskExtension {
                    id,
                    reason: text(blank, "ждём поставщика"),
                    until,
                },
                AuditAction::ExtensionAsked { until },
            )
        }
        Op::Decide { approve, .. } => (
            Command::DecideExtension {
                id,
                approve,
                note: if approve {
                    "согласовано"
                } else {
                    ""
                }
                .into(),
            },
            AuditAction::ExtensionDecided { approved: approve },
        ),
        Op::Reassign {
            queue, assignee, ..
        } => {
            let queue = queue_key(policy, queue);
            let assignee = assignee.map(|index| roster[index % roster.len()].login.clone());
            (
                Command::Reassign {
                    id,
                    queue: queue.clone(),
                    assignee: assignee.clone(),
                },
                AuditAction::Reassigned { queue, assignee },
            )
        }
        Op::Reopen { blank, .. } => (
            Command::Reopen {
                id,
                reason: text(blank, "родитель перезвонил: не работает"),
            },
            AuditAction::Reopened,
        ),
        Op::Cancel { blank, .. } => {
            let reason = text(blank, "дубликат");
            (
                Command::Cancel {
                    id,
                    reason: reason.clone(),
                },
                AuditAction::Cancelled {
                    reason: reason.trim().to_string(),
                },
            )
        }
        Op::Escalate { blank, .. } => (
            Command::Escalate {
                id,
                reformulated: text(blank, "Вход в дневник возвращает на страницу входа"),
                ticket: text(blank, "VND-4711"),
            },
            AuditAction::Escalated,
        ),
        Op::VendorAnswer { blank, .. } => (
            Command::VendorAnswer {
                id,
                answer: text(blank, "Исправлено в версии 2.4.1"),
            },
            AuditAction::VendorAnswered,
        ),
    }
}

/// What the whole run saw of each command: accepted, refused by the table, refused otherwise.
type Coverage = BTreeMap<&'static str, [u32; 3]>;

struct Run {
    service: Service,
    clock: ManualClock,
    roster: Vec<Staff>,
    /// (logger, received at) of each call logged with its answered-at → its request.
    intake: HashMap<(String, i64), RequestId>,
    /// Accepted commands that wrote something (one audit event each).
    accepted: u64,
    _dir: tempfile::TempDir,
}

impl Run {
    fn new() -> Run {
        let dir = tempfile::tempdir().expect("a temp dir");
        let clock = ManualClock::new(T0);
        let store = Store::open(dir.path()).expect("open the store");
        let roster = roster();
        store
            .initialize(&roster[Role::ALL.len() - 1])
            .expect("init");
        for member in &roster {
            store.put_staff(member).expect("add staff");
        }
        store.flush().expect("flush");
        let policy = Policy::parse(DEFAULT_POLICY_TOML).expect("the shipped policy");
        Run {
            service: Service::new(store, policy, Arc::new(clock.clone())),
            clock,
            roster,
            intake: HashMap::new(),
            accepted: 0,
            _dir: dir,
        }
    }

    fn store(&self) -> &Store {
        self.service.store()
    }

    fn all(&self) -> Vec<Request> {
        self.store()
            .all_requests(None)
            .collect::<Result<_, _>>()
            .expect("read the requests")
    }

    fn step(&mut self, step: &Step, coverage: &RefCell<Coverage>) -> Result<(), TestCaseError> {
        self.clock.advance_minutes(i64::from(step.wait_minutes));
        let now = self.clock.now();
        let policy = self.service.policy().clone();
        let before = self.all();
        let events_before = self.store().event_count().unwrap();
        prop_assert_eq!(
            events_before,
            self.accepted,
            "one audit event per accepted command"
        );

        // which request
        let op = &step.op;
        let request: Option<Request> = match op.target() {
            None | Some(Target::Missing) => None,
            Some(Target::Any(pick)) => {
                (!before.is_empty()).then(|| before[pick % before.len()].clone())
            }
            Some(Target::Fitting(pick)) => {
                let fitting: Vec<&Request> = before.iter().filter(|r| state_fits(op, r)).collect();
                if fitting.is_empty() {
                    (!before.is_empty()).then(|| before[pick % before.len()].clone())
                } else {
                    Some(fitting[pick % fitting.len()].clone())
                }
            }
        };
        let id = request.as_ref().map_or(MISSING, |request| request.id);
        let exists = request.is_some() || matches!(op, Op::Log { .. });

        // who
        let actor = match step.who {
            Who::Anyone(pick) => self.roster[pick % self.roster.len()].clone(),
            Who::Fitting(pick) => {
                let fitting: Vec<&Staff> = self
                    .roster
                    .iter()
                    .filter(|member| permitted(member, op, request.as_ref(), &policy))
                    .collect();
                if fitting.is_empty() {
                    self.roster[pick % self.roster.len()].clone()
                } else {
                    fitting[pick % fitting.len()].clone()
                }
            }
        };

        let allowed = exists && permitted(&actor, op, request.as_ref(), &policy);
        let expect_ok = allowed
            && match &request {
                None => true, // a call
                Some(request) => state_fits(op, request) && inputs_fit(op, request),
            };
        let (command, action) = command(op, id, request.as_ref(), &self.roster, &policy, now);
        let outcome = self.service.execute(&actor, command.clone());
        if std::env::var_os("TRACE").is_some() {
            eprintln!(
                "{:?} {} {:?} -> {:?}",
                step,
                actor.login,
                request.as_ref().map(|r| (r.id, r.status)),
                outcome.as_ref().map(|_| ()).map_err(|e| e.to_string())
            );
        }

        let after = self.all();
        let events_after = self.store().event_count().unwrap();
        let what = format!("{} by {} on {id}: {outcome:?}", op.kind(), actor.login);
        {
            let mut coverage = coverage.borrow_mut();
            let counts = coverage.entry(op.kind()).or_default();
            match (&outcome, allowed) {
                (Ok(_), _) => counts[0] += 1,
                (Err(_), false) if exists => counts[1] += 1,
                (Err(_), _) => counts[2] += 1,
            }
        }

        // director and admin do none of the request commands
        if actor
            .roles
            .iter()
            .all(|role| matches!(role, Role::Director | Role::Admin))
            && !actor.vendor_rep
        {
            prop_assert!(outcome.is_err(), "the table forbids it: {}", what);
        }
        // 5. forbidden ⇒ refused; allowed and permitted by the state machine ⇒ accepted
        if !allowed {
            prop_assert!(outcome.is_err(), "the table forbids it: {}", what);
        }
        if expect_ok {
            prop_assert!(outcome.is_ok(), "an allowed move was refused: {}", what);
        }

        match &outcome {
            Err(_) => {
                // 3. a refusal changes nothing
                prop_assert_eq!(&after, &before, "a refusal changed requests: {}", what);
                prop_assert_eq!(
                    events_after,
                    events_before,
                    "a refusal was audited: {}",
                    what
                );
            }
            Ok((reply, _)) => {
                prop_assert!(expect_ok, "the state machine should have refused: {}", what);
                self.accepted_command(
                    &actor,
                    op,
                    request.as_ref(),
                    reply,
                    action,
                    &before,
                    &after,
                    now,
                    &what,
                )?;
            }
        }
        prop_assert_eq!(self.store().event_count().unwrap(), self.accepted);
        check_invariants(self.store(), &after, &policy)
    }

    /// Checks what an accepted command did: one event, one request, deadlines by the rules.
    #[allow(clippy::too_many_arguments)]
    fn accepted_command(
        &mut self,
        actor: &Staff,
        op: &Op,
        request: Option<&Request>,
        reply: &Reply,
        action: AuditAction,
        before: &[Request],
        after: &[Request],
        now: Timestamp,
        what: &str,
    ) -> Result<(), TestCaseError> {
        let policy = self.service.policy().clone();
        let d = policy.deadlines;
        let (a, b) = match (op, request) {
            (
                Op::Log {
                    answered, contact, ..
                },
                _,
            ) => {
                let received =
                    answered.map_or(now, |minutes| now.plus_minutes(i64::from(minutes)).min(now));
                let key = (actor.login.clone(), received.0);
                let Reply::Logged { request: logged } = reply else {
                    return Err(TestCaseError::fail(format!("not a Logged reply: {what}")));
                };
                if answered.is_some() {
                    if let Some(known) = self.intake.get(&key) {
                        // the same call sent again: the stored request, nothing written
                        prop_assert_eq!(logged.id, *known, "{}", what);
                        prop_assert_eq!(after, before, "a resent call changed requests");
                        return Ok(());
                    }
                }
                prop_assert_eq!(after.len(), before.len() + 1, "one new request: {}", what);
                prop_assert_eq!(
                    &after[..before.len()],
                    before,
                    "only a new request: {}",
                    what
                );
                let new = after[before.len()].clone();
                prop_assert_eq!(new.id, logged.id);
                prop_assert!(before.iter().all(|r| r.id < new.id));
                if answered.is_some() {
                    self.intake.insert(key, new.id);
                }
                prop_assert_eq!(new.status, Status::New);
                prop_assert_eq!(&new.logged_by, &actor.login);
                prop_assert_eq!(new.received_at, received);
                prop_assert_eq!(
                    new.deadlines,
                    Deadlines {
                        route_by: received.plus_minutes(d.route_minutes),
                        take_by: None,
                        resolve_by: received.plus_hours(d.resolve_hours),
                    }
                );
                let (phone, email) = match contact {
                    Contact::Phone => (true, false),
                    Contact::Email => (false, true),
                    Contact::Both => (true, true),
                };
                prop_assert_eq!(new.caller.phone.is_some(), phone);
                prop_assert_eq!(new.caller.email.is_some(), email);
                self.accepted += 1;
                self.audited(actor, new.id, action, now, what)?;
                return Ok(());
            }
            (_, Some(b)) => {
                // the same requests, the target changed in place
                prop_assert_eq!(after.len(), before.len(), "{}", what);
                for (x, y) in before.iter().zip(after) {
                    if x.id != b.id {
                        prop_assert_eq!(x, y, "another request changed: {}", what);
                    }
                }
                let a = after
                    .iter()
                    .find(|r| r.id == b.id)
                    .expect("the target is still stored")
                    .clone();
                (a, b.clone())
            }
            (_, None) => {
                return Err(TestCaseError::fail(format!(
                    "accepted on a request that does not exist: {what}"
                )))
            }
        };
        self.accepted += 1;
        self.audited(actor, b.id, action, now, what)?;

        // 4. the deadlines each move may change, and nothing else
        let mut deadlines = b.deadlines;
        match *op {
            Op::Route { queue, .. } => {
                prop_assert_eq!(a.status, Status::Routed);
                prop_assert_eq!(a.queue.clone(), Some(queue_key(&policy, queue)));
                prop_assert_eq!(&a.assignee, &None);
                prop_assert_eq!(a.routed_at, Some(now));
                deadlines.take_by = Some(now.plus_minutes(d.take_minutes));
            }
            Op::Take { .. } => {
                prop_assert_eq!(a.status, Status::InWork);
                prop_assert_eq!(&a.queue, &b.queue);
                prop_assert_eq!(a.assignee.as_deref(), Some(actor.login.as_str()));
                prop_assert_eq!(a.taken_at, Some(now));
            }
            Op::Note { .. } => {
                prop_assert_eq!(a.status, b.status);
                prop_assert_eq!(a.notes.len(), b.notes.len() + 1);
                prop_assert_eq!(&a.notes.last().unwrap().author, &actor.login);
            }
            Op::Close { by_email, .. } => {
                prop_assert_eq!(a.status, Status::Resolved);
                let result = a.result.clone().expect("a result");
                let by = if by_email {
                    ReturnChannel::Email
                } else {
                    ReturnChannel::Phone
                };
                prop_assert_eq!(result.returned_by, by);
                prop_assert_eq!(result.at, now);
                prop_assert_eq!(a.closed_at, Some(now));
            }
            Op::Return { .. } => {
                // a fresh route-by; resolve-by keeps running
                prop_assert_eq!(a.status, Status::New);
                prop_assert_eq!(&a.queue, &None);
                prop_assert_eq!(&a.assignee, &None);
                deadlines.route_by = now.plus_minutes(d.route_minutes);
                deadlines.take_by = None;
            }
            Op::AskExtension { .. } => {
                prop_assert_eq!(a.status, b.status);
                prop_assert!(a.extension_pending());
                let extension = a.extension.clone().unwrap();
                prop_assert_eq!(&extension.asked_by, &actor.login);
                prop_assert!(extension.until > b.deadlines.resolve_by);
            }
            Op::Decide { approve, .. } => {
                let asked = b.extension.clone().expect("a pending extension");
                let decided = a.extension.clone().expect("a decided extension");
                let state = if approve {
                    ExtensionState::Approved
                } else {
                    ExtensionState::Denied
                };
                prop_assert_eq!(decided.state, state);
                prop_assert_eq!(decided.until, asked.until);
                prop_assert_eq!(decided.decided_by.as_deref(), Some(actor.login.as_str()));
                prop_assert_eq!(a.status, b.status);
                if approve {
                    deadlines.resolve_by = asked.until;
                }
            }
            Op::Reassign {
                queue, assignee, ..
            } => {
                prop_assert_eq!(a.queue.clone(), Some(queue_key(&policy, queue)));
                prop_assert_eq!(a.routed_at, Some(now));
                match assignee {
                    Some(index) => {
                        let person = &self.roster[index % self.roster.len()].login;
                        prop_assert_eq!(a.status, Status::InWork);
                        prop_assert_eq!(a.assignee.as_ref(), Some(person));
                        deadlines.take_by = None;
                    }
                    None => {
                        prop_assert_eq!(a.status, Status::Routed);
                        prop_assert_eq!(&a.assignee, &None);
                        deadlines.take_by = Some(now.plus_minutes(d.take_minutes));
                    }
                }
            }
            Op::Reopen { .. } => {
                // lifecycle::reopen: back in work with the same queue and assignee, the
                // result gone, every deadline as it was
                prop_assert_eq!(a.status, Status::InWork);
                prop_assert_eq!(&a.result, &None);
                prop_assert_eq!(a.closed_at, None);
                prop_assert_eq!(&a.queue, &b.queue);
                prop_assert_eq!(&a.assignee, &b.assignee);
            }
            Op::Cancel { .. } => {
                prop_assert_eq!(a.status, Status::Cancelled);
                prop_assert_eq!(a.cancel_reason.as_deref(), Some("дубликат"));
                prop_assert_eq!(a.closed_at, Some(now));
            }
            Op::Escalate { .. } => {
                prop_assert_eq!(a.status, Status::WaitingVendor);
                prop_assert_eq!(a.vendor.len(), b.vendor.len() + 1);
                prop_assert_eq!(&a.vendor.last().unwrap().sent_by, &actor.login);
            }
            Op::VendorAnswer { .. } => {
                prop_assert_eq!(a.status, Status::InWork);
                prop_assert!(a.vendor.last().unwrap().answer.is_some());
            }
            Op::Log { .. } => unreachable!("handled above"),
        }
        prop_assert_eq!(
            a.deadlines,
            deadlines,
            "deadlines moved off the rules: {}",
            what
        );
        prop_assert_eq!(a.received_at, b.received_at);
        prop_assert_eq!(&a.logged_by, &b.logged_by);
        Ok(())
    }

    /// The newest audit event is this command's: its actor, its request, now, its action.
    fn audited(
        &self,
        actor: &Staff,
        id: RequestId,
        action: AuditAction,
        now: Timestamp,
        what: &str,
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            self.store().event_count().unwrap(),
            self.accepted,
            "not exactly one audit event: {}",
            what
        );
        let events = self.store().events_of(id).unwrap();
        let last = events.last().expect("an audit event");
        prop_assert_eq!(&last.actor, &actor.login, "{}", what);
        prop_assert_eq!(last.request, id);
        prop_assert_eq!(last.at, now);
        prop_assert_eq!(&last.action, &action, "{}", what);
        Ok(())
    }
}

/// Invariants 1 and 2, over every stored request.
fn check_invariants(store: &Store, all: &[Request], policy: &Policy) -> Result<(), TestCaseError> {
    let open: Vec<RequestId> = all
        .iter()
        .filter(|r| r.status.is_open())
        .map(|r| r.id)
        .collect();
    prop_assert_eq!(store.open_ids().unwrap(), open.clone(), "the open index");
    let open_records: Vec<RequestId> = store
        .open_requests()
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    prop_assert_eq!(open_records, open);
    for request in all {
        let in_known_queue = request
            .queue
            .as_deref()
            .is_some_and(|queue| policy.queue(queue).is_some());
        match request.status {
            Status::New => {
                prop_assert_eq!(&request.queue, &None, "{} is in Входящие", request.id);
                prop_assert_eq!(&request.assignee, &None);
                prop_assert_eq!(request.deadlines.take_by, None);
            }
            Status::Routed => {
                prop_assert!(
                    in_known_queue,
                    "{} routed to {:?}",
                    request.id,
                    request.queue
                );
                prop_assert_eq!(&request.assignee, &None);
                prop_assert!(request.deadlines.take_by.is_some());
            }
            Status::InWork | Status::WaitingVendor => {
                prop_assert!(
                    in_known_queue,
                    "{} in work in {:?}",
                    request.id,
                    request.queue
                );
                prop_assert!(request.assignee.is_some());
            }
            Status::Resolved => {
                let result = request.result.as_ref();
                prop_assert!(result.is_some(), "{} resolved without a result", request.id);
                let given = match result.unwrap().returned_by {
                    ReturnChannel::Phone => request.caller.phone.is_some(),
                    ReturnChannel::Email => request.caller.email.is_some(),
                };
                prop_assert!(given, "{} went back by a channel not given", request.id);
            }
            Status::Cancelled => prop_assert!(request.cancel_reason.is_some()),
        }
    }
    Ok(())
}

#[test]
fn random_commands_from_random_staff_keep_the_table_and_every_invariant() {
    let config = ProptestConfig {
        cases: CASES,
        // a failure is printed shrunk; no regression file next to the tests
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let coverage = RefCell::new(Coverage::new());
    let mut runner = TestRunner::new(config);
    let result = runner.run(&proptest::collection::vec(step(), 1..=MAX_STEPS), |steps| {
        let mut run = Run::new();
        for step in &steps {
            run.step(step, &coverage)?;
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    // the property did not hold vacuously: each command went through, and was refused to
    // someone the table forbids it, at least once
    let coverage = coverage.into_inner();
    println!("command: [accepted, refused by the table, refused otherwise]");
    for (kind, counts) in &coverage {
        println!("{kind:>20}: {counts:?}");
    }
    for kind in [
        "LogCall",
        "Route",
        "Take",
        "AddNote",
        "Close",
        "ReturnToDispatcher",
        "AskExtension",
        "DecideExtension",
        "Reassign",
        "Reopen",
        "Cancel",
        "Escalate",
        "VendorAnswer",
    ] {
        let counts = coverage.get(kind).copied().unwrap_or_default();
        assert!(counts[0] > 0, "{kind} never went through: {counts:?}");
        assert!(
            counts[1] > 0,
            "{kind} was never refused by the table: {counts:?}"
        );
    }
}
