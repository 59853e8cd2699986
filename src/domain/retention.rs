//! How long a closed request's personal data is kept (152-FZ art. 5 p. 7: no longer than its
//! purpose needs), which requests are due, and what such a request keeps once its personal
//! data is destroyed: its number, type, queue, channel, dates, deadlines and who worked it,
//! so the figures of past periods stay what they were; every name, phone, email and text
//! anyone wrote goes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::audit::AuditAction;
use super::mail::{Attempt, MailState, Outgoing};
use super::request::{Category, Request};
use super::time::{Timestamp, MINUTE_MS};

const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// `[retention]` of `policy.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionFile {
    /// Days a closed request's personal data is kept after it was closed.
    pub personal_data_days: u32,
    /// Other spans for some request types, by the type's key: `{ psych = 1095 }`.
    #[serde(default)]
    pub by_type: BTreeMap<String, u32>,
    /// Days an unfinished call form (a draft) is kept.
    #[serde(default = "a_month")]
    pub drafts_days: u32,
    /// The server destroys what is due by itself once a day, with the same acts.
    #[serde(default)]
    pub apply_daily: bool,
}

fn a_month() -> u32 {
    30
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RetentionError {
    #[error("{}", tr!("retention.error.days"))]
    Days,
    #[error("{}", tr!("retention.error.type", key = .0))]
    Type(String),
}

impl RetentionFile {
    pub fn check(&self) -> Result<(), RetentionError> {
        if self.personal_data_days == 0 || self.drafts_days == 0 {
            return Err(RetentionError::Days);
        }
        for (key, days) in &self.by_type {
            if Category::from_key(key).is_none() {
                return Err(RetentionError::Type(key.clone()));
            }
            if *days == 0 {
                return Err(RetentionError::Days);
            }
        }
        Ok(())
    }

    /// The days `category`'s personal data is kept after the close.
    pub fn days_for(&self, category: Category) -> u32 {
        self.by_type
            .get(category.key())
            .copied()
            .unwrap_or(self.personal_data_days)
    }

    /// Until when `request`'s personal data is kept: None while it is open.
    pub fn kept_until(&self, request: &Request) -> Option<Timestamp> {
        let closed = request.closed_at.filter(|_| !request.status.is_open())?;
        Some(Timestamp(
            closed.0 + i64::from(self.days_for(request.category)) * DAY_MS,
        ))
    }

    /// Whether `request`'s personal data is due to be destroyed at `now` (and still there).
    pub fn due(&self, request: &Request, now: Timestamp) -> bool {
        !is_destroyed(request) && self.kept_until(request).is_some_and(|until| until <= now)
    }

    /// Whether a draft last kept at `kept_at` is past its days at `now`.
    pub fn draft_due(&self, kept_at: Timestamp, now: Timestamp) -> bool {
        kept_at.0 + i64::from(self.drafts_days) * DAY_MS <= now.0
    }
}

/// Whether `request`'s personal data was destroyed already: no call is logged without a name.
pub fn is_destroyed(request: &Request) -> bool {
    request.caller.name.is_empty() && request.description.is_empty()
}

/// `request` without its personal data: the caller's name, class, phone and email, the
/// description, every note's, result's, vendor's, extension's and cancellation's text and the
/// address of an undelivered result; what happened and when stays.
pub fn destroyed(request: &Request) -> Request {
    let mut left = request.clone();
    left.caller.name = String::new();
    left.caller.class = None;
    left.caller.phone = None;
    left.caller.email = None;
    left.description = String::new();
    for note in &mut left.notes {
        note.text = String::new();
    }
    if let Some(result) = &mut left.result {
        result.text = String::new();
    }
    left.cancel_reason = left.cancel_reason.as_ref().map(|_| String::new());
    if let Some(extension) = &mut left.extension {
        extension.reason = String::new();
        extension.decision_note = extension.decision_note.as_ref().map(|_| String::new());
    }
    for case in &mut left.vendor {
        case.reformulated = String::new();
        case.answer = case.answer.as_ref().map(|_| String::new());
    }
    if let Some(undelivered) = &mut left.undelivered {
        undelivered.to = String::new();
        undelivered.reason = String::new();
    }
    left
}

/// An audit action without the words in it that may name a person (a reason, a comment, a
/// mail server's answer with the address); who did what and when stays.
pub fn scrubbed(action: &AuditAction) -> AuditAction {
    match action {
        AuditAction::Cancelled { .. } => AuditAction::Cancelled {
            reason: String::new(),
        },
        AuditAction::ReassignedWithComment {
            queue, assignee, ..
        } => AuditAction::ReassignedWithComment {
            queue: queue.clone(),
            assignee: assignee.clone(),
            comment: String::new(),
        },
        AuditAction::MailDelivered { kind, .. } => AuditAction::MailDelivered {
            kind: *kind,
            reply: String::new(),
        },
        AuditAction::MailFailed { kind, retry_at, .. } => AuditAction::MailFailed {
            kind: *kind,
            reason: String::new(),
            retry_at: *retry_at,
        },
        other => other.clone(),
    }
}

/// A message of the outbox without whom it went to and what it said.
pub fn emptied(message: &Outgoing) -> Outgoing {
    let mut left = message.clone();
    left.to = String::new();
    left.to_name = String::new();
    left.subject = String::new();
    left.body = String::new();
    left.state = match &message.state {
        MailState::Delivered { at, .. } => MailState::Delivered {
            at: *at,
            reply: String::new(),
        },
        MailState::Failed { at, .. } => MailState::Failed {
            at: *at,
            reason: String::new(),
        },
        waiting => waiting.clone(),
    };
    left.attempts = message
        .attempts
        .iter()
        .map(|attempt| match attempt {
            Attempt::Accepted { at, .. } => Attempt::Accepted {
                at: *at,
                reply: String::new(),
            },
            Attempt::Temporary { at, .. } => Attempt::Temporary {
                at: *at,
                reason: String::new(),
            },
            Attempt::Permanent { at, .. } => Attempt::Permanent {
                at: *at,
                reason: String::new(),
            },
        })
        .collect();
    left
}

/// What would be destroyed: how many requests by month of their close and type, and the
/// closes of the oldest and newest.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RetentionPlan {
    /// (`2025-11`, type) → how many.
    pub by_month: BTreeMap<(String, Category), u32>,
    pub oldest: Option<Timestamp>,
    pub newest: Option<Timestamp>,
    pub requests: Vec<super::request::RequestId>,
    /// Drafts past their days.
    pub drafts: Vec<String>,
}

