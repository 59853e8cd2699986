//! Caller cards through the service: looking one up as the operator types, the detail of a
//! request with its caller's other requests, listing and merging cards.

use super::search::Hit;
use super::{Detail, Service, ServiceError, PAGE_LIMIT};
use crate::domain::access::{may_do, sees_contacts, view_of, Operation};
use crate::domain::caller::{CallerCard, CallerId, ContactKey};
use crate::domain::staff::Staff;
use crate::domain::validate::{Email, Phone};
use crate::store::{AuditAction, MergeRefusal};

/// The card with this phone (first) or email; text that is not a phone or email finds none.
pub(super) fn find(
    service: &Service,
    actor: &Staff,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<Option<CallerCard>, ServiceError> {
    may_do(actor, Operation::FindCallers, service.policy())?;
    let keys = phone
        .and_then(|text| Phone::parse(text).ok())
        .map(|phone| ContactKey::phone(&phone))
        .into_iter()
        .chain(
            email
                .and_then(|text| Email::parse(text).ok())
                .map(|email| ContactKey::email(&email)),
        );
    for key in keys {
        if let Some(card) = service.store.caller_by_key(&key)? {
            return Ok(Some(card));
        }
    }
    Ok(None)
}

/// Cards after `after` in id order; contacts masked for those who may not see them.
pub(super) fn list(
    service: &Service,
    actor: &Staff,
    after: Option<CallerId>,
) -> Result<(Vec<CallerCard>, bool), ServiceError> {
    may_do(actor, Operation::ListCallers, service.policy())?;
    let mut cards = Vec::new();
    for card in service.store.all_callers() {
        let card = card?;
        if after.is_some_and(|after| card.id <= after) {
            continue;
        }
        cards.push(if sees_contacts(actor, service.policy()) {
            card
        } else {
            card.masked()
        });
        if cards.len() > PAGE_LIMIT {
            break;
        }
    }
    let more = cards.len() > PAGE_LIMIT;
    cards.truncate(PAGE_LIMIT);
    Ok((cards, more))
}

/// `merged` joins `kept`; the moved requests record the merge in their timelines.
pub(super) fn merge(
    service: &Service,
    actor: &Staff,
    kept: CallerId,
    merged: CallerId,
) -> Result<CallerCard, ServiceError> {
    may_do(actor, Operation::MergeCallers, service.policy())?;
    let now = service.now();
    let card = service
        .store
        .merge_callers(kept, merged, &actor.login, now)?;
    match card {
        Ok(card) if sees_contacts(actor, service.policy()) => Ok(card),
        Ok(card) => Ok(card.masked()),
        Err(MergeRefusal::Same) => Err(ServiceError::SameCaller),
        Err(MergeRefusal::Missing(id)) => Err(ServiceError::NoSuchCaller { id }),
    }
}

/// Most of a caller's other requests the detail lists (newest first; the card counts all).
const EARLIER_SHOWN: usize = 20;

/// The request, its timeline, its caller and the caller's latest other requests `actor` may
/// see.
pub(super) fn detail(
    service: &Service,
    actor: &Staff,
    id: crate::domain::request::RequestId,
) -> Result<Detail, ServiceError> {
    let request = service.readable(actor, id)?;
    let store = &service.store;
    let timeline = store
        .events_of(id)?
        .into_iter()
        .filter(|event| !matches!(event.action, AuditAction::Viewed { .. }))
        .collect();
    let caller = store.caller_of(&request)?;
    let mut earlier = Vec::new();
    if let Some(card) = &caller {
        for other in card.requests.iter().rev().filter(|other| **other != id) {
            if earlier.len() == EARLIER_SHOWN {
                break;
            }
            if let Some(seen) = store
                .request(*other)?
                .and_then(|other| view_of(&other, actor, service.policy()))
            {
                earlier.push(Hit::of(&seen));
            }
        }
    }
    service.record_views(actor, &[id], false)?;
    let request =
        view_of(&request, actor, service.policy()).ok_or(ServiceError::NotVisible { id })?;
    Ok(Detail {
        request,
        timeline,
        caller,
        earlier,
    })
}
