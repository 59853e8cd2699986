//! The sled store: its trees, one transaction per command, and flushing before anything is
//! acknowledged. Knows bytes and records, not screens or rules.

mod callers;
pub mod codec;
mod error;
mod files;
mod index;
mod journal;
mod old_requests;
mod proposals;
mod tx;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

pub use callers::MergeRefusal;
pub use codec::{AuditAction, AuditEvent, CodecError, Record};
pub use error::StoreError;
pub use journal::Pending;
pub use proposals::Proposals;
pub use tx::{Abort, Refusal, Tx, TxResult};

use crate::domain::call_form::CallDraft;
use crate::domain::lifecycle::TransitionError;
use crate::domain::request::{Request, RequestId, Status};
use crate::domain::staff::Staff;
use crate::domain::time::Timestamp;
use codec::{event_key, id_key, key_id};
use journal::{Entry, Journal, Op, TREES};

/// The layout version of the store as a whole (trees and meta keys). 3: the `index` tree
/// (2 was an index without closed times, never released).
pub const SCHEMA_VERSION: u64 = 3;

/// sled's page cache; its default of 1 GiB is far more than pult needs.
pub const CACHE_BYTES: u64 = 16 * 1024 * 1024;

const META_SCHEMA: &[u8] = b"schema_version";
pub(crate) const META_NEXT_REQUEST: &[u8] = b"next_request_id";
/// Schema 1 and 2 numbered events with this counter; schema 3 keeps where it ended.
const META_NEXT_EVENT: &[u8] = b"next_event_seq";
const META_EVENT_BASE: &[u8] = b"event_seq_base";
pub(crate) const META_NEXT_CALLER: &[u8] = b"next_caller_id";
/// The number the next journaled transaction gets: sled holds every one below it.
const META_JOURNALED: &[u8] = b"journal_next";

/// The journal is emptied by a full sync of sled at least this often, or when it holds
/// this much (so it stays small and the start-up replays little).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);
const CHECKPOINT_BYTES: u64 = 8 * 1024 * 1024;

pub struct Store {
    path: PathBuf,
    db: sled::Db,
    /// sled's log file (`db/db`), synced after every flush (see `Flusher`).
    log: Arc<std::fs::File>,
    /// The highest request number known to be on the disk (see `files::write_mark`).
    mark: Arc<std::fs::File>,
    journal: Arc<Mutex<Journal>>,
    /// The number of the next journaled transaction (see `META_JOURNALED`).
    next_journaled: AtomicU64,
    /// Writes since the last `commit` or `take_pending`.
    pending: Mutex<Pending>,
    requests: sled::Tree,
    open: sled::Tree,
    events: sled::Tree,
    staff: sled::Tree,
    drafts: sled::Tree,
    /// (login, answered at) of each logged call → its request id, so a resent call is no copy.
    intake: sled::Tree,
    /// Caller cards, the phones and emails they are found by, and their requests (see
    /// `callers.rs` for the keys).
    callers: sled::Tree,
    /// Secondary keys: a request's events, requests by received time (see `index.rs`).
    index: sled::Tree,
    /// The head's proposals per ISO week (outside the request transactions).
    reports: sled::Tree,
    meta: sled::Tree,
    /// Added to sled's generated ids to number audit events (above every number a store
    /// from before schema 3 used).
    event_base: u64,
}

/// Makes the store's writes durable from any thread (see `Store::flusher`).
///
/// `commit` appends what the transactions wrote to pult's journal and syncs it: one small
/// `fdatasync` per batch (see `journal.rs`). `flush` syncs sled itself: its `flush` writes
/// its buffers out and ends in `sync_file_range`, which sends the pages to the device but
/// neither the file's size nor the drive's cache, so an `fdatasync` of sled's log follows;
/// then the journal is emptied.
#[derive(Clone)]
pub struct Flusher {
    db: sled::Db,
    log: Arc<std::fs::File>,
    meta: sled::Tree,
    mark: Arc<std::fs::File>,
    journal: Arc<Mutex<Journal>>,
}

impl Flusher {
    /// Makes `pending` durable: through the journal, or by a full sync of sled when
    /// something was written outside a transaction or the journal is due to be emptied.
    pub fn commit(&self, pending: Pending) -> Result<(), StoreError> {
        if pending.is_empty() {
            return Ok(());
        }
        let mut journal = self.journal.lock().map_err(|_| StoreError::JournalLost)?;
        let due =
            journal.length() > CHECKPOINT_BYTES || journal.synced_at().elapsed() > CHECKPOINT_EVERY;
        if pending.unjournaled || due {
            return self.sync_sled(&mut journal);
        }
        journal.append(&pending.entries).map_err(StoreError::from)
    }

