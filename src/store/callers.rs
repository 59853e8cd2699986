//! Caller cards in the store: linking each logged call to its person's card, merging two
//! cards, and finding a card by phone or email.
//!
//! One tree, three kinds of keys: `c` + caller id → the card's details; `k` + contact key
//! (phone or email) → caller id; `r` + caller id + request id → nothing (the card's
//! requests, so a call adds one key instead of rewriting a growing list).

use serde::{Deserialize, Serialize};

use super::codec::{id_key, key_id, AuditAction, AuditEvent, Record};
use super::tx::{codec, Tx, TxResult, T};
use super::{Store, StoreError, META_NEXT_CALLER};
use crate::domain::caller::{keys_of, CallerCard, CallerId, ContactKey};
use crate::domain::request::{CallerRole, Request, RequestId};
use crate::domain::time::Timestamp;
use crate::domain::validate::{Email, Phone, SchoolClass};

/// Why two cards could not be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeRefusal {
    Missing(CallerId),
    Same,
}

/// A card as stored: its details without its requests (those are keys of their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCard {
    pub id: CallerId,
    pub name: String,
    pub role: CallerRole,
    pub class: Option<SchoolClass>,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
}

impl StoredCard {
    fn of(card: &CallerCard) -> StoredCard {
        StoredCard {
            id: card.id,
            name: card.name.clone(),
            role: card.role,
            class: card.class,
            phones: card.phones.clone(),
            emails: card.emails.clone(),
        }
    }

    fn with_requests(self, requests: Vec<RequestId>) -> CallerCard {
        CallerCard {
            id: self.id,
            name: self.name,
            role: self.role,
            class: self.class,
            phones: self.phones,
            emails: self.emails,
            requests,
        }
    }
}

fn card_key(id: CallerId) -> Vec<u8> {
    let mut key = vec![b'c'];
    key.extend_from_slice(&id_key(id.0));
    key
}

fn contact_key(contact: &ContactKey) -> Vec<u8> {
    let mut key = vec![b'k'];
    key.extend_from_slice(contact.as_bytes());
    key
}

fn requests_prefix(id: CallerId) -> Vec<u8> {
    let mut key = vec![b'r'];
    key.extend_from_slice(&id_key(id.0));
    key
}

fn request_key(id: CallerId, request: RequestId) -> Vec<u8> {
    let mut key = requests_prefix(id);
    key.extend_from_slice(&id_key(request.0));
    key
}

impl Tx<'_> {
    fn stored_card(&self, id: CallerId) -> TxResult<Option<StoredCard>> {
        match self.callers.get(card_key(id))? {
            Some(bytes) => Ok(Some(codec(StoredCard::decode(&bytes))?)),
            None => Ok(None),
        }
    }

    fn caller_id(&self, contact: &ContactKey) -> TxResult<Option<CallerId>> {
        Ok(self
            .callers
            .get(contact_key(contact))?
            .and_then(|bytes| key_id(&bytes))
            .map(CallerId))
    }

    /// Writes the card's details, and points each of its contacts to it that does not yet.
    fn write_card(&self, card: &CallerCard) -> TxResult<()> {
        self.put(
            T::Callers,
            card_key(card.id),
            codec(StoredCard::of(card).encode())?,
        )?;
        for contact in card.keys() {
            if self.caller_id(&contact)? != Some(card.id) {
                self.put(T::Callers, contact_key(&contact), id_key(card.id.0))?;
            }
        }
        Ok(())
    }

    /// Puts `request` on its caller's card, found by phone first, then email; a caller never
    /// seen before gets a new card. A caller who gave neither has no card (nothing to find
    /// them by). Linking the same request twice changes nothing.
    pub fn link_caller(&self, request: &Request) -> TxResult<Option<CallerId>> {
        let caller = &request.caller;
        let contacts = keys_of(caller.phone.as_ref(), caller.email.as_ref());
        let mut found = None;
        for contact in &contacts {
            if let Some(id) = self.caller_id(contact)? {
                found = self.stored_card(id)?;
                if found.is_some() {
                    break;
                }
            }
        }
        let id = match found {
            Some(stored) => {
                let mut card = stored.with_requests(Vec::new());
                // a repeat call with the same details writes only its request key
                if card.absorb(caller) {
                    self.write_card(&card)?;
                }
                card.id
            }
            None if contacts.is_empty() => return Ok(None),
            None => {
                let id = CallerId(self.take_counter(META_NEXT_CALLER, 1)?);
                self.write_card(&CallerCard::new(id, caller))?;
                id
            }
        };
        self.put(T::Callers, request_key(id, request.id), [])?;
        Ok(Some(id))
    }

    /// `merged` is the same person as `kept`: its contacts and requests move to `kept`, its
    /// card goes, and each moved request records the merge by `actor`.
    pub fn merge_callers(
        &self,
        kept: CallerId,
        merged: CallerId,
        moved: &[RequestId],
        actor: &str,
        at: Timestamp,
    ) -> TxResult<Result<(), MergeRefusal>> {
        if kept == merged {
            return Ok(Err(MergeRefusal::Same));
        }
        let Some(card) = self.stored_card(kept)? else {
            return Ok(Err(MergeRefusal::Missing(kept)));
        };
        let Some(other) = self.stored_card(merged)? else {
            return Ok(Err(MergeRefusal::Missing(merged)));
        };
        let mut card = card.with_requests(Vec::new());
        card.merge(&other.with_requests(Vec::new()));
        self.delete(T::Callers, card_key(merged))?;
        self.write_card(&card)?;
        for request in moved {
            self.delete(T::Callers, request_key(merged, *request))?;
            self.put(T::Callers, request_key(kept, *request), [])?;
            self.append_event(&AuditEvent {
                at,
                actor: actor.to_string(),
                request: *request,
                action: AuditAction::CallersMerged { kept, merged },
            })?;
        }
        Ok(Ok(()))
    }
}

