//! Every change to a stored request, declared once: what it carries (`Change`), which kind of
//! move it is (`Move`), who may make it (`Move::rule`), the statuses it starts from, what it
//! does to the request, what the audit log records, and what a console asks before sending it
//! (`Move::form`, `Move::build`). The service, the console and the rules table all read
//! these; a new change is a new variant here, and the compiler points at each arm it needs.

use serde::{Deserialize, Serialize};

use super::access::{Refusal, Rule, Who, DISPATCHERS, HEAD};
use super::audit::AuditAction;
use super::lifecycle::{self, TransitionError};
use super::policy::Policy;
use super::request::{Category, Note, NoteKind, Request, Resolution, ReturnChannel, Status};
use super::time::Timestamp;
use super::validate::{bounded, MAX_REASON};

/// A change a console or a script asks for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// From Входящие to a queue (by its key).
    Route { queue: String },
    /// Into work, by its queue's specialist.
    Take,
    /// A contact attempt or an internal note.
    Note { kind: NoteKind, text: String },
    /// Resolved, with the result and how it went back to the caller.
    Resolve {
        text: String,
        returned_by: ReturnChannel,
        /// The message by email as the specialist saw and edited it (None: the school's
        /// template filled in). Ignored when mail is not set up.
        message: Option<String>,
    },
    /// Wrong queue: back to Входящие with a fresh route-by.
    Return { reason: String },
    /// Ask the head for more time, up to `until`.
    AskExtension { reason: String, until: Timestamp },
    /// The head approves or denies the pending extension.
    DecideExtension { approve: bool, note: String },
    /// The head moves the request to another queue, or to a person in it.
    Reassign {
        queue: String,
        assignee: Option<String>,
        /// Why, for the specialist who gets it (kept as a note; may be empty).
        comment: String,
    },
    /// The head reopens a resolved request.
    Reopen { reason: String },
    /// A duplicate or spam request.
    Cancel { reason: String },
    /// The vendor representative files the request with the platform's vendor.
    Escalate {
        reformulated: String,
        ticket: String,
    },
    /// The vendor answered: back in work for the specialist to relay it.
    VendorAnswer { answer: String },
    /// The call was logged under the wrong type; the suggested queue follows the new one.
    ChangeType { category: Category },
}

/// The kinds of change, without what they carry.
// the order is the help screen's and the rules table's
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Move {
    Route,
    Take,
    Note,
    Resolve,
    Return,
    AskExtension,
    DecideExtension,
    Reassign,
    Reopen,
    Cancel,
    Escalate,
    VendorAnswer,
    ChangeType,
}

const QUEUE_SPECIALIST: &[Who] = &[Who::QueueSpecialist];

impl Move {
    pub const ALL: [Move; 13] = [
        Move::Route,
        Move::Take,
        Move::Note,
        Move::Resolve,
        Move::Return,
        Move::AskExtension,
        Move::DecideExtension,
        Move::Reassign,
        Move::Reopen,
        Move::Cancel,
        Move::Escalate,
        Move::VendorAnswer,
        Move::ChangeType,
    ];

