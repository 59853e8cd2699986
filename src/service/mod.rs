//! The commands of the service: who may do what, one transaction each, durable before the
//! answer, and the events every console applies to its copy of the open requests.

mod callers;
mod command;
mod error;
pub mod identity;
mod life;
mod reports;
pub mod search;
pub mod setup;
mod staff;
pub mod timeline;

use std::sync::Arc;

pub use command::{Command, Detail, Event, Reply, Welcome};
pub use error::{Failure, FailureKind, ServiceError};
pub use search::{Found, Hit, Matches, SearchIndex};

use crate::domain::access::{may_do, view_of, Denied, Operation, Viewer};
use crate::domain::call_form::CallDraft;
use crate::domain::change::Change;
use crate::domain::lifecycle;
use crate::domain::policy::Policy;
use crate::domain::request::{Channel, Request, RequestId};
use crate::domain::staff::Staff;
use crate::domain::time::{Clock, Timestamp};
use crate::store::{AuditAction, IntakeKey, Store, StoreError, Tx, TxResult};

/// What one command came to: its reply and the events for every console, or why not.
pub type Outcome = Result<(Reply, Vec<Event>), ServiceError>;

/// Most requests one `ListRequests` answer carries; scripts page on with `after`.
pub const PAGE_LIMIT: usize = 500;

pub struct Service {
    store: Store,
    policy: Policy,
    clock: Arc<dyn Clock>,
    search: Arc<SearchIndex>,
}

/// Up to this many stored requests the search index is read before the service starts; more
/// are read by a thread of their own while the service already answers.
const INDEX_AT_ONCE: u64 = 5_000;

impl Service {
    pub fn new(store: Store, policy: Policy, clock: Arc<dyn Clock>) -> Service {
        Service {
            store,
            policy,
            clock,
            search: SearchIndex::empty(),
        }
    }

    /// Reads every stored request into the search index, once: a small store at once, a
    /// large one by a thread of its own while the service goes on answering (until it is
    /// done, searches say they are partial). The first search calls this: reading a large
    /// archive at start slowed every console's attach (sled's cache is shared), and a
    /// server nobody searches keeps no index.
    pub fn start_search_index(&self) {
        if !self.search.start() {
            return;
        }
        let reader = self.store.request_reader();
        let at_once = self
            .store
            .requests_numbered()
            .is_ok_and(|count| count <= INDEX_AT_ONCE);
        if at_once {
            search::fill_from(&self.search, &reader);
        } else {
            let index = Arc::clone(&self.search);
            let spawned = std::thread::Builder::new()
                .name("search-index".into())
                .spawn(move || {
                    lowest_priority();
                    search::fill_from(&index, &reader)
                });
            if spawned.is_err() {
                search::fill_from(&self.search, &self.store.request_reader());
            }
        }
    }

    /// What `actor` finds for `query`, the hits read from the store as `actor` may see them.
    pub fn found(&self, actor: &Staff, query: &str) -> Result<Found, ServiceError> {
        let matches = self.search.search(query, &Viewer::new(actor, &self.policy));
        let mut hits = Vec::with_capacity(matches.ids.len());
        for id in matches.ids {
            if let Some(seen) = self
                .store
                .request(id)?
                .and_then(|request| view_of(&request, actor, &self.policy))
            {
                hits.push(Hit::of(&seen));
            }
        }
        Ok(Found {
            hits,
            total: matches.total,
            partial: matches.partial,
        })
    }

