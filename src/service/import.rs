//! Importing calls from a file (`Command::Import`): the rows that pass are logged in the
//! transaction of their batch, each with its own received time and the importing person as
//! its author; a row seen before finds its request; a refused row writes nothing.

use super::{Event, Outcome, Reply, Service};
use crate::domain::access::{may_do, Operation};
use crate::domain::import::{self, ImportCall, RowOutcome};
use crate::domain::lifecycle;
use crate::domain::staff::Staff;
use crate::domain::time::Timestamp;
use crate::store::{IntakeKey, Tx, TxResult};

impl Service {
    /// Logs `calls` for `actor` inside `tx`: whoever may log a call may import them.
    pub(super) fn import(
        &self,
        tx: &Tx,
        actor: &Staff,
        calls: &[ImportCall],
        now: Timestamp,
    ) -> TxResult<Outcome> {
        if let Err(denied) = may_do(actor, Operation::LogCall, &self.policy) {
            return Ok(Err(denied.into()));
        }
        let mut rows = Vec::with_capacity(calls.len());
        let mut events = Vec::new();
        for call in calls {
            let line = call.line;
            let row = match import::check(call, now) {
                Ok(row) => row,
                Err(refusal) => {
                    rows.push(RowOutcome::Refused { line, refusal });
                    continue;
                }
            };
            let key = IntakeKey::imported(&row.content_key());
            if let Some(id) = tx.known_intake(&key)? {
                rows.push(RowOutcome::AlreadyThere { line, id });
                continue;
            }
            let intake = lifecycle::Intake {
                channel: call.channel,
                received_at: row.received_at,
                logged_by: actor.login.clone(),
                caller: row.call.caller,
                category: row.call.category,
                description: row.call.description,
                consent: None,
            };
            let deadlines = &self.policy.deadlines;
            let request = tx.insert_imported(
                |id| self.in_service_time(None, lifecycle::receive(id, intake, deadlines)),
                now,
                &key,
            )?;
            rows.push(RowOutcome::Imported {
                line,
                id: request.id,
            });
            events.push(Event::RequestChanged {
                request,
                by: actor.login.clone(),
            });
        }
        Ok(Ok((Reply::Imported { rows }, events)))
    }
}
