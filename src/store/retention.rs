//! Destroying in the store the personal data of requests kept past their time: each request
//! as the domain leaves it, its audit events scrubbed, its messages emptied, its caller card's
//! link removed (the card too, when it holds nothing else), and a record of the act.

use std::collections::{HashMap, HashSet};

use super::callers::{card_key, request_key};
use super::codec::{id_key, AuditEvent, Record};
use super::tx::{codec, T};
use super::{Store, StoreError};
use crate::domain::audit::AuditAction;
use crate::domain::caller::CallerCard;
use crate::domain::mail::Outgoing;
use crate::domain::request::{Request, RequestId};
use crate::domain::retention::{destroyed, emptied, scrubbed};
use crate::domain::time::Timestamp;

/// Requests destroyed in one transaction (a long run is many, each whole).
const AT_ONCE: usize = 500;

/// What destroying one request's personal data writes.
struct Destroying {
    request: Request,
    events: Vec<(Vec<u8>, AuditEvent)>,
    messages: Vec<Outgoing>,
    /// Its caller card, and whether the card goes too (nothing else on it).
    card: Option<(CallerCard, bool)>,
}

impl Store {
    /// Destroys the personal data of `requests` (as read, all due): in transactions of a few
    /// hundred, each request audited as destroyed by `actor` under the act `act`. Drafts
    /// named in `drafts` are removed too. Returns how many requests were destroyed.
    pub fn destroy_personal_data(
        &self,
        requests: &[Request],
        drafts: &[String],
        actor: &str,
        at: Timestamp,
        act: &str,
    ) -> Result<usize, StoreError> {
        let leaving: HashSet<RequestId> = requests.iter().map(|request| request.id).collect();
        let mut messages: HashMap<RequestId, Vec<Outgoing>> = HashMap::new();
        for message in self.outbox() {
            let message = message?;
            if leaving.contains(&message.request) {
                messages.entry(message.request).or_default().push(message);
            }
        }
        let mut done = 0;
        for chunk in requests.chunks(AT_ONCE) {
            let mut work = Vec::with_capacity(chunk.len());
            for request in chunk {
                let events = self
                    .events
                    .scan_prefix(id_key(request.id.0))
                    .map(|entry| {
                        let (key, value) = entry?;
                        Ok((key.to_vec(), AuditEvent::decode(&value)?))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let card = self.caller_of(request)?.map(|card| {
                    let alone = card.requests.iter().all(|id| leaving.contains(id));
                    (card, alone)
                });
                work.push(Destroying {
                    request: destroyed(request),
                    events,
                    messages: messages.remove(&request.id).unwrap_or_default(),
                    card,
                });
            }
            self.write(|tx| {
                for one in &work {
                    for (key, event) in &one.events {
                        let kept = AuditEvent {
                            action: scrubbed(&event.action),
                            ..event.clone()
                        };
                        tx.put(T::Events, key, codec(kept.encode())?)?;
                    }
                    for message in &one.messages {
                        tx.put_mail(&emptied(message))?;
                    }
                    if let Some((card, alone)) = &one.card {
                        if *alone {
                            tx.delete(T::Callers, card_key(card.id))?;
                            for contact in card.keys() {
                                tx.set_on(&contact, card.id, false)?;
                            }
                            for id in &card.requests {
                                tx.delete(T::Callers, request_key(card.id, *id))?;
                            }
                        } else {
                            tx.delete(T::Callers, request_key(card.id, one.request.id))?;
                        }
                    }
                    tx.record_change(
                        &one.request,
                        actor,
                        at,
                        AuditAction::PersonalDataDestroyed {
                            act: act.to_string(),
                        },
                    )?;
                }
                Ok(())
            })?;
            // each chunk durable on its own: a run cut short keeps what it destroyed
            self.commit()?;
            done += work.len();
        }
        for login in drafts {
            self.discard_draft(login)?;
        }
        self.commit()?;
        Ok(done)
    }

    /// Every kept draft's login and when it was last kept (its call's answered time).
    pub fn drafts_kept(&self) -> Result<Vec<(String, Option<Timestamp>)>, StoreError> {
        self.drafts
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                let draft = crate::domain::call_form::CallDraft::decode(&value)?;
                Ok((
                    String::from_utf8_lossy(&key).into_owned(),
                    draft.answered_at,
                ))
            })
            .collect()
    }
}
