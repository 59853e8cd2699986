//! Reading the store's records outside a transaction (staff, requests by number, status
//! and period, a request's events, drafts), and the few writes that need no transaction.

use super::backup::{caught, DRAFTS, STAFF};
use super::codec::{id_key, key_id, AuditEvent, Record};
use super::{index, Page, RequestReader, Store, StoreError, META_NEXT_REQUEST};
use crate::domain::call_form::CallDraft;
use crate::domain::request::{Request, RequestId, Status};
use crate::domain::staff::Staff;
use crate::domain::time::Timestamp;

impl Store {
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
        let bytes = member.encode()?;
        let held = self.catch.hold();
        self.staff
            .insert(member.login.as_bytes(), bytes.as_slice())?;
        held.caught(|| vec![caught(STAFF, member.login.as_bytes(), Some(&bytes))]);
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

    /// The requests closed (resolved or cancelled) from `from` up to `before` and not
    /// reopened since, through the index of closes, oldest close first.
    pub fn closed_between(
        &self,
        from: Timestamp,
        before: Timestamp,
    ) -> Result<Vec<Request>, StoreError> {
        let closes = self
            .index
            .range(index::closed_from(from).to_vec()..index::closed_from(before).to_vec());
        Ok(self
            .requests_of_keys(closes)?
            .into_iter()
            .filter(|request| !request.status.is_open())
            .collect())
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

    /// Where the retention reads the closes from: every request closed before it has had its
    /// personal data destroyed (the start, when nothing is known).
    pub fn retention_from(&self) -> Result<Timestamp, StoreError> {
        let from = self
            .meta
            .get(super::META_RETENTION_FROM)?
            .and_then(|bytes| key_id(&bytes))
            .unwrap_or(0);
        Ok(Timestamp(i64::try_from(from).unwrap_or(i64::MAX)))
    }

    /// Notes that every request closed before `from` has had its personal data destroyed.
    pub fn set_retention_from(&self, from: Timestamp) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.put(
                super::tx::T::Meta,
                super::META_RETENTION_FROM,
                id_key(from.0.max(0) as u64),
            )
        })?;
        Ok(())
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
        let bytes = draft.encode()?;
        let held = self.catch.hold();
        self.drafts.insert(login.as_bytes(), bytes.as_slice())?;
        held.caught(|| vec![caught(DRAFTS, login.as_bytes(), Some(&bytes))]);
        Ok(())
    }

    pub fn discard_draft(&self, login: &str) -> Result<(), StoreError> {
        self.unjournaled();
        let held = self.catch.hold();
        self.drafts.remove(login.as_bytes())?;
        held.caught(|| vec![caught(DRAFTS, login.as_bytes(), None)]);
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
