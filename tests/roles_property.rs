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
//! 4. deadlines move only by the rules (route, return, reassign, an approved extension;
//!    reopening keeps them as they were);
//! 5. a command the table forbids is refused — and, the other way round, a command the table
//!    allows on a request whose state permits it goes through (the model below is the table
//!    plus `domain::lifecycle`, written out again here).
//!
//! Calls are logged with a phone, an email or both, sometimes with the time they were answered,
//! and sometimes sent again: the same call is then the request already stored.
//!
//! Steps are plain data interpreted against the store, so a failure shrinks to a short
//! sequence, printed with what each step did. The run ends by checking that every command
//! was both accepted and refused for lack of permission at least once, so the property
//! never holds vacuously.

mod common;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};

use pult::domain::call_form::CallDraft;
use pult::domain::change::Change;
use pult::domain::deadline::Deadlines;
use pult::domain::policy::{Policy, DEFAULT_POLICY_TOML};
use pult::domain::request::{
    CallerRole, Category, Channel, ExtensionState, NoteKind, Request, RequestId, ReturnChannel,
    Status,
};
use pult::domain::staff::{Role, Staff};
use pult::domain::time::{Clock, ManualClock, Timestamp, MINUTE_MS};
use pult::service::Records;
use pult::service::{Command, FailureKind, Reply, Service, ServiceError};
use pult::store::{AuditAction, Store};

use common::people::{staff, staff_member};

const T0: Timestamp = Timestamp(1_795_000_000_000);
const CASES: u32 = 64;
const MAX_STEPS: usize = 40;
/// A number no request gets in a run (at most `MAX_STEPS` are logged).
const MISSING: RequestId = RequestId(9_999);
const NOTE_KINDS: [NoteKind; 4] = [
    NoteKind::Phoned,
    NoteKind::NoAnswer,
    NoteKind::Emailed,
    NoteKind::Internal,
];

/// One account per role, plus the vendor representative (a technician, as in the demo).
fn roster() -> Vec<Staff> {
    let mut roster: Vec<Staff> = Role::ALL
        .iter()
        .map(|role| staff_member(role.key(), &[*role]))
        .collect();
    roster.push(Staff {
        vendor_rep: true,
        ..staff("vendor", "Козлов Андрей Петрович", &[Role::Tech])
    });
    roster
}

// ---------------------------------------------------------------------------------------------
// Steps: plain data

/// The request commands under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    LogCall,
    Route,
    Take,
    AddNote,
    Close,
    ReturnToDispatcher,
    AskExtension,
    DecideExtension,
    Reassign,
    Reopen,
    Cancel,
    Escalate,
    VendorAnswer,
    ChangeType,
}

const KINDS: [Kind; 14] = [
    Kind::LogCall,
    Kind::Route,
    Kind::Take,
    Kind::AddNote,
    Kind::Close,
    Kind::ReturnToDispatcher,
    Kind::AskExtension,
    Kind::DecideExtension,
    Kind::Reassign,
    Kind::Reopen,
    Kind::Cancel,
    Kind::Escalate,
    Kind::VendorAnswer,
    Kind::ChangeType,
];

/// Which command: a given one, or one that some stored request's state permits (a call can
/// always be logged), so that runs get deep into requests' lives.
#[derive(Debug, Clone, Copy)]
enum What {
    Given(Kind),
    Fitting(u8),
}

/// Who sends it: anyone on the roster, someone the table allows (when there is anyone), or
/// someone whose row of the table allows it but who may not see the request (when there is
/// anyone: the rule a new command is likeliest to forget).
#[derive(Debug, Clone, Copy)]
enum Who {
    Anyone(u8),
    Fitting(u8),
    Unseeing(u8),
}

/// About which request: any stored one, one whose state permits the command (when there is
/// one), or a number that does not exist.
#[derive(Debug, Clone, Copy)]
enum Target {
    Any(u8),
    Fitting(u8),
    Missing,
}

#[derive(Debug, Clone, Copy)]
enum Contact {
    Phone,
    Email,
    Both,
}

/// Everything a command may need; each kind reads its own fields.
#[derive(Debug, Clone, Copy)]
struct Params {
    target: Target,
    /// Texts (reason, result, note, answer…) of spaces only.
    blank: bool,
    /// Route / Reassign: a queue of the policy by index, `None` for one it does not know.
    queue: Option<u8>,
    /// Reassign straight to a person on the roster.
    assignee: Option<u8>,
    /// Close: how the result went back.
    by_email: bool,
    /// AskExtension: the asked date in minutes after the current resolve-by (≤ 0: not later).
    minutes: i16,
    /// DecideExtension.
    approve: bool,
    /// AddNote: index into `NOTE_KINDS`.
    note: u8,
    /// LogCall: the caller's contact, category, role and when the call was answered (minutes
    /// before now; `None`: the form does not say).
    contact: Contact,
    category: u8,
    caller: u8,
    answered: Option<i8>,
    /// LogCall: send an earlier call with an answered-at again, as its logger (`category`
    /// picks which), as a console does that lost the answer.
    resend: bool,
}

#[derive(Debug, Clone, Copy)]
struct Step {
    /// How far the clock moves before the command.
    wait_minutes: u32,
    what: What,
    who: Who,
    params: Params,
}