    /// The verb, as a refusal says it ("нельзя взять в работу: …").
    pub fn label(self) -> &'static str {
        match self {
            Move::Route => tr!("move.route"),
            Move::Take => tr!("move.take"),
            Move::Resolve => tr!("move.resolve"),
            Move::Return => tr!("move.return"),
            Move::Escalate => tr!("move.escalate"),
            Move::VendorAnswer => tr!("move.vendor_answer"),
            Move::Reopen => tr!("move.reopen"),
            Move::Cancel => tr!("move.cancel"),
            Move::Note => tr!("move.note"),
            Move::AskExtension => tr!("move.ask_extension"),
            Move::DecideExtension => tr!("move.decide_extension"),
            Move::Reassign => tr!("move.reassign"),
            Move::ChangeType => tr!("move.change_type"),
        }
    }

    /// The statuses a move may start from.
    pub fn allowed_from(self, status: Status) -> bool {
        use Status::*;
        match self {
            Move::Route => status == New,
            Move::Take => status == Routed,
            Move::Resolve => status == InWork,
            Move::Return => matches!(status, Routed | InWork),
            Move::Escalate => status == InWork,
            Move::VendorAnswer => status == WaitingVendor,
            Move::Reopen => status == Resolved,
            Move::Cancel => status.is_open(),
            Move::Note => matches!(status, Routed | InWork | WaitingVendor),
            Move::AskExtension => matches!(status, InWork | WaitingVendor),
            Move::DecideExtension => status.is_open(),
            Move::Reassign => matches!(status, Routed | InWork),
            Move::ChangeType => status.is_open(),
        }
    }

    /// Who may make this move (the rules table of `domain::access`).
    pub fn rule(self) -> Rule {
        let rule = Rule::new;
        match self {
            Move::Route => rule(DISPATCHERS, Refusal::NotDispatcher),
            Move::Take | Move::Note | Move::Resolve | Move::Return | Move::AskExtension => {
                rule(QUEUE_SPECIALIST, Refusal::NotYourQueue)
            }
            Move::DecideExtension | Move::Reassign | Move::Reopen => {
                rule(&[HEAD], Refusal::HeadOnly)
            }
            Move::Cancel => rule(&[HEAD, Who::LoggedIt], Refusal::NotYours),
            Move::Escalate | Move::VendorAnswer => rule(&[Who::VendorRep], Refusal::NotVendorRep),
            // reclassifying a confidential request would show its texts to everyone: only
            // those who may read it whole (the head) may take it out of the psychologist's type
            Move::ChangeType => Rule {
                needs_whole_sight: true,
                ..rule(DISPATCHERS, Refusal::NotDispatcher)
            },
        }
    }

    /// The name of the move in `keymap.toml`, or None for a move with a flow of its own
    /// (routing has its digits and the suggested queue).
    pub fn key_name(self) -> Option<&'static str> {
        match self {
            Move::Route => None,
            Move::Take => Some("take"),
            Move::Note => Some("add_note"),
            Move::Resolve => Some("close_request"),
            Move::Return => Some("return_to_dispatcher"),
            Move::AskExtension => Some("ask_extension"),
            Move::DecideExtension => Some("decide_extension"),
            Move::Reassign => Some("reassign"),
            Move::Reopen => Some("reopen"),
            Move::Cancel => Some("cancel_request"),
            Move::Escalate => Some("escalate"),
            // the vendor's answer shares the escalation's key (see `for_request`)
            Move::VendorAnswer => None,
            Move::ChangeType => Some("change_type"),
        }
    }

    /// The move a key means for this request: the escalation key records the vendor's
    /// answer while the request waits for it.
    pub fn for_request(self, request: &Request) -> Move {
        match self {
            Move::Escalate if request.status == Status::WaitingVendor => Move::VendorAnswer,
            other => other,
        }
    }

    /// What the move's key does, for the help screen.
    pub fn hint(self) -> &'static str {
        match self {
            Move::Route => tr!("move.route"),
            Move::Take => tr!("move.hint.take"),
            Move::Note => tr!("move.hint.note"),
            Move::Resolve => tr!("move.resolve"),
            Move::Return => tr!("move.hint.return"),
            Move::AskExtension => tr!("move.hint.extension"),
            Move::DecideExtension => tr!("move.hint.decide"),
            Move::Reassign => tr!("move.hint.reassign"),
            Move::Reopen => tr!("move.hint.reopen"),
            Move::Cancel => tr!("move.hint.cancel"),
            Move::Escalate => tr!("move.hint.escalate"),
            Move::VendorAnswer => tr!("move.hint.vendor_answer"),
            Move::ChangeType => tr!("move.change_type"),
        }
    }

    /// What a console asks before it sends this move.
    pub fn form(self) -> Form {
        let form = |title, choice, text| Form {
            title,
            choice,
            text,
            second: None,
            starts_from_description: false,
        };
        match self {
            Move::Route => form(tr!("form.route.title"), Some(Choices::Queues), None),
            Move::Take => form(tr!("form.take.title"), None, None),
            Move::Note => form(
                tr!("form.note.title"),
                Some(Choices::NoteKinds),
                Some(tr!("form.note.text")),
            ),
            Move::Resolve => form(
                tr!("form.resolve.title"),
                Some(Choices::ReturnChannels),
                Some(tr!("form.resolve.text")),
            ),
            Move::Return => form(tr!("form.return.title"), None, Some(tr!("form.reason"))),
            Move::AskExtension => form(
                tr!("form.extension.title"),
                Some(Choices::ExtensionSpans),
                Some(tr!("form.reason")),
            ),
            Move::DecideExtension => form(
                tr!("form.decide.title"),
                Some(Choices::Decision),
                Some(tr!("form.comment")),
            ),
            Move::Reassign => form(
                tr!("form.reassign.title"),
                Some(Choices::Queues),
                Some(tr!("form.comment")),
            ),
            Move::Reopen => form(tr!("form.reopen.title"), None, Some(tr!("form.reason"))),
            Move::Cancel => form(tr!("form.cancel.title"), None, Some(tr!("form.reason"))),
            Move::Escalate => Form {
                second: Some(tr!("form.escalate.ticket")),
                starts_from_description: true,
                ..form(
                    tr!("form.escalate.title"),
                    None,
                    Some(tr!("form.escalate.text")),
                )
            },
            Move::VendorAnswer => form(
                tr!("form.vendor_answer.title"),
                None,
                Some(tr!("form.vendor_answer.text")),
            ),
            Move::ChangeType => form(
                tr!("form.change_type.title"),
                Some(Choices::Categories),
                None,
            ),
        }
    }

    /// The change from what was answered in the move's form, or what is still missing.
    pub fn build(self, answers: &Answers) -> Result<Change, Missing> {
        let text = answers.text.trim().to_string();
        let required = |label: &'static str| {
            if text.is_empty() {
                Err(Missing::Text(label))
            } else {
                Ok(text.clone())
            }
        };
        let picked = answers.picked.as_ref();
        Ok(match (self, picked) {
            (Move::Take, _) => Change::Take,
            (Move::Route, Some(Picked::Queue(queue))) => Change::Route {
                queue: queue.clone(),
            },
            (Move::Note, Some(Picked::NoteKind(kind))) => Change::Note {
                kind: *kind,
                // a contact attempt says itself; an internal note is nothing but its text
                text: if *kind == NoteKind::Internal {
                    required(tr!("form.note.text"))?
                } else {
                    text
                },
            },
            (Move::Resolve, Some(Picked::Channel(channel))) => Change::Resolve {
                text: required(tr!("form.resolve.text"))?,
                returned_by: *channel,
                message: answers.message.clone(),
            },
            (Move::Resolve, None) if answers.choices == 0 => return Err(Missing::NoContact),
            (Move::Return, _) => Change::Return {
                reason: required(tr!("form.reason"))?,
            },
            (Move::AskExtension, Some(Picked::Until(until))) => Change::AskExtension {
                reason: required(tr!("form.reason"))?,
                until: *until,
            },
            (Move::DecideExtension, Some(Picked::Approve(approve))) => Change::DecideExtension {
                approve: *approve,
                note: text,
            },
            (Move::Reassign, Some(Picked::Queue(queue))) => Change::Reassign {
                queue: queue.clone(),
                assignee: None,
                comment: text,
            },
            (Move::Reopen, _) => Change::Reopen {
                reason: required(tr!("form.reason"))?,
            },
            (Move::Cancel, _) => Change::Cancel {
                reason: required(tr!("form.reason"))?,
            },
            (Move::Escalate, _) => {
                let reformulated = required(tr!("form.escalate.text"))?;
                let ticket = answers.second.trim();
                if ticket.is_empty() {
                    return Err(Missing::Second(tr!("form.escalate.ticket")));
                }
                Change::Escalate {
                    reformulated,
                    ticket: ticket.to_string(),
                }
            }
            (Move::VendorAnswer, _) => Change::VendorAnswer {
                answer: required(tr!("form.vendor_answer.text"))?,
            },
            (Move::ChangeType, Some(Picked::Category(category))) => Change::ChangeType {
                category: *category,
            },
            (
                Move::Route
                | Move::Note
                | Move::Resolve
                | Move::AskExtension
                | Move::DecideExtension
                | Move::Reassign
                | Move::ChangeType,
                _,
            ) => return Err(Missing::Choice),
        })
    }
}

