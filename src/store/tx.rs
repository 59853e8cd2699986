//! Writing as one transaction of pult's own. A command's writes are staged here (its reads
//! see them), then applied to sled with plain inserts by `Store::write` and journaled at
//! the next commit: sled's own transactions write their log buffer out on every commit,
//! and that I/O costs more than the command and competes with the journal's sync. A
//! transaction may carry several commands; a refused command writes nothing and does not
//! abort the others; a failure inside the transaction aborts them all before anything
//! reaches sled.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;

use sled::IVec;

use super::codec::{event_key, id_key, key_id, AuditAction, AuditEvent, CodecError, Record};
use super::journal::{Entry, Op, TREES};
use super::recent_forms::{self, form_of, RecentForms};
use super::{index, IntakeKey, META_NEXT_MAIL, META_NEXT_REQUEST};
use crate::domain::caller::CallerId;
use crate::domain::lifecycle::TransitionError;
use crate::domain::mail::Outgoing;
use crate::domain::request::{Request, RequestId};
use crate::domain::time::Timestamp;

/// Why a transaction stopped: a stored record could not be read or written.
#[derive(Debug)]
pub struct Abort(pub CodecError);

/// What ends a transaction with nothing written.
#[derive(Debug)]
pub enum TxError {
    Storage(sled::Error),
    Abort(Abort),
}

impl From<sled::Error> for TxError {
    fn from(error: sled::Error) -> Self {
        TxError::Storage(error)
    }
}

/// A storage failure aborts the whole transaction (`?` inside it).
pub type TxResult<T> = Result<T, TxError>;

/// Why a change to a request was refused (the transaction goes on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Missing(RequestId),
    Rule(TransitionError),
}

pub(super) fn codec<T>(result: Result<T, CodecError>) -> TxResult<T> {
    result.map_err(|error| TxError::Abort(Abort(error)))
}

/// One tree as a transaction sees it: what it wrote, over what sled holds.
pub struct Staged<'a> {
    tree: &'a sled::Tree,
    written: RefCell<HashMap<Vec<u8>, Option<IVec>>>,
    /// What sled held under the keys read so far (a key read and then written is read from
    /// sled once: most writes follow a read of the same key).
    held: RefCell<HashMap<Vec<u8>, Option<IVec>>>,
}

/// What a write knows of the key it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    /// It may hold a value: what it held is read for the undo.
    Any,
    /// Named by a number just taken from a counter, so sled holds nothing under it.
    New,
}