fn params() -> impl Strategy<Value = Params> {
    let target = prop_oneof![
        8 => any::<u8>().prop_map(Target::Fitting),
        3 => any::<u8>().prop_map(Target::Any),
        1 => Just(Target::Missing),
    ];
    let contact = prop_oneof![
        Just(Contact::Phone),
        Just(Contact::Email),
        Just(Contact::Both)
    ];
    // the technical queue more often: the vendor representative works there, so only its
    // requests go to the vendor
    let tech = Policy::parse(DEFAULT_POLICY_TOML)
        .expect("the shipped policy")
        .queues
        .iter()
        .position(|queue| queue.key == "tech")
        .and_then(|index| u8::try_from(index).ok())
        .expect("the shipped policy has the technical queue");
    let queue = prop_oneof![
        8 => (0u8..4).prop_map(Some),
        3 => Just(Some(tech)),
        1 => Just(None),
    ];
    (
        (
            target,
            prop::bool::weighted(0.1),
            queue,
            proptest::option::weighted(0.4, 0u8..9),
            any::<bool>(),
            -120i16..3000,
            prop::bool::weighted(0.15),
        ),
        (
            any::<bool>(),
            0u8..4,
            contact,
            0u8..6,
            0u8..3,
            proptest::option::of(prop_oneof![3 => -2i8..=0, 1 => -30i8..=0]),
        ),
    )
        .prop_map(
            |(
                (target, blank, queue, assignee, by_email, minutes, resend),
                (approve, note, contact, category, caller, answered),
            )| Params {
                target,
                blank,
                queue,
                assignee,
                by_email,
                minutes,
                approve,
                note,
                contact,
                category,
                caller,
                answered,
                resend,
            },
        )
}

fn step() -> impl Strategy<Value = Step> {
    let wait = prop_oneof![
        2 => Just(0u32),
        4 => 1u32..30,
        2 => 30u32..600,
        1 => 600u32..3000,
    ];
    let what = prop_oneof![
        3 => any::<u8>().prop_map(What::Fitting),
        1 => proptest::sample::select(KINDS.to_vec()).prop_map(What::Given),
    ];
    let who = prop_oneof![
        9 => any::<u8>().prop_map(Who::Fitting),
        3 => any::<u8>().prop_map(Who::Anyone),
        1 => any::<u8>().prop_map(Who::Unseeing),
    ];
    (wait, what, who, params()).prop_map(|(wait_minutes, what, who, params)| Step {
        wait_minutes,
        what,
        who,
        params,
    })
}

// ---------------------------------------------------------------------------------------------
// The oracle: issue 4's table and the state machine, written out here

/// Whether the table lets `actor` send `kind` about `request` (`None`: a call, or a request
/// that does not exist). Every command on a request first needs the actor to see it, so a
/// command added to `table` without that rule in the service fails the property.
fn permitted(actor: &Staff, kind: Kind, request: Option<&Request>, policy: &Policy) -> bool {
    request.is_none_or(|request| sees(actor, request, policy))
        && table(actor, kind, request, policy)
}

/// Whether `actor` sees `request` at all: the dispatchers and the head every request, a
/// specialist the requests in a queue of their role (the director and the admin none).
fn sees(actor: &Staff, request: &Request, policy: &Policy) -> bool {
    let sees_every_queue = [Role::Operator, Role::SiteAdmin, Role::Head]
        .iter()
        .any(|role| actor.has(*role));
    let own_queue = request
        .queue
        .as_deref()
        .and_then(|queue| policy.queue(queue))
        .is_some_and(|queue| actor.has(queue.role));
    !actor.disabled && (sees_every_queue || own_queue)
}

/// Who may send `kind` by its own row of the table, sight aside.
fn table(actor: &Staff, kind: Kind, request: Option<&Request>, policy: &Policy) -> bool {
    let head = actor.has(Role::Head);
    match kind {
        // log, route: operator, site admin, head
        Kind::LogCall | Kind::Route => [Role::Operator, Role::SiteAdmin, Role::Head]
            .iter()
            .any(|role| actor.has(*role)),
        // take, note, close, return, ask for more time: the queue's own role only (the head
        // works the head's queue)
        Kind::Take
        | Kind::AddNote
        | Kind::Close
        | Kind::ReturnToDispatcher
        | Kind::AskExtension => request
            .and_then(|request| request.queue.as_deref())
            .and_then(|queue| policy.queue(queue))
            .is_some_and(|queue| actor.has(queue.role)),
        // approve an extension, reopen, reassign anything: the head only
        Kind::DecideExtension | Kind::Reopen | Kind::Reassign => head,
        // cancel: the head, or the operator / site admin who logged it
        Kind::Cancel => {
            head || (request.is_some_and(|request| request.logged_by == actor.login)
                && (actor.has(Role::Operator) || actor.has(Role::SiteAdmin)))
        }
        // the vendor: only the designated representative, whatever the roles (and only for
        // requests he sees: a technician does not escalate a psychologist's request)
        Kind::Escalate | Kind::VendorAnswer => actor.vendor_rep,
        // change the type: the dispatchers and the head; a psychologist's request only by
        // someone who reads it whole (its texts would otherwise reach every dispatcher)
        Kind::ChangeType => {
            let dispatcher = [Role::Operator, Role::SiteAdmin, Role::Head]
                .iter()
                .any(|role| actor.has(*role));
            let confidential = request.is_some_and(|request| request.category == Category::Psych);
            dispatcher && (!confidential || head || actor.has(Role::Psych))
        }
    }
}

