//! A change to a stored request inside a transaction: who may (the rules table of
//! `domain::access`), what it does and what the audit log records (`domain::change`).

use super::{Service, ServiceError};
use crate::domain::access::{may, Operation};
use crate::domain::change::Change;
use crate::domain::request::{Request, RequestId};
use crate::domain::staff::Staff;
use crate::domain::time::Timestamp;
use crate::store::{Tx, TxResult};

impl Service {
    pub(super) fn change(
        &self,
        tx: &Tx,
        actor: &Staff,
        id: RequestId,
        change: &Change,
        now: Timestamp,
    ) -> TxResult<Result<Request, ServiceError>> {
        let Some(current) = tx.request(id)? else {
            return Ok(Err(ServiceError::NoSuchRequest { id }));
        };
        let operation = Operation::Change(change.kind());
        if let Err(denied) = may(actor, operation, Some(&current), &self.policy) {
            return Ok(Err(denied.into()));
        }
        let next = match change.apply(&current, &actor.login, &self.policy, now) {
            Ok(next) => next,
            Err(refusal) => return Ok(Err(refusal.into())),
        };
        tx.record_change(&next, &actor.login, now, change.audit(&current))?;
        Ok(Ok(next))
    }
}