/// The window a console shows for a move: a numbered choice, a line of text, a second line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    pub title: &'static str,
    pub choice: Option<Choices>,
    /// The text line's label; None when the move takes no text.
    pub text: Option<&'static str>,
    /// A second, required line (the vendor's ticket number).
    pub second: Option<&'static str>,
    /// The text starts as the request's description (the vendor gets it reformulated).
    pub starts_from_description: bool,
}

/// What a move's form offers to choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choices {
    NoteKinds,
    /// Only the channels the caller gave.
    ReturnChannels,
    ExtensionSpans,
    Decision,
    Queues,
    Categories,
}

/// One chosen value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    NoteKind(NoteKind),
    Channel(ReturnChannel),
    /// An extension's new resolve-by.
    Until(Timestamp),
    Approve(bool),
    Queue(String),
    Category(Category),
}

/// One line of a choice: what it says and what it picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub label: String,
    pub picked: Picked,
}

const NOTE_KINDS: [NoteKind; 4] = [
    NoteKind::Phoned,
    NoteKind::NoAnswer,
    NoteKind::Emailed,
    NoteKind::Internal,
];
const EXTENSION_HOURS: [i64; 4] = [24, 48, 72, 168];

impl Choices {
    /// The lines to choose from for `request`, in the order their digits pick them.
    pub fn options(self, request: &Request, policy: &Policy) -> Vec<Choice> {
        let choice = |label: String, picked| Choice { label, picked };
        match self {
            Choices::NoteKinds => NOTE_KINDS
                .iter()
                .map(|kind| choice(kind.label().to_string(), Picked::NoteKind(*kind)))
                .collect(),
            Choices::ReturnChannels => {
                let caller = &request.caller;
                let phone = caller.phone.as_ref().map(|phone| {
                    choice(
                        tr!("choice.phoned", phone = phone.display()),
                        Picked::Channel(ReturnChannel::Phone),
                    )
                });
                let email = caller.email.as_ref().map(|email| {
                    choice(
                        tr!("choice.emailed", email = email),
                        Picked::Channel(ReturnChannel::Email),
                    )
                });
                phone.into_iter().chain(email).collect()
            }
            Choices::ExtensionSpans => {
                let hours = policy.service_hours();
                EXTENSION_HOURS
                    .iter()
                    .map(|span| {
                        let from = request.deadlines.resolve_by;
                        // an extension counts as resolve-by does: in the hours the service
                        // works where the policy says so, and the label then says until when
                        let (until, in_service_time) =
                            policy.due(hours.as_ref(), "resolve", from, span * 60);
                        let label = match (in_service_time, &hours, span) {
                            (true, Some(hours), _) => tr!(
                                "choice.extension_service_hours",
                                hours = span,
                                until = hours.local(until).format("%d.%m %H:%M")
                            ),
                            (_, _, 168) => tr!("choice.extension_week").to_string(),
                            _ => tr!("choice.extension_hours", hours = span),
                        };
                        choice(label, Picked::Until(until))
                    })
                    .collect()
            }
            Choices::Decision => vec![
                choice(tr!("choice.approve").into(), Picked::Approve(true)),
                choice(tr!("choice.deny").into(), Picked::Approve(false)),
            ],
            Choices::Queues => policy
                .queues
                .iter()
                .map(|queue| {
                    let name = policy.queue_name(&queue.key).to_string();
                    choice(name, Picked::Queue(queue.key.clone()))
                })
                .collect(),
            Choices::Categories => Category::ALL
                .iter()
                .filter(|category| **category != request.category)
                .map(|category| {
                    let label = policy.category_label(*category);
                    choice(label.to_string(), Picked::Category(*category))
                })
                .collect(),
        }
    }
}

