//! The sled store: its trees, one transaction per command, and flushing before anything is
//! acknowledged. Knows bytes and records, not screens or rules.

pub mod backup;
mod callers;
mod codec;
mod error;
mod files;
mod index;
mod journal;
mod old_requests;
mod open;
mod proposals;
mod recent_forms;
mod records;
mod retention;
mod tx;

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
pub use tx::{Abort, Refusal, Staged, Tx, TxError, TxResult};

use crate::domain::lifecycle::TransitionError;
use crate::domain::mail::Outgoing;
use crate::domain::request::{Request, RequestId};
use crate::domain::staff::Staff;
use crate::domain::time::Timestamp;
use codec::{id_key, key_id};
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
pub(crate) const META_NEXT_MAIL: &[u8] = b"next_mail_seq";
/// Every request closed before this instant (milliseconds) has had its personal data
/// destroyed: the retention reads the closes from here on (`Store::retention_from`).
pub(crate) const META_RETENTION_FROM: &[u8] = b"retention_from";
/// The policy's deadlines and hours the stored deadlines were counted in (`Tx::deadline_rules`).
const META_DEADLINE_RULES: &[u8] = b"deadline_rules";
/// The number the next journaled transaction gets: sled holds every one below it.
const META_JOURNALED: &[u8] = b"journal_next";
/// The transaction sled is applying, with what its keys held before (a journal entry of
/// the old values): written before its first write, so a power cut in the middle of it
/// leaves the means to undo it when the journal lost it (`Store::undo_half_applied`).
const META_APPLYING: &[u8] = b"journal_applying";

/// The journal is emptied by a full sync of sled at least this often, or when it holds
/// this much (so it stays small and the start-up replays little).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);
const CHECKPOINT_BYTES: u64 = journal::JOURNAL_SPACE - 256 * 1024;

pub struct Store {
    path: PathBuf,
    db: sled::Db,
    /// sled's log file (`db/db`), synced after every flush (see `Flusher`).
    log: Arc<std::fs::File>,
    /// The highest request number known to be on the disk (see `files::write_mark`).
    mark: Arc<std::fs::File>,
    journal: Arc<Mutex<Journal>>,
    /// Held by a transaction from its first read to its last write to sled, and by a full
    /// sync of sled: one transaction at a time (its staged reads see nobody else's writes),
    /// and a sync never sees half of one.
    writing: Arc<Mutex<()>>,
    /// The number of the next journaled transaction (see `META_JOURNALED`).
    next_journaled: Arc<AtomicU64>,
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
    /// Mail to callers, by its outbox number (see `domain::mail::Outgoing`).
    outbox: sled::Tree,
    meta: sled::Tree,
    /// Where writes are caught while a backup reads (see `backup.rs`).
    catch: backup::Catch,
    /// The newest website form keys of `intake`, built on the first form (see
    /// `recent_forms.rs`).
    recent_forms: Mutex<Option<recent_forms::RecentForms>>,
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
    writing: Arc<Mutex<()>>,
    next_journaled: Arc<AtomicU64>,
}

impl Flusher {
    /// Makes `pending` durable: through the journal, or by a full sync of sled when
    /// something was written outside a transaction or the journal is due to be emptied.
    pub fn commit(&self, pending: Pending) -> Result<(), StoreError> {
        if pending.is_empty() {
            return Ok(());
        }
        let mut journal = self.journal.lock().map_err(|_| StoreError::JournalLost)?;
        // a batch that does not follow the journal's last entry at once is synced with sled
        // instead: one made durable before an earlier one (a job's own commit while the
        // teller holds the batch before), or after a later one
        let due = journal.length() > CHECKPOINT_BYTES
            || journal.synced_at().elapsed() > CHECKPOINT_EVERY
            || journal.failed()
            || !journal.follows(&pending.entries);
        if pending.unjournaled || due {
            drop(journal);
            return self.flush();
        }
        // Written and synced here, on the thread that makes batches durable, never while
        // the service thread writes the journal: a write waits for a sync of the same file.
        let appended = journal.append(&pending.entries);
        if appended.is_err() {
            // a failed fdatasync may not say so again: only a full sync of sled is trusted now
            journal.mark_failed();
        }
        appended.map_err(StoreError::from)
    }

    /// Syncs sled itself and empties the journal.
    pub fn flush(&self) -> Result<(), StoreError> {
        // no transaction half in sled, none written to the journal while it is emptied
        let _writing = self.writing.lock().map_err(|_| StoreError::JournalLost)?;
        let mut journal = self.journal.lock().map_err(|_| StoreError::JournalLost)?;
        self.sync_sled(&mut journal)
    }