impl Store {
    /// The card `id` with its requests, oldest first.
    pub fn caller(&self, id: CallerId) -> Result<Option<CallerCard>, StoreError> {
        let Some(bytes) = self.callers.get(card_key(id))? else {
            return Ok(None);
        };
        let stored = StoredCard::decode(&bytes)?;
        let mut requests = Vec::new();
        for key in self.callers.scan_prefix(requests_prefix(id)).keys() {
            if let Some(request) = key?.get(9..).and_then(key_id) {
                requests.push(RequestId(request));
            }
        }
        Ok(Some(stored.with_requests(requests)))
    }

    /// The card of whoever has this phone or email.
    pub fn caller_by_key(&self, contact: &ContactKey) -> Result<Option<CallerCard>, StoreError> {
        match self
            .callers
            .get(contact_key(contact))?
            .and_then(|bytes| key_id(&bytes))
        {
            Some(id) => self.caller(CallerId(id)),
            None => Ok(None),
        }
    }

    /// The card of the person who made `request` (phone first, then email).
    pub fn caller_of(&self, request: &Request) -> Result<Option<CallerCard>, StoreError> {
        let caller = &request.caller;
        for contact in keys_of(caller.phone.as_ref(), caller.email.as_ref()) {
            if let Some(card) = self.caller_by_key(&contact)? {
                return Ok(Some(card));
            }
        }
        Ok(None)
    }

    /// Every card with its requests, in id order.
    pub fn all_callers(&self) -> impl Iterator<Item = Result<CallerCard, StoreError>> + '_ {
        self.callers
            .scan_prefix([b'c'])
            .keys()
            .filter_map(|key| match key {
                Ok(key) => key_id(&key[1..]).map(|id| Ok(CallerId(id))),
                Err(error) => Some(Err(StoreError::from(error))),
            })
            .filter_map(|id| match id {
                Ok(id) => self.caller(id).transpose(),
                Err(error) => Some(Err(error)),
            })
    }

    /// Merges two cards in one transaction (see `Tx::merge_callers`).
    pub fn merge_callers(
        &self,
        kept: CallerId,
        merged: CallerId,
        actor: &str,
        at: Timestamp,
    ) -> Result<Result<CallerCard, MergeRefusal>, StoreError> {
        let moved = match self.caller(merged)? {
            Some(card) => card.requests,
            None => return Ok(Err(MergeRefusal::Missing(merged))),
        };
        let done = self.write(|tx| tx.merge_callers(kept, merged, &moved, actor, at))?;
        match done {
            Ok(()) => Ok(self.caller(kept)?.ok_or(MergeRefusal::Missing(kept))),
            Err(refusal) => Ok(Err(refusal)),
        }
    }
}
