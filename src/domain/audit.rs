//! What the audit log records of a request's life, and how the timeline says it in words.

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

use super::caller::CallerId;
use super::deadline::TimerKind;
use super::mail::MailKind;
use super::policy::Policy;
use super::request::{Category, NoteKind};
use super::time::Timestamp;

/// What happened to a request, for the append-only audit log.
// names only matter to JSON; the stored form is the variant's position
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Logged,
    Routed {
        queue: String,
    },
    Taken,
    Resolved,
    Returned,
    Escalated,
    VendorAnswered,
    Reopened,
    Cancelled {
        reason: String,
    },
    // appended in format 2 of the request's life; never reorder
    Noted {
        kind: NoteKind,
    },
    ExtensionAsked {
        until: Timestamp,
    },
    ExtensionDecided {
        approved: bool,
    },
    Reassigned {
        queue: String,
        assignee: Option<String>,
    },
    /// Personal data was read: a console opened the detail, or a script exported it
    /// (152-FZ art. 19 asks for an account of every action with personal data).
    Viewed {
        export: bool,
    },
    /// Two caller cards were found to be one person; the request now belongs to `kept`.
    CallersMerged {
        kept: CallerId,
        merged: CallerId,
    },
    /// The request's type was corrected (a call logged under the wrong type).
    TypeChanged {
        from: Category,
        to: Category,
    },
    /// Moved by the head with a word for the specialist who gets it.
    ReassignedWithComment {
        queue: String,
        assignee: Option<String>,
        comment: String,
    },
    /// The request was someone else's than its card's: it moved to a card of its own.
    CallerSplit {
        from: CallerId,
        to: CallerId,
    },
    /// The SMTP server took the message; its words.
    MailDelivered {
        kind: MailKind,
        reply: String,
    },
    /// An attempt failed: tried again at `retry_at`, or never (a result is then phoned).
    MailFailed {
        kind: MailKind,
        reason: String,
        retry_at: Option<Timestamp>,
    },
    /// The policy's deadlines or hours changed: the running deadlines were counted again
    /// from their starts (the new ones; None: that one did not move).
    DeadlinesRecounted {
        route_by: Option<Timestamp>,
        take_by: Option<Timestamp>,
        resolve_by: Option<Timestamp>,
    },
    /// The request's personal data was destroyed at the end of its keeping, under the act
    /// `act` (its file's name).
    PersonalDataDestroyed {
        act: String,
    },
}

/// "направил(а) в очередь ЭЖД" — what the actor did (the author and time are shown apart),
/// queues by the names people know.
pub fn describe(action: &AuditAction, policy: &Policy, offset: FixedOffset) -> String {
    let queue = |key: &str| policy.queue_short(key).to_string();
    match action {
        AuditAction::Logged => tr!("audit.logged").to_string(),
        AuditAction::Routed { queue: key } => tr!("audit.routed", queue = queue(key)),
        AuditAction::Taken => tr!("audit.taken").to_string(),
        AuditAction::Resolved => tr!("audit.resolved").to_string(),
        AuditAction::Returned => tr!("audit.returned").to_string(),
        AuditAction::Escalated => tr!("audit.escalated").to_string(),
        AuditAction::VendorAnswered => tr!("audit.vendor_answered").to_string(),
        AuditAction::Reopened => tr!("audit.reopened").to_string(),
        AuditAction::Cancelled { reason } => tr!("audit.cancelled", reason = reason),
        AuditAction::Noted { kind } => tr!("audit.noted", kind = kind.label()),
        AuditAction::ExtensionAsked { until } => tr!(
            "audit.extension_asked",
            until = until.in_offset(offset).format("%d.%m %H:%M")
        ),
        AuditAction::ExtensionDecided { approved: true } => {
            tr!("audit.extension_approved").to_string()
        }
        AuditAction::ExtensionDecided { approved: false } => {
            tr!("audit.extension_denied").to_string()
        }
        AuditAction::Reassigned {
            queue: key,
            assignee,
        } => match assignee {
            Some(person) => tr!("audit.reassigned_to", queue = queue(key), person = person),
            None => tr!("audit.reassigned", queue = queue(key)),
        },
        AuditAction::ReassignedWithComment {
            queue: key,
            assignee,
            comment,
        } => {
            let moved = match assignee {
                Some(person) => tr!("audit.reassigned_to", queue = queue(key), person = person),
                None => tr!("audit.reassigned", queue = queue(key)),
            };
            tr!("audit.with_comment", what = moved, comment = comment)
        }
        AuditAction::Viewed { export: false } => tr!("audit.viewed").to_string(),
        AuditAction::Viewed { export: true } => tr!("audit.exported").to_string(),
        AuditAction::CallersMerged { kept, merged } => {
            tr!("audit.callers_merged", merged = merged, kept = kept)
        }
        AuditAction::CallerSplit { from, to } => {
            tr!("audit.caller_split", from = from, to = to)
        }
        AuditAction::TypeChanged { from, to } => {
            tr!("audit.type_changed", from = from.label(), to = to.label())
        }
        AuditAction::MailDelivered { kind, reply } => {
            tr!("audit.mail_delivered", kind = kind.label(), reply = reply)
        }
        AuditAction::MailFailed {
            kind,
            reason,
            retry_at: Some(at),
        } => tr!(
            "audit.mail_retry",
            kind = kind.label(),
            reason = reason,
            at = at.in_offset(offset).format("%d.%m %H:%M")
        ),
        AuditAction::MailFailed {
            kind,
            reason,
            retry_at: None,
        } => tr!("audit.mail_failed", kind = kind.label(), reason = reason),
        AuditAction::DeadlinesRecounted {
            route_by,
            take_by,
            resolve_by,
        } => {
            let moved: Vec<String> = [
                (TimerKind::Route, route_by),
                (TimerKind::Take, take_by),
                (TimerKind::Resolve, resolve_by),
            ]
            .into_iter()
            .filter_map(|(kind, due)| {
                let due = due.as_ref()?.in_offset(offset).format("%d.%m %H:%M");
                Some(tr!("audit.deadline_moved", step = kind.label(), due = due))
            })
            .collect();
            tr!("audit.deadlines_recounted", moved = moved.join(", "))
        }
        AuditAction::PersonalDataDestroyed { act } => tr!("audit.destroyed", act = act),
    }
}
