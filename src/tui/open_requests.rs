//! The console's local copy of the open requests, kept sorted as events arrive so that
//! drawing a pane costs the rows shown, not the number of requests.

use std::collections::{BTreeSet, HashMap};

use crate::domain::deadline::{next_timer, DeadlinePolicy, Timer};
use crate::domain::request::{Channel, Request, RequestId};
use crate::domain::staff::{Role, Staff};
use crate::domain::time::Timestamp;

#[derive(Debug, Clone, Default)]
pub struct OpenRequests {
    requests: HashMap<RequestId, Request>,
    /// Requests waiting to be routed, by route-by (most urgent first); for the site
    /// administrator those from the website before the others (`IncomingKey`).
    incoming: BTreeSet<IncomingKey>,
    website_first: bool,
    /// Every open request's next deadline, soonest first.
    timers: BTreeSet<(Timestamp, RequestId)>,
    /// Open requests per queue key.
    load: HashMap<String, usize>,
    /// Requests waiting for the head's decision on more time, oldest request first.
    pending: BTreeSet<(Timestamp, RequestId)>,
}

/// A request's place in Входящие: not-from-the-website after from-the-website (when the
/// viewer takes the website's first), then route-by, then number.
type IncomingKey = (bool, Timestamp, RequestId);

impl OpenRequests {
    /// The open requests as `me` sees them: the site administrator routes what comes from
    /// the website (§3.1.1), so their Входящие lists it first.
    pub fn for_staff(me: &Staff, requests: Vec<Request>, policy: &DeadlinePolicy) -> OpenRequests {
        let mut set = OpenRequests {
            website_first: me.has(Role::SiteAdmin),
            ..OpenRequests::default()
        };
        for request in requests {
            set.upsert(request, policy);
        }
        set
    }

    fn incoming_key(&self, request: &Request) -> IncomingKey {
        let later = !(self.website_first && request.channel == Channel::Web);
        (later, request.deadlines.route_by, request.id)
    }

    pub fn new(requests: Vec<Request>, policy: &DeadlinePolicy) -> OpenRequests {
        let mut set = OpenRequests::default();
        for request in requests {
            set.upsert(request, policy);
        }
        set
    }