impl<'a> Staged<'a> {
    pub(super) fn new(tree: &'a sled::Tree) -> Staged<'a> {
        Staged {
            tree,
            written: RefCell::new(HashMap::new()),
            held: RefCell::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: impl AsRef<[u8]>) -> TxResult<Option<IVec>> {
        let key = key.as_ref();
        if let Some(value) = self.written.borrow().get(key) {
            return Ok(value.clone());
        }
        self.held_under(key)
    }

    /// What this transaction wrote under `key`, if it did.
    fn staged(&self, key: &[u8]) -> Option<Option<IVec>> {
        self.written.borrow().get(key).cloned()
    }

    /// Notes that sled holds nothing under `key`, known without asking it: a later write of
    /// the key takes that as what it replaces (its undo), and does not ask either.
    fn held_nothing(&self, key: &[u8]) {
        self.held.borrow_mut().insert(key.to_vec(), None);
    }

    fn held_under(&self, key: &[u8]) -> TxResult<Option<IVec>> {
        if let Some(value) = self.held.borrow().get(key) {
            return Ok(value.clone());
        }
        let value = self.tree.get(key)?;
        self.held.borrow_mut().insert(key.to_vec(), value.clone());
        Ok(value)
    }

    /// Stages a write; returns what sled held before, the first time the key is written.
    fn stage(
        &self,
        key: &[u8],
        value: Option<&[u8]>,
        known: Key,
    ) -> TxResult<Option<Option<IVec>>> {
        let before = if self.written.borrow().contains_key(key) {
            None
        } else if known == Key::New {
            Some(None)
        } else {
            Some(self.held_under(key)?)
        };
        self.written
            .borrow_mut()
            .insert(key.to_vec(), value.map(IVec::from));
        Ok(before)
    }
}

/// The trees a command may touch, inside one transaction.
pub struct Tx<'a> {
    /// Added to sled's generated ids to number audit events.
    pub(super) event_base: u64,
    pub(super) ids: &'a sled::Db,
    pub(super) requests: Staged<'a>,
    pub(super) open: Staged<'a>,
    pub(super) events: Staged<'a>,
    pub(super) meta: Staged<'a>,
    pub(super) drafts: Staged<'a>,
    pub(super) intake: Staged<'a>,
    pub(super) callers: Staged<'a>,
    pub(super) index: Staged<'a>,
    pub(super) outbox: Staged<'a>,
    /// Every write, in order, for the journal and for sled (see `journal.rs`).
    pub(super) ops: RefCell<Vec<Op>>,
    /// What sled held under each key before this transaction first wrote it: how a
    /// half-applied transaction is undone after a power cut (see `Store::undo_half_applied`).
    pub(super) before: RefCell<Vec<Op>>,
    /// The store's newest website form keys (see `recent_forms.rs`).
    forms: &'a Mutex<Option<RecentForms>>,
}

/// The trees of a transaction, numbered as in the journal.
#[derive(Debug, Clone, Copy)]
pub(super) enum T {
    Requests = 0,
    Open = 1,
    Events = 2,
    Meta = 3,
    Drafts = 4,
    Intake = 5,
    Callers = 6,
    Index = 7,
    Outbox = 8,
}

impl<'a> Tx<'a> {
    /// A transaction over the store's trees (in the journal's numbering).
    pub(super) fn new(
        event_base: u64,
        ids: &'a sled::Db,
        trees: [&'a sled::Tree; TREES],
        forms: &'a Mutex<Option<RecentForms>>,
    ) -> Self {
        let [requests, open, events, meta, drafts, intake, callers, index, outbox] =
            trees.map(Staged::new);
        Tx {
            event_base,
            ids,
            requests,
            open,
            events,
            meta,
            drafts,
            intake,
            callers,
            index,
            outbox,
            ops: RefCell::new(Vec::new()),
            before: RefCell::new(Vec::new()),
            forms,
        }
    }

    /// The journal entry of what the transaction numbered `seq` wrote, and its undo.
    pub(super) fn finish(self, seq: u64) -> (Entry, Entry) {
        let ops = self.ops.into_inner();
        let before = self.before.into_inner();
        (Entry { seq, ops }, Entry { seq, ops: before })
    }

    fn tree(&self, tree: T) -> &Staged<'a> {
        match tree {
            T::Requests => &self.requests,
            T::Open => &self.open,
            T::Events => &self.events,
            T::Meta => &self.meta,
            T::Drafts => &self.drafts,
            T::Intake => &self.intake,
            T::Callers => &self.callers,
            T::Index => &self.index,
            T::Outbox => &self.outbox,
        }
    }

    /// Stages `value` (None: a removal) under `key` in `tree`, and notes it for the journal.
    fn write(&self, tree: T, key: &[u8], value: Option<&[u8]>, known: Key) -> TxResult<()> {
        if let Some(before) = self.tree(tree).stage(key, value, known)? {
            self.before.borrow_mut().push(Op {
                tree: tree as u8,
                key: key.to_vec(),
                value: before.map(|old| old.to_vec()),
            });
        }
        self.note(tree, key, value);
        Ok(())
    }

    /// Notes a write for the journal and for sled, in order.
    fn note(&self, tree: T, key: &[u8], value: Option<&[u8]>) {
        self.ops.borrow_mut().push(Op {
            tree: tree as u8,
            key: key.to_vec(),
            value: value.map(<[u8]>::to_vec),
        });
    }