    /// The search index (for benchmarks and tests that wait for it to be complete).
    pub fn search_index(&self) -> &SearchIndex {
        &self.search
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Opens the store again after a write that sled does not forget (a full disk fails
    /// every later write of the same open store): the same policy, clock and search index,
    /// a fresh handle on the same files. Every other handle on the store must be gone.
    pub fn reopen_store(self) -> Result<Service, ServiceError> {
        let Service {
            store,
            policy,
            clock,
            search,
        } = self;
        let dir = store.dir().to_path_buf();
        drop(store);
        let store = Store::open(&dir)?;
        Ok(Service {
            store,
            policy,
            clock,
            search,
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The staff account of an OS login, refused when there is none or it is disabled.
    pub fn identify(&self, login: &str) -> Result<Staff, ServiceError> {
        match self.store.staff_member(login)? {
            Some(staff) if !staff.disabled => Ok(staff),
            Some(_) => Err(ServiceError::Disabled {
                login: login.to_string(),
            }),
            None => Err(ServiceError::NoAccount {
                login: login.to_string(),
            }),
        }
    }

    pub fn welcome(&self, me: &Staff) -> Result<Welcome, ServiceError> {
        Ok(Welcome {
            me: me.clone(),
            policy: self.policy.clone(),
            staff: self.store.all_staff()?,
            open: self
                .store
                .open_requests()?
                .iter()
                .filter_map(|request| view_of(request, me, &self.policy))
                .collect(),
            draft: self.store.draft(&me.login)?,
        })
    }

    /// What `actor` may read of a reply (see `domain::access::view_of`).
    fn reply_for(&self, actor: &Staff, reply: Reply) -> Result<Reply, ServiceError> {
        let view = |request: &Request| view_of(request, actor, &self.policy);
        Ok(match reply {
            Reply::Logged { request } => match view(&request) {
                Some(request) => Reply::Logged { request },
                None => Reply::Done,
            },
            Reply::Changed { request } => match view(&request) {
                Some(request) => Reply::Changed { request },
                None => Reply::Done,
            },
            Reply::Request { request } => match view(&request) {
                Some(request) => Reply::Request { request },
                None => return Err(ServiceError::NotVisible { id: request.id }),
            },
            Reply::Requests {
                requests,
                more,
                unreadable,
            } => Reply::Requests {
                requests: requests.iter().filter_map(view).collect(),
                more,
                unreadable,
            },
            other => other,
        })
    }

    /// Runs one command for `actor` and makes it durable before returning.
    pub fn execute(&self, actor: &Staff, command: Command) -> Outcome {
        let outcome = self.apply(actor, command);
        if outcome.is_ok() {
            self.store.commit()?;
        }
        outcome
    }

    /// Runs one command for `actor` without flushing.
    pub fn apply(&self, actor: &Staff, command: Command) -> Outcome {
        self.apply_batch(vec![(actor.clone(), command)])
            .pop()
            .unwrap_or_else(|| Err(ServiceError::NotSaved("пустой пакет".into())))
    }

    /// Runs commands in order without flushing: the caller flushes once for all of them
    /// before it tells anyone they succeeded. Consecutive commands on requests share one
    /// transaction; a refused one writes nothing and the others go on.
    pub fn apply_batch(&self, work: Vec<(Staff, Command)>) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(work.len());
        let mut segment = Vec::new();
        let actors: Vec<Staff> = work.iter().map(|(actor, _)| actor.clone()).collect();
        for (actor, command) in work {
            match RequestWrite::of(command) {
                Ok(write) => segment.push((actor, write)),
                Err(command) => {
                    outcomes.extend(self.apply_together(std::mem::take(&mut segment)));
                    outcomes.push(self.apply_alone(&actor, command));
                }
            }
        }
        outcomes.extend(self.apply_together(segment));
        for (_, events) in outcomes.iter().flatten() {
            for event in events {
                if let Event::RequestChanged { request } = event {
                    self.search.upsert(request);
                }
            }
        }
        // each actor reads only what they may; events are filtered per console by the server
        outcomes
            .into_iter()
            .zip(actors)
            .map(|(outcome, actor)| {
                let (reply, events) = outcome.map_err(|error| self.named(error))?;
                Ok((self.reply_for(&actor, reply)?, events))
            })
            .collect()
    }

    /// One transaction for a run of commands on requests.
    fn apply_together(&self, segment: Vec<(Staff, RequestWrite)>) -> Vec<Outcome> {
        if segment.is_empty() {
            return Vec::new();
        }
        let now = self.clock.now();
        let written = self.store.write(|tx| {
            segment
                .iter()
                .map(|(actor, write)| self.apply_in(tx, actor, write, now))
                .collect::<TxResult<Vec<Outcome>>>()
        });
        match written {
            Ok(outcomes) => outcomes,
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

    /// A command on requests, inside the transaction `tx`.
    fn apply_in(
        &self,
        tx: &Tx,
        actor: &Staff,
        write: &RequestWrite,
        now: Timestamp,
    ) -> TxResult<Outcome> {
        let written = match write {
            RequestWrite::LogCall { draft, channel } => {
                self.log_call(tx, actor, draft, *channel, now)?
            }
            RequestWrite::Change { id, change } => self.change(tx, actor, *id, change, now)?,
        };
        Ok(written.map(|request| {
            let event = Event::RequestChanged {
                request: request.clone(),
            };
            let reply = match write {
                RequestWrite::LogCall { .. } => Reply::Logged { request },
                RequestWrite::Change { .. } => Reply::Changed { request },
            };
            (reply, vec![event])
        }))
    }

    /// A refusal that should name the vendor representative gets the name (read here, outside
    /// any transaction).
    fn named(&self, error: ServiceError) -> ServiceError {
        match error {
            ServiceError::Denied(Denied::NotVendorRep {
                representative: None,
            }) => ServiceError::Denied(Denied::NotVendorRep {
                representative: self.vendor_representative().ok().flatten(),
            }),
            other => other,
        }
    }

    /// The name of the vendor representative, if one is designated.
    pub fn vendor_representative(&self) -> Result<Option<String>, ServiceError> {
        Ok(self
            .store
            .all_staff()?
            .into_iter()
            .find(|member| member.vendor_rep && !member.disabled)
            .map(|member| member.name))
    }

    /// Request `id` if it exists and `actor` may see it (the reply is redacted later).
    fn readable(&self, actor: &Staff, id: RequestId) -> Result<Request, ServiceError> {
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
    fn record_views(
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
    fn apply_alone(&self, actor: &Staff, command: Command) -> Outcome {
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
                let card = callers::find(self, actor, phone.as_deref(), email.as_deref())?;
                Ok((Reply::Caller { card }, Vec::new()))
            }
            Command::ListCallers { after } => {
                let (cards, more) = callers::list(self, actor, after)?;
                Ok((Reply::Callers { cards, more }, Vec::new()))
            }
            Command::MergeCallers { kept, merged } => {
                let card = callers::merge(self, actor, kept, merged)?;
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
            // a write on requests met alone runs in a transaction of its own
            Command::LogCall { draft, channel } => {
                self.apply_write(actor, RequestWrite::LogCall { draft, channel })
            }
            Command::Change { id, change } => {
                self.apply_write(actor, RequestWrite::Change { id, change })
            }
        }
    }

    fn apply_write(&self, actor: &Staff, write: RequestWrite) -> Outcome {
        self.apply_together(vec![(actor.clone(), write)])
            .pop()
            .unwrap_or_else(|| Err(ServiceError::NotSaved("пустой пакет".into())))
    }

    fn log_call(
        &self,
        tx: &Tx,
        actor: &Staff,
        draft: &CallDraft,
        channel: Channel,
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
        };
        // A call answered at a known instant is one call, however often it is sent: the key
        // is the instant as the console sent it, not as clamped to this clock.
        let key = draft
            .answered_at
            .map(|answered| IntakeKey::new(&actor.login, answered));
        let deadlines = &self.policy.deadlines;
        let request = tx.insert_request(
            |id| lifecycle::receive(id, intake, deadlines),
            now,
            key.as_ref(),
        )?;
        Ok(Ok(request))
    }
}

/// Puts the calling thread at the lowest CPU priority, so that reading the archive into the
/// search index never slows down the consoles (best effort: a refusal changes nothing).
fn lowest_priority() {
    // SAFETY: gettid and setpriority only read their arguments; on Linux a thread id names
    // just this thread for PRIO_PROCESS.
    unsafe {
        let thread = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, 19);
    }
}

/// A command that writes requests: a run of them shares one transaction.
enum RequestWrite {
    LogCall { draft: CallDraft, channel: Channel },
    Change { id: RequestId, change: Change },
}

impl RequestWrite {
    /// The write a command is, or the command back when it is not one.
    // handed back by value once per command; boxing it would buy nothing
    #[allow(clippy::result_large_err)]
    fn of(command: Command) -> Result<RequestWrite, Command> {
        match command {
            Command::LogCall { draft, channel } => Ok(RequestWrite::LogCall { draft, channel }),
            Command::Change { id, change } => Ok(RequestWrite::Change { id, change }),
            Command::SaveDraft { .. }
            | Command::DiscardDraft
            | Command::ListRequests { .. }
            | Command::ShowRequest { .. }
            | Command::GetPolicy
            | Command::AddStaff { .. }
            | Command::ListStaff
            | Command::DisableStaff { .. }
            | Command::VendorHistory
            | Command::RecordView { .. }
            | Command::Timeline { .. }
            | Command::History { .. }
            | Command::Search { .. }
            | Command::FindCaller { .. }
            | Command::OpenDetail { .. }
            | Command::ListCallers { .. }
            | Command::MergeCallers { .. }
            | Command::DailyReport { .. }
            | Command::WeeklyReport { .. }
            | Command::SaveProposals { .. } => Err(command),
        }
    }
}
