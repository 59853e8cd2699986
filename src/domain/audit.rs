//! What the audit log records of a request's life, and how the timeline says it in words.

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

use super::caller::CallerId;
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
}

/// "направил(а) в очередь tech" — what the actor did (the author and time are shown apart).
pub fn describe(action: &AuditAction, offset: FixedOffset) -> String {
    match action {
        AuditAction::Logged => "записал(а) обращение".to_string(),
        AuditAction::Routed { queue } => format!("направил(а) в очередь {queue}"),
        AuditAction::Taken => "взял(а) в работу".to_string(),
        AuditAction::Resolved => "закрыл(а) с результатом".to_string(),
        AuditAction::Returned => "вернул(а) диспетчеру".to_string(),
        AuditAction::Escalated => "передал(а) поставщику".to_string(),
        AuditAction::VendorAnswered => "записал(а) ответ поставщика".to_string(),
        AuditAction::Reopened => "переоткрыл(а)".to_string(),
        AuditAction::Cancelled { reason } => format!("отменил(а): {reason}"),
        AuditAction::Noted { kind } => format!("заметка: {}", kind.label()),
        AuditAction::ExtensionAsked { until } => format!(
            "просит продления до {}",
            until.in_offset(offset).format("%d.%m %H:%M")
        ),
        AuditAction::ExtensionDecided { approved: true } => "одобрил(а) продление".to_string(),
        AuditAction::ExtensionDecided { approved: false } => "отказал(а) в продлении".to_string(),
        AuditAction::Reassigned { queue, assignee } => match assignee {
            Some(person) => format!("передал(а) в очередь {queue}, исполнитель {person}"),
            None => format!("передал(а) в очередь {queue}"),
        },
        AuditAction::Viewed { export: false } => "открыл(а) карточку с контактами".to_string(),
        AuditAction::Viewed { export: true } => "выгрузил(а) данные".to_string(),
        AuditAction::CallersMerged { kept, merged } => {
            format!("объединил(а) карточки звонящего: {merged} → {kept}")
        }
        AuditAction::TypeChanged { from, to } => {
            format!("изменил(а) тип: {} → {}", from.label(), to.label())
        }
    }
}