    /// Syncs sled itself and empties the journal.
    pub fn flush(&self) -> Result<(), StoreError> {
        let mut journal = self.journal.lock().map_err(|_| StoreError::JournalLost)?;
        self.sync_sled(&mut journal)
    }

    fn sync_sled(&self, journal: &mut Journal) -> Result<(), StoreError> {
        // read before the flush, so the mark never runs ahead of what it makes durable
        // (the service thread goes on writing meanwhile)
        let numbered = self.meta.get(META_NEXT_REQUEST).ok().flatten();
        self.db.flush()?;
        self.log.sync_data().map_err(StoreError::from)?;
        if let Some(next) = numbered.and_then(|bytes| key_id(&bytes)) {
            files::write_mark(&self.mark, next);
        }
        // everything the journal holds was applied before this flush began
        journal.clear().map_err(StoreError::from)?;
        journal.mark_synced();
        Ok(())
    }
}

/// Reads every stored request, in id order, from any thread.
pub struct RequestReader {
    requests: sled::Tree,
}

impl RequestReader {
    pub fn all(&self) -> impl Iterator<Item = Result<Request, StoreError>> + '_ {
        self.requests
            .iter()
            .values()
            .map(|bytes| Ok(Request::decode(&bytes?)?))
    }
}

/// Requests read in one go, and the stored records among them that could not be read.
#[derive(Debug, Default)]
pub struct Page {
    pub requests: Vec<Request>,
    pub unreadable: Vec<RequestId>,
}

/// Names one answered call: who answered it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeKey {
    bytes: Vec<u8>,
}

impl IntakeKey {
    pub fn new(login: &str, answered_at: Timestamp) -> IntakeKey {
        let mut bytes = login.as_bytes().to_vec();
        bytes.push(0);
        bytes.extend_from_slice(&answered_at.0.to_be_bytes());
        IntakeKey { bytes }
    }

    fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl From<TransactionError<Abort>> for StoreError {
    fn from(error: TransactionError<Abort>) -> Self {
        match error {
            TransactionError::Abort(Abort(error)) => StoreError::Codec(error),
            TransactionError::Storage(error) => StoreError::from(error),
        }
    }
}

impl From<Refusal> for StoreError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Missing(id) => StoreError::NoSuchRequest(id),
            Refusal::Rule(error) => StoreError::Rule(error),
        }
    }
}

/// How long to wait for a store that was just closed: sled releases its file lock only when
/// its background threads let go of the database, a moment after the last handle is dropped.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_millis(1_500);

fn open_db(path: &Path, dir: &Path) -> Result<sled::Db, StoreError> {
    let started = std::time::Instant::now();
    loop {
        match open_db_once(path, dir) {
            Ok(db) => return Ok(db),
            Err(StoreError::Locked { .. }) if started.elapsed() < LOCK_GRACE => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(other) => return Err(other),
        }
    }
}

