//! The request state machine of DESIGN.md: what each move does to the queue, the assignee
//! and the deadlines (which moves start from which status is declared in `change`).

use thiserror::Error;

use super::deadline::{DeadlinePolicy, Deadlines};
use super::request::{
    Caller, Category, Channel, Consent, Extension, ExtensionState, Note, NoteKind, Request,
    RequestId, Resolution, ReturnChannel, Status, Undelivered, VendorCase,
};
use super::time::Timestamp;
use super::validate::{bounded, TooLong, MAX_REASON, MAX_TEXT, MAX_TICKET};

pub use super::change::Move;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("{}", tr!("transition.destroyed", id = .0))]
    Destroyed(RequestId),
    #[error("{}", tr!("transition.not_allowed", action = .action.label(), id = .id, status = .status.label()))]
    NotAllowed {
        id: RequestId,
        action: Move,
        status: Status,
    },
    #[error("{}", tr!("transition.reason_required"))]
    ReasonRequired,
    #[error("{}", tr!("transition.text_required"))]
    TextRequired,
    #[error("{}", tr!("transition.extension_pending", id = .0))]
    ExtensionPending(RequestId),
    #[error("{}", tr!("transition.no_pending_extension", id = .0))]
    NoPendingExtension(RequestId),
    #[error("{}", tr!("transition.extension_not_later"))]
    ExtensionNotLater,
    #[error("{0}")]
    TooLong(#[from] TooLong),
    #[error("{}", tr!("transition.unknown_queue", queue = .queue))]
    UnknownQueue { queue: String },
    #[error("{}", tr!("transition.same_type"))]
    SameType,
    #[error("{}", match .0 {
        ReturnChannel::Phone => tr!("transition.no_phone"),
        ReturnChannel::Email => tr!("transition.no_email"),
    })]
    NoSuchContact(ReturnChannel),
}

pub(super) fn check(request: &Request, action: Move) -> Result<(), TransitionError> {
    if action.allowed_from(request.status) {
        Ok(())
    } else {
        Err(TransitionError::NotAllowed {
            id: request.id,
            action,
            status: request.status,
        })
    }
}

/// What the intake knows of a request before it has a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    pub channel: Channel,
    pub received_at: Timestamp,
    pub logged_by: String,
    pub caller: Caller,
    pub category: Category,
    pub description: String,
    pub consent: Option<Consent>,
}

/// A fresh request in Входящие, its route-by and resolve-by counting from receipt.
pub fn receive(id: RequestId, intake: Intake, policy: &DeadlinePolicy) -> Request {
    Request {
        id,
        channel: intake.channel,
        received_at: intake.received_at,
        logged_by: intake.logged_by,
        caller: intake.caller,
        category: intake.category,
        description: intake.description,
        status: Status::New,
        queue: None,
        assignee: None,
        routed_at: None,
        taken_at: None,
        closed_at: None,
        deadlines: Deadlines::on_receipt(policy, intake.received_at),
        result: None,
        cancel_reason: None,
        notes: Vec::new(),
        extension: None,
        vendor: Vec::new(),
        consent: intake.consent,
        undelivered: None,
    }
}

/// new → routed: the request enters `queue`; its take-by starts counting.
pub fn route(
    request: &Request,
    queue: &str,
    policy: &DeadlinePolicy,
    now: Timestamp,
) -> Result<Request, TransitionError> {
    check(request, Move::Route)?;
    let mut next = request.clone();
    next.status = Status::Routed;
    next.queue = Some(queue.to_string());
    next.assignee = None;
    next.routed_at = Some(now);
    next.deadlines.take_by = Some(now.plus_minutes(policy.take_minutes));
    Ok(next)
}

/// routed → in_work by `assignee`: the take-by timer stops, resolve-by keeps running.
pub fn take(request: &Request, assignee: &str, now: Timestamp) -> Result<Request, TransitionError> {
    check(request, Move::Take)?;
    let mut next = request.clone();
    next.status = Status::InWork;
    next.assignee = Some(assignee.to_string());
    next.taken_at = Some(now);
    Ok(next)
}

