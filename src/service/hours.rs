//! The service's hours at work: deadlines counted in them, counted again when they change,
//! and what a person who turns to the service while it is closed is told.

use serde::Serialize;

use super::{Service, ServiceError};
use crate::domain::audit::AuditAction;
use crate::domain::deadline::{DeadlinePolicy, Deadlines};
use crate::domain::hours::HoursFile;
use crate::domain::request::{Request, Status};
use crate::domain::time::Timestamp;

/// Who the audit log names for deadlines the service counted again by itself.
pub const RECOUNT_LOGIN: &str = "@policy";

/// What the stored deadlines were counted in: the spans and the hours of the policy (without
/// what does not move a deadline: the emergency contacts).
#[derive(Serialize)]
struct DeadlineRules<'a> {
    deadlines: &'a DeadlinePolicy,
    hours: Option<HoursFile>,
}

impl DeadlineRules<'_> {
    fn of(deadlines: &DeadlinePolicy, hours: Option<&HoursFile>) -> Result<Vec<u8>, ServiceError> {
        let hours = hours.map(|hours| HoursFile {
            emergency: Vec::new(),
            ..hours.clone()
        });
        serde_json::to_vec(&DeadlineRules { deadlines, hours })
            .map_err(|error| ServiceError::NotSaved(error.to_string()))
    }
}

impl Service {
    /// `next` (the request after a change, or a new one) with the deadlines the change set
    /// counted in service time, where the policy's hours say so: each deadline set afresh
    /// (its start plus its span on the clock) is counted again from the same start. A span
    /// that would cross a year the production calendar only predicts keeps the clock.
    pub(super) fn in_service_time(&self, before: Option<&Request>, mut next: Request) -> Request {
        if self.hours.is_none() {
            return next;
        }
        let d = self.policy.deadlines;
        let again = |name: &str, due: Timestamp, minutes: i64| {
            self.due(name, due.plus_minutes(-minutes), minutes)
        };
        let old = before.map(|request| request.deadlines);
        if old.map(|old| old.route_by) != Some(next.deadlines.route_by) {
            next.deadlines.route_by = again("route", next.deadlines.route_by, d.route_minutes);
        }
        if let Some(take_by) = next.deadlines.take_by {
            if old.and_then(|old| old.take_by) != Some(take_by) {
                next.deadlines.take_by = Some(again("take", take_by, d.take_minutes));
            }
        }
        // resolve-by is set at receipt only (an approved extension is the head's own date)
        if before.is_none() {
            next.deadlines.resolve_by =
                again("resolve", next.deadlines.resolve_by, d.resolve_hours * 60);
        }
        next
    }

    /// The after-hours notice for `request`, received while the service was closed: when it
    /// will be looked at and, for the psychologist, the emergency contacts; a line each
    /// (none in the hours).
    pub fn after_hours(&self, request: &Request) -> Vec<String> {
        let Some(hours) = self.hours.as_ref() else {
            return Vec::new();
        };
        self.policy
            .after_hours(hours, request.category, request.received_at)
            .map_or_else(Vec::new, |notice| notice.lines())
    }

    /// The instant `minutes` after `start` for the deadline `name` (`route`, `take`,
    /// `resolve`): in service time where the policy's hours count it, on the clock otherwise
    /// and wherever the span would cross a year the production calendar only predicts.
    pub(super) fn due(&self, name: &str, start: Timestamp, minutes: i64) -> Timestamp {
        self.policy
            .due(self.hours.as_deref(), name, start, minutes)
            .0
    }

    /// When the rules the open requests' deadlines were counted in are not the policy's
    /// (its spans or its `[hours]` changed since), every running deadline is counted again
    /// from its start and each request that moved is audited. A store that has never noted
    /// its rules was counted on the clock. Returns how many requests moved.
    pub fn recount_deadlines(&self) -> Result<usize, ServiceError> {
        let rules = DeadlineRules::of(&self.policy.deadlines, self.policy.hours.as_ref())?;
        let noted = self.store.write(|tx| tx.deadline_rules())?;
        let before = match noted {
            Some(noted) => noted,
            None => DeadlineRules::of(&self.policy.deadlines, None)?,
        };
        let mut moved = Vec::new();
        if before != rules {
            for request in self.store.open_requests()? {
                // the starts the request itself does not keep are in its history; a history
                // that does not read leaves the request as it is
                let history = if request.status == Status::New || request.extension.is_some() {
                    match self.store.events_of(request.id) {
                        Ok(events) => events,
                        Err(_) => continue,
                    }
                } else {
                    Vec::new()
                };
                let returned_at = history
                    .iter()
                    .rev()
                    .find(|event| matches!(event.action, AuditAction::Returned))
                    .map(|event| event.at);
                let extended = history.iter().any(|event| {
                    matches!(
                        event.action,
                        AuditAction::ExtensionDecided { approved: true }
                    )
                });
                let deadlines = self.counted_again(&request, returned_at, extended);
                if deadlines != request.deadlines {
                    moved.push((request, deadlines));
                }
            }
        }
        let now = self.clock.now();
        self.store.write(|tx| {
            for (request, deadlines) in &moved {
                let changed = |old: Timestamp, new: Timestamp| (old != new).then_some(new);
                let old = request.deadlines;
                let action = AuditAction::DeadlinesRecounted {
                    route_by: changed(old.route_by, deadlines.route_by),
                    take_by: match (old.take_by, deadlines.take_by) {
                        (Some(old), Some(new)) => changed(old, new),
                        _ => None,
                    },
                    resolve_by: changed(old.resolve_by, deadlines.resolve_by),
                };
                let mut next = request.clone();
                next.deadlines = *deadlines;
                tx.record_change(&next, RECOUNT_LOGIN, now, action)?;
            }
            tx.set_deadline_rules(&rules)
        })?;
        self.store.commit()?;
        Ok(moved.len())
    }

    /// `request`'s deadlines counted again from their starts in the policy's rules: route-by
    /// of a request in Входящие from its receipt or its last return (`returned_at`), take-by
    /// from its routing, resolve-by from its receipt unless the head ever approved a later
    /// one (`extended`: a later ask may since have taken the extension's place).
    fn counted_again(
        &self,
        request: &Request,
        returned_at: Option<Timestamp>,
        extended: bool,
    ) -> Deadlines {
        let d = self.policy.deadlines;
        let mut deadlines = request.deadlines;
        if request.status == Status::New {
            let start = returned_at.unwrap_or(request.received_at);
            deadlines.route_by = self.due("route", start, d.route_minutes);
        }
        if let (Status::Routed, Some(_), Some(routed_at)) =
            (request.status, deadlines.take_by, request.routed_at)
        {
            deadlines.take_by = Some(self.due("take", routed_at, d.take_minutes));
        }
        if !extended {
            deadlines.resolve_by = self.due("resolve", request.received_at, d.resolve_hours * 60);
        }
        deadlines
    }
}