    /// Sets `key` in `tree`, and notes it for the journal.
    pub(super) fn put(
        &self,
        tree: T,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> TxResult<()> {
        self.write(tree, key.as_ref(), Some(value.as_ref()), Key::Any)
    }

    /// Sets a transaction's marker as its last write (see `Store::write`): not staged and
    /// not in the undo, which is applied only when sled does not hold the marker's write.
    pub(super) fn put_marker(&self, tree: T, key: &[u8], value: impl AsRef<[u8]>) {
        self.note(tree, key, Some(value.as_ref()));
    }

    /// Sets `key`, which sled cannot hold yet (see `Key::New`), in `tree`.
    pub(super) fn put_new(
        &self,
        tree: T,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> TxResult<()> {
        self.write(tree, key.as_ref(), Some(value.as_ref()), Key::New)
    }

    /// Removes `key` from `tree`, and notes it for the journal.
    pub(super) fn delete(&self, tree: T, key: impl AsRef<[u8]>) -> TxResult<()> {
        self.write(tree, key.as_ref(), None, Key::Any)
    }

    /// Reads a counter, stores the next value, returns the one read (starting at `first`).
    pub(super) fn take_counter(&self, key: &[u8], first: u64) -> TxResult<u64> {
        let current = self
            .meta
            .get(key)?
            .and_then(|bytes| key_id(&bytes))
            .unwrap_or(first);
        self.put(T::Meta, key, id_key(current + 1))?;
        Ok(current)
    }

    /// The deadline rules (the policy's spans and hours, as the service writes them down)
    /// the open requests' deadlines were counted in, when the service wrote them down.
    pub fn deadline_rules(&self) -> TxResult<Option<Vec<u8>>> {
        Ok(self
            .meta
            .get(super::META_DEADLINE_RULES)?
            .map(|bytes| bytes.to_vec()))
    }

    pub fn set_deadline_rules(&self, rules: &[u8]) -> TxResult<()> {
        self.put(T::Meta, super::META_DEADLINE_RULES, rules)
    }

    pub fn append_event(&self, event: &AuditEvent) -> TxResult<()> {
        // sled's generated ids only grow (across restarts too); an aborted transaction
        // leaves a gap, never a repeat
        let seq = self.event_base + self.ids.generate_id()?;
        self.put_new(
            T::Events,
            event_key(event.request, seq),
            codec(event.encode())?,
        )?;
        Ok(())
    }

    fn write_request(&self, request: &Request, known: Key) -> TxResult<()> {
        let key = id_key(request.id.0);
        let value = codec(request.encode())?;
        self.write(T::Requests, &key, Some(&value), known)?;
        if request.status.is_open() {
            self.write(T::Open, &key, Some(&[]), known)?;
        } else {
            self.delete(T::Open, key)?;
            if let Some(at) = request.closed_at {
                self.put(T::Index, index::closed_key(at, request.id), [])?;
                // a close earlier than where the retention reads from (an import of old
                // calls) makes it read from the start again
                let from = self
                    .meta
                    .get(super::META_RETENTION_FROM)?
                    .and_then(|bytes| key_id(&bytes));
                let earlier = from.is_some_and(|from| (at.0.max(0) as u64) < from);
                if earlier && !crate::domain::retention::is_destroyed(request) {
                    self.delete(T::Meta, super::META_RETENTION_FROM)?;
                }
            }
        }
        Ok(())
    }

    pub fn request(&self, id: RequestId) -> TxResult<Option<Request>> {
        match self.requests.get(id_key(id.0))? {
            Some(bytes) => Ok(Some(codec(Request::decode(&bytes))?)),
            None => Ok(None),
        }
    }

    /// Stores a new request with the next number and its audit event, puts it on its
    /// caller's card, and ends the logger's draft.
    ///
    /// `intake` names the call (who answered it, when): a second insert with the same key
    /// returns the request already stored instead of a copy, so a client that lost the
    /// answer may send the call again.
    /// `card`: the caller's card the operator took for this call, if any.
    pub fn insert_request(
        &self,
        build: impl FnOnce(RequestId) -> Request,
        event_at: Timestamp,
        intake: Option<&IntakeKey>,
        card: Option<CallerId>,
    ) -> TxResult<Request> {
        if let Some(existing) = intake
            .map(|key| self.known_intake(key))
            .transpose()?
            .flatten()
        {
            if let Some(bytes) = self.requests.get(id_key(existing.0))? {
                return codec(Request::decode(&bytes));
            }
        }
        let request = self.insert_new(build, event_at, intake, card)?;
        // a read costs less than a write, and most calls saved by scripts had no draft
        if self.drafts.get(request.logged_by.as_bytes())?.is_some() {
            self.delete(T::Drafts, request.logged_by.as_bytes())?;
        }
        Ok(request)
    }

    /// The request a call named `intake` made, if it was stored (in this transaction too).
    pub fn known_intake(&self, intake: &IntakeKey) -> TxResult<Option<RequestId>> {
        if let Some(form) = form_of(intake.bytes()) {
            if self.intake.staged(intake.bytes()).is_none() && self.surely_new_form(&form)? {
                self.intake.held_nothing(intake.bytes());
                return Ok(None);
            }
        }
        Ok(self
            .intake
            .get(intake.bytes())?
            .and_then(|bytes| key_id(&bytes))
            .map(RequestId))
    }

    /// Is the website form `form` surely not in sled's intake tree? The store's newest keys
    /// say, built from sled at the first form.
    fn surely_new_form(&self, form: &[u8; 16]) -> TxResult<bool> {
        let mut kept = recent_forms::lock(self.forms);
        if kept.is_none() {
            *kept = Some(RecentForms::read(self.intake.tree)?);
        }
        Ok(kept.as_ref().is_some_and(|recent| recent.surely_new(form)))
    }

    /// Stores an imported call as a new request named `intake` (see `known_intake`), like
    /// `insert_request`; the importing person's draft is theirs to keep.
    pub fn insert_imported(
        &self,
        build: impl FnOnce(RequestId) -> Request,
        event_at: Timestamp,
        intake: &IntakeKey,
    ) -> TxResult<Request> {
        self.insert_new(build, event_at, Some(intake), None)
    }

    fn insert_new(
        &self,
        build: impl FnOnce(RequestId) -> Request,
        event_at: Timestamp,
        intake: Option<&IntakeKey>,
        card: Option<CallerId>,
    ) -> TxResult<Request> {
        let id = RequestId(self.take_counter(META_NEXT_REQUEST, 1)?);
        let request = build(id);
        self.write_request(&request, Key::New)?;
        self.put_new(T::Index, index::received_key(request.received_at, id), [])?;
        self.link_caller(&request, card)?;
        self.append_event(&AuditEvent {
            at: event_at,
            actor: request.logged_by.clone(),
            request: id,
            action: AuditAction::Logged,
        })?;
        if let Some(key) = intake {
            self.put(T::Intake, key.bytes(), id_key(id.0))?;
        }
        Ok(request)
    }

    /// Applies `change` to request `id` and records `action` by `actor`. A refused change
    /// writes nothing.
    pub fn update_request(
        &self,
        id: RequestId,
        actor: &str,
        at: Timestamp,
        action: AuditAction,
        change: impl FnOnce(&Request) -> Result<Request, TransitionError>,
    ) -> TxResult<Result<Request, Refusal>> {
        let Some(current) = self.request(id)? else {
            return Ok(Err(Refusal::Missing(id)));
        };
        let next = match change(&current) {
            Ok(next) => next,
            Err(error) => return Ok(Err(Refusal::Rule(error))),
        };
        self.record_change(&next, actor, at, action)?;
        Ok(Ok(next))
    }

    /// Writes `next`, a stored request after a change, and records `action` by `actor`.
    pub fn record_change(
        &self,
        next: &Request,
        actor: &str,
        at: Timestamp,
        action: AuditAction,
    ) -> TxResult<()> {
        self.write_request(next, Key::Any)?;
        self.append_event(&AuditEvent {
            at,
            actor: actor.to_string(),
            request: next.id,
            action,
        })
    }

    /// Puts a new message in the outbox under the next outbox number (`build` gets it).
    pub fn queue_mail(&self, build: impl FnOnce(u64) -> Outgoing) -> TxResult<Outgoing> {
        let seq = self.take_counter(META_NEXT_MAIL, 1)?;
        let message = build(seq);
        self.put_mail(&message)?;
        Ok(message)
    }

    pub fn mail(&self, seq: u64) -> TxResult<Option<Outgoing>> {
        match self.outbox.get(id_key(seq))? {
            Some(bytes) => Ok(Some(codec(Outgoing::decode(&bytes))?)),
            None => Ok(None),
        }
    }

    /// Stores a message's new state (after an attempt).
    pub fn put_mail(&self, message: &Outgoing) -> TxResult<()> {
        self.put(T::Outbox, id_key(message.seq), codec(message.encode())?)
    }

    /// Records that `actor` read request `id` (with its contact data) at `at`.
    pub fn record_view(
        &self,
        id: RequestId,
        actor: &str,
        at: Timestamp,
        export: bool,
    ) -> TxResult<()> {
        self.append_event(&AuditEvent {
            at,
            actor: actor.to_string(),
            request: id,
            action: AuditAction::Viewed { export },
        })
    }
}
