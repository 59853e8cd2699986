//! Caller cards through the service: looking one up as the operator types, the detail of a
//! request with its caller's other requests, listing and merging cards.

use super::search::Hit;
use super::{Detail, Service, ServiceError, PAGE_LIMIT};
use crate::domain::access::{may_do, sees_contacts, view_of, Operation};
use crate::domain::caller::{CallerCard, CallerId, ContactKey};
use crate::domain::request::RequestId;
use crate::domain::staff::Staff;
use crate::domain::validate::{Email, Phone};
use crate::store::{AuditAction, MergeRefusal};

/// Everyone on this phone, then everyone else on this email, oldest card first; text that is
/// not a phone or email finds no one.
pub(super) fn find(
    service: &Service,
    actor: &Staff,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<Vec<CallerCard>, ServiceError> {
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
    let mut people: Vec<CallerCard> = Vec::new();
    for key in keys {
        for card in service.store.callers_by_key(&key)? {
            if !people.iter().any(|known| known.id == card.id) {
                people.push(card);
            }
        }
    }
    Ok(people)
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
        Err(refusal) => Err(refused(refusal, kept)),
    }
}

fn refused(refusal: MergeRefusal, card: CallerId) -> ServiceError {
    match refusal {
        MergeRefusal::Same => ServiceError::SameCaller,
        MergeRefusal::Missing(id) => ServiceError::NoSuchCaller { id },
        MergeRefusal::NotOnCard(request) => ServiceError::NotOnCard { card, request },
        MergeRefusal::Everything => ServiceError::SplitEverything,
    }
}

/// `requests` of `card` are another person's: they move to a new card, which the answer is;
/// each records the split in its timeline.
pub(super) fn split(
    service: &Service,
    actor: &Staff,
    card: CallerId,
    requests: &[RequestId],
) -> Result<CallerCard, ServiceError> {
    may_do(actor, Operation::MergeCallers, service.policy())?;
    let store = &service.store;
    let from = store
        .caller(card)?
        .ok_or(ServiceError::NoSuchCaller { id: card })?;
    if let Some(missing) = requests.iter().find(|id| !from.requests.contains(id)) {
        return Err(ServiceError::NotOnCard {
            card,
            request: *missing,
        });
    }
    let staying_id = from
        .requests
        .iter()
        .rev()
        .find(|id| !requests.contains(id))
        .copied()
        .ok_or(ServiceError::SplitEverything)?;
    let mut moving = Vec::with_capacity(requests.len());
    for id in requests {
        moving.push(
            store
                .request(*id)?
                .ok_or(ServiceError::NoSuchRequest { id: *id })?,
        );
    }
    let staying = store.request(staying_id)?;
    let now = service.now();
    let split =
        store.write(|tx| tx.split_caller(card, &moving, staying.as_ref(), &actor.login, now))?;
    let id = split.map_err(|refusal| refused(refusal, card))?;
    let new = store.caller(id)?.ok_or(ServiceError::NoSuchCaller { id })?;
    Ok(if sees_contacts(actor, service.policy()) {
        new
    } else {
        new.masked()
    })
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
