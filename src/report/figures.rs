//! The aggregate figures of one period, shared by the daily report and every day of the week.

use super::{Extensions, PeriodFigures, Received, StepFigures, Steps, Tally, VendorEscalations};
use crate::domain::policy::Policy;
use crate::domain::request::{CallerRole, Category, Channel, ExtensionState, Request, Status};
use crate::domain::time::{Timestamp, HOUR_MS, MINUTE_MS};

/// `[start, end)`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Period {
    pub fn holds(self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }

    fn holds_some(self, at: Option<Timestamp>) -> bool {
        at.is_some_and(|at| self.holds(at))
    }
}

/// Received before `at` and not closed by then.
pub(super) fn open_at(request: &Request, at: Timestamp) -> bool {
    request.received_at < at && request.closed_at.is_none_or(|closed| closed >= at)
}

pub(super) fn period_figures(
    requests: &[Request],
    period: Period,
    policy: &Policy,
) -> PeriodFigures {
    let received: Vec<&Request> = requests
        .iter()
        .filter(|request| period.holds(request.received_at))
        .collect();
    PeriodFigures {
        received: count_received(&received, policy),
        steps: steps(&received, policy),
        open_at_end: count(requests.iter().filter(|r| open_at(r, period.end))),
        extensions: extensions(requests, period),
        vendor: vendor(requests, period),
    }
}

/// Categories in the policy's order, then any the policy does not list.
pub(super) fn category_order(policy: &Policy) -> Vec<Category> {
    let mut order: Vec<Category> = policy.categories.iter().map(|c| c.key).collect();
    for category in Category::ALL {
        if !order.contains(&category) {
            order.push(category);
        }
    }
    order
}

fn count_received(received: &[&Request], policy: &Policy) -> Received {
    let by_channel = tally_by(
        vec![Channel::Phone, Channel::Web, Channel::Other],
        received,
        |r| r.channel,
    );
    let by_role = tally_by(CallerRole::ALL.to_vec(), received, |r| r.caller.role);
    let by_category = tally_by(category_order(policy), received, |r| r.category);
    Received {
        total: count(received.iter()),
        cancelled: count(received.iter().filter(|r| r.status == Status::Cancelled)),
        by_channel,
        by_category,
        by_queue: by_queue(received, policy),
        by_role,
    }
}

fn tally_by<K: PartialEq + Clone>(
    keys: Vec<K>,
    requests: &[&Request],
    key_of: impl Fn(&Request) -> K,
) -> Vec<Tally<K>> {
    keys.into_iter()
        .map(|key| Tally {
            count: count(requests.iter().filter(|r| key_of(r) == key)),
            key,
        })
        .collect()
}

/// The policy's queues in order, then queues it no longer lists, then "not routed".
fn by_queue(received: &[&Request], policy: &Policy) -> Vec<Tally<Option<String>>> {
    let mut keys: Vec<Option<String>> = policy.queues.iter().map(|q| Some(q.key.clone())).collect();
    let mut unknown: Vec<Option<String>> = received
        .iter()
        .filter(|r| r.queue.as_ref().is_some_and(|q| policy.queue(q).is_none()))
        .map(|r| r.queue.clone())
        .collect();
    unknown.sort();
    unknown.dedup();
    keys.extend(unknown);
    keys.push(None);
    tally_by(keys, received, |r| r.queue.clone())
}

fn steps(received: &[&Request], policy: &Policy) -> Steps {
    let counted: Vec<&Request> = received
        .iter()
        .copied()
        .filter(|r| r.status != Status::Cancelled)
        .collect();
    let deadlines = &policy.deadlines;
    // a step whose deadline counts service time is measured in it too
    let hours = policy.service_hours();
    let took = |name: &str, from: Timestamp, to: Timestamp| match (&hours, &policy.hours) {
        (Some(hours), Some(file)) if file.counts(name) => hours.between(from, to).value,
        _ => from.millis_until(to),
    };
    let route = step(
        &counted,
        deadlines.route_minutes.saturating_mul(MINUTE_MS),
        |r| {
            r.routed_at
                .map(|routed| took("route", r.received_at, routed))
        },
    );
    let take = step(
        &counted,
        deadlines.take_minutes.saturating_mul(MINUTE_MS),
        |r| Some(took("take", r.routed_at?, r.taken_at?)),
    );
    let resolve = step(
        &counted,
        deadlines.resolve_hours.saturating_mul(HOUR_MS),
        |r| {
            r.closed_at
                .filter(|_| r.status == Status::Resolved)
                .map(|closed| took("resolve", r.received_at, closed))
        },
    );
    Steps {
        route,
        take,
        resolve,
    }
}

/// `took` is how long the step took, `None` while it is not done.
fn step(
    requests: &[&Request],
    limit_ms: i64,
    took: impl Fn(&Request) -> Option<i64>,
) -> StepFigures {
    let mut times: Vec<i64> = requests.iter().filter_map(|r| took(r)).collect();
    times.sort_unstable();
    StepFigures {
        of: count(requests.iter()),
        done: count(times.iter()),
        within: count(times.iter().filter(|&&ms| ms <= limit_ms)),
        median_ms: median(&times),
        p90_ms: nearest_rank(&times, 90),
    }
}

/// The middle of sorted `times`, or the mean of the middle two.
fn median(times: &[i64]) -> Option<i64> {
    let n = times.len();
    if n == 0 {
        return None;
    }
    let upper = times[n / 2];
    if n % 2 == 1 {
        Some(upper)
    } else {
        let lower = times[n / 2 - 1];
        Some(lower + (upper - lower).div_euclid(2))
    }
}

/// The ⌈p·n/100⌉-th smallest of sorted `times`.
fn nearest_rank(times: &[i64], percent: usize) -> Option<i64> {
    let rank = (times.len() * percent).div_ceil(100).max(1);
    times.get(rank - 1).copied()
}

fn extensions(requests: &[Request], period: Period) -> Extensions {
    let asked = requests.iter().filter_map(|r| r.extension.as_ref());
    let decided = |state: ExtensionState| {
        count(
            asked
                .clone()
                .filter(|e| e.state == state && period.holds_some(e.decided_at)),
        )
    };
    Extensions {
        asked: count(asked.clone().filter(|e| period.holds(e.asked_at))),
        approved: decided(ExtensionState::Approved),
        denied: decided(ExtensionState::Denied),
    }
}

fn vendor(requests: &[Request], period: Period) -> VendorEscalations {
    let cases = requests.iter().flat_map(|r| r.vendor.iter());
    VendorEscalations {
        sent: count(cases.clone().filter(|c| period.holds(c.sent_at))),
        answered: count(cases.filter(|c| period.holds_some(c.answered_at))),
    }
}

pub(super) fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_mean_of_the_middle_two() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[1, 2, 3]), Some(2));
        assert_eq!(median(&[1, 2, 4, 9]), Some(3));
    }

    #[test]
    fn p90_is_the_nearest_rank() {
        assert_eq!(nearest_rank(&[], 90), None);
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 90), Some(9));
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(nearest_rank(&eleven, 90), Some(10));
    }
}
