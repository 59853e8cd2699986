//! Caller cards in the store: linking each logged call to its person's card, merging two
//! cards, and finding a card by phone or email.

use super::codec::{id_key, key_id, AuditAction, AuditEvent, Record};
use super::tx::{codec, Tx, TxResult};
use super::{Store, StoreError, META_NEXT_CALLER};
use crate::domain::caller::{keys_of, CallerCard, CallerId, ContactKey};
use crate::domain::request::{Caller, Request};
use crate::domain::time::Timestamp;

/// Why two cards could not be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeRefusal {
    Missing(CallerId),
    Same,
}

impl Tx<'_> {
    fn caller_card(&self, id: CallerId) -> TxResult<Option<CallerCard>> {
        match self.callers.get(id_key(id.0))? {
            Some(bytes) => Ok(Some(codec(CallerCard::decode(&bytes))?)),
            None => Ok(None),
        }
    }

    fn card_by_key(&self, key: &ContactKey) -> TxResult<Option<CallerCard>> {
        match self.caller_keys.get(key.as_bytes())? {
            Some(bytes) => match key_id(&bytes) {
                Some(id) => self.caller_card(CallerId(id)),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    fn write_card(&self, card: &CallerCard) -> TxResult<()> {
        self.callers
            .insert(&id_key(card.id.0), codec(card.encode())?)?;
        for key in card.keys() {
            self.caller_keys
                .insert(key.as_bytes(), &id_key(card.id.0))?;
        }
        Ok(())
    }

    /// Puts `request` on its caller's card, found by phone first, then email; a caller never
    /// seen before gets a new card. A caller who gave neither has no card (nothing to find
    /// them by). Linking the same request twice changes nothing.
    pub fn link_caller(&self, request: &Request) -> TxResult<Option<CallerCard>> {
        let caller: &Caller = &request.caller;
        let keys = keys_of(caller.phone.as_ref(), caller.email.as_ref());
        if keys.is_empty() {
            return Ok(None);
        }
        let mut found = None;
        for key in &keys {
            if let Some(card) = self.card_by_key(key)? {
                found = Some(card);
                break;
            }
        }
        let mut card = match found {
            Some(card) => card,
            None => {
                let id = CallerId(self.take_counter(META_NEXT_CALLER, 1)?);
                CallerCard::new(id, caller)
            }
        };
        card.absorb(caller, request.id);
        self.write_card(&card)?;
        Ok(Some(card))
    }

    /// `merged` is the same person as `kept`: its contacts and requests move to `kept`, its
    /// card goes, and each moved request records the merge by `actor`.
    pub fn merge_callers(
        &self,
        kept: CallerId,
        merged: CallerId,
        actor: &str,
        at: Timestamp,
    ) -> TxResult<Result<CallerCard, MergeRefusal>> {
        if kept == merged {
            return Ok(Err(MergeRefusal::Same));
        }
        let Some(mut card) = self.caller_card(kept)? else {
            return Ok(Err(MergeRefusal::Missing(kept)));
        };
        let Some(other) = self.caller_card(merged)? else {
            return Ok(Err(MergeRefusal::Missing(merged)));
        };
        card.merge(&other);
        self.callers.remove(&id_key(merged.0))?;
        self.write_card(&card)?;
        for request in &other.requests {
            self.append_event(&AuditEvent {
                at,
                actor: actor.to_string(),
                request: *request,
                action: AuditAction::CallersMerged { kept, merged },
            })?;
        }
        Ok(Ok(card))
    }
}

impl Store {
    pub fn caller(&self, id: CallerId) -> Result<Option<CallerCard>, StoreError> {
        match self.callers.get(id_key(id.0))? {
            Some(bytes) => Ok(Some(CallerCard::decode(&bytes)?)),
            None => Ok(None),
        }
    }

    /// The card of whoever has this phone or email.
    pub fn caller_by_key(&self, key: &ContactKey) -> Result<Option<CallerCard>, StoreError> {
        match self.caller_keys.get(key.as_bytes())? {
            Some(bytes) => match key_id(&bytes) {
                Some(id) => self.caller(CallerId(id)),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// The card of the person who made `request` (phone first, then email).
    pub fn caller_of(&self, request: &Request) -> Result<Option<CallerCard>, StoreError> {
        let caller = &request.caller;
        for key in keys_of(caller.phone.as_ref(), caller.email.as_ref()) {
            if let Some(card) = self.caller_by_key(&key)? {
                return Ok(Some(card));
            }
        }
        Ok(None)
    }

    /// Every card, in id order.
    pub fn all_callers(&self) -> impl Iterator<Item = Result<CallerCard, StoreError>> + '_ {
        self.callers
            .iter()
            .values()
            .map(|bytes| Ok(CallerCard::decode(&bytes?)?))
    }
}