/// Whether the state machine lets `kind` start from the request's state (inputs aside).
fn state_fits(kind: Kind, request: &Request) -> bool {
    use Status::*;
    let status = request.status;
    match kind {
        Kind::LogCall => false,
        Kind::Route => status == New,
        Kind::Take => status == Routed,
        Kind::AddNote => matches!(status, Routed | InWork | WaitingVendor),
        Kind::Close | Kind::Escalate => status == InWork,
        Kind::ReturnToDispatcher | Kind::Reassign => matches!(status, Routed | InWork),
        Kind::AskExtension => {
            matches!(status, InWork | WaitingVendor) && !request.extension_pending()
        }
        Kind::DecideExtension => status.is_open() && request.extension_pending(),
        Kind::Reopen => status == Resolved,
        Kind::Cancel => status.is_open(),
        Kind::VendorAnswer => status == WaitingVendor,
        Kind::ChangeType => status.is_open(),
    }
}

/// Whether the command's own inputs are acceptable for this request.
fn inputs_fit(kind: Kind, params: &Params, request: &Request) -> bool {
    match kind {
        Kind::LogCall | Kind::Take | Kind::DecideExtension => true,
        Kind::Route | Kind::Reassign => params.queue.is_some(),
        // a contact attempt may go without a text, an internal note may not
        Kind::AddNote => !params.blank || note_kind(params) != NoteKind::Internal,
        Kind::Close => {
            let given = if params.by_email {
                request.caller.email.is_some()
            } else {
                request.caller.phone.is_some()
            };
            !params.blank && given
        }
        Kind::AskExtension => !params.blank && params.minutes > 0,
        Kind::ChangeType => new_category(params) != request.category,
        Kind::ReturnToDispatcher
        | Kind::Reopen
        | Kind::Cancel
        | Kind::Escalate
        | Kind::VendorAnswer => !params.blank,
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

/// ChangeType: the type it is given.
fn new_category(params: &Params) -> Category {
    Category::ALL[usize::from(params.category) % Category::ALL.len()]
}

fn note_kind(params: &Params) -> NoteKind {
    NOTE_KINDS[usize::from(params.note) % NOTE_KINDS.len()]
}

fn return_channel(params: &Params) -> ReturnChannel {
    if params.by_email {
        ReturnChannel::Email
    } else {
        ReturnChannel::Phone
    }
}

fn queue_key(policy: &Policy, queue: Option<u8>) -> String {
    match queue {
        Some(index) => policy.queues[usize::from(index) % policy.queues.len()]
            .key
            .clone(),
        None => "nowhere".into(),
    }
}

fn contacts(contact: Contact) -> (bool, bool) {
    match contact {
        Contact::Phone => (true, false),
        Contact::Email => (false, true),
        Contact::Both => (true, true),
    }
}

/// A valid Appendix-2 form.
fn draft(params: &Params, now: Timestamp) -> CallDraft {
    let role = CallerRole::ALL[usize::from(params.caller) % CallerRole::ALL.len()];
    let (phone, email) = contacts(params.contact);
    CallDraft {
        answered_at: params
            .answered
            .map(|minutes| now.plus_minutes(i64::from(minutes))),
        name: "Петрова Анна Ивановна".into(),
        role: Some(role),
        class: if role.needs_class() {
            "5А".into()
        } else {
            String::new()
        },
        category: Some(Category::ALL[usize::from(params.category) % Category::ALL.len()]),
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
        caller_card: None,
        acknowledge: false,
    }
}

/// The command a step sends, and the audit action it must leave when accepted.
fn command(
    kind: Kind,
    params: &Params,
    id: RequestId,
    request: Option<&Request>,
    roster: &[Staff],
    policy: &Policy,
    now: Timestamp,
) -> (Command, AuditAction) {
    let blank = params.blank;
    match kind {
        Kind::LogCall => (
            Command::LogCall {
                draft: draft(params, now),
                channel: Channel::Phone,
            },
            AuditAction::Logged,
        ),
        Kind::Route => {
            let queue = queue_key(policy, params.queue);
            (
                Command::Change {
                    id,
                    change: Change::Route {
                        queue: queue.clone(),
                    },
                },
                AuditAction::Routed { queue },
            )
        }
        Kind::Take => (
            Command::Change {
                id,
                change: Change::Take,
            },
            AuditAction::Taken,
        ),
        Kind::AddNote => {
            let kind = note_kind(params);
            (
                Command::Change {
                    id,
                    change: Change::Note {
                        kind,
                        text: text(blank, "перезвонить после 15:00"),
                    },
                },
                AuditAction::Noted { kind },
            )
        }
        Kind::Close => (
            Command::Change {
                id,
                change: Change::Resolve {
                    text: text(blank, "Сбросили пароль, дневник открывается"),
                    returned_by: return_channel(params),
                    message: None,
                },
            },
            AuditAction::Resolved,
        ),
        Kind::ReturnToDispatcher => (
            Command::Change {
                id,
                change: Change::Return {
                    reason: text(blank, "это вопрос к учителю"),
                },
            },
            AuditAction::Returned,
        ),
        Kind::AskExtension => {
            let resolve_by = request.map_or(now, |request| request.deadlines.resolve_by);
            let until = resolve_by.plus_minutes(i64::from(params.minutes));
            (
                Command::Change {
                    id,
                    change: Change::AskExtension {
                        reason: text(blank, "ждём поставщика"),
                        until,
                    },
                },
                AuditAction::ExtensionAsked { until },
            )
        }
        Kind::DecideExtension => (
            Command::Change {
                id,
                change: Change::DecideExtension {
                    approve: params.approve,
                    note: if params.approve {
                        "согласовано"
                    } else {
                        ""
                    }
                    .into(),
                },
            },
            AuditAction::ExtensionDecided {
                approved: params.approve,
            },
        ),
        Kind::Reassign => {
            let queue = queue_key(policy, params.queue);
            let assignee = params
                .assignee
                .map(|index| roster[usize::from(index) % roster.len()].login.clone());
            (
                Command::Change {
                    id,
                    change: Change::Reassign {
                        queue: queue.clone(),
                        assignee: assignee.clone(),
                        comment: String::new(),
                    },
                },
                AuditAction::Reassigned { queue, assignee },
            )
        }
        Kind::Reopen => (
            Command::Change {
                id,
                change: Change::Reopen {
                    reason: text(blank, "родитель перезвонил: не работает"),
                },
            },
            AuditAction::Reopened,
        ),
        Kind::Cancel => {
            let reason = text(blank, "дубликат");
            (
                Command::Change {
                    id,
                    change: Change::Cancel {
                        reason: reason.clone(),
                    },
                },
                AuditAction::Cancelled {
                    reason: reason.trim().to_string(),
                },
            )
        }
        Kind::Escalate => (
            Command::Change {
                id,
                change: Change::Escalate {
                    reformulated: text(blank, "Вход в дневник возвращает на страницу входа"),
                    ticket: text(blank, "VND-4711"),
                },
            },
            AuditAction::Escalated,
        ),
        Kind::VendorAnswer => (
            Command::Change {
                id,
                change: Change::VendorAnswer {
                    answer: text(blank, "Исправлено в версии 2.4.1"),
                },
            },
            AuditAction::VendorAnswered,
        ),
        Kind::ChangeType => {
            let to = new_category(params);
            (
                Command::Change {
                    id,
                    change: Change::ChangeType { category: to },
                },
                AuditAction::TypeChanged {
                    // a missing request has no type; the command is refused before the audit
                    from: request.map_or(to, |request| request.category),
                    to,
                },
            )
        }
    }
}

/// Per command over the whole run: accepted, refused by the table, refused otherwise.
type Coverage = BTreeMap<Kind, [u32; 3]>;

/// One case: a fresh store, its clock and roster, and what the test knows of the past.
struct Run {
    service: Service,
    clock: ManualClock,
    roster: Vec<Staff>,
    /// The calls logged with an answered-at, and who logged them, in order.
    calls: Vec<(String, CallDraft)>,
    /// (logger, answered at) of each of them → its request: the same call sent again is
    /// that request (`Command::LogCall`).
    intake: HashMap<(String, i64), RequestId>,
    /// Accepted commands that wrote something (one audit event each).
    accepted: u64,
    /// What each step did, printed with a failure.
    trace: Vec<String>,
    _dir: tempfile::TempDir,
}

/// One interpreted step.
struct Act<'a> {
    kind: Kind,
    params: &'a Params,
    actor: &'a Staff,
    action: AuditAction,
    /// The form a call sent.
    draft: Option<&'a CallDraft>,
    now: Timestamp,
    /// Audit events of the request before the command (none for a call).
    events_before: usize,
    what: &'a str,
}

impl Run {
    fn new() -> Run {
        let dir = tempfile::tempdir().expect("a temp dir");
        let clock = ManualClock::new(T0);
        let store = Store::open(dir.path()).expect("open the store");
        let roster = roster();
        let admin = roster
            .iter()
            .find(|member| member.has(Role::Admin))
            .expect("an admin");
        store.initialize(admin).expect("initialise the store");
        for member in &roster {
            store.put_staff(member).expect("add staff");
        }
        store.flush().expect("flush");
        // the model counts deadlines on the clock
        let policy = Policy::parse(&common::clock_policy()).expect("the shipped policy");
        Run {
            service: Service::new(store, policy, Arc::new(clock.clone())),
            clock,
            roster,
            calls: Vec::new(),
            intake: HashMap::new(),
            accepted: 0,
            trace: Vec::new(),
            _dir: dir,
        }
    }

    fn records(&self) -> Records<'_> {
        self.service.records()
    }

    fn all(&self) -> Vec<Request> {
        self.records()
            .all_requests(None)
            .collect::<Result<_, _>>()
            .expect("read the requests")
    }

    fn step(&mut self, step: &Step, coverage: &RefCell<Coverage>) -> Result<(), TestCaseError> {
        self.clock.advance_minutes(i64::from(step.wait_minutes));
        let now = self.clock.now();
        let policy = self.service.policy().clone();
        let before = self.all();
        let events_before = self.records().event_count().unwrap();
        prop_assert_eq!(events_before, self.accepted);
        let params = &step.params;

        // which command
        let kind = match step.what {
            What::Given(kind) => kind,
            What::Fitting(pick) => {
                // the later moves of a life more often than a new call or a cancellation
                let fitting: Vec<Kind> = KINDS
                    .into_iter()
                    .filter(|kind| {
                        *kind == Kind::LogCall || before.iter().any(|r| state_fits(*kind, r))
                    })
                    .flat_map(|kind| {
                        let weight = match kind {
                            Kind::Cancel => 1,
                            Kind::LogCall => 2,
                            Kind::Route | Kind::Take => 3,
                            Kind::AddNote | Kind::ReturnToDispatcher | Kind::Reassign => 4,
                            Kind::AskExtension => 6,
                            // only the technical queue's requests go to the vendor (its
                            // representative works there): often, so that some do
                            Kind::Escalate => 12,
                            Kind::VendorAnswer => 24,
                            _ => 8,
                        };
                        std::iter::repeat_n(kind, weight)
                    })
                    .collect();
                fitting[usize::from(pick) % fitting.len()]
            }
        };

        // about which request
        let pick = |pick: u8, among: &[&Request]| among[usize::from(pick) % among.len()].clone();
        let everything: Vec<&Request> = before.iter().collect();
        let request: Option<Request> = match params.target {
            _ if kind == Kind::LogCall => None,
            Target::Missing => None,
            _ if before.is_empty() => None,
            Target::Any(index) => Some(pick(index, &everything)),
            Target::Fitting(index) => {
                let fitting: Vec<&Request> =
                    before.iter().filter(|r| state_fits(kind, r)).collect();
                if fitting.is_empty() {
                    Some(pick(index, &everything))
                } else {
                    Some(pick(index, &fitting))
                }
            }
        };
        let id = request.as_ref().map_or(MISSING, |request| request.id);
        let exists = request.is_some() || kind == Kind::LogCall;

        // a call sent again comes from whoever logged it
        let resent = (kind == Kind::LogCall && params.resend && !self.calls.is_empty())
            .then(|| self.calls[usize::from(params.category) % self.calls.len()].clone());

        // who
        let actor = match step.who {
            _ if resent.is_some() => {
                let login = &resent.as_ref().unwrap().0;
                self.roster
                    .iter()
                    .find(|member| &member.login == login)
                    .expect("the logger is on the roster")
                    .clone()
            }
            Who::Anyone(index) => self.roster[usize::from(index) % self.roster.len()].clone(),
            Who::Fitting(index) => {
                let fitting: Vec<&Staff> = self
                    .roster
                    .iter()
                    .filter(|member| permitted(member, kind, request.as_ref(), &policy))
                    .collect();
                if fitting.is_empty() {
                    self.roster[usize::from(index) % self.roster.len()].clone()
                } else {
                    fitting[usize::from(index) % fitting.len()].clone()
                }
            }
            Who::Unseeing(index) => {
                let unseeing: Vec<&Staff> = self
                    .roster
                    .iter()
                    .filter(|member| {
                        request.as_ref().is_some_and(|request| {
                            !sees(member, request, &policy)
                                && table(member, kind, Some(request), &policy)
                        })
                    })
                    .collect();
                if unseeing.is_empty() {
                    self.roster[usize::from(index) % self.roster.len()].clone()
                } else {
                    unseeing[usize::from(index) % unseeing.len()].clone()
                }
            }
        };

        let allowed = exists && permitted(&actor, kind, request.as_ref(), &policy);
        let expect_ok = allowed
            && request.as_ref().is_none_or(|request| {
                state_fits(kind, request) && inputs_fit(kind, params, request)
            });
        let (mut command, action) = command(
            kind,
            params,
            id,
            request.as_ref(),
            &self.roster,
            &policy,
            now,
        );
        if let Some((_, draft)) = &resent {
            command = Command::LogCall {
                draft: draft.clone(),
                channel: Channel::Phone,
            };
        }
        let events_of_request = self.records().events_of(id).unwrap().len();
        let outcome = self.service.execute(&actor, command.clone());

        let after = self.all();
        let events_after = self.records().event_count().unwrap();
        let on = match &request {
            _ if resent.is_some() => "a call sent again".to_string(),
            _ if kind == Kind::LogCall => "a new call".to_string(),
            Some(request) => format!("{id} ({})", request.status.key()),
            None => format!("{id}, which does not exist"),
        };
        let what = format!(
            "{kind:?} by {} on {on} at +{} min: {}",
            actor.login,
            (now.0 - T0.0) / MINUTE_MS,
            match &outcome {
                Ok(_) => "accepted".to_string(),
                Err(error) => format!("refused: {error}"),
            }
        );
        self.trace.push(format!("{command:?}\n      {what}"));
        {
            let mut coverage = coverage.borrow_mut();
            let counts = coverage.entry(kind).or_default();
            match (&outcome, allowed) {
                (Ok(_), _) => counts[0] += 1,
                (Err(_), false) if exists => counts[1] += 1,
                (Err(_), _) => counts[2] += 1,
            }
        }

        // 5. the director and the admin do none of the request commands; whatever the table
        // forbids is refused; what it allows and the state machine permits goes through
        if actor
            .roles
            .iter()
            .all(|role| matches!(role, Role::Director | Role::Admin))
            && !actor.vendor_rep
        {
            prop_assert!(outcome.is_err(), "the table forbids it: {}", what);
        }
        if !allowed {
            prop_assert!(outcome.is_err(), "the table forbids it: {}", what);
            // refused for who the actor is, or for an argument checked before that
            if exists {
                let kind = outcome.as_ref().err().map(ServiceError::kind);
                prop_assert!(
                    matches!(
                        kind,
                        Some(
                            FailureKind::Denied
                                | FailureKind::NotVisible
                                | FailureKind::UnknownQueue
                                | FailureKind::TooLong
                        )
                    ),
                    "refused as forbidden ({:?}): {}",
                    kind,
                    what
                );
            }
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
                let act = Act {
                    kind,
                    params,
                    actor: &actor,
                    action,
                    draft: match &command {
                        Command::LogCall { draft, .. } => Some(draft),
                        _ => None,
                    },
                    now,
                    // (a call names no stored request: none)
                    events_before: events_of_request,
                    what: &what,
                };
                match request.as_ref() {
                    None => self.logged(&act, reply, &before, &after)?,
                    Some(request) => self.changed(&act, request, &before, &after)?,
                }
            }
        }
        prop_assert_eq!(self.records().event_count().unwrap(), self.accepted);
        check_invariants(self.records(), &after, &policy)
    }

    /// An accepted call: one new request in Входящие, or — the same call sent again — the
    /// request already stored and nothing written.
    fn logged(
        &mut self,
        act: &Act,
        reply: &Reply,
        before: &[Request],
        after: &[Request],
    ) -> Result<(), TestCaseError> {
        let (now, what) = (act.now, act.what);
        let deadlines = self.service.policy().deadlines;
        let draft = act.draft.expect("a call sends a form");
        // received when answered, never in the future
        let received = draft.answered_at.map_or(now, |answered| answered.min(now));
        let Reply::Logged { request: logged } = reply else {
            return Err(TestCaseError::fail(format!("not a Logged reply: {what}")));
        };
        let key = draft
            .answered_at
            .map(|answered| (act.actor.login.clone(), answered.0));
        if let Some(key) = &key {
            if let Some(known) = self.intake.get(key) {
                prop_assert_eq!(logged.id, *known, "a resent call: {}", what);
                prop_assert_eq!(after, before, "a resent call changed requests: {}", what);
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
        let new = &after[before.len()];
        prop_assert_eq!(new.id, logged.id);
        if let Some(key) = key {
            self.intake.insert(key, new.id);
            self.calls.push((act.actor.login.clone(), draft.clone()));
        }
        prop_assert_eq!(new.status, Status::New);
        prop_assert_eq!(&new.logged_by, &act.actor.login);
        prop_assert_eq!(new.received_at, received);
        prop_assert_eq!(
            new.deadlines,
            Deadlines {
                route_by: received.plus_minutes(deadlines.route_minutes),
                take_by: None,
                resolve_by: received.plus_hours(deadlines.resolve_hours),
            },
            "deadlines of a new request: {}",
            what
        );
        prop_assert_eq!(new.caller.phone.is_some(), !draft.phone.is_empty());
        prop_assert_eq!(new.caller.email.is_some(), !draft.email.is_empty());
        self.accepted += 1;
        self.audited(act, new.id)
    }

    /// An accepted command on request `b`: it alone changed, as the move says, with one
    /// audit event, and its deadlines moved only by the rules.
    fn changed(
        &mut self,
        act: &Act,
        b: &Request,
        before: &[Request],
        after: &[Request],
    ) -> Result<(), TestCaseError> {
        let (actor, params, now, what) = (act.actor, act.params, act.now, act.what);
        let policy = self.service.policy().clone();
        let spans = policy.deadlines;
        prop_assert_eq!(after.len(), before.len(), "{}", what);
        for (x, y) in before.iter().zip(after) {
            if x.id != b.id {
                prop_assert_eq!(x, y, "another request changed: {}", what);
            }
        }
        let a = after
            .iter()
            .find(|r| r.id == b.id)
            .expect("the request is still stored");
        self.accepted += 1;
        self.audited(act, b.id)?;

        // 4. the deadlines each move may change; everything else keeps them
        let mut deadlines = b.deadlines;
        match act.kind {
            Kind::Route => {
                prop_assert_eq!(a.status, Status::Routed);
                prop_assert_eq!(a.queue.clone(), Some(queue_key(&policy, params.queue)));
                prop_assert_eq!(&a.assignee, &None);
                prop_assert_eq!(a.routed_at, Some(now));
                deadlines.take_by = Some(now.plus_minutes(spans.take_minutes));
            }
            Kind::Take => {
                prop_assert_eq!(a.status, Status::InWork);
                prop_assert_eq!(&a.queue, &b.queue);
                prop_assert_eq!(a.assignee.as_deref(), Some(actor.login.as_str()));
                prop_assert_eq!(a.taken_at, Some(now));
            }
            Kind::AddNote => {
                prop_assert_eq!(a.status, b.status);
                prop_assert_eq!(a.notes.len(), b.notes.len() + 1);
                let note = a.notes.last().unwrap();
                prop_assert_eq!(&note.author, &actor.login);
                prop_assert_eq!(note.kind, note_kind(params));
            }
            Kind::Close => {
                // 2. the result went back the way the caller could be reached
                prop_assert_eq!(a.status, Status::Resolved);
                let result = a.result.as_ref().expect("a result");
                prop_assert_eq!(result.returned_by, return_channel(params));
                prop_assert_eq!(result.at, now);
                prop_assert_eq!(a.closed_at, Some(now));
            }
            Kind::ReturnToDispatcher => {
                // a fresh route-by; resolve-by keeps running
                prop_assert_eq!(a.status, Status::New);
                prop_assert_eq!(&a.queue, &None);
                prop_assert_eq!(&a.assignee, &None);
                deadlines.route_by = now.plus_minutes(spans.route_minutes);
                deadlines.take_by = None;
            }
            Kind::AskExtension => {
                prop_assert_eq!(a.status, b.status);
                prop_assert!(a.extension_pending());
                let extension = a.extension.as_ref().unwrap();
                prop_assert_eq!(&extension.asked_by, &actor.login);
                prop_assert!(extension.until > b.deadlines.resolve_by);
            }
            Kind::DecideExtension => {
                let asked = b.extension.as_ref().expect("a pending extension");
                let decided = a.extension.as_ref().expect("a decided extension");
                let state = if params.approve {
                    ExtensionState::Approved
                } else {
                    ExtensionState::Denied
                };
                prop_assert_eq!(decided.state, state);
                prop_assert_eq!(decided.until, asked.until);
                prop_assert_eq!(decided.decided_by.as_deref(), Some(actor.login.as_str()));
                prop_assert_eq!(a.status, b.status);
                if params.approve {
                    deadlines.resolve_by = asked.until;
                }
            }
            Kind::Reassign => {
                prop_assert_eq!(a.queue.clone(), Some(queue_key(&policy, params.queue)));
                prop_assert_eq!(a.routed_at, Some(now));
                match params.assignee {
                    Some(index) => {
                        let person = &self.roster[usize::from(index) % self.roster.len()].login;
                        prop_assert_eq!(a.status, Status::InWork);
                        prop_assert_eq!(a.assignee.as_ref(), Some(person));
                        deadlines.take_by = None;
                    }
                    None => {
                        prop_assert_eq!(a.status, Status::Routed);
                        prop_assert_eq!(&a.assignee, &None);
                        deadlines.take_by = Some(now.plus_minutes(spans.take_minutes));
                    }
                }
            }
            Kind::Reopen => {
                // lifecycle::reopen: back in work in the same queue with the same assignee,
                // the result gone, every deadline as it was
                prop_assert_eq!(a.status, Status::InWork);
                prop_assert_eq!(&a.result, &None);
                prop_assert_eq!(a.closed_at, None);
                prop_assert_eq!(&a.queue, &b.queue);
                prop_assert_eq!(&a.assignee, &b.assignee);
            }
            Kind::Cancel => {
                prop_assert_eq!(a.status, Status::Cancelled);
                prop_assert_eq!(a.cancel_reason.as_deref(), Some("дубликат"));
                prop_assert_eq!(a.closed_at, Some(now));
            }
            Kind::Escalate => {
                prop_assert_eq!(a.status, Status::WaitingVendor);
                prop_assert_eq!(a.vendor.len(), b.vendor.len() + 1);
                prop_assert_eq!(&a.vendor.last().unwrap().sent_by, &actor.login);
            }
            Kind::VendorAnswer => {
                prop_assert_eq!(a.status, Status::InWork);
                prop_assert!(a.vendor.last().unwrap().answer.is_some());
            }
            Kind::ChangeType => {
                prop_assert_eq!(a.category, new_category(params));
                prop_assert_eq!(a.status, b.status);
                prop_assert_eq!(&a.queue, &b.queue);
            }
            Kind::LogCall => unreachable!("a call names no request"),
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

    /// Invariant 3: exactly one new audit event, and it is this command's: its actor, its
    /// request, its time and its action.
    fn audited(&self, act: &Act, id: RequestId) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            self.records().event_count().unwrap(),
            self.accepted,
            "not exactly one audit event: {}",
            act.what
        );
        let events = self.records().events_of(id).unwrap();
        let last = events.last().expect("an audit event");
        prop_assert_eq!(&last.actor, &act.actor.login, "{}", act.what);
        prop_assert_eq!(last.request, id);
        prop_assert_eq!(last.at, act.now);
        prop_assert_eq!(&last.action, &act.action, "{}", act.what);
        prop_assert_eq!(
            events.len(),
            act.events_before + 1,
            "one more event of {}: {}",
            id,
            act.what
        );
        Ok(())
    }
}

/// Invariants 1 and 2, over every stored request.
fn check_invariants(
    store: Records<'_>,
    all: &[Request],
    policy: &Policy,
) -> Result<(), TestCaseError> {
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
    prop_assert_eq!(open_records, open, "the open requests");
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
                prop_assert!(in_known_queue, "{} in {:?}", request.id, request.queue);
                prop_assert_eq!(&request.assignee, &None);
                prop_assert!(request.deadlines.take_by.is_some());
            }
            Status::InWork | Status::WaitingVendor => {
                prop_assert!(in_known_queue, "{} in {:?}", request.id, request.queue);
                prop_assert!(request.assignee.is_some());
            }
            Status::Resolved => {
                let Some(result) = request.result.as_ref() else {
                    return Err(TestCaseError::fail(format!(
                        "{} resolved without a result",
                        request.id
                    )));
                };
                let given = match result.returned_by {
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
        // a failure is printed shrunk; no regression file is written next to the tests
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let coverage = RefCell::new(Coverage::new());
    // one fixed sequence of cases: the coverage asserted below (each command went through at
    // least once) held for most random seeds, not for all, and a CI run must not depend on one
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&proptest::collection::vec(step(), 1..=MAX_STEPS), |steps| {
        let mut run = Run::new();
        for step in &steps {
            if let Err(error) = run.step(step, &coverage) {
                return Err(TestCaseError::fail(format!(
                    "{error}\nwhat the steps did:\n  {}",
                    run.trace.join("\n  ")
                )));
            }
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
        println!("{:>20}: {counts:?}", format!("{kind:?}"));
    }
    for kind in KINDS {
        let counts = coverage.get(&kind).copied().unwrap_or_default();
        assert!(counts[0] > 0, "{kind:?} never went through: {counts:?}");
        assert!(
            counts[1] > 0,
            "{kind:?} was never refused by the table: {counts:?}"
        );
    }
}

/// `Command::LogCall`: "sending the same call again (same person, same answered-at) returns
/// the request already stored" — also when the console's clock ran ahead of the server's,
/// so that the request's received-at was clamped to the server's now.
#[test]
fn a_call_answered_ahead_of_the_servers_clock_is_one_request_however_often_it_is_sent() {
    let run = Run::new();
    let operator = run
        .roster
        .iter()
        .find(|member| member.has(Role::Operator))
        .expect("an operator")
        .clone();
    let call = CallDraft {
        answered_at: Some(T0.plus_minutes(5)),
        ..draft(
            &Params {
                target: Target::Missing,
                blank: false,
                queue: None,
                assignee: None,
                by_email: false,
                minutes: 0,
                approve: false,
                note: 0,
                contact: Contact::Phone,
                category: 0,
                caller: 0,
                answered: None,
                resend: false,
            },
            T0,
        )
    };
    let send = || match run.service.execute(
        &operator,
        Command::LogCall {
            draft: call.clone(),
            channel: Channel::Phone,
        },
    ) {
        Ok((Reply::Logged { request }, _)) => request,
        other => panic!("the call was not logged: {other:?}"),
    };
    let first = send();
    assert_eq!(
        first.received_at, T0,
        "received-at is clamped to the server's now"
    );
    // the console lost the answer and sends the same call a minute later
    run.clock.advance_minutes(1);
    let again = send();
    assert_eq!(
        again.id, first.id,
        "the same call sent again became a second request"
    );
    assert_eq!(run.all().len(), 1);
    assert_eq!(run.records().event_count().unwrap(), 1);
}

/// The model, and the service, refuse every command on a request its sender may not see:
/// the vendor representative (a technician) may escalate a technical request but not a
/// psychologist's confidential one.
#[test]
fn the_vendor_representative_escalates_only_requests_he_may_see() {
    let run = Run::new();
    let policy = run.service.policy().clone();
    let member = |login: &str| {
        run.roster
            .iter()
            .find(|member| member.login == login)
            .expect("on the roster")
            .clone()
    };
    let (operator, vendor) = (member("operator"), member("vendor"));
    let in_work = |category: Category, queue: &str, specialist: &Staff| {
        let mut call = draft(
            &Params {
                target: Target::Missing,
                blank: false,
                queue: None,
                assignee: None,
                by_email: false,
                minutes: 0,
                approve: false,
                note: 0,
                contact: Contact::Phone,
                category: 0,
                caller: 0,
                answered: None,
                resend: false,
            },
            run.clock.now(),
        );
        call.category = Some(category);
        let Ok((Reply::Logged { request }, _)) = run.service.execute(
            &operator,
            Command::LogCall {
                draft: call,
                channel: Channel::Phone,
            },
        ) else {
            panic!("the call was not logged");
        };
        let routed = Command::Change {
            id: request.id,
            change: Change::Route {
                queue: queue.into(),
            },
        };
        run.service.execute(&operator, routed).expect("routed");
        let take = Command::Change {
            id: request.id,
            change: Change::Take,
        };
        run.service.execute(specialist, take).expect("taken");
        request.id
    };
    let escalate = |id: RequestId| Command::Change {
        id,
        change: Change::Escalate {
            reformulated: "Вход в дневник возвращает на страницу входа".into(),
            ticket: "VND-4711".into(),
        },
    };

    let psych = in_work(Category::Psych, "psych", &member("psych"));
    let before = run.all();
    let events = run.records().event_count().unwrap();
    let stored = before.iter().find(|r| r.id == psych).expect("stored");
    assert!(!permitted(&vendor, Kind::Escalate, Some(stored), &policy));
    let refused = run.service.execute(&vendor, escalate(psych));
    let Err(error) = refused else {
        panic!("the vendor representative escalated a psych request: {refused:?}");
    };
    assert_eq!(
        error.kind(),
        FailureKind::NotVisible,
        "the refusal says why: {error}"
    );
    assert_eq!(run.all(), before, "a refusal changed requests");
    assert_eq!(run.records().event_count().unwrap(), events);

    let technical = in_work(Category::Technical, "tech", &member("tech"));
    let stored = run.all().into_iter().find(|r| r.id == technical).unwrap();
    assert!(permitted(&vendor, Kind::Escalate, Some(&stored), &policy));
    run.service
        .execute(&vendor, escalate(technical))
        .expect("a technical request goes to the vendor");
}
