//! The daily report: one day's figures and the requests overdue now.

use chrono::{FixedOffset, NaiveDate};

use super::figures::{period_figures, Period};
use super::{day_bounds, DailyReport, OverdueRequest, UndeliveredResult};
use crate::domain::deadline::{next_timer, Urgency};
use crate::domain::policy::Policy;
use crate::domain::request::Request;
use crate::domain::time::Timestamp;

/// The daily report for the local day `date`.
///
/// `requests` may hold more than the day needs; each figure picks its own:
/// - `figures.received`: received in `[start, end)`, cancelled ones included;
/// - `figures.steps`: over those received in the day and not cancelled —
///   routed within `route_minutes` of receipt, taken within `take_minutes` of routing,
///   resolved within `resolve_hours` of receipt (an approved extension does not move this);
///   a step not done by now is not within, and medians and p90s are over the done ones;
/// - `figures.open_at_end`: received before `end` and not closed (`closed_at`) by then;
/// - `figures.extensions` and `figures.vendor`: asks, decisions, escalations and answers
///   whose own time falls in the day;
/// - `overdue`: open at `now` with the soonest running deadline (as on the board) passed.
pub fn daily(
    requests: &[Request],
    date: NaiveDate,
    offset: FixedOffset,
    now: Timestamp,
    policy: &Policy,
    senders: Vec<String>,
) -> DailyReport {
    let (start, end) = day_bounds(date, offset);
    DailyReport {
        date,
        start,
        end,
        generated_at: now,
        senders,
        figures: period_figures(requests, Period { start, end }, policy),
        overdue: overdue(requests, now, policy),
        undelivered: undelivered(requests),
    }
}

fn undelivered(requests: &[Request]) -> Vec<UndeliveredResult> {
    let mut waiting: Vec<UndeliveredResult> = requests
        .iter()
        .filter(|request| request.status.is_open())
        .filter_map(|request| {
            let undelivered = request.undelivered.as_ref()?;
            Some(UndeliveredResult {
                id: request.id,
                queue: request.queue.clone(),
                assignee: request.assignee.clone(),
                since: undelivered.at,
                reason: undelivered.reason.clone(),
            })
        })
        .collect();
    waiting.sort_by_key(|row| (row.since, row.id));
    waiting
}

fn overdue(requests: &[Request], now: Timestamp, policy: &Policy) -> Vec<OverdueRequest> {
    let mut late: Vec<OverdueRequest> = requests
        .iter()
        .filter(|request| request.status.is_open())
        .filter_map(|request| {
            let timer = next_timer(request, &policy.deadlines)?;
            (timer.urgency(now, &policy.deadlines) == Urgency::Overdue).then(|| OverdueRequest {
                id: request.id,
                queue: request.queue.clone(),
                assignee: request.assignee.clone(),
                step: timer.kind.into(),
                late_ms: -timer.remaining(now),
            })
        })
        .collect();
    late.sort_by(|a, b| b.late_ms.cmp(&a.late_ms).then(a.id.cmp(&b.id)));
    late
}
