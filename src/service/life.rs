//! The commands of a request's life after routing: who may (domain::access), what changes
//! (domain::lifecycle), and the audit action each leaves.

use super::{Command, Service, ServiceError};
use crate::domain::access::{may, Act};
use crate::domain::lifecycle::{self, TransitionError};
use crate::domain::request::{NoteKind, Request, RequestId, Resolution};
use crate::domain::staff::Staff;
use crate::domain::time::Timestamp;
use crate::domain::validate::{bounded, MAX_REASON};
use crate::store::{AuditAction, StoreError, Tx, TxResult};

type Change<'a> = Box<dyn FnOnce(&Request) -> Result<Request, TransitionError> + 'a>;

impl Service {
    /// A lifecycle command inside the transaction `tx`.
    pub(super) fn lifecycle(
        &self,
        tx: &Tx,
        actor: &Staff,
        command: &Command,
        now: Timestamp,
    ) -> TxResult<Result<Request, ServiceError>> {
        let who = actor.login.as_str();
        let deadlines = self.policy.deadlines;
        let (id, act, action, change): (RequestId, Act, AuditAction, Change) = match command {
            Command::Take { id } => (
                *id,
                Act::Work,
                AuditAction::Taken,
                Box::new(move |r| lifecycle::take(r, who, now)),
            ),
            Command::AddNote { id, kind, text } => (
                *id,
                Act::Work,
                AuditAction::Noted { kind: *kind },
                Box::new(move |r| lifecycle::add_note(r, who, *kind, text, now)),
            ),
            Command::Close {
                id,
                text,
                returned_by,
            } => {
                let result = Resolution {
                    text: text.trim().to_string(),
                    returned_by: *returned_by,
                    at: now,
                };
                (
                    *id,
                    Act::Work,
                    AuditAction::Resolved,
                    Box::new(move |r| lifecycle::resolve(r, result)),
                )
            }
            Command::ReturnToDispatcher { id, reason } => (
                *id,
                Act::Work,
                AuditAction::Returned,
                Box::new(move |r| {
                    let back = lifecycle::return_to_dispatcher(r, &deadlines, now)?;
                    with_reason(&back, who, Reason::Return, reason, now)
                }),
            ),
            Command::AskExtension { id, reason, until } => (
                *id,
                Act::Work,
                AuditAction::ExtensionAsked { until: *until },
                Box::new(move |r| lifecycle::ask_extension(r, who, reason, *until, now)),
            ),
            Command::DecideExtension { id, approve, note } => (
                *id,
                Act::DecideExtension,
                AuditAction::ExtensionDecided { approved: *approve },
                Box::new(move |r| lifecycle::decide_extension(r, who, *approve, note, now)),
            ),
            Command::Reassign {
                id,
                queue,
                assignee,
            } => {
                if self.policy.queue(queue).is_none() {
                    return Ok(Err(ServiceError::UnknownQueue {
                        queue: queue.clone(),
                    }));
                }
                (
                    *id,
                    Act::Reassign,
                    AuditAction::Reassigned {
                        queue: queue.clone(),
                        assignee: assignee.clone(),
                    },
                    Box::new(move |r| {
                        lifecycle::reassign(r, queue, assignee.as_deref(), &deadlines, now)
                    }),
                )
            }
            Command::Reopen { id, reason } => (
                *id,
                Act::Reopen,
                AuditAction::Reopened,
                Box::new(move |r| {
                    let reopened = lifecycle::reopen(r)?;
                    with_reason(&reopened, who, Reason::Reopen, reason, now)
                }),
            ),
            Command::Cancel { id, reason } => (
                *id,
                Act::Cancel,
                AuditAction::Cancelled {
                    reason: reason.trim().to_string(),
                },
                Box::new(move |r| lifecycle::cancel(r, reason, now)),
            ),
            Command::Escalate {
                id,
                reformulated,
                ticket,
            } => (
                *id,
                Act::Escalate,
                AuditAction::Escalated,
                Box::new(move |r| lifecycle::escalate(r, who, reformulated, ticket, now)),
            ),
            Command::VendorAnswer { id, answer } => (
                *id,
                Act::Escalate,
                AuditAction::VendorAnswered,
                Box::new(move |r| lifecycle::vendor_answered(r, answer, now)),
            ),
            _ => {
                return Ok(Err(ServiceError::NotSaved(
                    "не команда жизни обращения".into(),
                )))
            }
        };
        let Some(current) = tx.request(id)? else {
            return Ok(Err(ServiceError::NoSuchRequest { id }));
        };
        if let Err(denied) = may(actor, act, &current, &self.policy) {
            return Ok(Err(denied.into()));
        }
        let changed = tx.update_request(id, who, now, action, change)?;
        Ok(changed.map_err(|refusal| ServiceError::from(StoreError::from(refusal))))
    }
}

/// A move that keeps its reason as a note.
#[derive(Clone, Copy)]
enum Reason {
    Return,
    Reopen,
}

/// Records why (a return, a reopening) as an internal note in the timeline.
fn with_reason(
    request: &Request,
    author: &str,
    why: Reason,
    reason: &str,
    now: Timestamp,
) -> Result<Request, TransitionError> {
    let (what, field) = match why {
        Reason::Return => ("возвращено диспетчеру", "Причина возврата диспетчеру"),
        Reason::Reopen => ("переоткрыто", "Причина переоткрытия"),
    };
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(TransitionError::ReasonRequired);
    }
    bounded(field, reason, MAX_REASON)?;
    let mut next = request.clone();
    next.notes.push(crate::domain::request::Note {
        at: now,
        author: author.to_string(),
        kind: NoteKind::Internal,
        text: format!("{what}: {reason}"),
    });
    Ok(next)
}
