//! The commands that write requests: logging a call and every change to a stored request.
//! A run of them shares one transaction; each is checked against the rules table first.

use std::cell::RefCell;

use super::mail::sendable;
use super::website::{self, WebForm};
use super::{Command, Event, Outcome, Reply, Service, ServiceError};
use crate::domain::access::{may, may_do, Operation};
use crate::domain::call_form::CallDraft;
use crate::domain::change::Change;
use crate::domain::import::ImportCall;
use crate::domain::lifecycle;
use crate::domain::mail::Outgoing;
use crate::domain::request::{Category, Channel, Request, RequestId, ReturnChannel};
use crate::domain::staff::Staff;
use crate::domain::time::Timestamp;
use crate::store::{IntakeKey, StoreError, Tx, TxResult};

impl Service {
    /// One transaction for a run of commands on requests.
    pub(super) fn apply_together(&self, segment: Vec<(Staff, RequestWrite)>) -> Vec<Outcome> {
        if segment.is_empty() {
            return Vec::new();
        }
        let now = self.clock.now();
        // read once for the batch, outside the transaction
        let consent_in_force = segment
            .iter()
            .any(|(_, write)| matches!(write, RequestWrite::Web { .. }))
            .then(|| self.consent_in_force());
        // the mail this transaction queues, handed on only if it is written
        let queued = RefCell::new(Vec::new());
        let notices = AfterHoursNotices::default();
        let written = self.store.write(|tx| {
            segment
                .iter()
                .map(|(actor, write)| {
                    let consent = consent_in_force.as_ref();
                    self.apply_in(tx, actor, write, consent, &queued, &notices, now)
                })
                .collect::<TxResult<Vec<Outcome>>>()
        });
        match written {
            Ok(outcomes) => {
                let queued = queued.into_inner();
                if !queued.is_empty() {
                    if let Ok(mut waiting) = self.queued_mail.lock() {
                        waiting.extend(queued);
                    }
                }
                outcomes
            }
            Err(StoreError::DiskFull) => segment
                .iter()
                .map(|_| Err(ServiceError::Store(StoreError::DiskFull)))
                .collect(),
            Err(error) => {
                let poisoned = error.poisons_the_store();
                let reason = error.to_string();
                segment
                    .iter()
                    .map(|_| {
                        Err(if poisoned {
                            ServiceError::StoreFailed(reason.clone())
                        } else {
                            ServiceError::NotSaved(reason.clone())
                        })
                    })
                    .collect()
            }
        }
    }

    /// A command on requests, inside the transaction `tx` (`consent_in_force`: the version
    /// of the consent text, or why it cannot be read, when the batch has a website request).
    #[allow(clippy::too_many_arguments)]
    fn apply_in(
        &self,
        tx: &Tx,
        actor: &Staff,
        write: &RequestWrite,
        consent_in_force: Option<&Result<String, String>>,
        queued: &Queued,
        notices: &AfterHoursNotices,
        now: Timestamp,
    ) -> TxResult<Outcome> {
        let (written, reply): (_, fn(&Service, Request) -> Reply) = match write {
            RequestWrite::LogCall { draft, channel } => (
                self.log_call(tx, actor, draft, *channel, queued, now)?,
                |_, request| Reply::Logged { request },
            ),
            RequestWrite::Change { id, change } => (
                self.change(tx, actor, *id, change, queued, now)?,
                |_, request| Reply::Changed { request },
            ),
            RequestWrite::Import { calls } => return self.import(tx, actor, calls, now),
            RequestWrite::Web { form } => {
                let written = self.log_web(tx, actor, form, consent_in_force, queued, now)?;
                return Ok(written.map(|request| {
                    let after_hours = notices.of(self, &request);
                    let event = changed(&request, actor);
                    (website::receipt(request, after_hours), vec![event])
                }));
            }
        };
        Ok(written.map(|request| {
            let event = changed(&request, actor);
            (reply(self, request), vec![event])
        }))
    }

    pub(super) fn apply_write(&self, actor: &Staff, write: RequestWrite) -> Outcome {
        self.apply_together(vec![(actor.clone(), write)])
            .pop()
            .unwrap_or_else(|| Err(ServiceError::NotSaved("пустой пакет".into())))
    }

    /// Logs a call from the form into Входящие, inside `tx`.
    fn log_call(
        &self,
        tx: &Tx,
        actor: &Staff,
        draft: &CallDraft,
        channel: Channel,
        queued: &Queued,
        now: Timestamp,
    ) -> TxResult<Result<Request, ServiceError>> {
        if let Err(denied) = may_do(actor, Operation::LogCall, &self.policy) {
            return Ok(Err(denied.into()));
        }
        let call = match draft.check() {
            Ok(call) => call,
            Err(errors) => return Ok(Err(ServiceError::Form(errors))),
        };
        // Received when the call was answered, never in the future.
        let received_at = draft.answered_at.map_or(now, |answered| answered.min(now));
        let intake = lifecycle::Intake {
            channel,
            received_at,
            logged_by: actor.login.clone(),
            caller: call.caller,
            category: call.category,
            description: call.description,
            consent: None,
        };
        // A call answered at a known instant is one call, however often it is sent: the key
        // is the instant as the console sent it, not as clamped to this clock.
        let key = draft
            .answered_at
            .map(|answered| IntakeKey::new(&actor.login, answered));
        // a call sent again is the request already stored, acknowledged already
        let fresh = match &key {
            Some(key) => tx.known_intake(key)?.is_none(),
            None => true,
        };
        let deadlines = &self.policy.deadlines;
        let request = tx.insert_request(
            |id| self.in_service_time(None, lifecycle::receive(id, intake, deadlines)),
            now,
            key.as_ref(),
            draft.caller_card,
        )?;
        if fresh && draft.acknowledge {
            if let Some(message) = self.queue_acknowledgement(tx, &request, actor, now)? {
                queued.borrow_mut().push(message);
            }
        }
        Ok(Ok(request))
    }

