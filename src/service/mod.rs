//! The commands of the service: who may do what, one transaction each, durable before the
//! answer, and the events every console applies to its copy of the open requests.

mod backup;
mod callers;
mod commands;
mod error;
mod hours;
mod import;
pub mod mail;
mod messages;
mod records;
mod reports;
pub mod retention;
pub mod search;
pub mod setup;
mod staff;
pub mod website;
mod writes;

use std::sync::Arc;

pub use backup::{clear_partial_backups, to_remove, BACKUP_DIR, BACKUP_EXTENSION};
pub use error::{Failure, FailureKind, ServiceError};
pub use hours::RECOUNT_LOGIN;
pub use messages::{BackupState, Command, Detail, Event, Reply, Welcome};
pub use records::{Records, Seed};
pub use search::{Found, Hit, Matches, SearchIndex};

use crate::domain::access::{view_of, Denied, Viewer};
use crate::domain::policy::Policy;
use crate::domain::request::{Request, RequestId};
use crate::domain::staff::Staff;
use crate::domain::time::{Clock, Timestamp};
use crate::store::{Flusher, Pending, Store};

/// What one command came to: its reply and the events for every console, or why not.
pub type Outcome = Result<(Reply, Vec<Event>), ServiceError>;

/// Most requests one `ListRequests` answer carries; scripts page on with `after`.
pub const PAGE_LIMIT: usize = 500;

pub struct Service {
    store: Store,
    policy: Policy,
    clock: Arc<dyn Clock>,
    search: Arc<SearchIndex>,
    /// The consent and policy texts of the website form.
    site: Arc<website::SiteTexts>,
    /// The school's mail settings (`mail.toml`), when mail is set up.
    mail: Option<Arc<mail::MailSetup>>,
    /// The service's hours from the policy, when it has them.
    hours: Option<Arc<crate::domain::hours::ServiceHours>>,
    /// Messages queued by transactions since the server last took them (for the sender,
    /// once they are durable).
    queued_mail: std::sync::Mutex<Vec<crate::domain::mail::Outgoing>>,
    /// Where the server's backup stands (see `backup.rs`).
    backup: backup::SharedBackup,
}

/// Up to this many stored requests the search index is read before the service starts; more
/// are read by a thread of their own while the service already answers.
const INDEX_AT_ONCE: u64 = 5_000;

impl Service {
    pub fn new(store: Store, policy: Policy, clock: Arc<dyn Clock>) -> Service {
        Service {
            site: Arc::new(website::SiteTexts::new(store.dir())),
            store,
            clock,
            search: SearchIndex::empty(),
            mail: None,
            queued_mail: Default::default(),
            hours: policy.service_hours().map(Arc::new),
            backup: Arc::new(std::sync::Mutex::new(BackupState::None)),
            policy,
        }
    }

    /// The same service, sending mail as `setup` says.
    pub fn with_mail(self, setup: Option<mail::MailSetup>) -> Service {
        Service {
            mail: setup.map(Arc::new),
            ..self
        }
    }

    /// Messages queued since the last call: the server hands them to the mail sender once
    /// the batch that queued them is durable.
    pub fn take_queued_mail(&self) -> Vec<crate::domain::mail::Outgoing> {
        self.queued_mail
            .lock()
            .map(|mut queued| std::mem::take(&mut *queued))
            .unwrap_or_default()
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
                    crate::os::lowest_priority();
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

    /// What the commands applied since the last commit wrote (for the server's one sync per
    /// batch: see `net::server::command_loop`).
    pub fn take_pending(&self) -> Pending {
        self.store.take_pending()
    }

    /// A handle that makes written batches durable from the server's answering thread.
    pub fn flusher(&self) -> Flusher {
        self.store.flusher()
    }

    /// Makes everything written durable (the server does it once more when it stops).
    pub fn flush(&self) -> Result<(), ServiceError> {
        Ok(self.store.flush()?)
    }

    /// Free space on the store's filesystem, if it can be told.
    pub fn free_bytes(&self) -> Option<u64> {
        self.store.free_bytes()
    }

    /// Open requests whose stored records cannot be read (a damaged store).
    pub fn unreadable_open_requests(&self) -> Result<Vec<RequestId>, ServiceError> {
        Ok(self.store.open_requests_readable()?.unreadable)
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
            site,
            mail,
            queued_mail,
            hours,
            backup,
        } = self;
        let dir = store.dir().to_path_buf();
        drop(store);
        let store = Store::open(&dir)?;
        Ok(Service {
            store,
            policy,
            clock,
            search,
            site,
            mail,
            queued_mail,
            hours,
            backup,
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
            mail: self.mail().map(|setup| crate::domain::mail::ConsoleMail {
                result: setup.result.clone(),
                acknowledges: setup.acknowledge,
            }),
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
            match writes::RequestWrite::of(command) {
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
                if let Event::RequestChanged { request, .. } = event {
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
}