    pub fn len(&self) -> usize {
        self.requests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    pub fn get(&self, id: RequestId) -> Option<&Request> {
        self.requests.get(&id)
    }

    /// Applies a created or changed request; one that is no longer open leaves the set.
    pub fn upsert(&mut self, request: Request, policy: &DeadlinePolicy) {
        self.remove(request.id, policy);
        if !request.status.is_open() {
            return;
        }
        if request.is_incoming() {
            self.incoming.insert(self.incoming_key(&request));
        }
        if let Some(timer) = next_timer(&request, policy) {
            self.timers.insert((timer.due, request.id));
        }
        if let Some(queue) = &request.queue {
            *self.load.entry(queue.clone()).or_default() += 1;
        }
        if let Some(extension) = request
            .extension
            .as_ref()
            .filter(|_| request.extension_pending())
        {
            self.pending.insert((extension.asked_at, request.id));
        }
        self.requests.insert(request.id, request);
    }

    /// Drops a request this console may no longer see.
    pub fn forget(&mut self, id: RequestId, policy: &DeadlinePolicy) {
        self.remove(id, policy);
    }

    fn remove(&mut self, id: RequestId, policy: &DeadlinePolicy) {
        let Some(old) = self.requests.remove(&id) else {
            return;
        };
        let key = self.incoming_key(&old);
        self.incoming.remove(&key);
        if let Some(timer) = next_timer(&old, policy) {
            self.timers.remove(&(timer.due, id));
        }
        if let Some(queue) = &old.queue {
            if let Some(count) = self.load.get_mut(queue) {
                *count = count.saturating_sub(1);
            }
        }
        if let Some(extension) = &old.extension {
            self.pending.remove(&(extension.asked_at, id));
        }
    }

    pub fn incoming_len(&self) -> usize {
        self.incoming.len()
    }

    /// Requests in Входящие from position `skip`, most urgent first.
    pub fn incoming(&self, skip: usize) -> impl Iterator<Item = &Request> {
        self.incoming
            .iter()
            .skip(skip)
            .filter_map(|(_, _, id)| self.requests.get(id))
    }

    pub fn timers_len(&self) -> usize {
        self.timers.len()
    }

    /// Open requests from position `skip`, soonest next deadline first, with that timer; for
    /// the head (`pending_first`) the ones waiting for a decision on more time come first.
    pub fn timers<'a>(
        &'a self,
        skip: usize,
        policy: &'a DeadlinePolicy,
        pending_first: bool,
    ) -> impl Iterator<Item = (&'a Request, Timer)> + 'a {
        let pending = self
            .pending
            .iter()
            .filter(move |_| pending_first)
            .filter_map(|(_, id)| self.requests.get(id));
        let rest = self
            .timers
            .iter()
            .filter_map(|(_, id)| self.requests.get(id))
            .filter(move |request| !(pending_first && request.extension_pending()));
        pending
            .chain(rest)
            .skip(skip)
            .filter_map(move |request| next_timer(request, policy).map(|timer| (request, timer)))
    }

    /// Open requests in a queue.
    pub fn load(&self, queue: &str) -> usize {
        self.load.get(queue).copied().unwrap_or(0)
    }

    /// Overdue open requests per queue key at `now` (reads only the overdue ones).
    pub fn overdue_by_queue(&self, now: Timestamp) -> HashMap<String, usize> {
        let mut overdue = HashMap::new();
        for (due, id) in &self.timers {
            if *due >= now {
                break;
            }
            if let Some(queue) = self.requests.get(id).and_then(|r| r.queue.as_ref()) {
                *overdue.entry(queue.clone()).or_default() += 1;
            }
        }
        overdue
    }

    /// Every request past its next deadline at `now`.
    pub fn overdue_ids(&self, now: Timestamp) -> Vec<RequestId> {
        self.timers
            .iter()
            .take_while(|(due, _)| *due < now)
            .map(|(_, id)| *id)
            .collect()
    }

    pub fn incoming_at(&self, index: usize) -> Option<&Request> {
        self.incoming(index).next()
    }

    pub fn timer_at<'a>(
        &'a self,
        index: usize,
        policy: &'a DeadlinePolicy,
        pending_first: bool,
    ) -> Option<&'a Request> {
        self.timers(index, policy, pending_first)
            .next()
            .map(|(request, _)| request)
    }

    /// Open requests of `queues` (a specialist's), soonest next deadline first, from `skip`.
    pub fn mine<'a>(
        &'a self,
        queues: &'a [String],
        skip: usize,
    ) -> impl Iterator<Item = &'a Request> + 'a {
        self.timers
            .iter()
            .filter_map(|(_, id)| self.requests.get(id))
            .filter(move |request| {
                request
                    .queue
                    .as_ref()
                    .is_some_and(|queue| queues.contains(queue))
            })
            .skip(skip)
    }

    pub fn mine_len(&self, queues: &[String]) -> usize {
        queues.iter().map(|queue| self.load(queue)).sum()
    }

    /// Position of a request in Входящие, to keep the selection on it.
    pub fn incoming_position(&self, id: RequestId) -> Option<usize> {
        let request = self.requests.get(&id).filter(|r| r.is_incoming())?;
        Some(self.incoming.range(..self.incoming_key(request)).count())
    }

    /// Position of a request in the timers list (as `timers` orders it).
    pub fn timer_position(
        &self,
        id: RequestId,
        policy: &DeadlinePolicy,
        pending_first: bool,
    ) -> Option<usize> {
        let request = self.requests.get(&id)?;
        let due = next_timer(request, policy)?.due;
        // counted over the sorted keys, not by walking the requests (it runs at every event)
        let pending_key = |request: &Request| {
            request
                .extension
                .as_ref()
                .filter(|_| request.extension_pending())
                .map(|extension| (extension.asked_at, request.id))
        };
        if !pending_first {
            return Some(self.timers.range(..(due, id)).count());
        }
        if let Some(key) = pending_key(request) {
            return Some(self.pending.range(..key).count());
        }
        // the pending ones come first; those among the earlier timers are not counted twice
        let earlier_pending = self
            .pending
            .iter()
            .filter_map(|(_, other)| self.requests.get(other))
            .filter_map(|other| next_timer(other, policy).map(|timer| (timer.due, other.id)))
            .filter(|key| *key < (due, id))
            .count();
        Some(self.pending.len() + self.timers.range(..(due, id)).count() - earlier_pending)
    }

    pub fn mine_at(&self, queues: &[String], index: usize) -> Option<&Request> {
        let id = self.mine(queues, index).next()?.id;
        self.requests.get(&id)
    }

    /// Position of a request in a specialist's own queues (as `mine` orders them).
    pub fn mine_position(&self, queues: &[String], id: RequestId) -> Option<usize> {
        self.mine(queues, 0).position(|request| request.id == id)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::lifecycle::{ask_extension, receive, route, take, Intake};
    use crate::domain::request::{Caller, CallerRole, Category, Channel};
    use crate::domain::time::HOUR_MS;

    /// A parent's technical call received `minutes_ago` before 10:00 on the epoch's day.
    pub(crate) fn request(id: u64, minutes_ago: i64) -> Request {
        receive(
            RequestId(id),
            Intake {
                channel: Channel::Phone,
                received_at: Timestamp(10 * HOUR_MS - minutes_ago * 60_000),
                logged_by: "ivanova".into(),
                caller: Caller {
                    name: "Петрова".into(),
                    role: CallerRole::Parent,
                    class: None,
                    phone: None,
                    email: None,
                },
                category: Category::Technical,
                description: "звук".into(),
                consent: None,
            },
            &DeadlinePolicy::default(),
        )
    }

    #[test]
    fn the_head_sees_pending_extensions_first_others_soonest_first() {
        let policy = DeadlinePolicy::default();
        let urgent = request(1, 29);
        let later = request(2, 5);
        let in_work = take(
            &route(&request(3, 60), "tech", &policy, Timestamp(10 * HOUR_MS)).unwrap(),
            "kozlov",
            Timestamp(10 * HOUR_MS),
        )
        .unwrap();
        let asking = ask_extension(
            &in_work,
            "kozlov",
            "ждём поставщика",
            Timestamp(in_work.deadlines.resolve_by.0 + HOUR_MS),
            Timestamp(10 * HOUR_MS),
        )
        .unwrap();
        let set = OpenRequests::new(vec![later, asking, urgent], &policy);
        let order = |pending_first| -> Vec<u64> {
            set.timers(0, &policy, pending_first)
                .map(|(request, _)| request.id.0)
                .collect()
        };
        assert_eq!(order(false), [1, 2, 3]);
        assert_eq!(order(true), [3, 1, 2]);
        assert_eq!(set.timer_at(0, &policy, true).map(|r| r.id.0), Some(3));
        // the position the selection follows is the row the list draws it on
        for pending_first in [false, true] {
            for (row, id) in order(pending_first).into_iter().enumerate() {
                assert_eq!(
                    set.timer_position(RequestId(id), &policy, pending_first),
                    Some(row),
                    "№{id}, pending first: {pending_first}"
                );
            }
        }
    }

    #[test]
    fn the_site_administrator_sees_the_websites_requests_first() {
        let policy = DeadlinePolicy::default();
        let urgent_call = request(1, 29);
        let mut from_site = request(2, 5);
        from_site.channel = Channel::Web;
        let staff = |roles: Vec<Role>| Staff {
            login: "sokolov".into(),
            name: "Соколов Дмитрий".into(),
            roles,
            vendor_rep: false,
            disabled: false,
        };
        let order = |me: &Staff| -> Vec<u64> {
            let set =
                OpenRequests::for_staff(me, vec![urgent_call.clone(), from_site.clone()], &policy);
            let ids: Vec<u64> = set.incoming(0).map(|request| request.id.0).collect();
            for (row, id) in ids.iter().enumerate() {
                assert_eq!(set.incoming_position(RequestId(*id)), Some(row));
            }
            ids
        };
        assert_eq!(order(&staff(vec![Role::SiteAdmin])), [2, 1]);
        assert_eq!(order(&staff(vec![Role::Operator])), [1, 2]);
    }
}