/// in_work → resolved with the result returned to the caller.
pub fn resolve(request: &Request, result: Resolution) -> Result<Request, TransitionError> {
    check(request, Move::Resolve)?;
    if result.text.trim().is_empty() {
        return Err(TransitionError::TextRequired);
    }
    bounded(tr!("form.resolve.text"), &result.text, MAX_TEXT)?;
    // the result goes back by a channel the caller gave (§3.2.3)
    let given = match result.returned_by {
        ReturnChannel::Phone => request.caller.phone.is_some(),
        ReturnChannel::Email => request.caller.email.is_some(),
    };
    if !given {
        return Err(TransitionError::NoSuchContact(result.returned_by));
    }
    let mut next = request.clone();
    next.status = Status::Resolved;
    next.closed_at = Some(result.at);
    next.result = Some(result);
    // a result that did not get through by email is returned now (by phone, as a rule)
    next.undelivered = None;
    Ok(next)
}

/// A result sent by email did not get through: a resolved request is work again for its
/// specialist (in_work, the result kept for the phone call); one already back in work keeps
/// its status. Either way the boards show that the person must be phoned.
pub fn mail_undelivered(request: &Request, undelivered: Undelivered) -> Request {
    let mut next = request.clone();
    if next.status == Status::Resolved {
        next.status = Status::InWork;
        next.closed_at = None;
    }
    next.undelivered = Some(undelivered);
    next
}

/// routed or in_work → new (wrong queue): a fresh route-by; resolve-by does not restart.
pub fn return_to_dispatcher(
    request: &Request,
    policy: &DeadlinePolicy,
    now: Timestamp,
) -> Result<Request, TransitionError> {
    check(request, Move::Return)?;
    let mut next = request.clone();
    next.status = Status::New;
    next.queue = None;
    next.assignee = None;
    next.routed_at = None;
    next.taken_at = None;
    next.deadlines.take_by = None;
    next.deadlines.route_by = now.plus_minutes(policy.route_minutes);
    Ok(next)
}

/// in_work → waiting_vendor; resolve-by keeps running.
pub fn escalate(
    request: &Request,
    representative: &str,
    reformulated: &str,
    ticket: &str,
    now: Timestamp,
) -> Result<Request, TransitionError> {
    check(request, Move::Escalate)?;
    if reformulated.trim().is_empty() || ticket.trim().is_empty() {
        return Err(TransitionError::TextRequired);
    }
    bounded(tr!("field.vendor_text"), reformulated, MAX_TEXT)?;
    bounded(tr!("field.vendor_ticket"), ticket, MAX_TICKET)?;
    let mut next = request.clone();
    next.status = Status::WaitingVendor;
    next.vendor.push(VendorCase {
        reformulated: reformulated.trim().to_string(),
        ticket: ticket.trim().to_string(),
        sent_at: now,
        sent_by: representative.to_string(),
        answer: None,
        answered_at: None,
    });
    Ok(next)
}

/// waiting_vendor → in_work with the vendor's answer, for the specialist to relay it.
pub fn vendor_answered(
    request: &Request,
    answer: &str,
    now: Timestamp,
) -> Result<Request, TransitionError> {
    check(request, Move::VendorAnswer)?;
    if answer.trim().is_empty() {
        return Err(TransitionError::TextRequired);
    }
    bounded(tr!("form.vendor_answer.title"), answer, MAX_TEXT)?;
    let mut next = request.clone();
    next.status = Status::InWork;
    if let Some(case) = next.vendor.last_mut() {
        case.answer = Some(answer.trim().to_string());
        case.answered_at = Some(now);
    }
    Ok(next)
}

/// resolved → in_work (the head's decision), with the same assignee and queue.
pub fn reopen(request: &Request) -> Result<Request, TransitionError> {
    check(request, Move::Reopen)?;
    let mut next = request.clone();
    next.status = Status::InWork;
    next.closed_at = None;
    next.result = None;
    Ok(next)
}