/// One open of sled's files. sled 0.34 panics on some damaged files (a log cut short panics
/// in its recovery, `pagecache/segment.rs`): that panic is caught here and said as a
/// sentence, without the panic's own message on the screen.
fn open_db_once(path: &Path, dir: &Path) -> Result<sled::Db, StoreError> {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let opened = std::panic::catch_unwind(|| {
        sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .open()
    });
    std::panic::set_hook(quiet);
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(error)) => Err(StoreError::from_open(error, dir)),
        Err(_) => Err(StoreError::Corrupt {
            dir: dir.to_path_buf(),
            detail: "журнал хранилища db/db обрезан или испорчен".into(),
        }),
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        files::own_files_only();
        files::prepare_dir(dir)?;
        let path = dir.join("db");
        files::close_tree(&path)?;
        let db = open_db(&path, dir)?;
        let unopened = |source| StoreError::CreateDir {
            dir: path.clone(),
            source,
        };
        let log = files::open_log(&path).map_err(unopened)?;
        let (mark, marked) = files::open_mark(&path).map_err(unopened)?;
        let (journal, journaled) = Journal::open(&path).map_err(unopened)?;
        let tree = |name: &str| {
            db.open_tree(name)
                .map_err(|error| StoreError::from_open(error, dir))
        };
        let store = Store {
            path: dir.to_path_buf(),
            requests: tree("requests")?,
            open: tree("open")?,
            events: tree("events")?,
            staff: tree("staff")?,
            drafts: tree("drafts")?,
            intake: tree("intake")?,
            callers: tree("callers")?,
            index: tree("index")?,
            reports: tree("reports")?,
            event_base: 0,
            meta: tree("meta")?,
            db,
            log: Arc::new(log),
            mark: Arc::new(mark),
            journal: Arc::new(Mutex::new(journal)),
            next_journaled: AtomicU64::new(1),
            pending: Mutex::new(Pending::default()),
        };
        let mut store = store;
        store.replay(journaled)?;
        let numbered = store
            .meta
            .get(META_NEXT_REQUEST)?
            .and_then(|bytes| key_id(&bytes))
            .unwrap_or(0);
        if marked > numbered {
            // sled reads a log cut short as an earlier state, without a word
            return Err(StoreError::Corrupt {
                dir: dir.to_path_buf(),
                detail: format!(
                    "журнал db/db обрезан или испорчен: в нём нет обращений с №{} по №{}, \
                     которые были сохранены",
                    numbered.max(1),
                    marked.saturating_sub(1)
                ),
            });
        }
        if let Some(found) = store.schema_version()? {
            if found > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    dir: dir.to_path_buf(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            if found < SCHEMA_VERSION {
                store.build_index()?;
            }
        }
        store.event_base = store
            .meta
            .get(META_EVENT_BASE)?
            .and_then(|bytes| key_id(&bytes))
            .unwrap_or(0);
        Ok(store)
    }

    /// Schema 1 or 2 → 3: keys the events by request, and writes the index of what is
    /// already stored, once, in bounded batches (writing a key twice is harmless).
    fn build_index(&self) -> Result<(), StoreError> {
        const BATCH: usize = 100_000;
        let mut batch = sled::Batch::default();
        let mut queued = 0;
        let mut add = |key: &[u8], batch: &mut sled::Batch| -> Result<(), StoreError> {
            batch.insert(key, &[]);
            queued += 1;
            if queued == BATCH {
                self.index.apply_batch(std::mem::take(batch))?;
                queued = 0;
            }
            Ok(())
        };
        // events were keyed by a number alone; now by request and number (a request's
        // events are read together), numbered above every old one
        let mut renumbered = sled::Batch::default();
        let mut highest = 0;
        for entry in self.events.iter() {
            let (key, bytes) = entry?;
            if let Some(seq) = key_id(&key) {
                let event = AuditEvent::decode(&bytes)?;
                renumbered.remove(&key);
                renumbered.insert(&event_key(event.request, seq), bytes);
                highest = highest.max(seq);
            }
        }
        self.events.apply_batch(renumbered)?;
        let next = self
            .meta
            .get(META_NEXT_EVENT)?
            .and_then(|bytes| key_id(&bytes))
            .unwrap_or(1)
            .max(highest + 1);
        self.meta.insert(META_EVENT_BASE, &id_key(next))?;
        for request in self.all_requests(None) {
            let request = request?;
            add(
                &index::received_key(request.received_at, request.id),
                &mut batch,
            )?;
            if let (false, Some(at)) = (request.status.is_open(), request.closed_at) {
                add(&index::closed_key(at, request.id), &mut batch)?;
            }
        }
        self.index.apply_batch(batch)?;
        self.meta.insert(META_SCHEMA, &id_key(SCHEMA_VERSION))?;
        self.flush()
    }

    pub fn dir(&self) -> &Path {
        &self.path
    }

    fn schema_version(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.meta.get(META_SCHEMA)?.and_then(|bytes| key_id(&bytes)))
    }

    pub fn is_initialized(&self) -> Result<bool, StoreError> {
        Ok(self.schema_version()?.is_some())
    }

    /// Marks the store as initialised with its first staff account, durably.
    pub fn initialize(&self, first: &Staff) -> Result<(), StoreError> {
        self.unjournaled();
        let staff_bytes = first.encode()?;
        (&self.meta, &self.staff)
            .transaction(|(meta, staff)| {
                meta.insert(META_SCHEMA, &id_key(SCHEMA_VERSION))?;
                staff.insert(first.login.as_bytes(), staff_bytes.as_slice())?;
                Ok::<_, ConflictableTransactionError<Abort>>(())
            })
            .map_err(StoreError::from)?;
        self.flush()
    }

    /// Bytes free for new writes on the store's disk (None when it cannot be told).
    pub fn free_bytes(&self) -> Option<u64> {
        files::free_bytes(&self.path)
    }

    /// Makes everything written so far durable by a full sync of sled (on the device, not
    /// in the page cache), and empties the journal.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.take_pending();
        self.flusher().flush()
    }

    /// Makes everything written since the last commit durable, through the journal where
    /// it can (see `Flusher::commit`).
    pub fn commit(&self) -> Result<(), StoreError> {
        self.flusher().commit(self.take_pending())
    }

    /// What was written since the last commit, for the thread that makes it durable.
    pub fn take_pending(&self) -> Pending {
        match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            // a panic while holding it: nothing is known, so sync everything
            Err(_) => Pending {
                entries: Vec::new(),
                unjournaled: true,
            },
        }
    }

    /// A write outside a transaction: only a full sync of sled makes it durable.
    fn unjournaled(&self) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.unjournaled = true;
        }
    }

    /// Writes again what the journal holds and sled does not (a crash after an
    /// acknowledgement, before sled's own sync), then syncs sled and empties the journal.
    fn replay(&self, entries: Vec<Entry>) -> Result<(), StoreError> {
        let next = self
            .meta
            .get(META_JOURNALED)?
            .and_then(|bytes| key_id(&bytes))
            .unwrap_or(1);
        let mut highest = next.saturating_sub(1);
        let held = entries.is_empty();
        for entry in entries.into_iter().filter(|entry| entry.seq >= next) {
            highest = highest.max(entry.seq);
            self.apply_entry(&entry)?;
        }
        self.next_journaled.store(highest + 1, Ordering::SeqCst);
        if !held {
            self.flusher().flush()?;
        }
        Ok(())
    }

    /// The trees a transaction writes, in the journal's numbering (`tx::T`).
    fn journaled_trees(&self) -> [&sled::Tree; TREES] {
        [
            &self.requests,
            &self.open,
            &self.events,
            &self.meta,
            &self.drafts,
            &self.intake,
            &self.callers,
            &self.index,
        ]
    }

    fn apply_entry(&self, entry: &Entry) -> Result<(), StoreError> {
        let trees = self.journaled_trees();
        // one sled batch per tree; the marker (in meta) goes last, so a crash in the middle
        // replays the entry again
        let mut batches: Vec<sled::Batch> = (0..TREES).map(|_| sled::Batch::default()).collect();
        for Op { tree, key, value } in &entry.ops {
            let batch = &mut batches[usize::from(*tree)];
            match value {
                Some(value) => batch.insert(key.as_slice(), value.as_slice()),
                None => batch.remove(key.as_slice()),
            }
        }
        let meta = tx::T::Meta as usize;
        for at in (0..TREES).filter(|&at| at != meta).chain([meta]) {
            trees[at].apply_batch(std::mem::take(&mut batches[at]))?;
        }
        Ok(())
    }

    /// A handle that makes everything written so far durable, for another thread.
    pub fn flusher(&self) -> Flusher {
        Flusher {
            db: self.db.clone(),
            log: Arc::clone(&self.log),
            meta: self.meta.clone(),
            mark: Arc::clone(&self.mark),
            journal: Arc::clone(&self.journal),
        }
    }

    pub fn staff_member(&self, login: &str) -> Result<Option<Staff>, StoreError> {
        match self.staff.get(login.as_bytes())? {
            Some(bytes) => Ok(Some(Staff::decode(&bytes)?)),
            None => Ok(None),
        }
    }

    pub fn all_staff(&self) -> Result<Vec<Staff>, StoreError> {
        self.staff
            .iter()
            .values()
            .map(|bytes| Ok(Staff::decode(&bytes?)?))
            .collect()
    }

    /// Adds or replaces a staff account (durable after `flush`).
    pub fn put_staff(&self, member: &Staff) -> Result<(), StoreError> {
        self.unjournaled();
        self.staff
            .insert(member.login.as_bytes(), member.encode()?)?;
        Ok(())
    }

    pub fn request(&self, id: RequestId) -> Result<Option<Request>, StoreError> {
        match self.requests.get(id_key(id.0))? {
            Some(bytes) => Ok(Some(Request::decode(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Every open request, read through the open index (never the whole history).
    pub fn open_requests(&self) -> Result<Vec<Request>, StoreError> {
        Ok(self.open_requests_readable()?.requests)
    }

    /// The open requests that decode, and the ids of those that do not (a damaged record
    /// must not keep every console from attaching).
    pub fn open_requests_readable(&self) -> Result<Page, StoreError> {
        let mut open = Page::default();
        for key in self.open.iter().keys() {
            let key = key?;
            if let Some(bytes) = self.requests.get(&key)? {
                match Request::decode(&bytes) {
                    Ok(request) => open.requests.push(request),
                    Err(_) => open.unreadable.extend(key_id(&key).map(RequestId)),
                }
            }
        }
        Ok(open)
    }

    /// Up to `limit` requests with ids above `after`, in id order, optionally of one status;
    /// records that do not decode are named in `unreadable`, and the rest still listed.
    pub fn requests_page(
        &self,
        status: Option<Status>,
        after: Option<RequestId>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let start = after.map_or(0, |id| id.0.saturating_add(1));
        let mut page = Page::default();
        for entry in self.requests.range(id_key(start)..) {
            let (key, bytes) = entry?;
            match Request::decode(&bytes) {
                Ok(request) => {
                    if status.is_none_or(|status| request.status == status) {
                        page.requests.push(request);
                        if page.requests.len() >= limit {
                            break;
                        }
                    }
                }
                Err(_) => page.unreadable.extend(key_id(&key).map(RequestId)),
            }
        }
        Ok(page)
    }

    /// Every stored request in id order, optionally of one status.
    pub fn all_requests(
        &self,
        status: Option<Status>,
    ) -> impl Iterator<Item = Result<Request, StoreError>> + '_ {
        self.requests
            .iter()
            .values()
            .map(|bytes| Ok(Request::decode(&bytes?)?))
            .filter(move |request| match (request, status) {
                (Ok(request), Some(status)) => request.status == status,
                _ => true,
            })
    }

    /// Numbers given so far (every request ever logged or imported has one at most this).
    pub fn requests_numbered(&self) -> Result<u64, StoreError> {
        Ok(self
            .meta
            .get(META_NEXT_REQUEST)?
            .and_then(|bytes| key_id(&bytes))
            .map_or(0, |next| next.saturating_sub(1)))
    }

    /// A reader of every stored request that another thread may own (building the search
    /// index while the service goes on).
    pub fn request_reader(&self) -> RequestReader {
        RequestReader {
            requests: self.requests.clone(),
        }
    }

    /// Runs `work` in one transaction over the request trees (durable after `commit`, its
    /// writes noted for the journal). `work` may run more than once (sled retries on
    /// conflict): no side effects in it.
    pub fn write<T>(&self, work: impl Fn(&Tx) -> TxResult<T>) -> Result<T, StoreError> {
        // one number per transaction, stored by it: sled's state says which it holds
        let seq = self.next_journaled.load(Ordering::SeqCst);
        let ops = RefCell::new(Vec::new());
        let [requests, open, events, meta, drafts, intake, callers, index] = self.journaled_trees();
        let result = (requests, open, events, meta, drafts, intake, callers, index).transaction(
            |(requests, open, events, meta, drafts, intake, callers, index)| {
                // a retried attempt starts over
                ops.borrow_mut().clear();
                let tx = Tx {
                    event_base: self.event_base,
                    requests,
                    open,
                    events,
                    meta,
                    drafts,
                    intake,
                    callers,
                    index,
                    ops: &ops,
                };
                let done = work(&tx)?;
                tx.put(tx::T::Meta, META_JOURNALED, id_key(seq + 1))?;
                Ok(done)
            },
        )?;
        self.next_journaled.store(seq + 1, Ordering::SeqCst);
        if let Ok(mut pending) = self.pending.lock() {
            pending.entries.push(Entry {
                seq,
                ops: ops.into_inner(),
            });
        }
        Ok(result)
    }

    /// One change to one request in its own transaction (see `Tx::update_request`).
    pub fn update_request(
        &self,
        id: RequestId,
        actor: &str,
        at: Timestamp,
        action: AuditAction,
        change: impl Fn(&Request) -> Result<Request, TransitionError>,
    ) -> Result<Request, StoreError> {
        let outcome = self.write(|tx| tx.update_request(id, actor, at, action.clone(), &change))?;
        Ok(outcome?)
    }

    /// Loads many finished records at once (restoring a backup, building benchmark stores):
    /// batches per tree, the open index kept, the number counter moved past them, one flush.
    /// Writes no audit events: the records bring their own history.
    pub fn import_requests(&self, records: &[Request]) -> Result<(), StoreError> {
        self.unjournaled();
        let mut requests = sled::Batch::default();
        let mut open = sled::Batch::default();
        let mut received = sled::Batch::default();
        let mut highest = 0;
        for request in records {
            let key = id_key(request.id.0);
            requests.insert(&key, request.encode()?);
            received.insert(&index::received_key(request.received_at, request.id), &[]);
            if let (false, Some(at)) = (request.status.is_open(), request.closed_at) {
                received.insert(&index::closed_key(at, request.id), &[]);
            }
            if request.status.is_open() {
                open.insert(&key, &[]);
            } else {
                open.remove(&key);
            }
            highest = highest.max(request.id.0);
        }
        self.requests.apply_batch(requests)?;
        self.open.apply_batch(open)?;
        self.index.apply_batch(received)?;
        let next = self
            .meta
            .get(META_NEXT_REQUEST)?
            .and_then(|bytes| key_id(&bytes))
            .unwrap_or(1)
            .max(highest + 1);
        self.meta.insert(META_NEXT_REQUEST, &id_key(next))?;
        self.flush()
    }

    /// The audit events of one request, oldest first (its own keys, not a scan).
    pub fn events_of(&self, id: RequestId) -> Result<Vec<AuditEvent>, StoreError> {
        self.events
            .scan_prefix(id_key(id.0))
            .values()
            .map(|bytes| Ok(AuditEvent::decode(&bytes?)?))
            .collect()
    }

    /// Requests received from `from` up to (not including) `to`, in that order.
    pub fn received_between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Request>, StoreError> {
        self.requests_of_keys(
            self.index
                .range(index::received_from(from)..index::received_from(to)),
        )
    }

    /// Every request that was open at some moment from `from` up to `to`: received then, or
    /// received before and closed at `from` or later, or open now. Reads the period and what
    /// happened since, never the history before it.
    pub fn touching(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Request>, StoreError> {
        let mut found = self.received_between(from, to)?;
        let closed_since = self
            .index
            .range(index::closed_from(from).to_vec()..index::closed_end().to_vec());
        found.extend(
            self.requests_of_keys(closed_since)?
                .into_iter()
                .filter(|request| request.received_at < to),
        );
        found.extend(
            self.open_requests()?
                .into_iter()
                .filter(|request| request.received_at < to),
        );
        found.sort_by_key(|request| request.id);
        found.dedup_by_key(|request| request.id);
        Ok(found)
    }

    fn requests_of_keys(
        &self,
        keys: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
    ) -> Result<Vec<Request>, StoreError> {
        let mut found = Vec::new();
        for entry in keys {
            let (key, _) = entry?;
            let Some(id) = index::timed_id(&key) else {
                continue;
            };
            if let Some(request) = self.request(id)? {
                found.push(request);
            }
        }
        Ok(found)
    }

    /// How many audit events are stored (counts them: for tests and checks).
    pub fn event_count(&self) -> Result<u64, StoreError> {
        Ok(self.events.len() as u64)
    }

    pub fn draft(&self, login: &str) -> Result<Option<CallDraft>, StoreError> {
        match self.drafts.get(login.as_bytes())? {
            Some(bytes) => Ok(Some(CallDraft::decode(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Keeps `login`'s unfinished form (durable after `flush`). A plain write, outside any
    /// transaction: a draft stands alone, and this is the write every open form makes.
    pub fn save_draft(&self, login: &str, draft: &CallDraft) -> Result<(), StoreError> {
        self.unjournaled();
        self.drafts.insert(login.as_bytes(), draft.encode()?)?;
        Ok(())
    }

    pub fn discard_draft(&self, login: &str) -> Result<(), StoreError> {
        self.unjournaled();
        self.drafts.remove(login.as_bytes())?;
        Ok(())
    }

    /// Ids in the open index (for checks of the invariant "open iff in the index").
    pub fn open_ids(&self) -> Result<Vec<RequestId>, StoreError> {
        self.open
            .iter()
            .keys()
            .map(|key| Ok(RequestId(key_id(&key?).unwrap_or(0))))
            .collect()
    }
}
