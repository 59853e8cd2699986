//! Every command, one at a time: the reads (requests, timelines, search, callers, reports),
//! drafts and staff accounts run here; a write on requests met alone gets a transaction of
//! its own (`writes.rs`).

use super::writes::RequestWrite;
use super::{
    callers, reports, staff, Command, Event, Outcome, Reply, Service, ServiceError, PAGE_LIMIT,
};
use crate::domain::access::{may_do, view_of, Operation};
use crate::domain::request::{Request, RequestId};
use crate::domain::staff::Staff;
use crate::store::AuditAction;

impl Service {
    /// Request `id` if it exists and `actor` may see it (the reply is redacted later).
    pub(super) fn readable(&self, actor: &Staff, id: RequestId) -> Result<Request, ServiceError> {
        let request = self
            .store
            .request(id)?
            .ok_or(ServiceError::NoSuchRequest { id })?;
        if view_of(&request, actor, &self.policy).is_none() {
            return Err(ServiceError::NotVisible { id });
        }
        Ok(request)
    }

    /// Writes who read which requests into the audit log (one transaction).
    pub(super) fn record_views(
        &self,
        actor: &Staff,
        ids: &[RequestId],
        export: bool,
    ) -> Result<(), ServiceError> {
        if ids.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        self.store.write(|tx| {
            for id in ids {
                tx.record_view(*id, &actor.login, now, export)?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Commands that read, keep drafts, or change staff accounts (they need scans).
    pub(super) fn apply_alone(&self, actor: &Staff, command: Command) -> Outcome {
        match command {
            Command::ListRequests { status, after } => {
                let page = self.store.requests_page(status, after, PAGE_LIMIT + 1)?;
                let (mut requests, unreadable) = (page.requests, page.unreadable);
                let more = requests.len() > PAGE_LIMIT;
                requests.truncate(PAGE_LIMIT);
                let exported: Vec<RequestId> = requests
                    .iter()
                    .filter(|request| view_of(request, actor, &self.policy).is_some())
                    .map(|request| request.id)
                    .collect();
                self.record_views(actor, &exported, true)?;
                Ok((
                    Reply::Requests {
                        requests,
                        more,
                        unreadable,
                    },
                    Vec::new(),
                ))
            }
            Command::ShowRequest { id } => {
                let request = self.readable(actor, id)?;
                self.record_views(actor, &[id], true)?;
                Ok((Reply::Request { request }, Vec::new()))
            }
            Command::RecordView { id } => {
                self.readable(actor, id)?;
                self.record_views(actor, &[id], false)?;
                Ok((Reply::Done, Vec::new()))
            }
            Command::VendorHistory => {
                may_do(actor, Operation::ReadVendorHistory, &self.policy)?;
                let requests = self
                    .store
                    .all_requests(None)
                    .filter(|request| request.as_ref().map_or(true, |r| !r.vendor.is_empty()))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((
                    Reply::Requests {
                        requests,
                        more: false,
                        unreadable: Vec::new(),
                    },
                    Vec::new(),
                ))
            }
            Command::Timeline { id } => {
                self.readable(actor, id)?;
                let events = self
                    .store
                    .events_of(id)?
                    .into_iter()
                    .filter(|event| !matches!(event.action, AuditAction::Viewed { .. }))
                    .collect();
                Ok((Reply::History { events }, Vec::new()))
            }
            Command::History { id } => {
                may_do(actor, Operation::ReadHistory, &self.policy)?;
                Ok((
                    Reply::History {
                        events: self.store.events_of(id)?,
                    },
                    Vec::new(),
                ))
            }
            Command::Search { query } => {
                self.start_search_index();
                let found = self.found(actor, &query)?;
                Ok((Reply::Found { found }, Vec::new()))
            }
            Command::FindCaller { phone, email } => {
                let cards = callers::find(self, actor, phone.as_deref(), email.as_deref())?;
                Ok((Reply::People { cards }, Vec::new()))
            }
            Command::ListCallers { after } => {
                let (cards, more) = callers::list(self, actor, after)?;
                Ok((Reply::Callers { cards, more }, Vec::new()))
            }
            Command::MergeCallers { kept, merged } => {
                let card = callers::merge(self, actor, kept, merged)?;
                Ok((Reply::Caller { card: Some(card) }, Vec::new()))
            }
            Command::SplitCaller { card, requests } => {
                let card = callers::split(self, actor, card, &requests)?;
                Ok((Reply::Caller { card: Some(card) }, Vec::new()))
            }
            Command::OpenDetail { id } => {
                let detail = callers::detail(self, actor, id)?;
                Ok((
                    Reply::Detail {
                        detail: Box::new(detail),
                    },
                    Vec::new(),
                ))
            }
            Command::DailyReport {
                date,
                offset_seconds,
            } => {
                let report = reports::daily(self, actor, date, offset_seconds)?;
                Ok((
                    Reply::Daily {
                        report: Box::new(report),
                    },
                    Vec::new(),
                ))
            }
            Command::WeeklyReport {
                week,
                offset_seconds,
            } => {
                let report = reports::weekly(self, actor, week, offset_seconds)?;
                Ok((
                    Reply::Weekly {
                        report: Box::new(report),
                    },
                    Vec::new(),
                ))
            }
            Command::SaveProposals { year, week, text } => {
                reports::save_proposals(self, actor, year, week, &text)?;
                Ok((Reply::Done, Vec::new()))
            }
            Command::SaveDraft { draft } => {
                self.store.save_draft(&actor.login, &draft)?;
                Ok((Reply::Done, Vec::new()))
            }
            Command::DiscardDraft => {
                self.store.discard_draft(&actor.login)?;
                Ok((Reply::Done, Vec::new()))
            }
            Command::GetPolicy => Ok((
                Reply::Policy {
                    policy: self.policy.clone(),
                },
                Vec::new(),
            )),
            Command::AddStaff { staff } => {
                let added = staff::add(self, actor, staff)?;
                Ok((
                    Reply::Staff {
                        staff: vec![added.clone()],
                    },
                    vec![Event::StaffChanged { staff: added }],
                ))
            }
            Command::ListStaff => Ok((
                Reply::Staff {
                    staff: self.store.all_staff()?,
                },
                Vec::new(),
            )),
            Command::DisableStaff { login } => {
                let disabled = staff::disable(self, actor, &login)?;
                Ok((
                    Reply::Staff {
                        staff: vec![disabled.clone()],
                    },
                    vec![Event::StaffChanged { staff: disabled }],
                ))
            }
            Command::EnableStaff { login } => {
                let enabled = staff::enable(self, actor, &login)?;
                Ok((
                    Reply::Staff {
                        staff: vec![enabled.clone()],
                    },
                    vec![Event::StaffChanged { staff: enabled }],
                ))
            }
            // a write on requests met alone runs in a transaction of its own
            Command::LogCall { draft, channel } => {
                self.apply_write(actor, RequestWrite::LogCall { draft, channel })
            }
            Command::Change { id, change } => {
                self.apply_write(actor, RequestWrite::Change { id, change })
            }
            Command::Import { calls } => self.apply_write(actor, RequestWrite::Import { calls }),
            Command::SubmitWeb { form } => self.apply_write(actor, RequestWrite::Web { form }),
            Command::WebInfo => self.web_info(actor),
            Command::PublicStatus { id, contact } => self.public_status(actor, id, &contact),
            Command::Backup {
                keep_daily,
                keep_weekly,
            } => self.start_backup(actor, keep_daily, keep_weekly),
            Command::BackupStatus => self.backup_status(actor),
            Command::Retention {
                apply,
                offset_seconds,
            } => self.retention(actor, apply, offset_seconds),
            Command::MailStatus => {
                may_do(actor, Operation::ReadHistory, &self.policy)?;
                Ok((
                    Reply::Outbox {
                        messages: self.outbox()?,
                        set_up: self.mail().is_some(),
                    },
                    Vec::new(),
                ))
            }
        }
    }
}