/// any open → cancelled (duplicate, spam), with a reason.
pub fn cancel(request: &Request, reason: &str, now: Timestamp) -> Result<Request, TransitionError> {
    check(request, Move::Cancel)?;
    if reason.trim().is_empty() {
        return Err(TransitionError::ReasonRequired);
    }
    bounded(tr!("field.cancel_reason"), reason, MAX_REASON)?;
    let mut next = request.clone();
    next.status = Status::Cancelled;
    next.closed_at = Some(now);
    next.cancel_reason = Some(reason.trim().to_string());
    Ok(next)
}

/// A contact attempt or an internal note, in the request's timeline.
pub fn add_note(
    request: &Request,
    author: &str,
    kind: NoteKind,
    text: &str,
    now: Timestamp,
) -> Result<Request, TransitionError> {
    check(request, Move::Note)?;
    let text = text.trim();
    if text.is_empty() && kind == NoteKind::Internal {
        return Err(TransitionError::TextRequired);
    }
    bounded(tr!("form.note.title"), text, MAX_TEXT)?;
    let mut next = request.clone();
    next.notes.push(Note {
        at: now,
        author: author.to_string(),
        kind,
        text: text.to_string(),
    });
    Ok(next)
}

/// A specialist asks for more time: the request "ждёт согласования" until the head decides.
pub fn ask_extension(
    request: &Request,
    author: &str,
    reason: &str,
    until: Timestamp,
    now: Timestamp,
) -> Result<Request, TransitionError> {
    check(request, Move::AskExtension)?;
    if request.extension_pending() {
        return Err(TransitionError::ExtensionPending(request.id));
    }
    if reason.trim().is_empty() {
        return Err(TransitionError::ReasonRequired);
    }
    bounded(tr!("field.extension_reason"), reason, MAX_REASON)?;
    if until <= request.deadlines.resolve_by {
        return Err(TransitionError::ExtensionNotLater);
    }
    let mut next = request.clone();
    next.extension = Some(Extension {
        asked_at: now,
        asked_by: author.to_string(),
        reason: reason.trim().to_string(),
        until,
        state: ExtensionState::Pending,
        decided_at: None,
        decided_by: None,
        decision_note: None,
    });
    Ok(next)
}

/// The head approves (resolve-by moves to the asked date) or denies; both are recorded.
pub fn decide_extension(
    request: &Request,
    head: &str,
    approve: bool,
    note: &str,
    now: Timestamp,
) -> Result<Request, TransitionError> {
    check(request, Move::DecideExtension)?;
    let Some(asked) = request
        .extension
        .as_ref()
        .filter(|_| request.extension_pending())
    else {
        return Err(TransitionError::NoPendingExtension(request.id));
    };
    bounded(tr!("field.decision_note"), note, MAX_REASON)?;
    let mut decided = asked.clone();
    decided.state = if approve {
        ExtensionState::Approved
    } else {
        ExtensionState::Denied
    };
    decided.decided_at = Some(now);
    decided.decided_by = Some(head.to_string());
    decided.decision_note = Some(note.trim().to_string()).filter(|note| !note.is_empty());
    let mut next = request.clone();
    if approve {
        // never earlier than it is: resolve-by may have been counted again since the ask
        next.deadlines.resolve_by = decided.until.max(request.deadlines.resolve_by);
    }
    next.extension = Some(decided);
    Ok(next)
}

/// The head moves a request to another queue (anyone there takes it, take-by starts again)
/// or straight to a person (in work at once).
pub fn reassign(
    request: &Request,
    queue: &str,
    assignee: Option<&str>,
    policy: &DeadlinePolicy,
    now: Timestamp,
) -> Result<Request, TransitionError> {
    check(request, Move::Reassign)?;
    let mut next = request.clone();
    next.queue = Some(queue.to_string());
    next.routed_at = Some(now);
    match assignee {
        Some(person) => {
            next.status = Status::InWork;
            next.assignee = Some(person.to_string());
            next.taken_at = Some(now);
            next.deadlines.take_by = None;
        }
        None => {
            next.status = Status::Routed;
            next.assignee = None;
            next.taken_at = None;
            next.deadlines.take_by = Some(now.plus_minutes(policy.take_minutes));
        }
    }
    Ok(next)
}
