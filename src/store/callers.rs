//! Caller cards in the store: linking each logged call to its person's card, merging two
//! cards, and finding a card by phone or email.
//!
//! One tree, three kinds of keys: `c` + caller id → the card's details; `k` + contact key
//! (phone or email) → the ids of the cards on it, 8 bytes each, oldest first (a family
//! shares a phone: a contact may be several people's; a store written when it held one id
//! reads as that one); `r` + caller id + request id → nothing (the card's requests, so a
//! call adds one key instead of rewriting a growing list).

use serde::{Deserialize, Serialize};

use super::codec::{id_key, key_id, AuditAction, AuditEvent, Record};
use super::tx::{codec, Tx, TxResult, T};
use super::{Store, StoreError, META_NEXT_CALLER};
use crate::domain::caller::{keys_of, same_name, CallerCard, CallerId, ContactKey};
use crate::domain::request::{CallerRole, Request, RequestId};
use crate::domain::time::Timestamp;
use crate::domain::validate::{Email, Phone, SchoolClass};

/// Why two cards could not be merged, or one split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeRefusal {
    Missing(CallerId),
    Same,
    /// A request to move out is not on the card.
    NotOnCard(RequestId),
    /// Every request would leave: that is a rename, not a split.
    Everything,
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

pub(super) fn card_key(id: CallerId) -> Vec<u8> {
    let mut key = vec![b'c'];
    key.extend_from_slice(&id_key(id.0));
    key
}

fn contact_key(contact: &ContactKey) -> Vec<u8> {
    let mut key = vec![b'k'];
    key.extend_from_slice(contact.as_bytes());
    key
}

/// The card ids a contact's value holds.
fn cards_in(value: &[u8]) -> Vec<CallerId> {
    value
        .chunks_exact(8)
        .filter_map(key_id)
        .map(CallerId)
        .collect()
}

fn cards_value(cards: &[CallerId]) -> Vec<u8> {
    cards.iter().flat_map(|card| id_key(card.0)).collect()
}

fn requests_prefix(id: CallerId) -> Vec<u8> {
    let mut key = vec![b'r'];
    key.extend_from_slice(&id_key(id.0));
    key
}

pub(super) fn request_key(id: CallerId, request: RequestId) -> Vec<u8> {
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

    /// The cards on `contact`, oldest first.
    fn cards_on(&self, contact: &ContactKey) -> TxResult<Vec<CallerId>> {
        Ok(self
            .callers
            .get(contact_key(contact))?
            .map(|value| cards_in(&value))
            .unwrap_or_default())
    }

    /// Puts `card` on `contact` (true) or takes it off (false).
    pub(super) fn set_on(&self, contact: &ContactKey, card: CallerId, on: bool) -> TxResult<()> {
        let mut cards = self.cards_on(contact)?;
        if cards.contains(&card) == on {
            return Ok(());
        }
        if on {
            cards.push(card);
        } else {
            cards.retain(|other| *other != card);
        }
        if cards.is_empty() {
            self.delete(T::Callers, contact_key(contact))
        } else {
            self.put(T::Callers, contact_key(contact), cards_value(&cards))
        }
    }

    /// Writes the card's details, and puts it on each of its contacts.
    fn write_card(&self, card: &CallerCard) -> TxResult<()> {
        self.put(
            T::Callers,
            card_key(card.id),
            codec(StoredCard::of(card).encode())?,
        )?;
        for contact in card.keys() {
            self.set_on(&contact, card.id, true)?;
        }
        Ok(())
    }

    /// Puts `request` on its caller's card: the card the operator took (`chosen`), else the
    /// card on its phone or email with the same name, else a new card — which shares the
    /// contact with the others on it. A card is renamed only when it was chosen. A caller
    /// who gave neither phone nor email has no card (nothing to find them by). For a request
    /// just numbered (`Tx::insert_new`).
    pub(super) fn link_caller(
        &self,
        request: &Request,
        chosen: Option<CallerId>,
    ) -> TxResult<Option<CallerId>> {
        let caller = &request.caller;
        let contacts = keys_of(caller.phone.as_ref(), caller.email.as_ref());
        let mut found = match chosen {
            Some(id) => self.stored_card(id)?,
            None => None,
        };
        if found.is_none() {
            'contacts: for contact in &contacts {
                for id in self.cards_on(contact)? {
                    if let Some(stored) = self.stored_card(id)? {
                        if same_name(&stored.name, &caller.name) {
                            found = Some(stored);
                            break 'contacts;
                        }
                    }
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
        // the request's number was just taken (`insert_new`): no card holds it yet
        self.put_new(T::Callers, request_key(id, request.id), [])?;
        Ok(Some(id))
    }

    /// Moves `moving` (requests of `from`, with their callers as written) to a new card made
    /// from the latest of them; `from` is named again after its latest request left on it
    /// (`staying`). Each moved request records the split by `actor`.
    pub fn split_caller(
        &self,
        from: CallerId,
        moving: &[Request],
        staying: Option<&Request>,
        actor: &str,
        at: Timestamp,
    ) -> TxResult<Result<CallerId, MergeRefusal>> {
        let Some(stored) = self.stored_card(from)? else {
            return Ok(Err(MergeRefusal::Missing(from)));
        };
        let Some(latest) = moving.iter().max_by_key(|request| request.id) else {
            return Ok(Err(MergeRefusal::Everything));
        };
        let id = CallerId(self.take_counter(META_NEXT_CALLER, 1)?);
        let mut card = CallerCard::new(id, &latest.caller);
        for request in moving {
            if self.callers.get(request_key(from, request.id))?.is_none() {
                return Ok(Err(MergeRefusal::NotOnCard(request.id)));
            }
            card.absorb_contacts(&request.caller);
        }
        self.write_card(&card)?;
        for request in moving {
            self.delete(T::Callers, request_key(from, request.id))?;
            self.put(T::Callers, request_key(id, request.id), [])?;
            self.append_event(&AuditEvent {
                at,
                actor: actor.to_string(),
                request: request.id,
                action: AuditAction::CallerSplit { from, to: id },
            })?;
        }
        // the card keeps its own contacts; its name is the one its own calls gave
        if let Some(staying) = staying {
            let mut kept = stored.with_requests(Vec::new());
            kept.name = staying.caller.name.clone();
            kept.role = staying.caller.role;
            if staying.caller.class.is_some() {
                kept.class = staying.caller.class;
            }
            self.write_card(&kept)?;
        }
        Ok(Ok(id))
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
        let other = other.with_requests(Vec::new());
        card.merge(&other);
        self.delete(T::Callers, card_key(merged))?;
        for contact in other.keys() {
            self.set_on(&contact, merged, false)?;
        }
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

    /// The cards of everyone on this phone or email, oldest first.
    pub fn callers_by_key(&self, contact: &ContactKey) -> Result<Vec<CallerCard>, StoreError> {
        let ids = self
            .callers
            .get(contact_key(contact))?
            .map(|value| cards_in(&value))
            .unwrap_or_default();
        let mut cards = Vec::new();
        for id in ids {
            cards.extend(self.caller(id)?);
        }
        Ok(cards)
    }

    /// The card `request` is on (found through its phone, then its email).
    pub fn caller_of(&self, request: &Request) -> Result<Option<CallerCard>, StoreError> {
        let caller = &request.caller;
        for contact in keys_of(caller.phone.as_ref(), caller.email.as_ref()) {
            for card in self.callers_by_key(&contact)? {
                if card.requests.contains(&request.id) {
                    return Ok(Some(card));
                }
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
