//! What the service lets others see of its store, and the one way to set a store up beneath
//! the rules: nothing outside the service holds the store itself. `Records` reads (the
//! CLI's checks, tests, benchmarks); `Seed` writes accounts and imported history as they are,
//! for imports, benchmarks and test fixtures, never for anything a person asks.

use super::Service;
use crate::domain::caller::{CallerCard, ContactKey};
use crate::domain::request::{Request, RequestId, Status};
use crate::domain::staff::Staff;
use crate::store::{AuditEvent, Proposals, Store, StoreError};

/// Reading the service's store.
#[derive(Clone, Copy)]
pub struct Records<'a> {
    store: &'a Store,
}

impl<'a> Records<'a> {
    pub fn request(&self, id: RequestId) -> Result<Option<Request>, StoreError> {
        self.store.request(id)
    }

    pub fn all_requests(
        &self,
        status: Option<Status>,
    ) -> impl Iterator<Item = Result<Request, StoreError>> + 'a {
        self.store.all_requests(status)
    }

    pub fn open_requests(&self) -> Result<Vec<Request>, StoreError> {
        self.store.open_requests()
    }

    /// The open index as stored (what the board is made from).
    pub fn open_ids(&self) -> Result<Vec<RequestId>, StoreError> {
        self.store.open_ids()
    }

    pub fn events_of(&self, id: RequestId) -> Result<Vec<AuditEvent>, StoreError> {
        self.store.events_of(id)
    }

    /// `login`'s unfinished call form, when one is kept.
    pub fn draft(
        &self,
        login: &str,
    ) -> Result<Option<crate::domain::call_form::CallDraft>, StoreError> {
        self.store.draft(login)
    }

    /// Numbers given so far (every request ever logged or imported has one at most this).
    pub fn requests_numbered(&self) -> Result<u64, StoreError> {
        self.store.requests_numbered()
    }

    /// How many audit events were ever written.
    pub fn event_count(&self) -> Result<u64, StoreError> {
        self.store.event_count()
    }

    pub fn staff_member(&self, login: &str) -> Result<Option<Staff>, StoreError> {
        self.store.staff_member(login)
    }

    pub fn all_staff(&self) -> Result<Vec<Staff>, StoreError> {
        self.store.all_staff()
    }

    pub fn callers_by_key(&self, contact: &ContactKey) -> Result<Vec<CallerCard>, StoreError> {
        self.store.callers_by_key(contact)
    }

    pub fn proposals(&self, year: i32, week: u32) -> Result<Option<Proposals>, StoreError> {
        self.store.proposals(year, week)
    }
}

/// Setting the store up as it is, beneath the rules.
#[derive(Clone, Copy)]
pub struct Seed<'a> {
    store: &'a Store,
}

impl Seed<'_> {
    /// Adds or replaces an account as given (durable after `flush`).
    pub fn put_staff(&self, member: &Staff) -> Result<(), StoreError> {
        self.store.put_staff(member)
    }

    /// Stores requests from elsewhere as they are, numbering on after the highest.
    pub fn import_requests(&self, records: &[Request]) -> Result<(), StoreError> {
        self.store.import_requests(records)
    }

    pub fn flush(&self) -> Result<(), StoreError> {
        self.store.flush()
    }
}

impl Service {
    /// What the store holds, to read.
    pub fn records(&self) -> Records<'_> {
        Records { store: &self.store }
    }

    /// Writes beneath the rules, for imports, benchmarks and test fixtures.
    pub fn seed(&self) -> Seed<'_> {
        Seed { store: &self.store }
    }
}
