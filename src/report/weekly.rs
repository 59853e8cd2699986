//! The weekly analysis: seven days of figures, the week against the one before, and the
//! aggregates the director reads.

use std::collections::HashMap;

use chrono::FixedOffset;

use super::figures::{category_order, count, open_at, period_figures, Period};
use super::period::{monday_of, previous_week, week_days};
use super::words::recurring_words;
use super::{day_bounds, week_bounds, DayFigures, LongOpen, ReportError, Tally, WeeklyReport};
use crate::domain::policy::Policy;
use crate::domain::request::Request;
use crate::domain::time::{Timestamp, HOUR_MS};

/// How many long-open requests the analysis lists.
const LONGEST_OPEN: usize = 5;

/// The weekly analysis of ISO week `week` of `year`.
///
/// `requests` must cover this week and the one before; each figure picks its own:
/// - `days` and `totals`: as [`super::daily`]'s figures, per day and for the whole week;
/// - `previous`: the same for the ISO week before;
/// - `top_categories`: `totals.received.by_category` without zeros, most first;
/// - `recurring_words`: from descriptions of requests received in the week, neither psych nor
///   cancelled (see `words.rs`);
/// - `repeat_callers`: callers with two or more requests received in the week, a caller being
///   the requests linked by a shared phone (E.164) or email (lowercased), directly or through
///   another of their requests;
/// - `longest_open`: open at the week's end, or at `now` if that is sooner, oldest first.
pub fn weekly(
    requests: &[Request],
    year: i32,
    week: u32,
    offset: FixedOffset,
    now: Timestamp,
    policy: &Policy,
    proposals: Option<String>,
) -> Result<WeeklyReport, ReportError> {
    let monday = monday_of(year, week)?;
    let (start, end) = week_bounds(year, week, offset)?;
    let (previous_year, previous_number) = previous_week(monday);
    let (previous_start, previous_end) = week_bounds(previous_year, previous_number, offset)?;

    let days = week_days(monday)
        .into_iter()
        .map(|date| {
            let (start, end) = day_bounds(date, offset);
            DayFigures {
                date,
                figures: period_figures(requests, Period { start, end }, policy),
            }
        })
        .collect();
    let totals = period_figures(requests, Period { start, end }, policy);
    let previous = period_figures(
        requests,
        Period {
            start: previous_start,
            end: previous_end,
        },
        policy,
    );

    let order = category_order(policy);
    let mut top_categories: Vec<Tally<_>> = totals
        .received
        .by_category
        .iter()
        .filter(|tally| tally.count > 0)
        .cloned()
        .collect();
    top_categories.sort_by_key(|tally| {
        let place = order.iter().position(|c| *c == tally.key);
        (std::cmp::Reverse(tally.count), place)
    });

    let received: Vec<&Request> = requests
        .iter()
        .filter(|request| Period { start, end }.holds(request.received_at))
        .collect();
    Ok(WeeklyReport {
        year,
        week,
        start,
        end,
        generated_at: now,
        days,
        totals,
        previous,
        top_categories,
        recurring_words: recurring_words(&received, requests),
        repeat_callers: repeat_callers(&received),
        longest_open: longest_open(requests, end.min(now)),
        proposals,
    })
}

/// Groups requests that share a phone or an email (union–find over request indexes) and
/// counts the groups of two or more.
fn repeat_callers(received: &[&Request]) -> u32 {
    let mut parent: Vec<usize> = (0..received.len()).collect();
    fn root(parent: &mut [usize], mut at: usize) -> usize {
        while parent[at] != at {
            parent[at] = parent[parent[at]];
            at = parent[at];
        }
        at
    }
    let mut first_with: HashMap<String, usize> = HashMap::new();
    for (index, request) in received.iter().enumerate() {
        let caller = &request.caller;
        let keys = caller
            .phone
            .iter()
            .map(|phone| format!("tel:{}", phone.e164()))
            .chain(
                caller
                    .email
                    .iter()
                    .map(|email| format!("mail:{}", email.as_str().to_lowercase())),
            );
        for key in keys {
            let other = *first_with.entry(key).or_insert(index);
            let (a, b) = (root(&mut parent, index), root(&mut parent, other));
            parent[a] = b;
        }
    }
    let mut sizes: HashMap<usize, u32> = HashMap::new();
    for index in 0..received.len() {
        *sizes.entry(root(&mut parent, index)).or_default() += 1;
    }
    count(sizes.values().filter(|&&size| size >= 2))
}

fn longest_open(requests: &[Request], as_of: Timestamp) -> Vec<LongOpen> {
    let mut open: Vec<&Request> = requests.iter().filter(|r| open_at(r, as_of)).collect();
    open.sort_by_key(|r| (r.received_at, r.id));
    open.into_iter()
        .take(LONGEST_OPEN)
        .map(|request| LongOpen {
            id: request.id,
            queue: request.queue.clone(),
            category: request.category,
            hours_open: request.received_at.millis_until(as_of) / HOUR_MS,
        })
        .collect()
}