    /// A change to request `id` inside `tx`: who may (the rules table), what it does and
    /// what the audit log records (`domain::change`).
    fn change(
        &self,
        tx: &Tx,
        actor: &Staff,
        id: RequestId,
        change: &Change,
        queued: &Queued,
        now: Timestamp,
    ) -> TxResult<Result<Request, ServiceError>> {
        let Some(current) = tx.request(id)? else {
            return Ok(Err(ServiceError::NoSuchRequest { id }));
        };
        let operation = Operation::Change(change.kind());
        if let Err(denied) = may(actor, operation, Some(&current), &self.policy) {
            return Ok(Err(denied.into()));
        }
        let next = match change.apply(&current, &actor.login, &self.policy, now) {
            Ok(next) => self.in_service_time(Some(&current), next),
            Err(refusal) => return Ok(Err(refusal.into())),
        };
        let emailed = match change {
            Change::Resolve {
                returned_by: ReturnChannel::Email,
                message,
                ..
            } if self.mail().is_some() => Some(message.as_deref()),
            _ => None,
        };
        if emailed.is_some() {
            // the address is checked before the message is queued, not by the mail server
            let to = next.caller.email.as_ref().map(|email| email.as_str());
            if !to.is_some_and(sendable) {
                return Ok(Err(ServiceError::MailAddress {
                    to: to.unwrap_or_default().to_string(),
                }));
            }
        }
        tx.record_change(&next, &actor.login, now, change.audit(&current))?;
        if let Some(edited) = emailed {
            if let Some(message) = self.queue_result(tx, &next, actor, edited, now)? {
                queued.borrow_mut().push(message);
            }
        }
        Ok(Ok(next))
    }
}

/// The messages a transaction put in the outbox.
pub(super) type Queued = RefCell<Vec<Outgoing>>;

fn changed(request: &Request, actor: &Staff) -> Event {
    Event::RequestChanged {
        request: request.clone(),
        by: actor.login.clone(),
    }
}

/// The after-hours notice of a batch's website requests, found once for each type: they
/// are all received at the batch's instant. Finding the service's next opening in the
/// production calendar took 2 µs of the service thread's time a submission out of hours
/// (`perf`, `cargo bench --bench web` in the evening).
#[derive(Default)]
pub(super) struct AfterHoursNotices {
    found: RefCell<Vec<(NoticeFor, Vec<String>)>>,
}

/// A request's type and the instant it was received: what its after-hours notice depends on.
type NoticeFor = (Category, Timestamp);

impl AfterHoursNotices {
    fn of(&self, service: &Service, request: &Request) -> Vec<String> {
        let key = (request.category, request.received_at);
        if let Some((_, lines)) = self.found.borrow().iter().find(|(seen, _)| *seen == key) {
            return lines.clone();
        }
        let lines = service.after_hours(request);
        self.found.borrow_mut().push((key, lines.clone()));
        lines
    }
}

/// A command that writes requests: a run of them shares one transaction.
pub(super) enum RequestWrite {
    LogCall { draft: CallDraft, channel: Channel },
    Change { id: RequestId, change: Change },
    Import { calls: Vec<ImportCall> },
    Web { form: WebForm },
}

impl RequestWrite {
    /// The write a command is, or the command back when it is not one.
    // handed back by value once per command; boxing it would buy nothing
    #[allow(clippy::result_large_err)]
    pub(super) fn of(command: Command) -> Result<RequestWrite, Command> {
        match command {
            Command::LogCall { draft, channel } => Ok(RequestWrite::LogCall { draft, channel }),
            Command::Change { id, change } => Ok(RequestWrite::Change { id, change }),
            Command::Import { calls } => Ok(RequestWrite::Import { calls }),
            Command::SubmitWeb { form } => Ok(RequestWrite::Web { form }),
            Command::SaveDraft { .. }
            | Command::DiscardDraft
            | Command::ListRequests { .. }
            | Command::ShowRequest { .. }
            | Command::GetPolicy
            | Command::AddStaff { .. }
            | Command::ListStaff
            | Command::DisableStaff { .. }
            | Command::EnableStaff { .. }
            | Command::VendorHistory
            | Command::MailStatus
            | Command::Backup { .. }
            | Command::BackupStatus
            | Command::Retention { .. }
            | Command::RecordView { .. }
            | Command::Timeline { .. }
            | Command::History { .. }
            | Command::Search { .. }
            | Command::FindCaller { .. }
            | Command::OpenDetail { .. }
            | Command::ListCallers { .. }
            | Command::MergeCallers { .. }
            | Command::SplitCaller { .. }
            | Command::DailyReport { .. }
            | Command::WeeklyReport { .. }
            | Command::SaveProposals { .. }
            | Command::WebInfo
            | Command::PublicStatus { .. } => Err(command),
        }
    }
}