    fn sync_sled(&self, journal: &mut Journal) -> Result<(), StoreError> {
        // read before the flush, so the mark never runs ahead of what it makes durable
        let numbered = self.meta.get(META_NEXT_REQUEST).ok().flatten();
        // no transaction is half applied (the writing lock is held): sled holds all before it
        let through = self.next_journaled.load(Ordering::SeqCst).saturating_sub(1);
        self.db.flush()?;
        self.log.sync_data().map_err(StoreError::from)?;
        if let Some(next) = numbered.and_then(|bytes| key_id(&bytes)) {
            files::write_mark(&self.mark, next);
        }
        // everything the journal holds was applied before this flush began
        journal.clear(through).map_err(StoreError::from)?;
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

    /// An imported call, named by its content (`domain::import::CheckedRow::content_key`),
    /// whoever imports it. No login starts with a NUL byte, so the two kinds never meet.
    pub fn imported(content: &[u8; 32]) -> IntakeKey {
        let mut bytes = b"\0import\0".to_vec();
        bytes.extend_from_slice(content);
        IntakeKey { bytes }
    }

    /// A request from the website form, named by the form's own key: a form sent again
    /// (a reload, a double click) is the request already stored.
    pub fn website(form_key: &[u8; 16]) -> IntakeKey {
        let mut bytes = b"\0web\0".to_vec();
        bytes.extend_from_slice(form_key);
        IntakeKey { bytes }
    }

    fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl From<TxError> for StoreError {
    fn from(error: TxError) -> Self {
        match error {
            TxError::Abort(Abort(error)) => StoreError::Codec(error),
            TxError::Storage(error) => StoreError::from(error),
        }
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

impl Store {
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
                written: 0,
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
    /// acknowledgement, before sled's own sync), and undoes what sled holds half of; true
    /// when it wrote, and sled is to be synced and the journal emptied (once the store is
    /// known to be whole: a sync writes the mark that tells a log cut short).
    fn replay(&self, entries: Vec<Entry>) -> Result<bool, StoreError> {
        let next = self
            .meta
            .get(META_JOURNALED)?
            .and_then(|bytes| key_id(&bytes))
            .unwrap_or(1);
        let undone = self.undo_half_applied(next, &entries)?;
        let mut highest = next.saturating_sub(1);
        let held = entries.is_empty() && !undone;
        for entry in entries.into_iter().filter(|entry| entry.seq >= next) {
            highest = highest.max(entry.seq);
            // in order: its marker is its last write, so a crash in the middle replays it again
            self.apply_ops(&entry.ops)?;
        }
        self.next_journaled.store(highest + 1, Ordering::SeqCst);
        if let Ok(mut journal) = self.journal.lock() {
            journal.holds_through(highest);
        }
        Ok(!held)
    }

    /// After a power cut in the middle of applying transaction `next` (sled keeps a prefix
    /// of its writes), when the journal lost it too: puts back what its keys held, so
    /// nobody is left with half a command that was never acknowledged. True if it did.
    fn undo_half_applied(&self, next: u64, journaled: &[Entry]) -> Result<bool, StoreError> {
        let Some(bytes) = self.meta.get(META_APPLYING)? else {
            return Ok(false);
        };
        let Some((undo, _)) = Entry::decode_one(&bytes) else {
            return Err(StoreError::Corrupt {
                dir: self.path.clone(),
                detail: tr!("store.undo_unreadable").into(),
            });
        };
        let kept = journaled.iter().any(|entry| entry.seq == undo.seq);
        if undo.seq < next || kept {
            // applied whole, or the journal writes it again
            return Ok(false);
        }
        self.apply_ops(&undo.ops)?;
        self.meta.remove(META_APPLYING)?;
        Ok(true)
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
            &self.outbox,
        ]
    }

    /// Every message in the outbox, oldest first.
    pub fn outbox(&self) -> impl Iterator<Item = Result<Outgoing, StoreError>> + '_ {
        self.outbox
            .iter()
            .values()
            .map(|bytes| Ok(Outgoing::decode(&bytes?)?))
    }

    /// The outbox, newest first.
    pub fn outbox_newest(&self) -> impl Iterator<Item = Result<Outgoing, StoreError>> + '_ {
        self.outbox
            .iter()
            .values()
            .rev()
            .map(|bytes| Ok(Outgoing::decode(&bytes?)?))
    }

    /// A handle that makes everything written so far durable, for another thread.
    pub fn flusher(&self) -> Flusher {
        Flusher {
            db: self.db.clone(),
            log: Arc::clone(&self.log),
            meta: self.meta.clone(),
            mark: Arc::clone(&self.mark),
            journal: Arc::clone(&self.journal),
            writing: Arc::clone(&self.writing),
            next_journaled: Arc::clone(&self.next_journaled),
        }
    }

    /// Runs `work` as one transaction: its writes are staged, then applied to sled, its
    /// undo first; an error in `work` writes nothing. The journal gets it at the next
    /// `commit`, which makes it durable.
    pub fn write<T>(&self, work: impl Fn(&Tx) -> TxResult<T>) -> Result<T, StoreError> {
        let _writing = self.writing.lock().map_err(|_| StoreError::JournalLost)?;
        // one number per transaction, stored by it: sled's state says which it holds
        let seq = self.next_journaled.load(Ordering::SeqCst);
        let held = self.catch.hold();
        let tx = Tx::new(
            self.event_base,
            &self.db,
            self.journaled_trees(),
            &self.recent_forms,
        );
        let done = work(&tx)?;
        tx.put_marker(tx::T::Meta, META_JOURNALED, id_key(seq + 1));
        let (entry, undo) = tx.finish(seq);
        let written = self.write_ahead(&entry);
        // sled may keep part of it before the journal has it (sled writes its buffers out
        // when they fill): the undo, written first, puts that part back at the next open
        if let Err(error) = self.apply_staged(&entry, &undo) {
            // told it failed: what sled took of it is put back now (sled fails every write
            // after one that failed on the disk, and then the open puts it back)
            let _ = self.apply_ops(&undo.ops);
            if let Some(written) = written {
                if let Ok(mut journal) = self.journal.lock() {
                    if journal.take_back(written).is_err() {
                        journal.mark_failed();
                    }
                }
            }
            return Err(error);
        }
        self.next_journaled.store(seq + 1, Ordering::SeqCst);
        recent_forms::note(&self.recent_forms, &entry.ops);
        held.caught(|| {
            entry
                .ops
                .iter()
                .map(|op| backup::Caught {
                    tree: op.tree,
                    key: op.key.clone(),
                    value: op.value.clone(),
                })
                .collect()
        });
        drop(held);
        if let Ok(mut pending) = self.pending.lock() {
            match written {
                Some(_) => pending.written += 1,
                None => pending.entries.push(entry),
            }
        }
        Ok(done)
    }

    /// Writes a transaction's entry to the journal before sled gets it, when the journal
    /// is free, so the device writes it while sled applies it and the commit only syncs:
    /// a command alone is answered a sync after its own work, not after sled's too. Not
    /// while a batch is being synced (a write waits for a sync of the same file: the
    /// commit writes it then), nor out of order (reading stops at an entry whose number
    /// does not follow the one before).
    fn write_ahead(&self, entry: &Entry) -> Option<journal::Written> {
        let mut journal = self.journal.try_lock().ok()?;
        let next = journal.last() + 1 == entry.seq;
        if !next || journal.failed() || journal.length() > CHECKPOINT_BYTES {
            return None;
        }
        journal.write_ahead(std::slice::from_ref(entry)).ok()
    }

    /// Applies a transaction's writes to sled, its undo first (see `META_APPLYING`); the
    /// marker `META_JOURNALED` is its last write.
    fn apply_staged(&self, entry: &Entry, undo: &Entry) -> Result<(), StoreError> {
        let mut bytes = Vec::new();
        undo.encode(&mut bytes);
        self.meta.insert(META_APPLYING, bytes)?;
        self.apply_ops(&entry.ops)
    }

    fn apply_ops(&self, ops: &[Op]) -> Result<(), StoreError> {
        let trees = self.journaled_trees();
        for Op { tree, key, value } in ops {
            let tree = trees[usize::from(*tree)];
            match value {
                Some(value) => tree.insert(key.as_slice(), value.as_slice())?,
                None => tree.remove(key.as_slice())?,
            };
        }
        Ok(())
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
        // records from elsewhere may be closed before where the retention reads from
        self.meta.remove(META_RETENTION_FROM)?;
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transaction sled kept only the start of (a power cut while it was applied): its
    /// undo and its first write are in sled's files, the rest is not.
    fn half_apply(store: &Store, journaled: bool) {
        let seq = store.next_journaled.load(Ordering::SeqCst);
        let tx = Tx::new(
            store.event_base,
            &store.db,
            store.journaled_trees(),
            &store.recent_forms,
        );
        // read first: the undo takes what was read, not a second read
        assert_eq!(tx.requests.get(b"k").unwrap().unwrap().as_ref(), b"a");
        tx.put(tx::T::Requests, b"k", b"b").unwrap();
        tx.put(tx::T::Requests, b"k2", b"new").unwrap();
        tx.put_marker(tx::T::Meta, META_JOURNALED, id_key(seq + 1));
        let (entry, undo) = tx.finish(seq);
        if journaled {
            store.journal.lock().unwrap().append(&[entry]).unwrap();
        }
        let mut bytes = Vec::new();
        undo.encode(&mut bytes);
        store.meta.insert(META_APPLYING, bytes).unwrap();
        store.requests.insert(b"k", b"b").unwrap();
        store.db.flush().unwrap();
    }

    fn stored(dir: &Path) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
        let store = Store::open(dir).unwrap();
        let get = |key: &[u8]| store.requests.get(key).unwrap().map(|value| value.to_vec());
        (get(b"k"), get(b"k2"))
    }

    fn store_with_k(dir: &Path) -> Store {
        let store = Store::open(dir).unwrap();
        store
            .write(|tx| tx.put(tx::T::Requests, b"k", b"a"))
            .unwrap();
        store.commit().unwrap();
        store
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    #[test]
    fn a_batch_made_durable_before_an_earlier_one_keeps_it_and_the_earlier_one_is_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.flush().unwrap();
        let (earlier, later) = a_waiting_then_b(&store);
        // a job's own commit while the teller still holds the batch before it
        store.flusher().commit(later).unwrap();
        // a crash now: `b` was acknowledged and is kept, and so is `a`, which `b`'s writes
        // may build on (a request `b` links a caller's card to, a counter `a` moved)
        a_and_b_outlive_a_crash(dir.path());
        store.flusher().commit(earlier).unwrap();
        a_and_b_outlive_a_crash(dir.path());
    }

    /// `a` written while the teller syncs the batch before, then `b` once the journal is
    /// free: neither is written ahead (`b` would not follow `a`); their two batches.
    fn a_waiting_then_b(store: &Store) -> (Pending, Pending) {
        let waiting = written_while_syncing(store, b"a", b"1");
        store
            .write(|tx| tx.put(tx::T::Requests, b"b", b"2"))
            .unwrap();
        let later = store.take_pending();
        assert_eq!((later.entries.len(), later.written), (1, 0));
        (waiting, later)
    }

    fn a_and_b_outlive_a_crash(dir: &Path) {
        let (_copy, reopened) = reopened_copy(dir);
        let get = |key: &[u8]| {
            reopened
                .requests
                .get(key)
                .unwrap()
                .map(|value| value.to_vec())
        };
        assert_eq!(
            (get(b"a"), get(b"b")),
            (Some(b"1".to_vec()), Some(b"2".to_vec()))
        );
    }

    #[test]
    fn half_a_transaction_the_journal_lost_is_undone_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_k(dir.path());
        half_apply(&store, false);
        drop(store);
        assert_eq!(stored(dir.path()), (Some(b"a".to_vec()), None));
        // and it stays undone: the next open finds nothing to do
        assert_eq!(stored(dir.path()), (Some(b"a".to_vec()), None));
    }

