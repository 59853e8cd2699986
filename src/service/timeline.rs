//! What an audit event says, in words, for the console's detail and `pult history`.

use chrono::FixedOffset;

use crate::store::AuditAction;

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
    }
}
