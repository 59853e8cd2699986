//! The JSON shape of a request for scripts (`pult list --json`, `pult show --json`).

use serde_json::{json, Value};

use crate::domain::request::{Request, ReturnChannel};
use crate::domain::time::Timestamp;
use crate::store::{AuditAction, AuditEvent};

fn time(at: Option<Timestamp>) -> Value {
    at.map_or(Value::Null, |at| Value::String(at.to_rfc3339()))
}

fn key<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

pub fn request(request: &Request) -> Value {
    let caller = &request.caller;
    json!({
        "id": request.id.0,
        "status": request.status.key(),
        "channel": key(request.channel),
        "received_at": request.received_at.to_rfc3339(),
        "logged_by": request.logged_by,
        "caller": {
            "name": caller.name,
            "role": key(caller.role),
            "class": caller.class.map(|class| class.to_string()),
            "phone": caller.phone.as_ref().map(|phone| phone.e164()),
            "phone_extension": caller.phone.as_ref().and_then(|phone| phone.extension()),
            "email": caller.email.as_ref().map(|email| email.as_str()),
        },
        "category": key(request.category),
        "description": request.description,
        "queue": request.queue,
        "assignee": request.assignee,
        "routed_at": time(request.routed_at),
        "taken_at": time(request.taken_at),
        "closed_at": time(request.closed_at),
        "deadlines": {
            "route_by": request.deadlines.route_by.to_rfc3339(),
            "take_by": time(request.deadlines.take_by),
            "resolve_by": request.deadlines.resolve_by.to_rfc3339(),
        },
        "result": request.result.as_ref().map(|result| json!({
            "text": result.text,
            "returned_by": match result.returned_by {
                ReturnChannel::Email => "email",
                ReturnChannel::Phone => "phone",
            },
            "at": result.at.to_rfc3339(),
        })),
        "cancel_reason": request.cancel_reason,
        "consent": request.consent.as_ref().map(|consent| json!({
            "given_at": consent.given_at.to_rfc3339(),
            "text_version": consent.text_version,
        })),
        "notes": request.notes.iter().map(|note| json!({
            "at": note.at.to_rfc3339(),
            "author": note.author,
            "kind": key(note.kind),
            "text": note.text,
        })).collect::<Vec<_>>(),
        "vendor": request.vendor.iter().map(|case| json!({
            "reformulated": case.reformulated,
            "ticket": case.ticket,
            "sent_at": case.sent_at.to_rfc3339(),
            "sent_by": case.sent_by,
            "answer": case.answer,
            "answered_at": time(case.answered_at),
        })).collect::<Vec<_>>(),
        "extension": request.extension.as_ref().map(|extension| json!({
            "asked_at": extension.asked_at.to_rfc3339(),
            "asked_by": extension.asked_by,
            "reason": extension.reason,
            "until": extension.until.to_rfc3339(),
            "state": key(extension.state),
            "decided_at": time(extension.decided_at),
            "decided_by": extension.decided_by,
            "note": extension.decision_note,
        })),
    })
}

/// Who did what to a request and when, oldest first.
pub fn timeline(events: &[AuditEvent]) -> Value {
    Value::Array(
        events
            .iter()
            .map(|event| {
                json!({
                    "at": event.at.to_rfc3339(),
                    "by": event.actor,
                    "action": action(&event.action),
                })
            })
            .collect(),
    )
}

/// An audit action as its serde shape, every time in it as RFC 3339 (not stored milliseconds).
fn action(action: &AuditAction) -> Value {
    match action {
        AuditAction::ExtensionAsked { until } => {
            json!({ "extension_asked": { "until": until.to_rfc3339() } })
        }
        AuditAction::MailFailed {
            kind,
            reason,
            retry_at,
        } => json!({ "mail_failed": {
            "kind": kind,
            "reason": reason,
            "retry_at": retry_at.map(|at| at.to_rfc3339()),
        } }),
        AuditAction::DeadlinesRecounted {
            route_by,
            take_by,
            resolve_by,
        } => json!({ "deadlines_recounted": {
            "route_by": route_by.map(|at| at.to_rfc3339()),
            "take_by": take_by.map(|at| at.to_rfc3339()),
            "resolve_by": resolve_by.map(|at| at.to_rfc3339()),
        } }),
        AuditAction::PersonalDataDestroyed { act } => {
            json!({ "personal_data_destroyed": { "act": act } })
        }
        AuditAction::Logged
        | AuditAction::Routed { .. }
        | AuditAction::Taken
        | AuditAction::Resolved
        | AuditAction::Returned
        | AuditAction::Escalated
        | AuditAction::VendorAnswered
        | AuditAction::Reopened
        | AuditAction::Cancelled { .. }
        | AuditAction::Noted { .. }
        | AuditAction::ExtensionDecided { .. }
        | AuditAction::Reassigned { .. }
        | AuditAction::Viewed { .. }
        | AuditAction::CallersMerged { .. }
        | AuditAction::TypeChanged { .. }
        | AuditAction::ReassignedWithComment { .. }
        | AuditAction::CallerSplit { .. }
        | AuditAction::MailDelivered { .. } => key(action),
    }
}