/// What was answered in a move's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub picked: Option<Picked>,
    /// How many lines there were to choose from.
    pub choices: usize,
    pub text: String,
    pub second: String,
    /// The message by email the specialist saw and edited, when mail is set up.
    pub message: Option<String>,
}

/// What a form still needs before its change can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Choice,
    Text(&'static str),
    Second(&'static str),
    /// Nothing to choose from: the caller left no way to send the result back.
    NoContact,
}

impl Change {
    pub fn kind(&self) -> Move {
        match self {
            Change::Route { .. } => Move::Route,
            Change::Take => Move::Take,
            Change::Note { .. } => Move::Note,
            Change::Resolve { .. } => Move::Resolve,
            Change::Return { .. } => Move::Return,
            Change::AskExtension { .. } => Move::AskExtension,
            Change::DecideExtension { .. } => Move::DecideExtension,
            Change::Reassign { .. } => Move::Reassign,
            Change::Reopen { .. } => Move::Reopen,
            Change::Cancel { .. } => Move::Cancel,
            Change::Escalate { .. } => Move::Escalate,
            Change::VendorAnswer { .. } => Move::VendorAnswer,
            Change::ChangeType { .. } => Move::ChangeType,
        }
    }

    /// What the audit log records of this change to `before`.
    pub fn audit(&self, before: &Request) -> AuditAction {
        match self {
            Change::Route { queue } => AuditAction::Routed {
                queue: queue.clone(),
            },
            Change::Take => AuditAction::Taken,
            Change::Note { kind, .. } => AuditAction::Noted { kind: *kind },
            Change::Resolve { .. } => AuditAction::Resolved,
            Change::Return { .. } => AuditAction::Returned,
            Change::AskExtension { until, .. } => AuditAction::ExtensionAsked { until: *until },
            Change::DecideExtension { approve, .. } => {
                AuditAction::ExtensionDecided { approved: *approve }
            }
            Change::Reassign {
                queue,
                assignee,
                comment,
            } if !comment.trim().is_empty() => AuditAction::ReassignedWithComment {
                queue: queue.clone(),
                assignee: assignee.clone(),
                comment: comment.trim().to_string(),
            },
            Change::Reassign {
                queue, assignee, ..
            } => AuditAction::Reassigned {
                queue: queue.clone(),
                assignee: assignee.clone(),
            },
            Change::Reopen { .. } => AuditAction::Reopened,
            Change::Cancel { reason } => AuditAction::Cancelled {
                reason: reason.trim().to_string(),
            },
            Change::Escalate { .. } => AuditAction::Escalated,
            Change::VendorAnswer { .. } => AuditAction::VendorAnswered,
            Change::ChangeType { category } => AuditAction::TypeChanged {
                from: before.category,
                to: *category,
            },
        }
    }

    /// The request after this change by `actor` at `now`, or why the rules refuse it.
    pub fn apply(
        &self,
        request: &Request,
        actor: &str,
        policy: &Policy,
        now: Timestamp,
    ) -> Result<Request, TransitionError> {
        // what is left of a request whose personal data was destroyed is a record for the
        // reports: nothing is written to it again (a reopened one would never be due again)
        if crate::domain::retention::is_destroyed(request) {
            return Err(TransitionError::Destroyed(request.id));
        }
        let deadlines = &policy.deadlines;
        let known = |queue: &str| {
            if policy.queue(queue).is_some() {
                Ok(())
            } else {
                Err(TransitionError::UnknownQueue {
                    queue: queue.to_string(),
                })
            }
        };
        match self {
            Change::Route { queue } => {
                known(queue)?;
                lifecycle::route(request, queue, deadlines, now)
            }
            Change::Take => lifecycle::take(request, actor, now),
            Change::Note { kind, text } => lifecycle::add_note(request, actor, *kind, text, now),
            Change::Resolve {
                text, returned_by, ..
            } => lifecycle::resolve(
                request,
                Resolution {
                    text: text.trim().to_string(),
                    returned_by: *returned_by,
                    at: now,
                },
            ),
            Change::Return { reason } => {
                let back = lifecycle::return_to_dispatcher(request, deadlines, now)?;
                with_reason(&back, actor, RETURNED, reason, now)
            }
            Change::AskExtension { reason, until } => {
                lifecycle::ask_extension(request, actor, reason, *until, now)
            }
            Change::DecideExtension { approve, note } => {
                lifecycle::decide_extension(request, actor, *approve, note, now)
            }
            Change::Reassign {
                queue,
                assignee,
                comment,
            } => {
                known(queue)?;
                let moved =
                    lifecycle::reassign(request, queue, assignee.as_deref(), deadlines, now)?;
                if comment.trim().is_empty() {
                    Ok(moved)
                } else {
                    with_reason(&moved, actor, REASSIGNED, comment, now)
                }
            }
            Change::Reopen { reason } => {
                let reopened = lifecycle::reopen(request)?;
                with_reason(&reopened, actor, REOPENED, reason, now)
            }
            Change::Cancel { reason } => lifecycle::cancel(request, reason, now),
            Change::Escalate {
                reformulated,
                ticket,
            } => lifecycle::escalate(request, actor, reformulated, ticket, now),
            Change::VendorAnswer { answer } => lifecycle::vendor_answered(request, answer, now),
            Change::ChangeType { category } => {
                lifecycle::check(request, Move::ChangeType)?;
                if *category == request.category {
                    return Err(TransitionError::SameType);
                }
                let mut next = request.clone();
                next.category = *category;
                Ok(next)
            }
        }
    }
}

/// What a reason's note says happened, and the reason's field (for a refusal of its length).
const RETURNED: (&str, &str) = ("возвращено диспетчеру", "Причина возврата диспетчеру");
const REOPENED: (&str, &str) = ("переоткрыто", "Причина переоткрытия");
const REASSIGNED: (&str, &str) = ("передано в другую очередь", "Комментарий");

/// Why a request waiting in Входящие was sent back there by a specialist, if it was.
pub fn returned_because(request: &Request) -> Option<&str> {
    if !request.is_incoming() {
        return None;
    }
    let last = request.notes.last()?;
    let reason = last.text.strip_prefix(RETURNED.0)?.strip_prefix(": ")?;
    (last.kind == NoteKind::Internal).then_some(reason)
}

/// Records why (a return, a reopening) as an internal note in the timeline.
fn with_reason(
    request: &Request,
    author: &str,
    (what, field): (&str, &'static str),
    reason: &str,
    now: Timestamp,
) -> Result<Request, TransitionError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(TransitionError::ReasonRequired);
    }
    bounded(field, reason, MAX_REASON)?;
    let mut next = request.clone();
    next.notes.push(Note {
        at: now,
        author: author.to_string(),
        kind: NoteKind::Internal,
        text: format!("{what}: {reason}"),
    });
    Ok(next)
}
