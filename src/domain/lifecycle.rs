//! The request state machine of DESIGN.md: which moves are allowed from which status,
//! and what each move does to the queue, the assignee and the deadlines.

use thiserror::Error;

use super::deadline::{DeadlinePolicy, Deadlines};
use super::request::{Caller, Category, Channel, Request, RequestId, Resolution, Status};
use super::time::Timestamp;

/// A move the state machine knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Route,
    Take,
    Resolve,
    Return,
    Escalate,
    VendorAnswer,
    Reopen,
    Cancel,
}

impl Move {
    pub fn label(self) -> &'static str {
        match self {
            Move::Route => "направить",
            Move::Take => "взять в работу",
            Move::Resolve => "закрыть",
            Move::Return => "вернуть диспетчеру",
            Move::Escalate => "передать поставщику",
            Move::VendorAnswer => "записать ответ поставщика",
            Move::Reopen => "переоткрыть",
            Move::Cancel => "отменить",
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
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("нельзя {action}: обращение {id} уже {status}", action = .action.label(), status = .status.label())]
    NotAllowed {
        id: RequestId,
        action: Move,
        status: Status,
    },
    #[error("укажите причину")]
    ReasonRequired,
}

fn check(request: &Request, action: Move) -> Result<(), TransitionError> {
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
        return Err(TransitionError::ReasonRequired);
    }
    let mut next = request.clone();
    next.status = Status::Resolved;
    next.closed_at = Some(result.at);
    next.result = Some(result);
    Ok(next)
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
pub fn escalate(request: &Request) -> Result<Request, TransitionError> {
    check(request, Move::Escalate)?;
    let mut next = request.clone();
    next.status = Status::WaitingVendor;
    Ok(next)
}

/// waiting_vendor → in_work, for the specialist to relay the answer.
pub fn vendor_answered(request: &Request) -> Result<Request, TransitionError> {
    check(request, Move::VendorAnswer)?;
    let mut next = request.clone();
    next.status = Status::InWork;
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
    let mut next = request.clone();
    next.status = Status::Cancelled;
    next.closed_at = Some(now);
    next.cancel_reason = Some(reason.trim().to_string());
    Ok(next)
}