impl RetentionPlan {
    /// Notes `request` as due (its close's month in `offset`'s time).
    pub fn add(&mut self, request: &Request, offset: chrono::FixedOffset) {
        let Some(closed) = request.closed_at else {
            return;
        };
        let month = closed.in_offset(offset).format("%Y-%m").to_string();
        *self.by_month.entry((month, request.category)).or_default() += 1;
        self.oldest = Some(self.oldest.map_or(closed, |oldest| oldest.min(closed)));
        self.newest = Some(self.newest.map_or(closed, |newest| newest.max(closed)));
        self.requests.push(request.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadline::DeadlinePolicy;
    use crate::domain::lifecycle::{self, Intake};
    use crate::domain::request::{
        Caller, CallerRole, Channel, NoteKind, Resolution, ReturnChannel, Status,
    };
    use crate::domain::validate::{Email, Phone};

    fn closed(category: Category, closed_at: Timestamp) -> Request {
        let received = Timestamp(closed_at.0 - 3_600_000);
        let mut request = lifecycle::receive(
            crate::domain::request::RequestId(7),
            Intake {
                channel: Channel::Phone,
                received_at: received,
                logged_by: "ivanova".into(),
                caller: Caller {
                    name: "Петрова Анна Ивановна".into(),
                    role: CallerRole::Parent,
                    class: None,
                    phone: Phone::parse("8 912 345-67-89").ok(),
                    email: Email::parse("petrova@mail.ru").ok(),
                },
                category,
                description: "Сын Петя не может войти в дневник".into(),
                consent: None,
            },
            &DeadlinePolicy::default(),
        );
        request.notes.push(crate::domain::request::Note {
            at: received,
            author: "smirnova".into(),
            kind: NoteKind::Internal,
            text: "мама Пети просила перезвонить".into(),
        });
        request.status = Status::Resolved;
        request.closed_at = Some(closed_at);
        request.result = Some(Resolution {
            text: "Пете сбросили пароль".into(),
            returned_by: ReturnChannel::Phone,
            at: closed_at,
        });
        request
    }

    fn retention() -> RetentionFile {
        RetentionFile {
            personal_data_days: 365,
            by_type: [("psych".to_string(), 1095)].into_iter().collect(),
            drafts_days: 30,
            apply_daily: false,
        }
    }

    #[test]
    fn a_closed_request_is_due_a_year_after_its_close_the_psychologists_after_three() {
        let closed_at = Timestamp(1_767_225_600_000);
        let retention = retention();
        let year = Timestamp(closed_at.0 + 365 * DAY_MS);
        let ejournal = closed(Category::Ejournal, closed_at);
        assert!(!retention.due(&ejournal, Timestamp(year.0 - 1)));
        assert!(retention.due(&ejournal, year));
        let psych = closed(Category::Psych, closed_at);
        assert!(!retention.due(&psych, year));
        assert!(retention.due(&psych, Timestamp(closed_at.0 + 1095 * DAY_MS)));
        // an open request is never due
        let mut open = ejournal.clone();
        open.status = Status::InWork;
        assert!(!retention.due(&open, Timestamp(year.0 * 2)));
        // and what was destroyed is not destroyed again
        assert!(!retention.due(&destroyed(&ejournal), year));
    }

    #[test]
    fn a_destroyed_request_keeps_what_the_figures_need_and_no_word_of_a_person() {
        let request = closed(Category::Ejournal, Timestamp(1_767_225_600_000));
        let left = destroyed(&request);
        let text = format!("{left:?}");
        for personal in [
            "Петрова",
            "Петя",
            "Пете",
            "9123456789",
            "petrova@mail.ru",
            "мама",
        ] {
            assert!(!text.contains(personal), "{personal} is left: {text}");
        }
        assert!(is_destroyed(&left));
        assert_eq!(
            (
                left.id,
                left.category,
                left.channel,
                left.status,
                left.queue.clone()
            ),
            (
                request.id,
                request.category,
                request.channel,
                request.status,
                request.queue.clone()
            )
        );
        assert_eq!(
            (
                left.received_at,
                left.routed_at,
                left.taken_at,
                left.closed_at,
                left.deadlines
            ),
            (
                request.received_at,
                request.routed_at,
                request.taken_at,
                request.closed_at,
                request.deadlines
            )
        );
        assert_eq!(left.caller.role, request.caller.role);
        assert_eq!(left.notes.len(), 1);
        assert_eq!(left.notes[0].author, "smirnova");
        assert_eq!(
            left.result.as_ref().map(|result| result.returned_by),
            Some(ReturnChannel::Phone)
        );
    }

    #[test]
    fn a_scrubbed_action_keeps_what_was_done() {
        let cancelled = AuditAction::Cancelled {
            reason: "дубль звонка Петровой".into(),
        };
        assert_eq!(
            scrubbed(&cancelled),
            AuditAction::Cancelled {
                reason: String::new()
            }
        );
        assert_eq!(scrubbed(&AuditAction::Taken), AuditAction::Taken);
    }
}
