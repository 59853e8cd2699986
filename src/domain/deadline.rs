//! The three deadlines of a request (§3.1–3.2) and how urgent each one is now.

use serde::{Deserialize, Serialize};

use super::request::{Request, Status};
use super::time::{Timestamp, MINUTE_MS};

/// The deadline spans of the regulation, read from `policy.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    pub route_minutes: i64,
    pub take_minutes: i64,
    pub resolve_hours: i64,
    pub due_soon_percent: i64,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            route_minutes: 30,
            take_minutes: 30,
            resolve_hours: 24,
            due_soon_percent: 20,
        }
    }
}

/// By when each step must happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub route_by: Timestamp,
    pub take_by: Option<Timestamp>,
    pub resolve_by: Timestamp,
}

impl Deadlines {
    /// Deadlines of a request received at `received_at`: route-by and resolve-by start counting.
    pub fn on_receipt(policy: &DeadlinePolicy, received_at: Timestamp) -> Self {
        Deadlines {
            route_by: received_at.plus_minutes(policy.route_minutes),
            take_by: None,
            resolve_by: received_at.plus_hours(policy.resolve_hours),
        }
    }
}

/// Which step a timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    Route,
    Take,
    Resolve,
    /// The result by email did not get through: phone the person, within `take_minutes`.
    Phone,
}

impl TimerKind {
    pub fn label(self) -> &'static str {
        match self {
            TimerKind::Route => tr!("step.route"),
            TimerKind::Take => tr!("step.take"),
            TimerKind::Resolve => tr!("step.resolve"),
            TimerKind::Phone => tr!("step.phone"),
        }
    }
}

/// How close a timer is to its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Urgency {
    Calm,
    DueSoon,
    Overdue,
}

/// One running timer of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    pub kind: TimerKind,
    pub due: Timestamp,
    /// When the span began; "due soon" is a share of `due - started`.
    pub started: Timestamp,
}

impl Timer {
    pub fn remaining(&self, now: Timestamp) -> i64 {
        now.millis_until(self.due)
    }

    pub fn urgency(&self, now: Timestamp, policy: &DeadlinePolicy) -> Urgency {
        let remaining = self.remaining(now);
        if remaining < 0 {
            return Urgency::Overdue;
        }
        let span = self.started.millis_until(self.due).max(1);
        // less than due_soon_percent of the span left
        if (remaining as i128) * 100 < (span as i128) * policy.due_soon_percent as i128 {
            Urgency::DueSoon
        } else {
            Urgency::Calm
        }
    }
}

/// The timers running for a request in its current status (none once it is closed).
pub fn running_timers(request: &Request, policy: &DeadlinePolicy) -> Vec<Timer> {
    let deadlines = &request.deadlines;
    let resolve = Timer {
        kind: TimerKind::Resolve,
        due: deadlines.resolve_by,
        started: request.received_at,
    };
    match request.status {
        Status::New => vec![
            Timer {
                kind: TimerKind::Route,
                due: deadlines.route_by,
                started: Timestamp(deadlines.route_by.0 - policy.route_minutes * MINUTE_MS),
            },
            resolve,
        ],
        Status::Routed => {
            let mut timers = Vec::with_capacity(2);
            if let Some(take_by) = deadlines.take_by {
                timers.push(Timer {
                    kind: TimerKind::Take,
                    due: take_by,
                    started: Timestamp(take_by.0 - policy.take_minutes * MINUTE_MS),
                });
            }
            timers.push(resolve);
            timers
        }
        Status::InWork | Status::WaitingVendor => match &request.undelivered {
            Some(undelivered) => vec![
                Timer {
                    kind: TimerKind::Phone,
                    due: undelivered.at.plus_minutes(policy.take_minutes),
                    started: undelivered.at,
                },
                resolve,
            ],
            None => vec![resolve],
        },
        Status::Resolved | Status::Cancelled => Vec::new(),
    }
}

/// The soonest running timer of a request, the one the timers pane shows.
pub fn next_timer(request: &Request, policy: &DeadlinePolicy) -> Option<Timer> {
    running_timers(request, policy)
        .into_iter()
        .min_by_key(|timer| timer.due)
}