    #[test]
    fn half_a_transaction_the_journal_kept_is_finished_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_k(dir.path());
        half_apply(&store, true);
        drop(store);
        assert_eq!(
            stored(dir.path()),
            (Some(b"b".to_vec()), Some(b"new".to_vec()))
        );
    }

    fn website_form(given_out: u64, tail: u8) -> IntakeKey {
        let mut form = [tail; 16];
        form[..8].copy_from_slice(&given_out.to_be_bytes());
        IntakeKey::website(&form)
    }

    /// The kept website keys answer as sled would: a form stored is known in its own
    /// transaction, in later ones and after a reopen; one whose transaction aborted is not.
    #[test]
    fn a_website_form_once_stored_is_known_and_one_aborted_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (sent, aborted) = (website_form(1_000, 1), website_form(1_000, 2));
        let known =
            |store: &Store, form: &IntakeKey| store.write(|tx| tx.known_intake(form)).unwrap();
        assert_eq!(known(&store, &sent), None);
        assert!(lock_forms(&store).is_some(), "built at the first form");
        let staged = store.write(|tx| {
            tx.put(tx::T::Intake, sent.bytes(), id_key(7))?;
            tx.known_intake(&sent)
        });
        assert_eq!(staged.unwrap(), Some(RequestId(7)));
        assert_eq!(known(&store, &sent), Some(RequestId(7)));
        let refused = store.write(|tx| {
            tx.put(tx::T::Intake, aborted.bytes(), id_key(8))?;
            Err::<(), _>(TxError::Abort(Abort(CodecError::Empty)))
        });
        assert!(refused.is_err());
        assert_eq!(known(&store, &aborted), None);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert!(lock_forms(&store).is_none(), "not built before a form");
        assert_eq!(known(&store, &sent), Some(RequestId(7)));
        assert_eq!(known(&store, &aborted), None);
    }

    fn lock_forms(store: &Store) -> std::sync::MutexGuard<'_, Option<recent_forms::RecentForms>> {
        recent_forms::lock(&store.recent_forms)
    }

    #[test]
    fn an_aborted_transaction_writes_nothing_and_its_reads_saw_its_own_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_k(dir.path());
        let seen = store.write(|tx| {
            tx.put(tx::T::Requests, b"k2", b"staged")?;
            Ok(tx.requests.get(b"k2")?.map(|value| value.to_vec()))
        });
        assert_eq!(seen.unwrap(), Some(b"staged".to_vec()));
        let aborted: Result<(), StoreError> = store.write(|tx| {
            tx.put(tx::T::Requests, b"k", b"lost")?;
            Err(TxError::Abort(Abort(CodecError::Empty)))
        });
        assert!(aborted.is_err());
        assert_eq!(store.requests.get(b"k").unwrap().unwrap().as_ref(), b"a");
        drop(store);
        assert_eq!(
            stored(dir.path()),
            (Some(b"a".to_vec()), Some(b"staged".to_vec()))
        );
    }

    /// The files as a crash now would leave them (sled is not synced on drop here), opened.
    fn reopened_copy(dir: &Path) -> (tempfile::TempDir, Store) {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(dir, copy.path());
        let store = Store::open(copy.path()).unwrap();
        (copy, store)
    }

    /// A transaction written while the teller syncs the batch before: it is left to the
    /// commit, which the caller makes.
    fn written_while_syncing(store: &Store, key: &[u8], value: &[u8]) -> Pending {
        let syncing = store.journal.lock().unwrap();
        store
            .write(|tx| tx.put(tx::T::Requests, key, value))
            .unwrap();
        drop(syncing);
        let pending = store.take_pending();
        assert_eq!((pending.entries.len(), pending.written), (1, 0));
        pending
    }

    fn journal_entries(store: &Store) -> Vec<u64> {
        let bytes = std::fs::read(store.path.join("db").join(journal::JOURNAL_FILE)).unwrap();
        let (entries, _) = Entry::decode_all(&bytes);
        entries.iter().map(|entry| entry.seq).collect()
    }

    #[test]
    fn a_transaction_alone_is_in_the_journal_before_its_commit_which_only_syncs_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_k(dir.path());
        let seq = store.next_journaled.load(Ordering::SeqCst);
        store
            .write(|tx| tx.put(tx::T::Requests, b"k2", b"ahead"))
            .unwrap();
        assert!(
            journal_entries(&store).contains(&seq),
            "written before sled"
        );
        let pending = store.take_pending();
        assert_eq!((pending.entries.len(), pending.written), (0, 1));
        store.flusher().commit(pending).unwrap();
        let (_copy, reopened) = reopened_copy(dir.path());
        assert_eq!(
            reopened.requests.get(b"k2").unwrap().unwrap().as_ref(),
            b"ahead"
        );
        // after an open that found the journal empty, the next one is written ahead too
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        store.flush().unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        store
            .write(|tx| tx.put(tx::T::Requests, b"k3", b"ahead"))
            .unwrap();
        assert_eq!(store.take_pending().written, 1);
    }

    #[test]
    fn a_transaction_is_not_written_ahead_of_one_waiting_for_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_k(dir.path());
        // the journal is free for `b`, but the one before it is not in it yet
        let (waiting, later) = a_waiting_then_b(&store);
        store.flusher().commit(waiting).unwrap();
        store.flusher().commit(later).unwrap();
        a_and_b_outlive_a_crash(dir.path());
    }
}
